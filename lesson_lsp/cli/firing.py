"""`lesson-lsp bench --why`: which rule looked at each task's function, and which precondition
refused it.

A rule that never fires may be refusing on spelling alone (`range(0, n)` for `range(n)`,
`not n % d` for `n % d == 0`), and nothing in a bench table shows that: rules return a bare
None. So no harness runs here: each task's function is extracted as bench extracts it, every
rule's `apply` is called on it under `sys.settrace`, limited to frames whose code lives in
`lesson_lsp/team/rewrites/`, and the refusing `return` is found from the trace:

* a frame of a rule or helper that returns None or False from an explicit `return` refuses;
  the refusal it returns is chained to the last refusal one of its callees returned (unless a
  callee succeeded since), so that `apply`'s final `if not hits: return None` still points at
  the helper that dropped each candidate loop;
* the innermost refusal in the rule's own module is the one reported, with its `return`
  statement and the test of the innermost `if`/`for`/`while` that holds it, found with `ast`
  on that module (`divisor_bound.py:57 — if not _bare_name(stop): return None`).

Rules are not edited for this and need not cooperate, so the report follows rules as they are
added or changed.
"""

from __future__ import annotations

import ast
import inspect
import json
import sys
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from types import CodeType, FrameType, TracebackType
from typing import Any

from lesson_lsp.source import sourcefile
from lesson_lsp.source.candidate import to_column0
from lesson_lsp.source.extract import ExtractError, function_named
from lesson_lsp.source.sourcefile import SourceFileError
from lesson_lsp.team import rewrites
from lesson_lsp.team.rewrites import RULES, RewriteContext, Rule

_REWRITES = str(Path(rewrites.__file__).resolve().parent)


@dataclass
class Refusal:
    """One refusing `return`: where it is, what it says, and the test that led to it."""

    file: str  # the module's file name, e.g. "char_table.py"
    line: int
    function: str
    statement: str  # "return None", or "falls off the end" when no `return` was met
    condition: str  # "if not _constant(k)", or "" when the return is unconditional

    def text(self) -> str:
        where = f"{self.file}:{self.line}"
        said = f"{self.condition}: {self.statement}" if self.condition else self.statement
        return f"{where} — {said}"


@dataclass
class Firing:
    """What one rule made of one task's function."""

    rule: str
    outcome: str  # "applies", "refused" or "raised"
    refusal: Refusal | None = None  # the innermost refusal in the rule's own module
    chain: list[Refusal] = field(default_factory=list)  # apply's return first, then callees
    error: str = ""  # for "raised": the exception and where
    summary: str = ""  # for "applies": the rule's own words

    def text(self) -> str:
        if self.outcome == "applies":
            return "applies"
        if self.outcome == "raised":
            return f"raised {self.error}"
        if self.refusal is None:
            return "refused (no return traced)"
        shown = f"refused at {self.refusal.text()}"
        outer = self.chain[0] if self.chain else None
        if outer is not None and outer is not self.refusal:
            shown += f"  [apply: {outer.file}:{outer.line}" + \
                (f" {outer.condition}]" if outer.condition else "]")
        return shown


@dataclass
class TaskFirings:
    task: str
    function: str
    error: str = ""
    firings: list[Firing] = field(default_factory=list)


# --- the source of a traced line ---------------------------------------------------------------

@dataclass(frozen=True)
class _Module:
    source: str
    returns: dict[int, ast.Return]  # first line of each `return` statement
    continues: frozenset[int]  # lines of `continue` statements: a loop's refusal of one item
    after_loop: dict[int, str]  # a `return` right after a loop: that loop found nothing
    guards: list[tuple[int, int, int, str]]  # (first, last, depth, test) of if/for/while bodies


@cache
def _module(filename: str) -> _Module | None:
    try:
        source = Path(filename).read_text(encoding="utf-8")
        tree = ast.parse(source)
    except (OSError, SyntaxError, ValueError):
        return None
    returns: dict[int, ast.Return] = {}
    continues: set[int] = set()
    after_loop: dict[int, str] = {}
    guards: list[tuple[int, int, int, str]] = []

    def shown(node: ast.AST) -> str:
        return " ".join((ast.get_source_segment(source, node) or ast.unparse(node)).split())

    def block(body: list[ast.stmt], depth: int, test: str) -> None:
        if body:
            guards.append((body[0].lineno, body[-1].end_lineno or body[-1].lineno, depth, test))

    def walk(node: ast.AST, depth: int) -> None:
        if isinstance(node, ast.Return):
            returns.setdefault(node.lineno, node)
        elif isinstance(node, ast.Continue):
            continues.add(node.lineno)
        for body in (getattr(node, name, None) for name in ("body", "orelse")):
            if not isinstance(body, list):
                continue
            for before, stmt in zip(body, body[1:]):
                if isinstance(stmt, ast.Return) and isinstance(before, (ast.For, ast.While)):
                    head = f"for {shown(before.target)} in {shown(before.iter)}" if \
                        isinstance(before, ast.For) else f"while {shown(before.test)}"
                    after_loop[stmt.lineno] = f"after {head}"
        if isinstance(node, ast.If):
            block(node.body, depth, f"if {shown(node.test)}")
            block(node.orelse, depth, f"else of if {shown(node.test)}")
        elif isinstance(node, (ast.For, ast.AsyncFor)):
            block(node.body, depth, f"for {shown(node.target)} in {shown(node.iter)}")
            block(node.orelse, depth, "for … else")
        elif isinstance(node, ast.While):
            block(node.body, depth, f"while {shown(node.test)}")
        for child in ast.iter_child_nodes(node):
            walk(child, depth + 1)

    walk(tree, 0)
    return _Module(source, returns, frozenset(continues), after_loop, guards)


