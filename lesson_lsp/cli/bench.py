"""`lesson-lsp bench`: run the team on a suite of tasks and print the table the LessonL paper
reports (valid, correct, geometric-mean speedup, mean, share ≥ 2×), plus wrong edits, per-agent
hits and wall time.

A task suite is a directory of modules, each with the function to speed up, `bench_inputs()`
(timed) and `hidden_inputs()` (correctness only, never shown to an agent), and a
`manifest.json` mapping module stem → qualified function name.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import statistics
import sys
import tempfile
import time
from collections import Counter
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from lesson_lsp.cli.ablation import RULES_OFF, ablation_table, counted_run
from lesson_lsp.cli.task_result import TaskResult
from lesson_lsp.engine.optimize import OptimizeError
from lesson_lsp.harness import inputs as input_sources
from lesson_lsp.harness.verify import (
    ERROR,
    FASTER,
    INCORRECT,
    TIMEOUT,
    UNSAFE,
    Harness,
    Target,
)
from lesson_lsp.source import sourcefile
from lesson_lsp.source.candidate import to_column0
from lesson_lsp.source.extract import ExtractError, function_named
from lesson_lsp.source.sourcefile import SourceFile, SourceFileError
from lesson_lsp.workspace.config import AgentConfig, Config, ConfigError, load


class BenchError(Exception):
    """The suite cannot be read; the message says why."""


def load_manifest(folder: Path) -> dict[str, str]:
    manifest = folder / "manifest.json"
    if not manifest.is_file():
        raise BenchError(f"{folder} has no manifest.json (module stem → function name)")
    try:
        data = json.loads(manifest.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise BenchError(f"{manifest}: not JSON: {exc}") from exc
    if not isinstance(data, dict) or not all(isinstance(v, str) for v in data.values()):
        raise BenchError(f"{manifest}: must map module stems to function names")
    return data


async def run_task(folder: Path, stem: str, qualname: str, config: Config) -> TaskResult:
    path = folder / f"{stem}.py"
    result = TaskResult(stem, qualname)
    started = time.perf_counter()
    try:
        file = sourcefile.read(path)
        source = file.text
        span = function_named(source, qualname)
        # Timed on bench_inputs(); checked on hidden_inputs() beside it and every other
        # source the task has (its doctest examples, its type hints).
        found = await input_sources.sources(
            path, qualname, config, f"{path.resolve()}::bench_inputs",
            to_column0(span.source, span.indent))
        spec = input_sources.with_checks(replace(found.specs[0], origin="bench_inputs()"),
                                         found.specs[1:])
        run, team = await counted_run(path, source, qualname, spec, config)
    except (OSError, SourceFileError, ExtractError, OptimizeError,
            input_sources.InputsError) as exc:
        result.error = str(exc)
        result.seconds = time.perf_counter() - started
        return result
    result.asked = sorted(member.name for member in team if member.lessons)
    for member in team:
        for round_no, count in enumerate(member.lessons):
            if round_no == len(result.prompts):
                result.prompts.append(0)
                result.prompt_lessons.append(0)
            result.prompts[round_no] += 1
            result.prompt_lessons[round_no] += count
    attempts = run.result.attempts
    result.candidates = len(attempts)
    result.ran = sum(a.verdict.verdict not in (ERROR, TIMEOUT) for a in attempts)
    result.correct = sum(a.verdict.verdict not in (ERROR, TIMEOUT, INCORRECT, UNSAFE)
                         for a in attempts)
    result.unsafe = sum(a.verdict.verdict == UNSAFE for a in attempts)
    result.hits = dict(Counter(a.agent for a in attempts if a.verdict.verdict == FASTER))
    if run.improved and run.result.best is not None and run.plan is not None:
        result.improved = True
        result.speedup = run.speedup
        result.agent = run.result.best.agent
        result.lines_changed = run.plan.lines_changed
        result.wrong_edit = await _wrong_edit(file, run.plan.text, Target(
            str(path.resolve()), source, qualname, spec, str(folder), span), config)
    result.seconds = time.perf_counter() - started
    return result


async def _wrong_edit(file: SourceFile, text: str, target: Target, config: Config) -> bool:
    """An independent check of the file as it would be written: the bytes go to a copy, are
    read back, and that text must compile, import and agree with the original on every input,
    hidden ones included."""
    with tempfile.TemporaryDirectory(prefix="lesson-lsp-bench-") as tmp:
        copy = replace(file, path=Path(tmp) / file.path.name)
        copy.path.write_bytes(file.raw)
        copy.write(text)
        written = sourcefile.read(copy.path).text
    harness = Harness(target, config.harness)
    return written != text or await harness.check_text(written) is not None


def bench_config(folder: Path, team: str | None, rounds: int, lessons: bool, bank: Path,
                 project: Path | None = None, rules: bool = True) -> Config:
    """The rewrite agents named in `team` (default: all of them unless `project` configures a
    team) plus `project`'s configured team and LLM settings, with its k lessons per prompt (4
    if it sets none) or none; `rules = False` keeps LLM agents only, as the ablation needs."""
    base = Config()
    if project is not None:
        try:
            base = load(project)
        except ConfigError as exc:
            raise BenchError(str(exc)) from exc
    names = team if team is not None else ("" if base.team else "all")
    members = tuple(m for m in base.team if rules or m.kind == "openai") + tuple(
        AgentConfig(name=name.strip(), kind="rewrite")
        for name in names.split(",") if name.strip() and rules)
    return replace(
        base, rounds=rounds, team=members, bank=str(bank),
        lessons_per_prompt=(base.lessons_per_prompt or 4) if lessons else 0,
        harness=replace(base.harness, timeout_s=60.0), root=str(folder.resolve()),
        inputs={},
    )


async def run_suite(folder: Path, config: Config, jobs: int,
                    echo: Any = None) -> list[TaskResult]:
    manifest = load_manifest(folder)
    gate = asyncio.Semaphore(max(1, jobs))

    async def one(stem: str, qualname: str) -> TaskResult:
        async with gate:
            result = await run_task(folder, stem, qualname, config)
        if echo is not None:
            mark = f"{result.speedup:.2f}× ({result.agent})" if result.improved else \
                (f"error: {result.error}" if result.error else "unchanged")
            echo(f"{stem}: {mark} [{result.seconds:.0f} s]")
        return result

    return list(await asyncio.gather(*(one(s, q) for s, q in manifest.items())))


def summary(results: list[TaskResult], wall: float) -> dict[str, Any]:
    tasks = len(results)
    speedups = [max(1.0, r.speedup) if not r.wrong_edit else 1.0 for r in results]
    candidates = sum(r.candidates for r in results)
    hits: Counter[str] = Counter()
    for r in results:
        hits.update(r.hits)
    sizes = [r.lines_changed for r in results if r.improved]
    return {
        "tasks": tasks,
        "valid_pct": 100.0 * sum(not r.error for r in results) / max(tasks, 1),
        "correct_pct": 100.0 * sum(not r.error and not r.wrong_edit for r in results)
        / max(tasks, 1),
        "candidates": candidates,
        "candidates_valid_pct": 100.0 * sum(r.ran for r in results) / max(candidates, 1),
        "candidates_correct_pct": 100.0 * sum(r.correct for r in results) / max(candidates, 1),
        "candidates_unsafe": sum(r.unsafe for r in results),
        "geomean_speedup": math.exp(statistics.fmean(math.log(s) for s in speedups))
        if speedups else 1.0,
        "mean_speedup": statistics.fmean(speedups) if speedups else 1.0,
        "pct_2x": 100.0 * sum(s >= 2 for s in speedups) / max(tasks, 1),
        "improved": sum(r.improved for r in results),
        "wrong_edits": sum(r.wrong_edit for r in results),
        "median_lines_changed": statistics.median(sizes) if sizes else 0,
        "max_lines_changed": max(sizes, default=0),
        "errors": sum(bool(r.error) for r in results),
        "agent_hits": dict(hits.most_common()),
        "wall_s": wall,
        "prompt_lessons": by_round(results),
        "agents_asked": ", ".join(sorted({a for r in results for a in r.asked})) or "none",
    }


def by_round(results: list[TaskResult]) -> list[dict[str, int]]:
    """Lessons placed in the agents' prompts, per round, summed over tasks and agents."""
    rounds = max((len(r.prompts) for r in results), default=0)
    return [{"round": n + 1,
             "lessons": sum(r.prompt_lessons[n] for r in results if n < len(r.prompts)),
             "prompts": sum(r.prompts[n] for r in results if n < len(r.prompts))}
            for n in range(rounds)]


