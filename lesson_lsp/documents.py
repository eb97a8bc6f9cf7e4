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


class LspTextDocument(TextDocument):
    @property
    def lines(self) -> Sequence[str]:
        return tuple(_LINE.findall(self.source))


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
