"""The parent's side of checking a candidate beyond the inputs found (differential.py runs in
the sandbox): derive the edge inputs once per run, run the deep job per candidate, confirm what
it suspects, and say what a verdict was checked on.

A suspect found in the deep job (where the candidate's code runs beside the original) is never
taken on that process's word: the original and the candidate are run on it apart, in two fresh
workers, and compared here, as every other input is.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import os
import site
import sys
import tempfile
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from lesson_lsp.harness import sandbox
from lesson_lsp.harness.compare import Tolerance, describe, outcome_difference, show
from lesson_lsp.harness.inputs import InputSpec
from lesson_lsp.harness.target import Target
from lesson_lsp.harness.verdicts import INCORRECT, Verdict
from lesson_lsp.workspace import storage

Run = Callable[[dict[str, Any]], Awaitable[sandbox.SandboxResult]]
Job = Callable[..., dict[str, Any]]


@dataclass
class Finding:
    """An input on which the candidate was shown to differ, confirmed apart."""

    via: str
    detail: str
    failing_input: str
    expected: str
    actual: str


@dataclass
class Scrutiny:
    """What the checks beyond the given inputs did for one candidate."""

    checked_on: dict[str, Any] = field(default_factory=dict)
    coverage: dict[str, Any] = field(default_factory=dict)
    finding: Finding | None = None
    payload: dict[str, Any] | None = None  # the deep job's, for its guarded attempts

    def verdict(self) -> Verdict | None:
        """INCORRECT with the confirmed input, or None when nothing was found."""
        finding = self.finding
        if finding is None:
            return None
        return Verdict(INCORRECT, detail=f"found by {finding.via}: {finding.detail}",
                       failing_input=finding.failing_input, expected=finding.expected,
                       actual=finding.actual, checked_on=self.checked_on,
                       coverage=self.coverage, found_by=finding.via)


def tool_paths() -> list[str]:
    """Where lesson-lsp's own hypothesis and CrossHair live, for a project interpreter of the
    same Python that lacks them (the worker appends them after the project's own paths)."""
    found = [p for p in site.getsitepackages() if os.path.isdir(p)]
    user = site.getusersitepackages()
    return found + ([user] if isinstance(user, str) and os.path.isdir(user) else [])


async def derive_edges(run: Run, job: Job, target: Target, limit: int) -> Target | None:
    """Derive edge inputs from the observed calls of every source, with the original alone:
    the target with those on which it behaves, or None when there are none."""
    result = await run(job("edges", None, edge_limit=limit))
    payload = result.payload
    if payload is None or payload.get("status") != "ok" or not payload.get("pickle_b64"):
        return None
    path = store_calls(target, base64.b64decode(payload["pickle_b64"]), "edges")
    return replace(target, inputs=replace(target.inputs, edges=str(path)))


def deep_job(job: Job, text: str, budgets: dict[str, Any]) -> dict[str, Any]:
    return job("deep", None, candidate_module=text, tool_paths=tool_paths(),
               tool_python="{}.{}".format(*sys.version_info[:2]), **budgets)


async def examine(run: Run, job: Job, spec: InputSpec, text: str, budgets: dict[str, Any],
                  tolerance: Tolerance, output: bool) -> Scrutiny:
    """The deep job on `text`, then the confirmation of anything it found."""
    result = await run(deep_job(job, text, budgets))
    payload = result.payload
    found = Scrutiny(payload=payload)
    if result.status == "timeout" or payload is None or payload.get("status") != "ok":
        why = "timed out" if result.status == "timeout" else (result.detail or "failed")
        found.checked_on["deep check"] = f"not done: {why}"
        return found
    found.checked_on.update({k: v for k, v in payload.get("counts", {}).items() if v})
    found.coverage = payload.get("coverage", {})
    data = payload.get("found_b64")
    if data:
        found.finding = await confirm(run, job, spec, base64.b64decode(data), text, tolerance,
                                      output, str(payload.get("via", "")))
    return found


async def confirm(run: Run, job: Job, spec: InputSpec, call: bytes, text: str,
                  tolerance: Tolerance, output: bool, via: str) -> Finding | None:
    """Run the original and the candidate apart on one suspect call (`call`: a pickled
    one-call list, opened only in the sandbox); a Finding when they differ here too."""
    handle, path = tempfile.mkstemp(prefix="lesson-lsp-suspect-", suffix=".pickle")
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(call)  # never unpickled here: the candidate's process wrote it
        one = replace(spec, replay=path, checks=(), hidden="", derived="", edges="").as_job()
        original, candidate = await asyncio.gather(
            run(job("check", None, inputs=one)),
            run(job("check", None, inputs=one, candidate_module=text)))
    finally:
        os.unlink(path)
    outcomes = []
    for result in (original, candidate):
        if result.payload is None or result.payload.get("status") != "ok" or \
                len(result.payload.get("outcomes", [])) != 1:
            if result is candidate and result.status == "timeout":
                return Finding(via, "the candidate did not finish on this input", "", "",
                               "no answer")
            return None
        outcomes.append(result.payload["outcomes"][0])
    expected, actual = outcomes
    difference = outcome_difference(expected, actual, tolerance, output)
    if not difference:
        return None
    return Finding(via, difference, show(expected["args"], 300), describe(expected),
                   describe(actual))


def source_of(index: int, checked_on: dict[str, int]) -> str:
    """Which source the `index`-th check input came from (the worker counts them in order)."""
    for kind, count in checked_on.items():
        if index < count:
            return kind
        index -= count
    return ""


def store_calls(target: Target, data: bytes, folder_name: str = "derived") -> Path:
    """Derived calls in the project's cache, named by their content, so that two runs on one
    function at once never read each other's."""
    folder = storage.project_cache(target.root or Path(target.path).parent) / folder_name
    folder.mkdir(parents=True, exist_ok=True)
    tag = hashlib.sha256(data).hexdigest()[:16]
    path = folder / f"{target.module_name}.{target.qualname}.{tag}.pickle"
    if not path.exists():
        partial = path.with_name(f"{path.name}.{os.getpid()}.partial")
        partial.write_bytes(data)
        os.replace(partial, path)
    return path


def summary(checked_on: dict[str, Any], coverage: dict[str, Any]) -> str:
    """One line for people: "checked on 3 generator, 7 doctests, 180 derived, 412 fuzzed,
    concolic 35 paths; branches 6/8, added lines 4/5 run"."""
    parts = []
    for kind, count in checked_on.items():
        if kind.endswith("_status") or kind == "widened":
            continue
        if kind == "concolic":
            parts.append(f"concolic {count} paths")
        elif isinstance(count, int):
            parts.append(f"{count} {kind}")
        else:
            parts.append(f"{kind} {count}")
    line = "checked on " + ", ".join(parts) if parts else ""
    if coverage:
        cov = f"branches {coverage.get('branches_run', 0)}/{coverage.get('branches', 0)}"
        if coverage.get("added"):
            cov += f", added lines {coverage.get('added_run', 0)}/{coverage['added']} run"
        line = f"{line}; {cov}" if line else cov
    return line
