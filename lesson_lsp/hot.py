"""`lesson-lsp optimize --hot N`: the N hottest functions of the last workload trace, optimized
one after another on the calls the workload made, and what the whole workload would save.

A function edited since the trace is skipped (its share and its calls are of other code); a
function that cannot be optimized is reported and the next one is tried.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lesson_lsp import sourcefile
from lesson_lsp.candidate import to_column0
from lesson_lsp.cli import UsageError
from lesson_lsp.commands import optimize_one
from lesson_lsp.extract import ExtractError, function_named
from lesson_lsp.fingerprint import fingerprint
from lesson_lsp.positions import UTF16
from lesson_lsp.project import find_root
from lesson_lsp.sourcefile import SourceFileError
from lesson_lsp.tracing import store
from lesson_lsp.tracing.store import TracedFunction


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
    relative = store.relative(function.path, root)
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


def main(args: argparse.Namespace) -> int:
    root = find_root(Path(args.project))
    trace = store.load(root)
    if trace is None:
        raise UsageError(f"no trace of {root} yet: run `lesson-lsp trace -- COMMAND` (your "
                         "script, `python -m module` or `pytest`) first")
    chosen = trace.functions[:args.hot]
    results: list[HotResult] = []
    for index, function in enumerate(chosen, 1):
        print(f"[{index}/{len(chosen)}] {store.relative(function.path, root)}::{function.qualname} "
              f"({function.share:.0%} of the workload)", file=sys.stderr, flush=True)
        results.append(_one(function, root, args))
        print(f"    {results[-1].verdict}: {results[-1].detail}", file=sys.stderr, flush=True)
    saves = sum(r.saves for r in results)
    if args.json:
        print(json.dumps({"trace": trace.describe(), "functions": [r.as_json() for r in results],
                          "saves": saves}, indent=2))
        return 0
    print(table(results))
    print(f"\nThe workload ({trace.describe()}) would take {saves:.0%} less time"
          + ("." if args.apply else " with these changes applied (dry run: pass --apply)."))
    return 0


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
