"""`lesson-lsp compare [--runs N] [--json] [--base REF] [--timeout S] [--python PYTHON] -- COMMAND`:
the workload before and after the edits (`workload_compare/compare.py`), its report on stdout,
progress on stderr. Exit code 0 when the outputs agree, 1 when they differ, 2 when it cannot
compare (the CLI's usage errors), 130 when interrupted (Ctrl-C or SIGTERM: the runs under way are
stopped).
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
from dataclasses import replace
from pathlib import Path
from types import FrameType

from lesson_lsp.cli.usage import UsageError
from lesson_lsp.tracing import runner
from lesson_lsp.workload_compare import report
from lesson_lsp.workload_compare.compare import CompareError, Comparison, Session
from lesson_lsp.workspace.config import ConfigError, load
from lesson_lsp.workspace.project import ProjectError, interpreter

OUTPUT_DIFFERS = 1


def project(command: list[str], python: str | None, cwd: Path) -> tuple[Path, str, float]:
    """The project root, its Python and the time limit, found as `lesson-lsp trace` finds them:
    from the script's folder (else the current folder), `--python` over the settings."""
    try:
        workload = runner.parse(command, cwd)
    except runner.TraceError as exc:
        raise UsageError(str(exc)) from exc
    start = cwd / workload.target if workload.kind == "script" else cwd
    try:
        config = load(start)
        if python:
            config = replace(config, interpreter=str(Path(python).absolute()))
        found = interpreter(config.interpreter, config.root, config.editor_interpreter)
    except (ConfigError, ProjectError) as exc:
        raise UsageError(str(exc)) from exc
    return Path(config.root), found.path, config.trace_timeout_s


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # the runs under way are stopped on the way out


def run(session: Session) -> Comparison:
    """`session.run()` with SIGTERM treated as Ctrl-C, so that neither leaves a run behind."""
    previous = signal.signal(signal.SIGTERM, _interrupt)
    try:
        return session.run()
    except CompareError as exc:
        raise UsageError(str(exc)) from exc
    finally:
        signal.signal(signal.SIGTERM, previous)


def progress(text: str) -> None:
    """A run starting ("…") shows on a terminal only, replaced by its end."""
    tty = sys.stderr.isatty()
    if text.endswith("…"):
        if tty:
            print(f"\r\033[K{text}", end="", file=sys.stderr, flush=True)
        return
    print(f"\r\033[K{text}" if tty else text, file=sys.stderr, flush=True)


def cmd_compare(args: argparse.Namespace) -> int:
    command = list(args.workload)
    if command and command[0] == "--":
        command = command[1:]
    if args.runs < 1 or (args.timeout is not None and args.timeout <= 0):
        raise UsageError("--runs must be at least 1 and --timeout positive")
    cwd = Path.cwd()
    root, python, timeout_s = project(command, args.python, cwd)
    try:
        session = Session(command, root, python, cwd, args.runs, args.base,
                          args.timeout if args.timeout is not None else timeout_s, progress)
    except CompareError as exc:
        raise UsageError(str(exc)) from exc
    comparison = run(session)
    if args.json:
        print(json.dumps(comparison.as_json(), indent=2))
    else:
        print(report.text(comparison))
    return 0 if comparison.identical else OUTPUT_DIFFERS
