"""A candidate → the final module text, once: the only text the harness verifies, the CLI writes
and the server's WorkspaceEdit must produce.

The plan keeps every character outside the function and the new import lines: line endings
(each line its own), a BOM-less text as the editor holds it, tabs or spaces, the final newline or
its absence. Its edits are ranges against the original text in the negotiated position encoding;
`apply` applies edits by the LSP's rules, so a caller can prove they give the verified text.
"""

from __future__ import annotations

import ast
import difflib
import hashlib
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

from lsprotocol import types as lsp

from lesson_lsp.source.candidate import Candidate, indent_unit, reindent, shallow_comments
from lesson_lsp.source.extract import FunctionSpan
from lesson_lsp.source.positions import UTF16, LineIndex

_COOKIE = re.compile(r"^[ \t\f]*#.*?coding[:=][ \t]*[-\w.]+")


class PlanError(Exception):
    """The edits do not give the planned text; nothing may be sent or written."""


@dataclass(frozen=True)
class TextEdit:
    start_line: int
    start_col: int
    end_line: int
    end_col: int
    new_text: str


@dataclass(frozen=True)
class Plan:
    """`text` is `source` with the candidate in place of the function; `edits` turn `source`
    into `text` by the LSP's rules, in `encoding` columns."""

    source: str
    text: str
    edits: tuple[TextEdit, ...]
    encoding: str = UTF16

    @property
    def lines_changed(self) -> int:
        """The size of the edit as a reviewer sees it: lines removed plus lines added (the
        counts of `git diff --numstat`, new import lines included)."""
        return changed_lines(self.source, self.text)


def changed_lines(before: str, after: str) -> int:
    """Lines removed plus lines added between two texts (a changed line counts twice)."""
    matcher = difflib.SequenceMatcher(None, before.splitlines(), after.splitlines(),
                                      autojunk=False)
    return sum(i2 - i1 + j2 - j1 for op, i1, i2, j1, j2 in matcher.get_opcodes() if op != "equal")


@lru_cache(maxsize=8)
def _import_point(source: str) -> tuple[int, frozenset[str]]:
    """The text offset where new import lines go, and the module's top-level imports (as
    syntax-tree dumps, so spelling and spacing do not matter).

    After a shebang and a coding cookie, the module docstring, `from __future__` imports and
    the leading import block (comments between them included); at the start of a line, so
    never inside a parenthesised import. Python's own parser decides (tree-sitter can give up
    on a whole module that CPython compiles); a module it cannot parse cannot be verified, and
    gets its imports after the shebang and cookie only. Cached: a run plans every candidate
    against the same module text."""
    index = LineIndex(source)
    last = 0  # 1-based number of the last line the new lines must follow
    for line in (0, 1):
        text = index.line_text(line) if line < len(index) else ""
        if (line == 0 and text.startswith("#!")) or _COOKIE.match(text):
            last = line + 1
    present: set[str] = set()
    try:
        body = ast.parse(source).body
    except (SyntaxError, ValueError):
        body = []
    leading = True
    for i, node in enumerate(body):
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            present.add(ast.dump(node))
            if leading:
                last = max(last, node.end_lineno or node.lineno)
        elif i == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) \
                and isinstance(node.value.value, str):
            last = max(last, node.end_lineno or node.lineno)
        else:
            leading = False
    if last == 0:
        return 0, frozenset(present)
    return (index.starts[last] if last < len(index) else len(source)), frozenset(present)


def _statement(line: str) -> str:
    """An import line as its syntax-tree dump ("" when it is not one statement)."""
    try:
        body = ast.parse(line.strip()).body
    except (SyntaxError, ValueError):
        return ""
    return ast.dump(body[0]) if len(body) == 1 else ""


def _newline(index: LineIndex, first: int, last: int) -> str:
    """The line ending most used by lines `first`..`last`, else by the file, else "\\n"."""
    for lo, hi in ((first, last), (0, len(index) - 1)):
        seen = Counter(b for b in map(index.line_break, range(lo, hi + 1)) if b)
        if seen:
            return seen.most_common(1)[0][0]
    return "\n"


def plan(source: str, span: FunctionSpan, candidate: Candidate,
         encoding: str | None = None) -> Plan:
    """The module text with `candidate` in place of `span`, and the edits that make it."""
    encoding = encoding or span.encoding
    index = LineIndex(source)
    start, end = span.start_offset, span.end_offset
    newline = _newline(index, index.line_of(start), index.line_of(end))
    body = reindent(candidate.source, span.indent, indent_unit(span.source, span.indent),
                    newline, shallow_comments(span.source, span.indent))
    insert_at, present = _import_point(source)
    missing = [imp for imp in candidate.imports if _statement(imp) not in present]
    imports = ""
    if missing:
        insert_at = min(insert_at, index.starts[index.line_of(start)])
        before = index.line_break(index.line_of(insert_at) - 1) if insert_at else ""
        sep = before or _newline(index, 0, len(index) - 1)
        imports = ("" if insert_at == 0 or source[insert_at - 1] in "\r\n" else sep) + \
            "".join(imp + sep for imp in missing)
    if imports and insert_at == start:
        body, imports = imports + body, ""  # one edit: an insert at a replacement's start
    text = source[:insert_at] + imports + source[insert_at:start] + body + source[end:] \
        if imports else source[:start] + body + source[end:]

    def position(offset: int) -> tuple[int, int]:
        return index.position(offset, encoding)

    edits = []
    if imports:
        edits.append(TextEdit(*position(insert_at), *position(insert_at), imports))
    edits.append(TextEdit(*position(start), *position(end), body))
    result = Plan(source, text, tuple(edits), encoding)
    check(result)
    return result


def apply(source: str, edits: tuple[TextEdit, ...] | list[TextEdit], encoding: str) -> str:
    """`source` with `edits` applied as an LSP client does: every range against the original
    text, edits with the same start in array order; overlapping ranges are an error."""
    index = LineIndex(source)
    spans = [(index.offset(e.start_line, e.start_col, encoding),
              index.offset(e.end_line, e.end_col, encoding), n, e.new_text)
             for n, e in enumerate(edits)]
    spans.sort(key=lambda s: (s[0], s[2]))
    out, at = [], 0
    for a, b, _, new_text in spans:
        if a < at or b < a:
            raise PlanError("the edits overlap")
        out.append(source[at:a])
        out.append(new_text)
        at = b
    out.append(source[at:])
    return "".join(out)


def check(result: Plan) -> None:
    """Raise unless `result.edits`, applied by the LSP's rules, give exactly `result.text`."""
    if apply(result.source, result.edits, result.encoding) != result.text:
        raise PlanError("the edit does not reproduce the verified text")


def workspace_edit(uri: str, version: int | None, edits: tuple[TextEdit, ...] | list[TextEdit]
                   ) -> lsp.WorkspaceEdit:
    """A WorkspaceEdit a client applies only if the document is still at `version`."""
    return lsp.WorkspaceEdit(document_changes=[
        lsp.TextDocumentEdit(
            text_document=lsp.OptionalVersionedTextDocumentIdentifier(uri=uri, version=version),
            edits=[lsp.TextEdit(
                range=lsp.Range(start=lsp.Position(e.start_line, e.start_col),
                                end=lsp.Position(e.end_line, e.end_col)),
                new_text=e.new_text) for e in edits],
        )
    ])


def sha256(text: str) -> str:
    """A module text's digest: the worker reports it of the text it loaded, and the server's
    answer names the text it verified by it."""
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()