@lru_cache(maxsize=4096)
def _explicit(code: CodeType, line: int) -> bool:
    """The frame returned from a `return` statement (not by falling off the end of a body, as
    visitor methods do when they have nothing to say)."""
    found = _module(code.co_filename)
    return found is not None and line in found.returns


@lru_cache(maxsize=4096)
def _refusal(code: CodeType, line: int) -> Refusal:
    found = _module(code.co_filename)
    name = Path(code.co_filename).name
    if found is None:
        return Refusal(name, line, code.co_name, "return", "")
    ret = found.returns.get(line)
    statement = " ".join((ast.get_source_segment(found.source, ret) or "return").split()) \
        if ret is not None else "falls off the end"
    inside = [g for g in found.guards if g[0] <= line <= g[1]]
    condition = max(inside, key=lambda g: (g[2], g[0]))[3] if inside else \
        found.after_loop.get(line, "")
    if line in found.continues:
        statement = "continue"
    if len(condition) > 160:
        condition = condition[:157] + "…"
    return Refusal(name, line, code.co_name, statement, condition)


# --- tracing one apply -------------------------------------------------------------------------

class _Tracer:
    """Follows the frames of `lesson_lsp/team/rewrites/` only and keeps, per frame, the last
    refusal a callee returned; `outer` is the chain that the traced `apply` returned."""

    def __init__(self, apply_code: CodeType) -> None:
        self.apply_code = apply_code
        self.ours: dict[CodeType, bool] = {}
        self.pending: dict[FrameType, list[Refusal]] = {}
        self.outer: list[Refusal] | None = None

    def _traced(self, code: CodeType) -> bool:
        ours = self.ours.get(code)
        if ours is None:
            ours = self.ours[code] = code.co_filename.startswith(_REWRITES)
        return ours

    def _caller(self, frame: FrameType) -> FrameType | None:
        up = frame.f_back
        while up is not None and not self._traced(up.f_code):
            up = up.f_back
        return up

    def global_trace(self) -> Any:
        """The function for `sys.settrace`, called for every frame the rule makes (libcst's
        included): a closure over a per-code cache, as cheap as a trace function gets."""
        ours, local, prefix = self.ours, self.local, _REWRITES
        own = self.apply_code.co_filename

        def call(frame: FrameType, event: str, arg: Any) -> Any:
            code = frame.f_code
            traced = ours.get(code)
            if traced is None:
                traced = ours[code] = code.co_filename.startswith(prefix)
            if not traced:
                return None
            frame.f_trace_lines = code.co_filename == own  # for `continue` in the rule
            return local

        return call

    def local(self, frame: FrameType, event: str, arg: Any) -> Any:
        if event == "line":
            found = _module(frame.f_code.co_filename)
            if found is not None and frame.f_lineno in found.continues:
                self.pending[frame] = [_refusal(frame.f_code, frame.f_lineno),
                                       *self.pending.get(frame, [])]
            return self.local
        if event != "return":
            return self.local
        pending = self.pending
        inner = pending.pop(frame, []) if pending else []
        if frame.f_code is self.apply_code and self.outer is None:
            if arg is None:
                self.outer = [_refusal(frame.f_code, frame.f_lineno), *inner]
            return self.local
        if arg is None or arg is False:
            if _explicit(frame.f_code, frame.f_lineno):
                caller = self._caller(frame)
                if caller is not None:
                    pending[caller] = [_refusal(frame.f_code, frame.f_lineno), *inner]
        elif pending:
            caller = self._caller(frame)
            if caller is not None:
                pending.pop(caller, None)  # a callee succeeded: earlier refusals are moot
        return self.local


def _raised_at(tb: TracebackType | None) -> str:
    where = ""
    while tb is not None:
        if tb.tb_frame.f_code.co_filename.startswith(_REWRITES):
            where = f"{Path(tb.tb_frame.f_code.co_filename).name}:{tb.tb_lineno}"
        tb = tb.tb_next
    return where


