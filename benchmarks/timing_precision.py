"""How precise is the harness, and does a speedup survive a busy machine?

Four parts (`--part`, all by default):
- precision: for ten functions from about 1 µs to 1 s per call, the measured speedup of the
  function against an identical copy (1.00× within the noise floor), against a copy that does
  the work twice (0.50×) and ten times (0.10×), and the harness's wall time per candidate;
- noop: behaviour-preserving rewrites that change nothing the code does (an identical copy, an
  extra guard, a renamed local, a redundant conversion), of slow and of fast functions, each
  judged `--repeat` times: how often one is judged faster (a false positive);
- real: a real 1.3× and 2× (the same loop over fewer items) at three sizes: how often found;
- later: what the later rounds do, a fast candidate (the membership-set rewrite of
  `common_items`, a closed-form sum, one loop where the original ran two) against no-op
  rewrites of itself and a gain on top of it (1.09× for common_items, a real 1.3× for work):
  how often a no-op replaced the best under the old rule (its own speedup over the original,
  timed in its own run, larger than the best's) and under the duel (team/choosing.py).

`--load N` runs N CPU-bound processes beside it for the whole run (`--bursty`: each busy and idle
in turns of 50–300 ms), as a developer's machine has an editor, a browser and a build.

    python benchmarks/timing_precision.py [--quick] [--part noop,real,later] [--repeat K]
                                          [--load N [--bursty]]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from lesson_lsp.harness.inputs import InputSpec
from lesson_lsp.harness.timing import format_seconds
from lesson_lsp.harness.verify import Harness, Target
from lesson_lsp.source.candidate import Candidate
from lesson_lsp.workspace.config import HarnessConfig

SPIN = "for _ in range(n):\n        pass"
# name, body (uses n), n for the inputs; from under a microsecond to most of a second per call
CASES = [
    ("spin_20", SPIN, 20),
    ("spin_300", SPIN, 300),
    ("sum_squares", "return sum(i * i for i in range(n))", 2000),
    ("sort_by_key", "return sorted(range(n, 0, -1), key=lambda v: v % 97)", 3000),
    ("spin_30k", SPIN, 30_000),
    ("join_str", "return ''.join(str(i) for i in range(n))", 30_000),
    ("spin_300k", SPIN, 300_000),
    ("dict_comp", "return len({i: i for i in range(n)})", 300_000),
    ("spin_3M", SPIN, 3_000_000),
    ("spin_60M", SPIN, 60_000_000),
]


def module_text() -> str:
    parts = []
    for name, body, n in CASES:
        parts.append(f"def {name}(n):\n    {body}\n\n\ndef {name}_inputs():\n"
                     f"    return [({n},)]\n")
    return "\n\n".join(parts)


def slower(name: str, body: str, times: int) -> Candidate:
    """A copy of the function that does its work `times` times."""
    inner = body.replace("return ", "result = ")
    lines = [f"def {name}(n):", "    result = None", f"    for _ in range({times}):"]
    lines += ["        " + ln.strip() if i == 0 else "    " + ln for i, ln in
              enumerate(inner.split("\n"))]
    lines.append("    return result")
    return Candidate("\n".join(lines) + "\n")


async def measure(path: Path, source: str, name: str, body: str, quick: bool) -> list[str]:
    spec = InputSpec(str(path), f"{name}_inputs", "benchmark")
    harness = Harness(Target(str(path), source, name, spec), HarnessConfig(timeout_s=120))
    await harness.baseline()
    same = Candidate(f"def {name}(n):\n    {body}\n")
    started = time.perf_counter()
    self_verdict = await harness.evaluate(same)
    overhead = time.perf_counter() - started
    row = [name, format_seconds(self_verdict.original_s),
           f"{self_verdict.speedup:.3f}×", f"±{self_verdict.noise:.1%}",
           "ok" if abs(self_verdict.speedup - 1) <= max(3 * self_verdict.noise, 0.02) else "OFF",
           f"{overhead:.2f} s"]
    heavy = self_verdict.original_s > 0.05
    for times in (2, 10):
        if quick or (heavy and times == 10) or self_verdict.original_s > 0.3:
            row += ["-", "-"]
            continue
        verdict = await harness.evaluate(slower(name, body, times))
        expected = 1 / times
        error = verdict.speedup / expected - 1
        row += [f"{verdict.speedup:.3f}×", f"{error:+.1%}" + (" ok" if abs(error) <= 0.10
                                                               else " OFF")]
    return row


CHECKS_OFF = dict(edge_inputs=0, fuzz_s=0, concolic_s=0)  # timing is what is measured here
NOOP_CASES = ["spin_20", "sum_squares", "sort_by_key", "join_str", "spin_300k", "dict_comp"]


def noops(name: str, body: str) -> dict[str, Candidate]:
    """Rewrites that change nothing the function does."""
    renamed = re.sub(r"\bn\b", "m", body)
    return {
        "copy": Candidate(f"def {name}(n):\n    {body}\n"),
        "guard": Candidate(f"def {name}(n):\n    if n.__class__ is str:\n"
                           f"        raise TypeError(n)\n    {body}\n"),
        "rename": Candidate(f"def {name}(n):\n    m = n\n    {renamed}\n"),
        "convert": Candidate(f"def {name}(n):\n    n = int(n)\n    {body}\n"),
    }


def harness_for(path: Path, source: str, name: str, generator: str | None = None) -> Harness:
    spec = InputSpec(str(path), generator or f"{name}_inputs", "benchmark")
    return Harness(Target(str(path), source, name, spec),
                   HarnessConfig(timeout_s=120, **CHECKS_OFF))  # type: ignore[arg-type]


async def part_noop(path: Path, source: str, repeat: int) -> tuple[int, int]:
    """No-op rewrites judged against the original: every `faster` is a false positive."""
    cases = {name: body for name, body, _ in CASES}
    false, total = 0, 0
    for name in NOOP_CASES:
        harness = harness_for(path, source, name)
        await harness.baseline()
        row = [name]
        for kind, candidate in noops(name, cases[name]).items():
            speeds = []
            for _ in range(repeat):
                verdict = await harness.evaluate(candidate)
                total += 1
                false += verdict.verdict == "faster"
                speeds.append(f"{verdict.speedup:.2f}{'!' if verdict.verdict == 'faster' else ''}")
            row.append(f"{kind} {'/'.join(speeds)}")
        print("  " + "  ".join(row), flush=True)
    return false, total


REAL = "    t = 0\n    for i in range({n}):\n        t += i & 7\n    return n\n"
REAL_SIZES = [("loop_small", 300), ("loop_medium", 30_000), ("loop_large", 3_000_000)]


def real_module() -> str:
    return "\n\n".join(f"def {name}(n):\n{REAL.format(n='n')}\n\ndef {name}_inputs():\n"
                       f"    return [({size},)]\n" for name, size in REAL_SIZES)


async def part_real(folder: Path, repeat: int) -> dict[str, tuple[int, int, list[float]]]:
    """The same loop over 10/13 and 1/2 of the items: a real 1.3× and 2×, still found?"""
    path = folder / "real.py"
    source = real_module()
    path.write_text(source)
    found: dict[str, tuple[int, int, list[float]]] = {}
    for gain, fewer in (("1.3×", "n * 10 // 13"), ("2×", "n // 2")):
        hits, total, speeds = 0, 0, []
        for name, _ in REAL_SIZES:
            harness = harness_for(path, source, name)
            await harness.baseline()
            candidate = Candidate(f"def {name}(n):\n{REAL.format(n=fewer)}")
            for _ in range(repeat):
                verdict = await harness.evaluate(candidate)
                total += 1
                hits += verdict.verdict == "faster"
                speeds.append(verdict.speedup)
            print(f"  {gain} {name}: " + ", ".join(f"{s:.2f}" for s in speeds[-repeat:]),
                  flush=True)
        found[gain] = (hits, total, speeds)
    return found


LATER = """
def common_items(xs, ys):
    out = []
    for x in xs:
        if x in ys:
            out.append(x)
    return out


