"""One tree per open document, edited on every change: after any sequence of changes the bytes,
the tree and the function under a cursor are what a fresh parse of the document gives, and the
document's own text is what pygls (or an editor) makes of the same changes."""

from __future__ import annotations

import random

import pytest
from lsprotocol import types as lsp
from pygls.workspace import PositionCodec, TextDocument

from lesson_lsp.lsp.documents import LspTextDocument, lsp_lines
from lesson_lsp.lsp.trees import DocumentTree
from lesson_lsp.source import extract
from lesson_lsp.source.positions import UTF8, UTF16, UTF32, LineIndex, units

SOURCE = (
    "import functools\r\n"
    "\n"
    "class Grid:\n"
    "    '''Größe 🐍 grid.'''\n"
    "    @functools.cache\n"
    "    def total(self, xs):\r\n"
    "        s = 0  # añadir\n"
    "        for x in xs:\n"
    "            s += x\r"
    "        return s\n"
    "\n"
    "def fib(n):\n"
    "    if n < 2:\n"
    "        return n\n"
    "    def inner(k):\n"
    "        return k + '😀'\n"
    "    return fib(n - 1) + fib(n - 2)\n"
)
PIECES = ["x", "", "\n", "\r\n", "\r", "é", "🐍", "    ", "def g():\n    return 1\n", "'''",
          "(", ")", "  # c\n", "s"]


def _shape(tree: object) -> list[tuple[object, ...]]:
    """Every node with its place (an S-expression alone would not show rows gone wrong)."""
    out, stack = [], [tree.root_node]  # type: ignore[attr-defined]
    while stack:
        node = stack.pop()
        out.append((node.type, node.start_byte, node.end_byte, node.start_point, node.end_point))
        stack.extend(node.children)
    return out


def _change(index: LineIndex, a: int, b: int, text: str,
            encoding: str) -> lsp.TextDocumentContentChangePartial:
    (sl, sc), (el, ec) = index.position(a, encoding), index.position(b, encoding)
    return lsp.TextDocumentContentChangePartial(
        range=lsp.Range(start=lsp.Position(sl, sc), end=lsp.Position(el, ec)), text=text)


def _boundary(text: str, offset: int) -> int:
    """An offset that does not split a "\\r\\n" (an editor never puts a cursor inside one)."""
    if 0 < offset < len(text) and text[offset - 1] == "\r" and text[offset] == "\n":
        return offset - 1
    return offset


@pytest.mark.parametrize("encoding", [UTF16, UTF8, UTF32])
def test_random_edits_keep_bytes_tree_and_document_as_a_fresh_parse(encoding: str) -> None:
    rnd = random.Random(encoding)
    text = SOURCE
    tree = DocumentTree(text, 1)
    codec = PositionCodec(encoding=lsp.PositionEncodingKind(encoding))
    document = LspTextDocument("file:///t.py", text, version=1, position_codec=codec)
    for version in range(2, 400):
        changes = []
        for _ in range(rnd.choice([1, 1, 1, 2, 3])):
            a = _boundary(text, rnd.randrange(len(text) + 1))
            b = _boundary(text, min(len(text), a + rnd.choice([0, 0, 1, 2, 5, 30])))
            new = rnd.choice(PIECES)
            changes.append(_change(LineIndex(text), a, b, new, encoding))
            text = text[:a] + new + text[b:]
        tree.apply(changes, version, encoding)
        for change in changes:
            document.apply_change(change)
        assert tree.text == text == document.source
        assert tree.version == version
        if version % 7 == 0:
            assert _shape(tree.tree) == _shape(extract.parse(text.encode("utf-8")))
    assert _shape(tree.tree) == _shape(extract.parse(text.encode("utf-8")))


@pytest.mark.parametrize(("text", "after", "new"), [
    ("def f():\n    x = 1\r    return x\n", "1\r", "\n"),
    ("def f():\n    x = 1\r    return x\n", "1\r", "\ny = 2\n"),
    ("def f():\n    x = 1\n    return x\n", "1", "\r"),
])
def test_a_change_that_makes_a_crlf_of_two_breaks_moves_the_line_break(
        text: str, after: str, new: str) -> None:
    offset = text.index(after) + len(after)
    tree = DocumentTree(text, 1)
    tree.apply([_change(LineIndex(text), offset, offset, new, UTF16)], 2, UTF16)
    text = text[:offset] + new + text[offset:]
    assert tree.text == text
    assert _shape(tree.tree) == _shape(extract.parse(text.encode("utf-8")))


def test_a_full_change_replaces_the_text() -> None:
    tree = DocumentTree(SOURCE, 1)
    tree.apply([lsp.TextDocumentContentChangeWholeDocument(text="def f():\n    pass\n")], 2,
               UTF16)
    found = tree.function_at((1, 4), (1, 4), UTF16)
    assert found is not None and found.qualname == "f"


@pytest.mark.parametrize("encoding", [UTF16, UTF8, UTF32])
def test_function_at_agrees_with_a_full_extraction_everywhere(encoding: str) -> None:
    tree = DocumentTree(SOURCE, 1)
    index = LineIndex(SOURCE)
    for line in range(len(index)):
        width = units(index.line_text(line), encoding)
        for column in sorted({0, 2, 4, 9, width, width + 3}):
            found = tree.function_at((line, column), (line, column), encoding)
            try:
                span = extract.function_at(SOURCE, line, column, encoding=encoding)
            except extract.ExtractError:
                assert found is None or not found.well_formed, (line, column)
                continue
            assert found is not None, (line, column)
            assert (found.qualname, found.nested, found.source, found.indent) == \
                (span.qualname, span.nested, span.source, span.indent)
            assert found.start == (span.start_line, span.start_col)
            assert found.end == (span.end_line, span.end_col)


def test_a_cursor_on_a_blank_line_between_functions_finds_none() -> None:
    tree = DocumentTree(SOURCE, 1)
    assert tree.function_at((10, 0), (10, 0), UTF16) is None
    assert tree.function_at((1, 0), (1, 0), UTF16) is None


def test_a_function_with_a_syntax_error_is_not_well_formed() -> None:
    tree = DocumentTree("def f(:\n    return 1\n\ndef g():\n    return 2\n", 1)
    broken = tree.function_at((1, 5), (1, 5), UTF16)
    assert broken is None or not broken.well_formed
    good = tree.function_at((4, 5), (4, 5), UTF16)
    assert good is not None and good.well_formed and good.qualname == "g"


def test_document_lines_and_changes_match_pygls_where_it_splits_as_editors_do() -> None:
    rnd = random.Random(3)
    text = SOURCE.replace("\r", "")  # pygls splits like an editor when there are only "\n"
    ours = LspTextDocument("file:///t.py", text, version=1)
    theirs = TextDocument("file:///t.py", text, version=1)
    for _ in range(300):
        index = LineIndex(ours.source)
        a = rnd.randrange(len(ours.source) + 1)
        b = min(len(ours.source), a + rnd.choice([0, 0, 1, 2, 5, 30]))
        change = _change(index, a, b, rnd.choice(PIECES).replace("\r", ""), UTF16)
        ours.apply_change(change)
        theirs.apply_change(change)
        assert ours.source == theirs.source
        assert tuple(ours.lines) == tuple(theirs.lines)


def test_lines_break_only_where_editors_break() -> None:
    text = "a\x0cb\r\nc\u2028d\re\n"
    assert lsp_lines(text) == ("a\x0cb\r\n", "c\u2028d\r", "e\n")
    assert lsp_lines("x\ny") == ("x\n", "y")
