"""How precise is the harness? The original against itself, and known 2× and 10× slowdowns.

For ten functions from about 1 µs to 1 s per call, prints the measured speedup of the function
against an identical copy (should be 1.00× within the noise floor), against a copy that does the
work twice (0.50×) and ten times (0.10×), and the harness's wall time per candidate.

    python benchmarks/timing_precision.py [--quick]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path

from lesson_lsp.candidate import Candidate
from lesson_lsp.config import HarnessConfig
from lesson_lsp.harness.inputs import InputSpec
from lesson_lsp.harness.timing import format_seconds
from lesson_lsp.harness.verify import Harness, Target

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


async def main(quick: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "cases.py"
        source = module_text()
        path.write_text(source)
        header = ["function", "per call", "self", "noise", "self ok", "wall/candidate",
                  "2× slower", "error", "10× slower", "error"]
        rows = [header]
        for name, body, _ in CASES:
            rows.append(await measure(path, source, name, body, quick))
            print("  ".join(rows[-1]), file=sys.stderr, flush=True)
    widths = [max(len(r[i]) for r in rows) for i in range(len(header))]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths)))


if __name__ == "__main__":
    asyncio.run(main("--quick" in sys.argv))
