"""The verdict on one candidate: run it in the sandbox, compare it with the original, time both.

One path for everyone: the team, `lesson-lsp verify` and the final re-measurement all come here.
A verdict is about the candidate's final module text (`edits.plan`), loaded as the module itself.
Verdicts: faster, not-faster, incorrect, unsafe, error, timeout. Only `faster` is ever shipped.
`unsafe`: the candidate's top-level code runs more than imports and definitions (admission), or
it attempted a guarded operation (a file, process, socket, signal handler, thread, the
environment, …) that the original does not attempt on the same inputs — whether or not the
sandbox stopped it, because at the user's place nothing does (DESIGN.md, invariant 3).
"""

from __future__ import annotations

import asyncio
import base64
import statistics
from dataclasses import dataclass, field, replace
from typing import Any

from lesson_lsp.harness import admission, pairing, sandbox, scale, scrutiny, timing
from lesson_lsp.harness.compare import Tolerance, describe, outcome_difference, show
from lesson_lsp.harness.target import HarnessError, Target
from lesson_lsp.harness.verdicts import (
    ERROR,
    FASTER,
    INCORRECT,
    NOT_FASTER,
    TIMEOUT,
    UNSAFE,
    Baseline,
    Verdict,
    raises_where_timed,
)
from lesson_lsp.harness.verdicts import attempts as _attempts
from lesson_lsp.harness.verdicts import unsafe as _unsafe
from lesson_lsp.source.candidate import Candidate, to_column0
from lesson_lsp.source.edits import Plan, PlanError, plan, sha256
from lesson_lsp.workspace.config import HarnessConfig

COLD_MEASURABLE_S = 1e-3
CAP_FLOOR_S, CAP_FACTOR = 2.0, 50  # a candidate's call, at most: 50× the original's, ≥ 2 s


