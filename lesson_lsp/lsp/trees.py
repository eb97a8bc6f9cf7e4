"""One tree-sitter tree per open document, edited in place on every change.

Code actions are asked for on every cursor move and hover on every pause: both must be a lookup
in a tree that is already there, not a parse of the whole file. Each `didChange` is applied to
the document's bytes and to its tree (`Tree.edit`, then a parse that reuses the old tree), so a
keystroke costs about what the changed lines cost.

The bytes are UTF-8 with every lone "\\r" read as "\\n" (same length, see
`positions.rows_as_lsp_lines`), so that tree-sitter's rows are the LSP's lines.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Container, Iterator, Sequence
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

from tree_sitter import Node, Tree

from lesson_lsp.source.extract import code_end, function_node_at, outer_node, parse, qualified_name
from lesson_lsp.source.positions import LineIndex, units


@dataclass(frozen=True)
class FunctionAt:
    """The function under a cursor, as a code action and hover need it."""

    qualname: str
    nested: bool
    well_formed: bool
    source: str  # from its first decorator to its last token of code
    indent: str
    start: tuple[int, int]  # LSP line and column (negotiated encoding), decorators included
    end: tuple[int, int]


# Nodes whose children may hold a function's `def` (statements, not expressions): listing a
# file's functions walks only these.
_HOLDERS = frozenset({
    "module", "block", "class_definition", "function_definition", "decorated_definition",
    "if_statement", "elif_clause", "else_clause", "try_statement", "except_clause",
    "except_group_clause", "finally_clause", "with_statement", "for_statement",
    "while_statement", "match_statement", "case_clause", "ERROR",
})


def _function_nodes(root: Node) -> Iterator[Node]:
    """Every `def` under `root`, in source order, without walking into expressions."""
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "function_definition":
            yield node
        stack.extend(reversed([c for c in node.children if c.type in _HOLDERS]))


def _line_starts(data: bytes) -> list[int]:
    """Byte offsets where each LSP line starts ("\\n", "\\r\\n" and "\\r" end a line: exactly
    what `bytes.splitlines` splits at)."""
    starts = [0, *accumulate(map(len, data.splitlines(True)))]
    if data and not data.endswith((b"\n", b"\r")):
        starts.pop()  # the last line has no break: the running total is the end, not a start
    return starts


class DocumentTree:
    """An open document's bytes, where its lines start, and its tree."""

    def __init__(self, text: str, version: int | None = None) -> None:
        self.version = version
        self._set(text.encode("utf-8", "surrogatepass"))
        self._tree = parse(self.data)
        self._stale = False

    def _set(self, data: bytes) -> None:
        self.data = data
        self.starts = _line_starts(data)

    @property
    def tree(self) -> Tree:
        """The tree of the bytes as they are now: edits since the last parse are parsed here,
        once, when something needs the tree (typing alone never waits for a parse)."""
        if self._stale:
            self._tree = parse(self.data, self._tree)
            self._stale = False
        return self._tree

    @property
    def text(self) -> str:
        return self.data.decode("utf-8", "surrogatepass")

    def _line(self, line: int) -> bytes:
        end = self.starts[line + 1] if line + 1 < len(self.starts) else len(self.data)
        return self.data[self.starts[line]:end]

    def byte_at(self, line: int, character: int, encoding: str) -> int:
        """The byte offset of an LSP position; past a line's end it clamps to that end, past
        the last line to the end of the document (as the LSP says)."""
        if line >= len(self.starts):
            return len(self.data)
        line = max(line, 0)
        raw = self._line(line)
        if raw.isascii():
            content = len(raw.rstrip(b"\r\n")) if raw.endswith((b"\n", b"\r")) else len(raw)
            return self.starts[line] + min(max(character, 0), content)
        text = raw.decode("utf-8", "surrogatepass")
        column = LineIndex(text).offset(0, character, encoding)
        return self.starts[line] + len(text[:column].encode("utf-8", "surrogatepass"))

    def point(self, byte: int) -> tuple[int, int]:
        """tree-sitter's point (row, byte column) of a byte offset."""
        row = bisect_right(self.starts, byte) - 1
        return row, byte - self.starts[row]

    def position(self, byte: int, encoding: str) -> tuple[int, int]:
        """The LSP position of a byte offset."""
        row = self.point(byte)[0]
        prefix = self.data[self.starts[row]:byte]
        if prefix.isascii():
            return row, len(prefix)
        return row, units(prefix.decode("utf-8", "surrogatepass"), encoding)

    def apply(self, changes: Sequence[Any], version: int | None, encoding: str) -> None:
        """The `didChange` events, in order, on the bytes and the tree (parsed when next
        needed)."""
        for change in changes:
            rng = getattr(change, "range", None)
            new = str(change.text).encode("utf-8", "surrogatepass")
            if rng is None:
                self._set(new)
                self._tree, self._stale = parse(new), False
                continue
            start = self.byte_at(rng.start.line, rng.start.character, encoding)
            end = max(start, self.byte_at(rng.end.line, rng.end.character, encoding))
            # A "\r" just before or a "\n" just after the edit may join or part a "\r\n",
            # which moves a line break outside the edited bytes: take them into the edit.
            if start > 0 and self.data[start - 1:start] == b"\r":
                start -= 1
                new = b"\r" + new
            if self.data[end:end + 1] == b"\n":
                end += 1
                new += b"\n"
            start_point, old_end_point = self.point(start), self.point(end)
            self._set(self.data[:start] + new + self.data[end:])
            self._tree.edit(start, end, start + len(new), start_point, old_end_point,
                            self.point(start + len(new)))
            self._stale = True
        self.version = version

    def function_at(self, start: tuple[int, int], end: tuple[int, int],
                    encoding: str) -> FunctionAt | None:
        """The innermost function holding the range (a cursor in a line's indentation means
        that line's code), or None."""
        first = self.byte_at(*start, encoding)
        last = max(first, self.byte_at(*end, encoding))
        fn = function_node_at(self.tree.root_node, first, last)
        if fn is None and first == last:
            line = min(max(start[0], 0), len(self.starts) - 1)
            content = self._line(line).rstrip(b"\r\n")
            first = last = self.starts[line] + len(content) - len(content.lstrip())
            fn = function_node_at(self.tree.root_node, first, last)
        return None if fn is None else self._describe(fn, encoding)

    def functions(self, encoding: str,
                  wanted: Container[str] | None = None) -> list[FunctionAt]:
        """The document's functions (those whose qualname is in `wanted`, if given), in source
        order: what code lenses annotate."""
        found = []
        for fn in _function_nodes(self.tree.root_node):
            if wanted is None or qualified_name(fn)[0] in wanted:
                found.append(self._describe(fn, encoding))
        return found

    def _describe(self, fn: Node, encoding: str) -> FunctionAt:
        qualname, nested = qualified_name(fn)
        outer, last = outer_node(fn), code_end(fn)
        line_start = self.starts[self.point(outer.start_byte)[0]]
        prefix = self.data[line_start:outer.start_byte]
        indent = prefix.rsplit(b"\x0c", 1)[-1] if not prefix.strip(b" \t\x0c") else b""
        return FunctionAt(
            qualname=qualname, nested=nested, well_formed=not outer.has_error,
            source=self.data[outer.start_byte:last].decode("utf-8", "surrogatepass"),
            indent=indent.decode("ascii"),
            start=self.position(outer.start_byte, encoding),
            end=self.position(last, encoding))


class DocumentTrees:
    """The trees of the open documents, by URI."""

    def __init__(self) -> None:
        self._trees: dict[str, DocumentTree] = {}

    def open(self, uri: str, text: str, version: int | None) -> DocumentTree:
        self._trees[uri] = DocumentTree(text, version)
        return self._trees[uri]

    def change(self, uri: str, changes: Sequence[Any], version: int | None,
               encoding: str) -> None:
        tree = self._trees.get(uri)
        if tree is not None:
            tree.apply(changes, version, encoding)

    def close(self, uri: str) -> None:
        self._trees.pop(uri, None)

    def get(self, uri: str) -> DocumentTree | None:
        return self._trees.get(uri)

