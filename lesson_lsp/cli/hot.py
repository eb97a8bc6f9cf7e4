"""`lesson-lsp optimize --hot N`: the N hottest functions of the last workload trace, optimized
one after another on the calls the workload made, and what the whole workload would save.

A function edited since the trace is skipped (its share and its calls are of other code); a
function that cannot be optimized is reported and the next one is tried. With `--apply`, once
something was written, the traced command is run before and after (`lesson-lsp compare`, unless
`--no-compare`): the measured saving beside the predicted one, and whether the output changed,
which then comes first and makes the exit code 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lesson_lsp.cli.commands import optimize_one
from lesson_lsp.cli.usage import UsageError
from lesson_lsp.source import sourcefile
from lesson_lsp.source.candidate import to_column0
from lesson_lsp.source.extract import ExtractError, function_named
from lesson_lsp.source.fingerprint import fingerprint
from lesson_lsp.source.positions import UTF16
from lesson_lsp.source.sourcefile import SourceFileError
from lesson_lsp.workspace import traces
from lesson_lsp.workspace.project import find_root
from lesson_lsp.workspace.traces import Trace, TracedFunction

if TYPE_CHECKING:
    from lesson_lsp.workload_compare.compare import Comparison


@dataclass
class HotResult:
    function: TracedFunction
    relative: str
    verdict: str  # "faster", "not faster", "stale", "error"
    speedup: float = 1.0
    applied: bool = False
    inputs_from: str = ""
    detail: str = ""

    @property
    def saves(self) -> float:
        """The workload's share this change saves: share × (1 − 1/speedup)."""
        if self.verdict != "faster" or self.speedup <= 1:
            return 0.0
        return self.function.share * (1 - 1 / self.speedup)

    def as_json(self) -> dict[str, Any]:
        return {"path": self.relative, "qualname": self.function.qualname,
                "share": self.function.share, "verdict": self.verdict, "speedup": self.speedup,
                "applied": self.applied, "saves": self.saves, "inputs_from": self.inputs_from,
                "detail": self.detail}


def _one(function: TracedFunction, root: Path, args: argparse.Namespace) -> HotResult:
    relative = traces.relative(function.path, root)
    try:
        file = sourcefile.read(Path(function.path))
        span = function_named(file.text, function.qualname, UTF16)
    except (SourceFileError, ExtractError) as exc:
        return HotResult(function, relative, "error", detail=str(exc))
    if fingerprint(to_column0(span.source, span.indent)) != function.fingerprint:
        return HotResult(function, relative, "stale",
                         detail="edited since the trace; run `lesson-lsp trace` again")
    try:
        run, applied = optimize_one(file, span, args, quiet=True)
    except UsageError as exc:
        return HotResult(function, relative, "error", detail=str(exc))
    return HotResult(function, relative, "faster" if run.improved else "not faster",
                     speedup=run.speedup if run.improved else 1.0, applied=applied,
                     inputs_from=run.inputs_from, detail=run.headline())