def fire(rule: Rule, source: str, context: RewriteContext) -> Firing:
    """Call `rule.apply` under the tracer and say whether it applied, where it refused or what
    it raised."""
    # The rule's own apply, inside the check every rule is wrapped in (rewrites/repeats.py).
    code = getattr(inspect.unwrap(rule.apply), "__code__", None)
    tracer = _Tracer(code) if isinstance(code, CodeType) else None
    previous = sys.gettrace()
    if tracer is not None:
        sys.settrace(tracer.global_trace())
    try:
        rewrite = rule.apply(source, context)
    except Exception as exc:
        where = _raised_at(exc.__traceback__)
        return Firing(rule.name, "raised",
                      error=f"{type(exc).__name__}: {exc}"[:200] + (f" at {where}" if where
                                                                    else ""))
    finally:
        sys.settrace(previous)
    if rewrite is not None:
        return Firing(rule.name, "applies", summary=rewrite.summary)
    chain = (tracer.outer or []) if tracer is not None else []
    own = code.co_filename if isinstance(code, CodeType) else ""
    # The innermost refusal of the rule's own module that sits under a test says most; a
    # helper's bare `return found` says less than the `if not _calls_itself(fn)` that used it.
    mine = [r for r in chain if own.endswith("/" + r.file)]
    tested = [r for r in mine if r.condition]
    shown = tested[-1] if tested else mine[-1] if mine else chain[-1] if chain else None
    return Firing(rule.name, "refused", shown, chain)


# --- a suite -----------------------------------------------------------------------------------

def task_firings(folder: Path, stem: str, qualname: str,
                 rules: Iterable[Rule]) -> TaskFirings:
    """Every rule on the function bench would give the team: the same extraction, moved to
    column 0, with the same RewriteContext as the rewrite agents build."""
    result = TaskFirings(stem, qualname)
    try:
        span = function_named(sourcefile.read(folder / f"{stem}.py").text, qualname)
    except (OSError, SourceFileError, ExtractError) as exc:
        result.error = str(exc)
        return result
    source = to_column0(span.source, span.indent)
    context = RewriteContext(span.name, span.is_method)
    result.firings = [fire(rule, source, context) for rule in rules]
    return result


def suite_firings(folder: Path, manifest: dict[str, str],
                  team: str | None = None) -> list[TaskFirings]:
    names = {n.strip() for n in team.split(",") if n.strip()} if team else set()
    rules = [r for r in RULES if not names or "all" in names or r.name in names]
    return [task_firings(folder, stem, qualname, rules)
            for stem, qualname in sorted(manifest.items())]


def summary(results: list[TaskFirings]) -> dict[str, Any]:
    """Per rule, the tasks it applies to; and the rules that apply to exactly one or none (the
    ones worth reading refusals for)."""
    rules = [f.rule for f in results[0].firings] if results else []
    applies: dict[str, list[str]] = {rule: [] for rule in rules}
    raised: dict[str, int] = {rule: 0 for rule in rules}
    for task in results:
        for firing in task.firings:
            if firing.outcome == "applies":
                applies[firing.rule].append(task.task)
            elif firing.outcome == "raised":
                raised[firing.rule] += 1
    return {
        "applies": applies,
        "counts": {rule: len(tasks) for rule, tasks in applies.items()},
        "raised": {rule: n for rule, n in raised.items() if n},
        "exactly_one": sorted(rule for rule, tasks in applies.items() if len(tasks) == 1),
        "none": sorted(rule for rule, tasks in applies.items() if not tasks),
        "tasks": len(results),
        "task_errors": sum(bool(t.error) for t in results),
    }


def report(results: list[TaskFirings], totals: dict[str, Any], label: str) -> str:
    lines = [f"lesson-lsp bench --why · {label}", ""]
    for task in results:
        lines.append(f"{task.task}::{task.function}")
        if task.error:
            lines.append(f"  error: {task.error}")
        width = max((len(f.rule) for f in task.firings), default=0)
        lines += [f"  {f.rule + ':':<{width + 1}} {f.text()}" for f in task.firings]
        lines.append("")
    lines.append("rule → tasks where it applies")
    width = max((len(rule) for rule in totals["applies"]), default=0)
    for rule, tasks in sorted(totals["applies"].items(), key=lambda kv: (-len(kv[1]), kv[0])):
        lines.append(f"  {rule:<{width}} {len(tasks):>3}  {', '.join(tasks) or '—'}")
    lines += ["", "rules that apply to exactly one task: " + (", ".join(
        f"{rule} ({totals['applies'][rule][0]})" for rule in totals["exactly_one"]) or "none"),
        "rules that apply to none: " + (", ".join(totals["none"]) or "none")]
    if totals["raised"]:
        lines.append("rules that raised: " + ", ".join(
            f"{rule} ({n})" for rule, n in totals["raised"].items()))
    lines.append(f"tasks {totals['tasks']} · task errors {totals['task_errors']} · "
                 f"{totals['seconds']:.1f} s")
    return "\n".join(lines)


def main(folder: Path, manifest: dict[str, str], as_json: bool,
         team: str | None = None) -> int:
    """Print the firing report of the suite in `folder` (text, or JSON with the same data)."""
    started = time.perf_counter()
    results = suite_firings(folder, manifest, team)
    totals = summary(results)
    totals["seconds"] = time.perf_counter() - started
    if as_json:
        print(json.dumps({"suite": str(folder), "summary": totals,
                          "tasks": [asdict(t) for t in results]}, indent=2))
    else:
        print(report(results, totals, f"{folder.name} · {len(results)} tasks"))
    return 0


__all__ = ["Firing", "Refusal", "TaskFirings", "fire", "main", "suite_firings", "summary"]
