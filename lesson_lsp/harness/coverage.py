"""Runs inside the sandbox: which lines and branches of the candidate's function the check
inputs execute, and which of the lines the candidate *added* no input reached.

A candidate is only as verified as the inputs that ran its code: a branch the original does not
have (`if n < 3: return True`) that no check executed was never compared. The verifier asks for
more inputs (derived, fuzzed further out) while added lines stay unexecuted, and reports what
stays so. Python 3.10 and 3.11 have no `sys.monitoring`: `sys.settrace`, limited to the
candidate's own code objects, records lines and the arcs between them. A branch point is an
`if`, `while` or `for` line; its two outcomes count as taken when the line was followed by two
different lines (line-level: the two sides of `a if c else b` on one line are not told apart).
Standard library only.
"""

from __future__ import annotations

import ast
import difflib
import sys
import textwrap
import types
from dataclasses import dataclass, field
from typing import Any

_BRANCHING = (ast.If, ast.While, ast.For, ast.AsyncFor)


def code_objects(function: Any) -> set[types.CodeType]:
    """The function's code and every code object nested in it (inner functions, lambdas,
    comprehensions): the code whose lines belong to the candidate's function."""
    function = getattr(function, "__func__", function)
    function = getattr(function, "__wrapped__", function)
    code = getattr(function, "__code__", None)
    if code is None:
        return set()
    found, todo = set(), [code]
    while todo:
        current = todo.pop()
        if current in found:
            continue
        found.add(current)
        todo.extend(c for c in current.co_consts if isinstance(c, types.CodeType))
    return found


@dataclass
class Recorder:
    """Lines and arcs executed in `codes` while it is active (a context manager)."""

    codes: set[types.CodeType]
    lines: set[int] = field(default_factory=set)
    arcs: set[tuple[int, int]] = field(default_factory=set)
    _previous: Any = None

    def __enter__(self) -> Recorder:
        self._previous = sys.gettrace()
        sys.settrace(self._global)
        return self

    def __exit__(self, *exc: object) -> None:
        sys.settrace(self._previous)

    def _global(self, frame: types.FrameType, event: str, arg: Any) -> Any:
        if event != "call" or frame.f_code not in self.codes:
            return None
        last = [-1]
        lines, arcs = self.lines, self.arcs

        def local(frame: types.FrameType, event: str, arg: Any) -> Any:
            if event == "line":
                line = frame.f_lineno
                lines.add(line)
                if last[0] >= 0:
                    arcs.add((last[0], line))
                last[0] = line
            return local

        return local


@dataclass(frozen=True)
class Shape:
    """The candidate function's executable lines, branch lines and added lines (module line
    numbers of the candidate's text)."""

    executable: frozenset[int]
    branches: frozenset[int]
    added: frozenset[int]


Def = ast.FunctionDef | ast.AsyncFunctionDef


def function_node(text: str, qualname: str) -> Def | None:
    """The def of `qualname` (`Class.method` or `name`) in a module's text."""
    try:
        tree: ast.AST = ast.parse(text)
    except (SyntaxError, ValueError):
        return None
    for part in qualname.split("."):
        body = getattr(tree, "body", [])
        found = next((n for n in body if isinstance(
            n, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)) and n.name == part), None)
        if found is None:
            return None
        tree = found
    return tree if isinstance(tree, (ast.FunctionDef, ast.AsyncFunctionDef)) else None


def shape(original_text: str, candidate_text: str, qualname: str,
          codes: set[types.CodeType]) -> Shape | None:
    """Where the candidate's function lies in its text, which of its lines can run, which of them
    branch, and which it added compared with the original's function (by a line diff)."""
    node = function_node(candidate_text, qualname)
    old = function_node(original_text, qualname)
    if node is None or old is None:
        return None
    header = {d.lineno for d in getattr(node, "decorator_list", [])} | {node.lineno}
    body_start = node.body[0].lineno
    executable = {line for code in codes for _, _, line in code.co_lines()
                  if line is not None and line >= body_start} - header
    branches = {n.lineno for n in ast.walk(node) if isinstance(n, _BRANCHING)}
    new_lines = candidate_text.splitlines()[node.lineno - 1:node.end_lineno]
    old_lines = original_text.splitlines()[old.lineno - 1:old.end_lineno]
    matcher = difflib.SequenceMatcher(a=[x.strip() for x in old_lines],
                                      b=[x.strip() for x in new_lines], autojunk=False)
    added: set[int] = set()
    for tag, _, _, j1, j2 in matcher.get_opcodes():
        if tag in ("replace", "insert"):
            added.update(range(node.lineno + j1, node.lineno + j2))
    return Shape(frozenset(executable), frozenset(branches & executable),
                 frozenset(added & executable))


def report(found: Shape, recorder: Recorder, text: str) -> dict[str, Any]:
    """What was executed, for `checked_on` and the user: counts, and the added lines no input
    reached, with their text."""
    taken = {}
    for line in found.branches:
        successors = {b for a, b in recorder.arcs if a == line and b != line}
        taken[line] = min(2, len(successors))
    lines = text.splitlines()
    missed = sorted(found.added - recorder.lines)
    return {
        "lines": len(found.executable), "lines_run": len(found.executable & recorder.lines),
        "branches": 2 * len(found.branches), "branches_run": sum(taken.values()),
        "added": len(found.added), "added_run": len(found.added & recorder.lines),
        "unexecuted": [[n, textwrap.shorten(lines[n - 1].strip(), 80)] for n in missed
                       if 0 < n <= len(lines)],
    }


def missed(found: Shape, recorder: Recorder) -> set[int]:
    """Added lines not executed yet: what more inputs should reach."""
    return set(found.added - recorder.lines)
