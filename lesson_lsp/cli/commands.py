"""What `lesson-lsp optimize | verify | lessons | bench` do and print.

Apart from `cli`, which only parses arguments, so that `lesson-lsp serve` starts without
loading the team, the harness and the LLM client.
"""

from __future__ import annotations

import argparse
import asyncio
import difflib
import json
import sqlite3
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from lesson_lsp.cli.usage import UsageError
from lesson_lsp.engine.optimize import OptimizeError, Run, optimize
from lesson_lsp.harness import inputs as input_sources
from lesson_lsp.harness.scrutiny import summary
from lesson_lsp.harness.timing import format_seconds
from lesson_lsp.harness.verify import Harness, HarnessError, Target, Verdict
from lesson_lsp.source import sourcefile
from lesson_lsp.source.candidate import Candidate, to_column0
from lesson_lsp.source.extract import ExtractError, FunctionSpan, function_named
from lesson_lsp.source.positions import UTF16
from lesson_lsp.source.sourcefile import SourceFile, SourceFileError
from lesson_lsp.team.bank import Bank
from lesson_lsp.team.loop import Progress
from lesson_lsp.workspace import applied
from lesson_lsp.workspace.config import Config, ConfigError, load
from lesson_lsp.workspace.project import ProjectError, interpreter


def _read_target(spec: str) -> tuple[SourceFile, FunctionSpan]:
    if "::" not in spec:
        raise UsageError(f"`{spec}` is not FILE::FUNCTION (for example examples/slow.py::fib)")
    file_part, qualname = spec.rsplit("::", 1)
    path = Path(file_part)
    if not path.is_file():
        raise UsageError(f"{file_part}: no such file; give its path from the current folder")
    try:
        file = sourcefile.read(path)
    except SourceFileError as exc:
        raise UsageError(str(exc)) from exc
    try:
        span = function_named(file.text, qualname, UTF16)
    except ExtractError as exc:
        raise UsageError(f"{file_part}: {exc}") from exc
    return file, span


def _progress_printer() -> Callable[[Progress], None]:
    """A live bar on a terminal, plain lines when stderr is piped."""
    tty = sys.stderr.isatty()

    def show(progress: Progress) -> None:
        text = progress.text()
        if tty:
            width = 20
            done = int(width * max(progress.round - 1, 0) / max(progress.rounds, 1))
            bar = "█" * done + "░" * (width - done)
            print(f"\r\033[K{bar} {text}", end="", file=sys.stderr, flush=True)
        else:
            print(text, file=sys.stderr, flush=True)

    return show


def _with_python(config: Config, args: argparse.Namespace) -> Config:
    """`--python` (relative to the current folder) over the `interpreter` setting."""
    if getattr(args, "python", None):
        return replace(config, interpreter=str(Path(args.python).absolute()))
    return config


def optimize_one(file: SourceFile, span: FunctionSpan, args: argparse.Namespace,
                 quiet: bool) -> tuple[Run, bool]:
    """One function optimized as `optimize` does it (written with --apply): the run, and
    whether the file was written."""
    try:
        config = _with_python(load(file.path), args)
        if args.rounds is not None:
            config = replace(config, rounds=args.rounds)
    except ConfigError as exc:
        raise UsageError(str(exc)) from exc
    on_progress = None if quiet else _progress_printer()
    try:
        run = asyncio.run(optimize(file.path, file.text, span, config, args.inputs, on_progress,
                                   record=Path(args.record) if args.record else None,
                                   replay=Path(args.replay) if args.replay else None))
    except (OptimizeError, input_sources.InputsError) as exc:
        raise UsageError(str(exc)) from exc
    finally:
        if on_progress is not None and sys.stderr.isatty():
            print(file=sys.stderr)
    for notice in run.result.notices:
        print(f"lesson-lsp: note: {notice}", file=sys.stderr)
    if args.apply and run.plan is not None:
        try:
            written = file.write(run.plan.text)  # exactly the text the harness verified
        except SourceFileError as exc:
            raise UsageError(str(exc)) from exc
        _remember(config.root or file.path.parent, file, written)
        return run, True
    return run, False


def _remember(root: str | Path, file: SourceFile, written: bytes) -> None:
    """Keep the bytes `--apply` replaced, for `lesson-lsp compare` in a project without git."""
    try:
        applied.remember(root, file.path, file.raw, written)
    except OSError as exc:
        print(f"lesson-lsp: note: could not record the replaced bytes of {file.path} for "
              f"`lesson-lsp compare`: {exc}", file=sys.stderr)