def table(results: list[TaskResult], totals: dict[str, Any], label: str) -> str:
    lines = [f"lesson-lsp bench · {label}",
             f"{'task':<38} {'function':<28} {'speedup':>9} {'lines':>5}  agent"]
    for r in sorted(results, key=lambda r: r.task):
        shown = "error" if r.error else f"{r.speedup:.2f}×" if r.improved else "1.00×"
        size = str(r.lines_changed) if r.improved else ""
        lines.append(f"{r.task:<38} {r.function:<28} {shown:>9} {size:>5}  "
                     f"{r.agent or ('—' if not r.error else r.error[:60])}")
    t = totals
    lines += [
        "",
        f"tasks {t['tasks']} · valid {t['valid_pct']:.1f}% · correct {t['correct_pct']:.1f}% · "
        f"geomean {t['geomean_speedup']:.2f}× · mean {t['mean_speedup']:.2f}× · "
        f"≥2× {t['pct_2x']:.1f}% · improved {t['improved']} · wrong edits {t['wrong_edits']} · "
        f"wall {t['wall_s']:.0f} s",
        f"shipped edits: median {t['median_lines_changed']:g} lines changed, largest "
        f"{t['max_lines_changed']}",
        f"candidates {t['candidates']} · ran {t['candidates_valid_pct']:.1f}% · "
        f"correct {t['candidates_correct_pct']:.1f}% · unsafe {t['candidates_unsafe']}",
        "agent hits (faster verdicts): " + (", ".join(
            f"{k} {v}" for k, v in t["agent_hits"].items()) or "none"),
        "lessons in prompts by round: " + (" · ".join(
            f"r{x['round']} {x['lessons']} in {x['prompts']} prompts"
            for x in t["prompt_lessons"]) or "none"),
    ]
    return "\n".join(lines)


