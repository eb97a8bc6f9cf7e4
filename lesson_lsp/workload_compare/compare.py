"""`lesson-lsp compare`: the user's workload run on the code before the edits and on the code as
it is now, interleaved (one untimed warm-up pair, then before, after, before, after, …, N of
each), with the project's interpreter, in the user's folder and environment; the median wall
and CPU time of each side, their ratio with an interval (`stats.py`), and whether the outputs
agree (`outputs.py`).

How "before" runs: through an import hook (`agent.py`), not from a copy of the project. The
hook serves the old bytes of the Python files that differ (`before.py`) when the workload
imports them, so the user's tree is never written and both sides run at the same paths: the
`__file__`s, the tracebacks, the data files found beside a module and the output that prints
any of them are the same on both sides, and an editable install or a path entry pointing at the
project still imports the project (a copy would be shadowed by it, and "before" would silently
run the code as it is now). Its limits, said in the output: only Python modules imported by the
workload's own process are served; files read otherwise (data, configuration) and Python
processes the workload starts afresh (subprocess, multiprocessing's spawn) see the disk.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import lesson_lsp
from lesson_lsp.tracing import runner as trace_runner
from lesson_lsp.workload_compare import stats
from lesson_lsp.workload_compare.before import Before, BeforeError, find
from lesson_lsp.workload_compare.outputs import Agreement, check
from lesson_lsp.workload_compare.runs import Cancelled, Run, Runner

__all__ = ["Cancelled", "CompareError", "Comparison", "Session"]

DEFAULT_RUNS = 5
HOW = "import hook"
HOW_LONG = ("served through an import hook: the changed modules' old text is given to the "
            "workload when it imports them, the project's files are not touched")


class CompareError(Exception):
    """The comparison cannot run or finish; the message says why."""


@dataclass
class Side:
    wall_s: list[float] = field(default_factory=list)  # timed runs, in order
    cpu_s: list[float] = field(default_factory=list)
    exit_codes: list[int] = field(default_factory=list)

    @property
    def median_wall_s(self) -> float:
        return statistics.median(self.wall_s)

    @property
    def median_cpu_s(self) -> float:
        return statistics.median(self.cpu_s)

    def as_json(self) -> dict[str, Any]:
        return {"wall_s": self.wall_s, "cpu_s": self.cpu_s, "exit_codes": self.exit_codes,
                "median_wall_s": self.median_wall_s, "median_cpu_s": self.median_cpu_s}


@dataclass
class Comparison:
    command: list[str]
    root: str
    cwd: str
    python: str
    runs: int
    before_of: Before
    before: Side
    after: Side
    wall: stats.Ratio
    cpu: stats.Ratio
    output: Agreement
    elapsed_s: float

    @property
    def identical(self) -> bool:
        return self.output.identical

    def describe(self) -> str:
        return f"`{' '.join(self.command)}`"

    def as_json(self) -> dict[str, Any]:
        before = self.before_of
        return {
            "command": self.command, "root": self.root, "cwd": self.cwd, "python": self.python,
            "runs": self.runs, "warmup": 1, "elapsed_s": self.elapsed_s,
            "base": {"kind": before.kind, "description": before.description, "ref": before.ref,
                     "commit": before.commit},
            "method": HOW, "changed": [self.relative(p) for p in before.changed],
            "not_served": list(before.not_served), "notes": list(before.notes),
            "before": self.before.as_json(), "after": self.after.as_json(),
            "ratio": {"wall": self.wall.as_json(), "cpu": self.cpu.as_json(),
                      "confidence": stats.CONFIDENCE, "method": stats.METHOD},
            "saving": {"wall": stats.saving(self.wall.estimate),
                       "cpu": stats.saving(self.cpu.estimate)},
            "output": self.output.as_json(),
        }

    def relative(self, path: str) -> str:
        try:
            return Path(path).relative_to(Path(self.root).resolve()).as_posix()
        except ValueError:
            return path


def job(workload: trace_runner.Workload, served: dict[str, bytes], absent: list[str],
        lib: str) -> dict[str, Any]:
    """The agent's job for one side."""
    return {"kind": workload.kind, "target": workload.target, "args": workload.args,
            "served": {path: base64.b64encode(data).decode("ascii")
                       for path, data in served.items()},
            "absent": absent, "lib": lib, "pythonpath": os.environ.get("PYTHONPATH")}