def cmd_optimize(args: argparse.Namespace) -> int:
    if args.target is None:
        raise UsageError("name the function (FILE::QUALNAME), or give --hot N to optimize the "
                         "hottest functions of the last `lesson-lsp trace`")
    file, span = _read_target(args.target)
    path, source = file.path, file.text
    run, applied = optimize_one(file, span, args, quiet=args.json)
    new_source = run.plan.text if run.plan is not None else source
    if args.json:
        print(json.dumps(run.as_json(applied), indent=2))
        return 0
    if run.improved:
        diff = difflib.unified_diff(source.splitlines(True), new_source.splitlines(True),
                                    f"a/{path.as_posix()}", f"b/{path.as_posix()}")
        sys.stdout.writelines(diff)
        print()
    print(run.headline())
    timed_on = run.result.baseline.timed_on
    if timed_on:
        print(timed_on[:1].upper() + timed_on[1:] + ".")
    if run.checked():
        print(run.checked()[:1].upper() + run.checked()[1:] + ".")
    for line in run.selection():
        print(f"{line}.")
    if run.result.lessons:
        print("\nLessons:")
        print("\n".join(run.lesson_lines()))
    if run.advice():
        print(f"\n{run.advice()}")
    if applied:
        print(f"\nWrote {path}.")
    elif run.improved:
        print("\n(dry run: pass --apply to write it)")
    return 0


def cmd_verify(args: argparse.Namespace) -> int:
    file, span = _read_target(args.target)
    path, source = file.path, file.text
    candidate_path = Path(args.candidate)
    if not candidate_path.is_file():
        raise UsageError(f"{args.candidate}: no such file; --candidate names a file holding the "
                         "candidate function")
    try:
        config = _with_python(load(path), args)
        python = interpreter(config.interpreter, config.root, config.editor_interpreter)
    except (ConfigError, ProjectError) as exc:
        raise UsageError(str(exc)) from exc
    candidate = Candidate(candidate_path.read_text(encoding="utf-8"), agent="verify")

    async def judge() -> Verdict:
        spec = await input_sources.resolve(path, span.qualname, config, args.inputs,
                                           to_column0(span.source, span.indent), python.path)
        harness = Harness(Target(str(path.resolve()), source, span.qualname, spec, config.root,
                                 span, python.path), config.harness)
        return await harness.evaluate(candidate)

    try:
        verdict = asyncio.run(judge())
    except (HarnessError, input_sources.InputsError) as exc:
        raise UsageError(str(exc)) from exc
    if args.json:
        print(json.dumps(verdict.as_dict(), indent=2))
        return 0
    print(f"verdict: {verdict.verdict}")
    if verdict.original_s:
        print(f"speedup: {verdict.speedup:.2f}× ({format_seconds(verdict.original_s)} ± "
              f"{verdict.original_spread:.0%} → {format_seconds(verdict.candidate_s)} ± "
              f"{verdict.candidate_spread:.0%} per pass over the shown inputs; noise floor "
              f"{verdict.noise:.1%})")
    if verdict.timed_on:
        print(f"timed on: {verdict.timed_on}")
    if verdict.detail:
        print(f"detail: {verdict.detail}")
    if verdict.failing_input:
        print(f"failing input: {verdict.failing_input}\nexpected: {verdict.expected}\n"
              f"got: {verdict.actual}")
    if verdict.checked_on or verdict.coverage:
        print(summary(verdict.checked_on, verdict.coverage))
    for line, text in verdict.coverage.get("unexecuted", []):
        print(f"  not run by any input: line {line}: {text}")
    return 0


def cmd_lessons(args: argparse.Namespace) -> int:
    try:
        config = load(Path(args.project))
    except ConfigError as exc:
        raise UsageError(str(exc)) from exc
    path = Path(args.bank) if args.bank else config.bank_path()
    if not path.is_file():  # looking makes nothing: no empty bank, no folder in the project
        if args.json:
            print("[]")
        else:
            print("pruned 0 lessons" if args.prune is not None else
                  f"no lesson bank at {path} yet: `lesson-lsp optimize` makes it")
        return 0
    try:
        bank = Bank(path)
    except (OSError, sqlite3.Error) as exc:
        raise UsageError(f"the lesson bank {path} cannot be opened: {exc}; pass --bank with "
                         "the right file, or set `bank` in [tool.lesson-lsp]") from exc
    try:
        if args.prune is not None:
            print(f"pruned {bank.prune(args.prune)} lessons")
            return 0
        lessons = bank.search(args.search) if args.search else bank.all(args.limit)
        if args.json:
            print(json.dumps([x.__dict__ for x in lessons], indent=2))
            return 0
        for x in lessons:
            print(f"{x.speedup:6.2f}× factor {x.factor:.2f} uses {x.uses:3d}  "
                  f"{x.function} [{x.agent}, {x.outcome}] {x.text}")
        if not lessons:
            print("no lesson matches" if args.search else f"the bank {path} holds no lessons yet")
    finally:
        bank.close()
    return 0


def cmd_bench(args: argparse.Namespace) -> int:
    from lesson_lsp.cli import bench

    try:
        return bench.main(Path(args.tasks), args.team, args.rounds, not args.no_lessons,
                          args.json, Path(args.plot) if args.plot else None, args.jobs,
                          Path(args.bank) if args.bank else None,
                          Path(args.config) if args.config else None, args.why)
    except bench.BenchError as exc:
        raise UsageError(str(exc)) from exc