def cmd_hot(args: argparse.Namespace) -> int:
    root = find_root(Path(args.project))
    trace = traces.load(root)
    if trace is None:
        raise UsageError(f"no trace of {root} yet: run `lesson-lsp trace -- COMMAND` (your "
                         "script, `python -m module` or `pytest`) first")
    chosen = trace.functions[:args.hot]
    results: list[HotResult] = []
    for index, function in enumerate(chosen, 1):
        where = f"{traces.relative(function.path, root)}::{function.qualname}"
        print(f"[{index}/{len(chosen)}] {where} ({function.share:.0%} of the workload)",
              file=sys.stderr, flush=True)
        results.append(_one(function, root, args))
        print(f"    {results[-1].verdict}: {results[-1].detail}", file=sys.stderr, flush=True)
    saves = sum(r.saves for r in results)
    comparison, why = None, ""
    if args.apply and not args.no_compare:
        if any(r.applied for r in results):
            comparison, why = _compare(trace, root, args)
        else:
            why = "nothing was written, so there is nothing to compare"
    changed = comparison is not None and not comparison.identical
    if args.json:
        print(json.dumps({"trace": trace.describe(), "functions": [r.as_json() for r in results],
                          "saves": saves, "compare": comparison.as_json() if comparison
                          else ({"error": why} if why else None)}, indent=2))
        return 1 if changed else 0
    from lesson_lsp.workload_compare import report

    if comparison is not None and changed:
        print("\n".join(report.alarm(comparison)) + "\n")
    print(table(results))
    if comparison is None:
        print(f"\nThe workload ({trace.describe()}) would take {saves:.0%} less time"
              + ("." if args.apply else " with these changes applied (dry run: pass --apply)."))
        if why:
            print(f"Not measured: {why}.")
        return 0
    print(f"\nThe workload ({trace.describe()}), before and after these edits:")
    print(measured(saves, comparison))
    if changed:
        print("\n!! ITS OUTPUT CHANGED (see the top): the edits were written; review them before "
              "keeping them.")
        return 1
    print(f"Output: identical ({report.masked(comparison)}).")
    return 0


def _folder(trace: Trace, root: Path) -> Path:
    """Where the traced command runs: the current folder if it runs from there (the CLI traces
    from the current folder), else the project root (where the editor traces it)."""
    from lesson_lsp.tracing import runner

    for folder in (Path.cwd(), root):
        try:
            runner.parse(trace.command, folder)
        except runner.TraceError:
            continue
        return folder
    return root


def _compare(trace: Trace, root: Path, args: argparse.Namespace) -> tuple[Comparison | None, str]:
    """`lesson-lsp compare` on the traced command, or why it could not run."""
    from lesson_lsp.cli import compare
    from lesson_lsp.workload_compare.compare import CompareError, Session

    print(f"comparing `{' '.join(trace.command)}` before and after the edits "
          "(--no-compare skips it)", file=sys.stderr, flush=True)
    folder = _folder(trace, root)
    try:
        _, python, timeout_s = compare.project(trace.command, args.python, folder)
        session = Session(trace.command, Path(trace.root), python, folder,
                          timeout_s=timeout_s, on_progress=compare.progress)
        return compare.run(session), ""
    except (UsageError, CompareError) as exc:
        print(f"lesson-lsp: the comparison could not run: {exc}", file=sys.stderr)
        return None, f"the comparison could not run: {exc}"


def measured(saves: float, comparison: Comparison) -> str:
    """The predicted saving (share × (1 − 1/speedup), summed) beside the measured ones."""
    from lesson_lsp.workload_compare import report, stats

    def saved(ratio: stats.Ratio) -> str:
        return (f"{report.percent(stats.saving(ratio.estimate))} "
                f"({report.percent(stats.saving(ratio.low))} to "
                f"{report.percent(stats.saving(ratio.high))})")

    predicted_ratio = 1 / (1 - saves) if saves < 1 else float("inf")
    rows = [("", "predicted", "measured, CPU", "measured, wall"),
            ("saves", report.percent(saves), saved(comparison.cpu), saved(comparison.wall)),
            ("ratio", f"{predicted_ratio:.2f}×", report.ratio(comparison.cpu),
             report.ratio(comparison.wall))]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()
             for row in rows]
    lines.append(f"(predicted: share × (1 − 1/speedup) of the trace's CPU time; measured: "
                 f"{comparison.runs} runs per side, {stats.METHOD}; before = "
                 f"{comparison.before_of.description})")
    return "\n".join(lines)


def table(results: list[HotResult]) -> str:
    rows = [("function", "share", "speedup", "verdict", "saves")]
    for r in results:
        verdict = r.verdict + (" (applied)" if r.applied else "")
        rows.append((f"{r.relative}::{r.function.qualname}", f"{r.function.share:.0%}",
                     f"{r.speedup:.2f}×" if r.verdict == "faster" else "—", verdict,
                     f"{r.saves:.1%}"))
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()
             for row in rows]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)