@dataclass
class Harness:
    target: Target
    config: HarnessConfig = field(default_factory=HarnessConfig)
    samples: int = 6
    min_sample_s: float = 0.025
    processes: int = 2
    baseline_: Baseline | None = None
    reuse_args: bool = False  # the original does not mutate its arguments: no copies needed
    plans: dict[str, Plan] = field(default_factory=dict)
    scrutinized: dict[str, scrutiny.Scrutiny] = field(default_factory=dict)  # by text sha256

    @property
    def tolerance(self) -> Tolerance:
        return Tolerance(self.config.rel_tol, self.config.abs_tol)

    def plan(self, candidate: Candidate) -> Plan:
        """The candidate's final module text (and its edits), made once: what is verified here
        is what the CLI writes and the server's edit must produce."""
        found = self.plans.get(candidate.key)
        if found is None:
            found = self.plans[candidate.key] = plan(self.target.source, self.target.function(),
                                                     candidate)
        return found

    def _job(self, mode: str, candidate: Candidate | None, **extra: Any) -> dict[str, Any]:
        target = self.target
        job = {
            "mode": mode,
            "module_path": target.path,
            "module_source": target.source,
            "module_name": target.module_name,
            "sys_path": target.sys_path,
            "qualname": target.qualname,
            "inputs": target.inputs.as_job(),
            "seed": 12345,
            "candidate_module": None if candidate is None else self.plan(candidate).text,
            "samples": self.samples,
            "min_sample_s": self.min_sample_s,
            "budget_s": max(1.0, self.config.timeout_s - 2.0),
            "reuse_args": self.reuse_args,
        }
        job.update(extra)
        return job

    async def _run(self, job: dict[str, Any]) -> sandbox.SandboxResult:
        return await sandbox.run(job, timeout_s=self.config.timeout_s,
                                 memory_mb=self.config.memory_mb, python=self.target.python)

    async def baseline(self) -> Baseline:
        """Measure the original; when its inputs are too small to time a gain at scale (under
        `scale.TINY_CALL_S` a call) and were found rather than named, derive larger ones, and
        measure it again with them: from then on every job carries them."""
        if self.baseline_ is not None:
            return self.baseline_
        # Edge inputs derived once per run: every later job carries those the original takes.
        edges = None
        if self.config.edge_inputs > 0 and not self.target.inputs.edges:
            edges = await scrutiny.derive_edges(self._run, self._job, self.target,
                                                self.config.edge_inputs)
            self.target = edges or self.target
        try:
            base = await self._measure()
        except HarnessError:
            if edges is None:
                raise
            # The original differs between processes on a derived input: derive none.
            self.target = replace(self.target, inputs=replace(self.target.inputs, edges=""))
            base = await self._measure()
        shown = max(1, base.inputs - base.held_out)
        per_call = base.solo_s / shown
        spec, found = self.target.inputs, None
        if per_call < scale.TINY_CALL_S and not spec.named:
            found = await self._derive()
            base.attempts |= _attempts(found, "original")
            if found.get("kept"):
                try:
                    larger = await self._measure()
                except HarnessError:  # the original differs between processes on them
                    self.target = replace(self.target, inputs=spec)
                    self.reuse_args = not any(o.get("mutates") for o in base.outcomes)
                    found = {"error": "unstable"}
                else:
                    larger.attempts |= base.attempts
                    base = larger
        origin = "" if not spec.named else (
            "generated from type hints" if spec.hypothesis else
            scale.AS_CALLED if spec.workload else "from a named generator")
        base.timed_on = scale.describe(shown, per_call, found, origin)
        if base.awaited:
            base.timed_on += AWAITED
        self.baseline_ = base
        return base

    async def _derive(self) -> dict[str, Any]:
        """Ask a worker for larger calls grown from the shown ones; store those it keeps, and
        make every later job carry them. The worker's payload, or {"error": why}."""
        result = await self._run(self._job("scale", None, split="shown"))
        payload = result.payload
        if result.status == "timeout":
            return {"error": "timeout"}
        if payload is None or payload.get("status") != "ok":
            return {"error": "failed", "attempts": (payload or {}).get("attempts", {})}
        if payload.get("kept"):
            path = scrutiny.store_calls(self.target, base64.b64decode(payload.pop("pickle_b64")))
            self.target = replace(self.target, inputs=replace(self.target.inputs,
                                                              derived=str(path)))
        return payload

    async def _measure(self) -> Baseline:
        """Run the original twice (it must agree with itself), profile it and time it alone."""
        first, second, prof = await asyncio.gather(
            self._run(self._job("check", None)),
            self._run(self._job("check", None)),
            self._run(self._job("profile", None, split="shown")),
        )
        for result in (first, second):
            if result.status != "ok" or result.payload is None or \
                    result.payload.get("status") != "ok":
                raise self._refusal("could not run", result.detail)
        assert first.payload is not None and second.payload is not None
        outcomes = first.payload["outcomes"]
        for index, (a, b) in enumerate(zip(outcomes, second.payload["outcomes"])):
            differed = outcome_difference(a, b, self.tolerance)
            if differed:
                raise HarnessError(
                    f"`{self.target.qualname}` gives different results on the same input "
                    f"(input #{index + 1}) in two runs (first vs second: {differed}): it is not "
                    "deterministic, so no candidate "
                    "can be checked against it; make it deterministic (seed any randomness, "
                    "leave clocks out) or optimize a deterministic helper it calls")
        timed = [outcomes[i] for i in first.payload.get("timed", []) if i < len(outcomes)]
        for where in (outcomes, timed):
            if where and all("exc" in o for o in where):
                raise HarnessError(raises_where_timed(self.target.qualname, where[0]["exc"],
                                                      self.target.inputs.workload,
                                                      everywhere=where is outcomes))
        profile = ""
        if prof.payload is not None and prof.payload.get("status") == "ok":
            profile = prof.payload.get("profile", "")
        # The original alone, timed once: what "next to the candidate" is compared with.
        self.reuse_args = not any(o.get("mutates") for o in outcomes)
        solo, samples = await self._alone()
        if not samples:
            raise self._refusal("could not be timed", solo.detail)
        assert solo.payload is not None
        return Baseline(
            outcomes, sum(first.payload["cold_s"]), len(outcomes), profile,
            held_out=int(first.payload.get("held_out", 0)),
            solo_s=statistics.median(samples), solo_noise=timing.relative_spread(samples),
            unaccounted_s=solo.wall_s - float(solo.payload.get("worker_s", 0.0)),
            attempts=frozenset().union(*(_attempts(r.payload, "original")
                                         for r in (first, second, prof, solo))),
            inputs_from=str(first.payload.get("inputs_from", "")),
            checked_on=dict(first.payload.get("checked_on", {})),
            cold_each=[float(x) for x in first.payload["cold_s"]],
            awaited=bool(solo.payload.get("awaited")))

    def _refusal(self, what: str, detail: str) -> HarnessError:
        """The original failed: the cause, then what the user can do about it."""
        if detail.startswith("inputs:"):
            step = (f"fix where the inputs come from ({self.target.inputs.origin}), or name a "
                    "generator with --inputs FILE::CALLABLE or in [tool.lesson-lsp.inputs]")
        elif detail == "timed out":
            detail = f"it took longer than {self.config.timeout_s:g} s"
            step = "raise `timeout_s` in [tool.lesson-lsp.harness] or give it smaller inputs"
        else:
            step = ("check that its module imports and that it runs on these inputs with the "
                    "project's interpreter")
        return HarnessError(f"the original `{self.target.qualname}` {what}: {detail}; {step}")

    async def check(self, candidate: Candidate) -> Verdict | None:
        """Correctness only: None when the candidate agrees with the original on every input."""
        span = self.target.function()
        refused = admission.refusal(candidate.source, candidate.imports,
                                    to_column0(span.source, span.indent))
        if refused:
            return Verdict(UNSAFE, detail=f"refused before it ran: {refused}")
        try:
            text = self.plan(candidate).text
        except PlanError as exc:
            return Verdict(ERROR, detail=f"no exact edit for it: {exc}")
        return await self.check_text(text)

    async def check_text(self, text: str) -> Verdict | None:
        """Correctness of a whole module text in place of the original's: None when its
        function agrees with the original on every input."""
        base = await self.baseline()
        # A candidate that hangs on one input answers "Timeout" there, far past the original.
        caps = [max(CAP_FLOOR_S, CAP_FACTOR * t) for t in base.cold_each]
        result = await self._run(self._job("check", None, candidate_module=text, caps=caps))
        if result.status == "timeout":
            return Verdict(TIMEOUT, detail=f"no answer within {self.config.timeout_s:g} s")
        unsafe = _unsafe(result.payload, base.attempts)
        if unsafe is not None:
            return unsafe
        if result.payload is None or result.payload.get("status") != "ok":
            return Verdict(ERROR, detail=result.detail or "the candidate failed to run")
        if result.payload.get("candidate_sha256") != sha256(text):
            return Verdict(ERROR, detail="the worker loaded another text than the planned one")
        outcomes = result.payload["outcomes"]
        if len(outcomes) != len(base.outcomes):
            return Verdict(ERROR, detail="the candidate saw a different number of inputs")
        for index, (expected, actual) in enumerate(zip(base.outcomes, outcomes)):
            found = outcome_difference(expected, actual, self.tolerance,
                                       self.config.compare_output)
            if found:
                source = scrutiny.source_of(index, result.payload.get("checked_on", {}))
                return Verdict(
                    INCORRECT,
                    detail=f"input #{index + 1}" + (f" ({source})" if source else "") +
                           f": {found}",
                    failing_input=show(expected["args"], 300),
                    expected=describe(expected),
                    actual=describe(actual),
                    checked_on=dict(result.payload.get("checked_on", {})),
                    found_by=source,
                )
        return await self._scrutinize(text, base)

    async def _scrutinize(self, text: str, base: Baseline) -> Verdict | None:
        """Beyond the inputs found: the deep job (edges of the candidate's constants, fuzzing,
        coverage, the concolic pass), its suspects confirmed apart."""
        config = self.config
        if not (config.edge_inputs or config.fuzz_s or config.concolic_s):
            return None  # the checks beyond the given inputs are turned off
        budgets = {"fuzz_s": self.config.fuzz_s, "concolic_s": self.config.concolic_s,
                   "edge_limit": self.config.edge_inputs,
                   "tolerance": [self.config.rel_tol, self.config.abs_tol],
                   "compare_output": self.config.compare_output}
        found = await scrutiny.examine(self._run, self._job, self.target.inputs, text, budgets,
                                       self.tolerance, self.config.compare_output)
        found.checked_on = {**base.checked_on, **found.checked_on}
        self.scrutinized[sha256(text)] = found
        unsafe = _unsafe(found.payload, base.attempts | _attempts(found.payload, "original"))
        if unsafe is not None:
            return unsafe
        return found.verdict()

    async def time(self, candidate: Candidate, processes: int | None = None,
                   again: bool = True) -> Verdict:
        """Original and candidate side by side in each of several worker processes (A B B A …,
        which goes first alternating between processes); the speedup is the median of the
        ratios of neighbouring samples, so drift of the machine cancels out. A candidate that
        looks like it fakes the clock or slows the original is timed once more (`again`): load
        comes and goes, a candidate's doing does not."""
        base = await self.baseline()
        processes = processes or self.processes
        pairs = await pairing.gather(self, candidate, base, processes)
        if isinstance(pairs, Verdict):
            return pairs
        unaccounted = pairs.unaccounted
        if unaccounted > 3 * base.unaccounted_s + 1.0:
            # A process may start slowly on a busy machine: the original alone, again now,
            # tells that from a candidate whose clock hides its time.
            solo, _ = await self._alone()
            slow = solo.wall_s - float((solo.payload or {}).get("worker_s", solo.wall_s))
            if unaccounted > 3 * max(base.unaccounted_s, slow) + 1.0:
                if again:
                    return await self.time(candidate, processes, again=False)
                return Verdict(ERROR, detail="reported time disagrees with the wall clock")
        summary = timing.summarize(pairs.original, pairs.candidate)
        allowance = max(1.5, 1 + 4 * base.solo_noise)
        if base.solo_s > 0 and summary.original_s > base.solo_s * allowance:
            # The machine may just be busier than when the original was timed alone: time it
            # alone again, now, before blaming the candidate.
            _, now = await self._alone()
            if not now or summary.original_s > statistics.median(now) * allowance:
                if again:
                    return await self.time(candidate, processes, again=False)
                return Verdict(ERROR, detail=(
                    f"the original ran {summary.original_s / base.solo_s:.1f}× slower next to "
                    "the candidate than alone: the candidate interferes with it"))
        speedup, noise, how = summary.speedup, summary.noise, ""
        floor = timing.threshold(noise, self.config.min_speedup)
        faster = speedup >= floor
        if self.config.min_speedup <= speedup < floor:
            # Above the minimum but inside the noise of these samples: decide on many more.
            more = await pairing.gather(self, candidate, base, timing.CONFIRM_PROCESSES,
                                        first=processes)
            if isinstance(more, Verdict):
                return more
            pairs.extend(more)
            summary = timing.summarize(pairs.original, pairs.candidate)
            found = timing.confirm(pairs.original, pairs.candidate, self.config.min_speedup)
            speedup, faster = found.speedup, found.faster
            how = f"; inside the noise of {processes} processes, so timed on more: " + \
                found.describe(self.config.min_speedup)
            noise = max(0.0, 1 - found.lower / found.speedup) if found.speedup > 0 else noise
        cold = timing.cold_ratio(pairs.first_original, pairs.first_candidate)
        if statistics.median(pairs.first_original) >= COLD_MEASURABLE_S and cold > 0 and \
                cold * 1.5 < speedup:
            # Answers remembered between calls do not make a first call faster: when fresh
            # processes see far less gain on their first pass, that is the speedup. (Within
            # a factor 1.5 the two agree up to first-call noise, and steady state is kept.)
            speedup = cold
            faster = speedup >= floor
            how += "; capped at the speedup of a first call in a fresh process"
        verdict = FASTER if faster else NOT_FASTER
        return Verdict(
            verdict, speedup=speedup, original_s=summary.original_s,
            candidate_s=summary.candidate_s, original_spread=summary.original_spread,
            candidate_spread=summary.candidate_spread, noise=noise,
            detail=f"{speedup:.2f}× (needs ≥ {floor:.2f}× to count){how}",
            timed_on=base.timed_on,
        )

    async def profile(self, candidate: Candidate) -> str:
        """The line profile of a candidate's code, as the baseline's is of the original: what
        an agent shown that code is shown of where it spends its time ('' if none)."""
        try:
            text = self.plan(candidate).text
        except PlanError:
            return ""
        result = await self._run(self._job("profile", None, split="shown",
                                           candidate_module=text))
        if result.payload is None or result.payload.get("status") != "ok":
            return ""
        return str(result.payload.get("profile", ""))

    async def _alone(self) -> tuple[sandbox.SandboxResult, list[float]]:
        """The original timed alone (for the baseline, and again to tell a busy machine from an
        interfering candidate): the run, and its samples per pass (none if it failed)."""
        solo = await self._run(self._job("time", None, split="shown"))
        if solo.payload is None or solo.payload.get("status") != "ok":
            return solo, []
        return solo, [float(x) for x in solo.payload["samples"]]

    async def evaluate(self, candidate: Candidate, processes: int | None = None) -> Verdict:
        """Correct first (cheap to refute), then timed."""
        verdict = await self.check(candidate)
        if verdict is None:
            verdict = await self.time(candidate, processes)
        if candidate.key in self.plans:
            verdict.text_sha256 = sha256(self.plans[candidate.key].text)
            found = self.scrutinized.get(verdict.text_sha256)
            if found is not None and not verdict.checked_on:
                verdict.checked_on, verdict.coverage = found.checked_on, found.coverage
        return verdict


# How an async original's time was taken (the worker's `Sampler`), after `scale.describe`'s text.
AWAITED = ("; each call awaited to completion on an event loop made per sample (loop creation "
           "not timed)")

