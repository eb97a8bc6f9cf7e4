"""Open documents whose lines are the LSP's lines.

pygls splits a document with `str.splitlines`, which also breaks at form feeds, vertical tabs,
U+2028 and others; editors break only at "\\n", "\\r\\n" and "\\r". A file with a form feed (old
GNU-style code has them) would get every incremental change after it applied to the wrong line.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from pygls.workspace import TextDocument, Workspace

_LINE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n)|[^\r\n]+\Z")
# Where `str.splitlines` breaks but editors do not: without these, it gives the LSP's lines.
_OTHER_BREAKS = re.compile("[\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029]")


def lsp_lines(text: str) -> tuple[str, ...]:
    """`text`'s lines, each with its line break."""
    if _OTHER_BREAKS.search(text) is None:
        return tuple(text.splitlines(True))  # the same lines, in C
    return tuple(_LINE.findall(text))


class LspTextDocument(TextDocument):
    """Lines split as editors split them, computed once per text (every keystroke and position
    conversion asks for them), and changes applied as one splice rather than line by line."""

    _lines: tuple[str, tuple[str, ...]] | None = None

    @property
    def lines(self) -> Sequence[str]:
        source = self.source
        if self._lines is None or self._lines[0] is not source:
            self._lines = (source, lsp_lines(source))
        return self._lines[1]

    def _apply_incremental_change(self, change: Any) -> None:
        """As pygls applies a range change (a column past a line's end means its end, break
        included), in one splice."""
        lines = self.lines
        rng = self._position_codec.range_from_client_units(lines, change.range)
        start_line, end_line = rng.start.line, rng.end.line
        if start_line >= len(lines):
            if start_line == len(lines):
                self._source = self.source + change.text
            return
        start = sum(map(len, lines[:start_line])) + min(rng.start.character,
                                                        len(lines[start_line]))
        if end_line >= len(lines):
            end = len(self.source)
        else:
            end = sum(map(len, lines[:end_line])) + min(rng.end.character, len(lines[end_line]))
        source = self.source
        self._source = source[:start] + change.text + source[max(start, end):]


class LspWorkspace(Workspace):
    def _create_text_document(self, doc_uri: str, source: str | None = None,
                              version: int | None = None,
                              language_id: str | None = None) -> TextDocument:
        return LspTextDocument(doc_uri, source=source, version=version,
                               language_id=language_id, sync_kind=self._sync_kind,
                               position_codec=self._position_codec)


def lsp_workspace(workspace: Workspace) -> LspWorkspace:
    """The same workspace (root, folders, sync kind, negotiated encoding), with LSP lines."""
    folders: list[Any] = list(workspace.folders.values())
    return LspWorkspace(workspace.root_uri, workspace._sync_kind, folders,
                        workspace.position_encoding)