def common_inputs():
    return [(list(range(2000)), list(range(1000, 3000)))]


def squares(n):
    total = 0
    for i in range(n):
        total = total + i * i
    return total


def squares_inputs():
    return [(20_000,)]


def work(n):
    t = 0
    for i in range(n):
        t += i & 7
    for i in range(n):
        t += i & 7
    return n


def work_inputs():
    return [(30_000,)]
"""
WORK = ("def work(n):\n{extra}    t = 0\n    for i in range({n}):\n        t += i & 7\n"
        "    return n\n")
SET_ONCE = "    ys_set = set(ys) if ys.__class__ in (list, tuple) else ys\n"
COMMON = ("def common_items(xs, ys):\n    out = []\n" + SET_ONCE + "{extra}"
          "    for x in xs:\n        if x in {name}:\n            out.append(x)\n    return out\n")
# name → (the best so far, its no-op rewrites, a real gain on top of it)
LATER_CASES = {
    "common_items": (
        COMMON.format(extra="", name="ys_set"),
        {"re-fired rule": COMMON.format(extra="    ys_set_set = set(ys_set) if ys_set."
                                        "__class__ in (list, tuple) else ys_set\n",
                                        name="ys_set_set"),
         "rename": COMMON.format(extra="    wanted = ys_set\n", name="wanted"),
         "copy": COMMON.format(extra="", name="ys_set")},
        "def common_items(xs, ys):\n" + SET_ONCE + "    return list(filter(ys_set.__contains__, "
        "xs))\n"),
    "squares": (
        "def squares(n):\n    return (n - 1) * n * (2 * n - 1) // 6\n",
        {"guard": "def squares(n):\n    if n.__class__ is str:\n        raise TypeError(n)\n"
                  "    return (n - 1) * n * (2 * n - 1) // 6\n",
         "convert": "def squares(n):\n    n = int(n)\n    return (n - 1) * n * (2 * n - 1) // 6\n",
         "copy": "def squares(n):\n    return (n - 1) * n * (2 * n - 1) // 6\n"},
        None),
    # The best does the work once where the original did it twice; the gain on top of it is
    # the same loop over 10/13 of the items: a real 1.3×.
    "work": (
        WORK.format(extra="", n="n"),
        {"guard": WORK.format(extra="    if n.__class__ is str:\n        raise TypeError(n)\n",
                              n="n"),
         "copy": WORK.format(extra="", n="n")},
        WORK.format(extra="", n="n * 10 // 13")),
}


async def part_later(folder: Path, repeat: int) -> dict[str, list[int]]:
    """A fast best against no-ops of itself: replaced under the old rule, under the duel?"""
    from lesson_lsp.team.choosing import Contender, choose

    path = folder / "later.py"
    path.write_text(LATER)
    counts = {"old": [0, 0], "duel": [0, 0], "gain old": [0, 0], "gain duel": [0, 0]}
    for name, (best_code, rewrites, gain) in LATER_CASES.items():
        generator = "common_inputs" if name == "common_items" else f"{name}_inputs"
        harness = harness_for(path, LATER, name, generator)
        await harness.baseline()
        best = Candidate(best_code)
        others = [(kind, Candidate(code), False) for kind, code in rewrites.items()]
        if gain is not None:
            others.append(("real gain", Candidate(gain), True))
        for kind, other, real in others:
            row = []
            for _ in range(repeat):
                first = await harness.evaluate(best)
                second = await harness.evaluate(other)
                old = second.verdict == "faster" and second.speedup > first.speedup
                choice = await choose(
                    harness,
                    Contender("best", best, first, harness.plan(best).lines_changed),
                    Contender(kind, other, second, harness.plan(other).lines_changed))
                # An identical text is never duelled: the old rule still compared the speedups.
                new = choice.keep_challenger
                key = "gain " if real else ""
                counts[key + "old"][0] += old
                counts[key + "old"][1] += 1
                counts[key + "duel"][0] += new
                counts[key + "duel"][1] += 1
                ratio = second.speedup / first.speedup if first.speedup else 0.0
                duel = choice.duel.describe() if choice.duel else "no duel"
                row.append(f"{ratio:.2f} {'R' if old else '-'} / {duel} {'R' if new else '-'}")
            print(f"  {name} {kind}: " + "; ".join(row), flush=True)
    return counts


def part_precision_rows(rows: list[list[str]]) -> None:
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)))


BUSY = "while True:\n    pass\n"
BURSTY = ("import random, time\nwhile True:\n    end = time.perf_counter() + random.uniform"
          "(0.05, 0.3)\n    while time.perf_counter() < end:\n        pass\n"
          "    time.sleep(random.uniform(0.05, 0.3))\n")


async def main(args: argparse.Namespace) -> None:
    parts = args.part.split(",")
    load = [subprocess.Popen([sys.executable, "-c", BURSTY if args.bursty else BUSY])
            for _ in range(args.load)]
    condition = ("no load of its own" if not args.load else
                 f"{args.load} {'bursty' if args.bursty else 'steady'} CPU-bound processes "
                 "beside it") + f" (load average before: {os.getloadavg()[0]:.1f})"
    print(f"condition: {condition}", flush=True)
    started = time.perf_counter()
    lines = []
    try:
        with tempfile.TemporaryDirectory() as name:
            folder = Path(name)
            path = folder / "cases.py"
            source = module_text()
            path.write_text(source)
            if "precision" in parts:
                header = ["function", "per call", "self", "noise", "self ok", "wall/candidate",
                          "2× slower", "error", "10× slower", "error"]
                rows = [header]
                for name_, body, _ in CASES:
                    rows.append(await measure(path, source, name_, body, args.quick))
                    print("  ".join(rows[-1]), file=sys.stderr, flush=True)
                part_precision_rows(rows)
            if "noop" in parts:
                print("noop (speedup per judgement, ! = judged faster):")
                false, total = await part_noop(path, source, args.repeat)
                lines.append(f"no-op rewrites judged faster: {false} of {total}")
            if "real" in parts:
                print("real (speedup per judgement):")
                for gain, (hits, total, speeds) in (await part_real(folder, args.repeat)).items():
                    lines.append(f"real {gain} judged faster: {hits} of {total} "
                                 f"(median measured {statistics.median(speeds):.2f}×)")
            if "later" in parts:
                print("later (ratio of the two speedups, R = replaced the best; old / duel):")
                counts = await part_later(folder, args.repeat)
                lines.append("later rounds, a no-op replaced the best: old rule "
                             f"{counts['old'][0]} of {counts['old'][1]}, duel "
                             f"{counts['duel'][0]} of {counts['duel'][1]}")
                lines.append("later rounds, the real gain replaced the best: old rule "
                             f"{counts['gain old'][0]} of {counts['gain old'][1]}, duel "
                             f"{counts['gain duel'][0]} of {counts['gain duel'][1]}")
    finally:
        for process in load:
            process.kill()
            process.wait()
    print(f"\n{condition}, {time.perf_counter() - started:.0f} s, load average after "
          f"{os.getloadavg()[0]:.1f}:")
    for line in lines:
        print("  " + line)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--quick", action="store_true", help="precision: no 2×/10× rows")
    parser.add_argument("--part", default="precision,noop,real,later")
    parser.add_argument("--repeat", type=int, default=2, help="judgements per comparison")
    parser.add_argument("--load", type=int, default=0, metavar="N",
                        help="CPU-bound processes running beside it")
    parser.add_argument("--bursty", action="store_true", help="the load comes and goes")
    asyncio.run(main(parser.parse_args()))