def plot(results: list[TaskResult], path: Path) -> None:
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise BenchError("--plot needs matplotlib: pip install 'lesson-lsp[plot]'") from exc
    ordered = sorted(results, key=lambda r: -r.speedup)
    figure, axes = plt.subplots(figsize=(max(6, len(ordered) * 0.18), 4))
    axes.bar(range(len(ordered)), [r.speedup for r in ordered],
             color=["tab:green" if r.improved else "tab:gray" for r in ordered])
    axes.set_yscale("log")
    axes.axhline(1.0, color="black", linewidth=0.8)
    axes.set_ylabel("speedup (log)")
    axes.set_xticks(range(len(ordered)), [r.task for r in ordered], rotation=90, fontsize=6)
    figure.tight_layout()
    figure.savefig(path, dpi=120)


def main(folder: Path, team: str | None, rounds: int, lessons: bool, as_json: bool,
         plot_path: Path | None, jobs: int | None, bank: Path | None,
         project: Path | None = None, why: bool = False) -> int:
    """One arm; with `lessons = False`, the ablation: the project's LLM team with its k lessons
    per prompt, then the same team with k = 0, rule agents off in both. `why` runs nothing: it
    prints which precondition refused each rule on each task (`lesson_lsp.cli.firing`)."""
    folder = folder.resolve()
    if not folder.is_dir():
        raise BenchError(f"{folder}: no such directory")
    if why:
        from lesson_lsp.cli import firing

        return firing.main(folder, load_manifest(folder), as_json, team)
    jobs = jobs or max(1, (os.cpu_count() or 2) - 1)
    echo = None if as_json else (lambda line: print(line, file=sys.stderr, flush=True))
    with tempfile.TemporaryDirectory(prefix="lesson-bench-") as scratch:
        config = bench_config(folder, team, rounds, True, bank or Path(scratch) / "bank.db",
                              project, rules=lessons)
        if lessons:
            arms = [("lessons on", config, *_arm(folder, config, jobs, echo))]
        else:
            if not config.team:
                raise BenchError(
                    "--no-lessons compares an LLM team with and without lessons, and rule "
                    "agents ignore lessons: configure `kind = \"openai\"` agents in "
                    "[tool.lesson-lsp.team] and pass that project with --config")
            k = config.lessons_per_prompt
            bare = replace(config, lessons_per_prompt=0, bank=str(Path(scratch) / "k0.db"))
            arms = [(f"with lessons (k={k})", config, *_arm(folder, config, jobs, echo)),
                    ("without lessons (k=0)", bare, *_arm(folder, bare, jobs, echo))]
    names = ", ".join(m.name for m in config.team) if config.team else "all rewrite agents"
    label = f"{folder.name} · team {names} · {rounds} rounds · {jobs} job(s)"
    if plot_path is not None:
        plot(arms[0][2], plot_path)
    if as_json:
        print(json.dumps({"label": label, "rules": RULES_OFF if not lessons else "as configured",
                          "arms": [{"arm": name, "lessons_per_prompt": c.lessons_per_prompt,
                                    "summary": totals, "tasks": [asdict(r) for r in results]}
                                   for name, c, results, totals in arms],
                          "summary": arms[0][3],
                          "tasks": [asdict(r) for r in arms[0][2]]}, indent=2))
    elif lessons:
        print(table(arms[0][2], arms[0][3], f"{label} · lessons on"))
    else:
        print(ablation_table([(name, results, totals) for name, _, results, totals in arms],
                             label))
    return 0


def _arm(folder: Path, config: Config, jobs: int,
         echo: Any) -> tuple[list[TaskResult], dict[str, Any]]:
    started = time.perf_counter()
    results = asyncio.run(run_suite(folder, config, jobs, echo))
    return results, summary(results, time.perf_counter() - started)


__all__ = ["BenchError", "main"]
