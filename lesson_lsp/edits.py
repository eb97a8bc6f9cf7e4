"""A verified candidate → text edits: the function's range, plus the import lines it needs.

The same edits feed the CLI (applied to the file's text) and the server (a WorkspaceEdit whose
`documentChanges` carry the document version that was optimized).
"""

from __future__ import annotations

from dataclasses import dataclass

from lsprotocol import types as lsp

from lesson_lsp.candidate import Candidate, reindent
from lesson_lsp.extract import FunctionSpan, parse
from lesson_lsp.positions import column_to_bytes, split_lines


@dataclass(frozen=True)
class TextEdit:
    start_line: int
    start_col: int
    end_line: int
    end_col: int
    new_text: str


def _import_line(source: str) -> tuple[int, set[str]]:
    """Where new imports go (after the leading docstring, comments and imports) and the
    import statements the module has at top level already."""
    data = source.encode("utf-8")
    root = parse(data).root_node
    present: set[str] = set()
    insert_at = 0
    leading = True
    for child in root.children:
        kind = child.type
        if kind in ("import_statement", "import_from_statement", "future_import_statement"):
            present.add(" ".join(child.text.decode("utf-8").split()) if child.text else "")
            if leading:
                insert_at = child.end_point[0] + 1
        elif kind == "comment" and leading:
            continue
        elif kind == "expression_statement" and leading and insert_at == 0 and \
                child.children and child.children[0].type == "string":
            insert_at = child.end_point[0] + 1
        else:
            leading = False
    return insert_at, present


def plan(source: str, span: FunctionSpan, candidate: Candidate) -> list[TextEdit]:
    """Edits, in document order, that put `candidate` in place of `span` within `source`."""
    edits: list[TextEdit] = []
    insert_at, present = _import_line(source)
    missing = [imp for imp in candidate.imports if " ".join(imp.split()) not in present]
    if missing:
        edits.append(TextEdit(insert_at, 0, insert_at, 0, "".join(m + "\n" for m in missing)))
    body = reindent(candidate.source, span.indent)
    edits.append(TextEdit(span.start_line, span.start_col, span.end_line, span.end_col, body))
    return edits


def apply(source: str, edits: list[TextEdit], encoding: str) -> str:
    """`source` with `edits` applied (they must not overlap); used by the CLI and tests."""
    data = source.encode("utf-8")
    lines = split_lines(data)
    starts = [0]
    for line in lines:
        starts.append(starts[-1] + len(line) + 1)

    def offset(line: int, col: int) -> int:
        if line >= len(lines):
            return len(data)
        return starts[line] + column_to_bytes(lines[line], col, encoding)

    out = data
    for edit in sorted(edits, key=lambda e: (e.start_line, e.start_col), reverse=True):
        a, b = offset(edit.start_line, edit.start_col), offset(edit.end_line, edit.end_col)
        out = out[:a] + edit.new_text.encode("utf-8") + out[b:]
    return out.decode("utf-8")


def workspace_edit(uri: str, version: int | None, edits: list[TextEdit]) -> lsp.WorkspaceEdit:
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