def _library_folder(workdir: str) -> str:
    """A folder holding only lesson_lsp (a link to this copy), for the agent's PYTHONPATH: the
    project's interpreter must not see lesson-lsp's own dependencies."""
    folder = os.path.join(workdir, "lib")
    os.mkdir(folder)
    os.symlink(str(Path(lesson_lsp.__file__).resolve().parent), os.path.join(folder, "lesson_lsp"))
    return folder


class Session:
    """One comparison. `run()` blocks (call it in a thread from an event loop); `cancel()` may
    be called from any thread and stops it within GRACE_S (`run()` then raises Cancelled)."""

    def __init__(self, command: list[str], root: Path, python: str, cwd: Path,
                 runs: int = DEFAULT_RUNS, base: str | None = None, timeout_s: float = 600,
                 on_progress: Callable[[str], None] | None = None) -> None:
        if runs < 1:
            raise CompareError("--runs must be at least 1")
        if timeout_s <= 0:
            raise CompareError("--timeout must be positive")
        try:
            self.workload = trace_runner.parse(command, cwd)
        except trace_runner.TraceError as exc:
            raise CompareError(str(exc)) from exc
        self.command, self.root, self.python, self.cwd = list(command), root, python, cwd
        self.runs, self.base, self.timeout_s = runs, base, timeout_s
        self.say = on_progress or (lambda _text: None)
        self._runner: Runner | None = None
        self._cancelled = False

    def cancel(self) -> None:
        self._cancelled = True
        if self._runner is not None:
            self._runner.cancel()

    def run(self) -> Comparison:
        started = time.monotonic()
        try:
            before_of = find(self.root, self.base)
        except BeforeError as exc:
            raise CompareError(str(exc)) from exc
        workdir = tempfile.mkdtemp(prefix="lesson-compare-")
        try:
            lib = _library_folder(workdir)
            folder = Path(workdir)
            jobs = {}
            for side, served, absent in (
                    ("before", before_of.old, list(before_of.absent)),
                    ("after", before_of.current(), [])):
                jobs[side] = folder / f"{side}.json"
                jobs[side].write_text(json.dumps(job(self.workload, served, absent, lib)),
                                      encoding="utf-8")
            env = dict(os.environ)
            env["PYTHONPATH"] = os.pathsep.join(filter(None, [lib, os.environ.get("PYTHONPATH")]))
            self._runner = Runner(self.python, self.cwd, env, self.timeout_s)
            if self._cancelled:
                self._runner.cancel()
            done = self._all(self._runner, jobs, folder)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        return self._result(before_of, done, time.monotonic() - started)

    def _all(self, runner: Runner, jobs: dict[str, Path], folder: Path) -> list[Run]:
        order = ["before", "after"] * (self.runs + 1)  # the first pair warms up, untimed
        done: list[Run] = []
        counts = {"before": 0, "after": 0}
        for index, side in enumerate(order):
            counts[side] += 1
            warm = index < 2
            label = "warm-up" if warm else f"{counts[side] - 1}/{self.runs}"
            self.say(f"compare: run {index + 1}/{len(order)}: {side} {label}…")
            try:
                result = runner.run(side, jobs[side], folder, f"{index}-{side}")
            except OSError as exc:
                raise CompareError(f"cannot run the workload with {self.python}: {exc}") from exc
            if result.timed_out:
                raise CompareError(
                    f"the workload ran past the time limit ({self.timeout_s:g} s) on a "
                    f"\"{side}\" run; nothing was measured. Give it more with --timeout S "
                    "(or the `trace_timeout_s` setting)")
            done.append(result)
            self.say(f"compare: run {index + 1}/{len(order)}: {side} {label}: "
                     f"{result.wall_s:.2f} s, exit {result.output.exit_code}")
        return done

    def _result(self, before_of: Before, done: list[Run], elapsed: float) -> Comparison:
        sides = {"before": Side(), "after": Side()}
        for run in done[2:]:
            side = sides[run.side]
            side.wall_s.append(run.wall_s)
            side.cpu_s.append(run.cpu_s)
            side.exit_codes.append(run.output.exit_code)
        before, after = sides["before"], sides["after"]
        agreement = check([r.output for r in done if r.side == "before"],
                          [r.output for r in done if r.side == "after"])
        return Comparison(self.command, str(self.root), str(self.cwd), self.python, self.runs,
                          before_of, before, after, stats.ratio(before.wall_s, after.wall_s),
                          stats.ratio(before.cpu_s, after.cpu_s), agreement, elapsed)
