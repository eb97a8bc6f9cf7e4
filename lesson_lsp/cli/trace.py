"""`lesson-lsp trace -- COMMAND`: trace a workload with the project's interpreter, store the
trace and print its ranked table (or its JSON). Imported by `main` without `commands`: tracing
needs none of the team's imports."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import replace
from pathlib import Path

from lesson_lsp.cli.usage import UsageError
from lesson_lsp.tracing import runner
from lesson_lsp.workspace import traces
from lesson_lsp.workspace.config import ConfigError, load
from lesson_lsp.workspace.project import ProjectError, interpreter


def _start(command: list[str]) -> Path:
    """Where the project is looked for: the script's folder, else the current folder."""
    try:
        workload = runner.parse(command, Path.cwd())
    except runner.TraceError as exc:
        raise UsageError(str(exc)) from exc
    return Path(workload.target) if workload.kind == "script" else Path.cwd()


def table(trace: traces.Trace, top: int) -> str:
    """Rank, share, own seconds, calls, ms per call, captured calls, where."""
    lines = [f"{'#':>3} {'share':>6} {'own s':>8} {'calls':>9} {'ms/call':>9} {'captured':>8}"
             "  function"]
    shown = trace.as_json()["functions"]  # paths relative to the project root
    for rank, (f, row) in enumerate(zip(trace.functions[:top], shown), 1):
        where = row["path"]
        lines.append(f"{rank:>3} {f.share:>6.1%} {f.own_s:>8.3f} {f.calls:>9} "
                     f"{f.per_call_s * 1000:>9.3f} {f.captured:>8}  {where}:{f.line} "
                     f"{f.qualname}")
    if not trace.functions:
        lines.append("    (no project function ran)")
    rest = len(trace.functions) - top
    if rest > 0:
        lines.append(f"    … and {rest} more (--top to see them)")
    return "\n".join(lines)


def cmd_trace(args: argparse.Namespace) -> int:
    command = list(args.workload)
    if command and command[0] == "--":
        command = command[1:]
    if args.top < 1 or (args.timeout is not None and args.timeout <= 0):
        raise UsageError("--top must be at least 1 and --timeout positive")
    start = _start(command)
    try:
        config = load(start)
        if args.python:
            config = replace(config, interpreter=str(Path(args.python).absolute()))
        python = interpreter(config.interpreter, config.root, config.editor_interpreter)
    except (ConfigError, ProjectError) as exc:
        raise UsageError(str(exc)) from exc

    def show(text: str) -> None:
        print(text, file=sys.stderr, flush=True)

    sys.stdout.flush()
    output = runner.Streams(stdout=2) if args.json else runner.Streams()
    try:
        timeout_s = args.timeout if args.timeout is not None else config.trace_timeout_s
        trace = asyncio.run(runner.run(command, Path(config.root), python.path, timeout_s,
                                       show, output))
    except runner.TraceError as exc:
        raise UsageError(str(exc)) from exc
    if args.json:
        print(json.dumps(trace.as_json(), indent=2))
        return trace.status
    print(f"\n{trace.describe()} (traced with {python.path})")
    print(table(trace, args.top))
    if trace.note:
        print(f"note: {trace.note}")
    for entry in trace.as_json()["uninstrumented"]:
        print(f"not instrumented (ran as written): {entry['path']}: {entry['why']}")
    print(f"stored in {traces.trace_file(trace.root)}")
    return trace.status  # the workload's own exit status
