"""What tracing costs: a pure-Python workload run plainly and under `lesson-lsp trace`.

The workload is a small package generated in a temp dir: a recursive-descent expression parser
(many tiny methods, recursion), word counting (small helpers per word), a naive closest pair
(one hot quadratic loop calling a method) and a breadth-first search. Runs alternate, plain and
traced; the medians are compared, both for the whole `lesson-lsp trace` command (interpreter
start, storing the trace) and for the workload's own time as the agent measured it.

    python benchmarks/trace_overhead.py [--runs 3]
        [--project DIR [--python PY] -- python workload.py ARGS]   (also a real project's)
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PACKAGE = {
    "calc.py": '''
class Parser:
    def __init__(self, text):
        self.tokens = text.replace("(", " ( ").replace(")", " ) ").split()
        self.at = 0

    def peek(self):
        return self.tokens[self.at] if self.at < len(self.tokens) else None

    def take(self):
        token = self.tokens[self.at]
        self.at += 1
        return token

    def expr(self):
        value = self.term()
        while self.peek() in ("+", "-"):
            value = value + self.term() if self.take() == "+" else value - self.term()
        return value

    def term(self):
        value = self.factor()
        while self.peek() in ("*", "/"):
            value = value * self.factor() if self.take() == "*" else value / (self.factor() or 1)
        return value

    def factor(self):
        if self.peek() == "(":
            self.take()
            value = self.expr()
            self.take()
            return value
        return float(self.take())


def make_expression(seed, depth):
    if depth == 0:
        return str(seed % 97 + 1)
    op = "+-*/"[seed % 4]
    return (f"( {make_expression(seed * 7 + 1, depth - 1)} {op} "
            f"{make_expression(seed * 13 + 5, depth - 1)} )")


def evaluate(text):
    return Parser(text).expr()
''',
    "words.py": '''
STOP = {"the", "a", "of", "and", "to", "in"}


def normalize(word):
    return word.strip(".,;:!?").lower()


def is_stop(word):
    return word in STOP


def count_words(lines):
    counts = {}
    for line in lines:
        for raw in line.split():
            word = normalize(raw)
            if word and not is_stop(word):
                counts[word] = counts.get(word, 0) + 1
    return counts
''',
    "geometry.py": '''
class Point:
    def __init__(self, x, y):
        self.x, self.y = x, y

    def dist2(self, other):
        dx, dy = self.x - other.x, self.y - other.y
        return dx * dx + dy * dy


def closest_pair(points):
    best = None
    for i, p in enumerate(points):
        for q in points[i + 1:]:
            d = (p.x - q.x) ** 2 + (p.y - q.y) ** 2
            if best is None or d < best[0]:
                best = (d, p, q)
    return best


def nearest(points, target):
    return min(points, key=target.dist2)
''',
    "graph.py": '''
def neighbors(n, size):
    return [(n * 3 + 1) % size, (n * 7 + 2) % size, (n + 1) % size]


def bfs(start, size):
    seen = {start: 0}
    queue = [start]
    for node in queue:
        for nxt in neighbors(node, size):
            if nxt not in seen:
                seen[nxt] = seen[node] + 1
                queue.append(nxt)
    return max(seen.values())
''',
}

RUN = '''
import random
from work.calc import evaluate, make_expression
from work.geometry import Point, closest_pair, nearest
from work.graph import bfs
from work.words import count_words

random.seed(1)
total = 0.0
for i in range(4000):
    total += evaluate(make_expression(i, 6))
words = "The quick brown fox, and the lazy dog; of mice and men!".split()
lines = [" ".join(random.choice(words) for _ in range(12)) for _ in range(60000)]
counts = count_words(lines)
points = [Point(random.random(), random.random()) for _ in range(1600)]
pair = closest_pair(points)
near = [nearest(points, p) for p in points[:600]]
depth = sum(bfs(s, 20000) for s in range(20))
print(round(total, 3), len(counts), round(pair[0], 9), len(near), depth)
'''


def build(folder: Path) -> None:
    (folder / "pyproject.toml").write_text("[project]\nname = 'work'\n", encoding="utf-8")
    (folder / "work").mkdir()
    (folder / "work" / "__init__.py").write_text("", encoding="utf-8")
    for name, text in PACKAGE.items():
        (folder / "work" / name).write_text(text.lstrip(), encoding="utf-8")
    (folder / "run.py").write_text(RUN.lstrip(), encoding="utf-8")


def timed(command: list[str], cwd: Path) -> tuple[float, str, str]:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=True)
    return time.perf_counter() - started, done.stdout, done.stderr


def measure(folder: Path, command: list[str], python: str, runs: int) -> dict[str, object]:
    """`command` plainly (with `python`) and under `lesson-lsp trace`, alternating."""
    plain_command = [python, *command[1:]] if Path(command[0]).name.startswith("python") \
        else [python, *command]
    plain, whole, workload = [], [], []
    agreed = True
    trace: dict = {}
    for _ in range(runs):
        seconds, expected, _ = timed(plain_command, folder)
        plain.append(seconds)
        seconds, out, err = timed([sys.executable, "-m", "lesson_lsp.cli", "trace", "--json",
                                   "--python", python, "--", *command], folder)
        whole.append(seconds)
        agreed = agreed and expected.strip() in err  # the workload's output, on stderr
        trace = json.loads(out)
        workload.append(trace["wall_s"])
    return {"plain": statistics.median(plain), "whole": statistics.median(whole),
            "workload": statistics.median(workload), "trace": trace, "agreed": agreed}


def report(name: str, found: dict, runs: int) -> None:
    base = found["plain"]
    trace = found["trace"]
    print(f"{name}")
    print(f"  plain run:             {base:.2f} s (median of {runs})")
    print(f"  traced, whole command: {found['whole']:.2f} s ({found['whole'] / base:.2f}×)")
    print(f"  traced, workload only: {found['workload']:.2f} s "
          f"({found['workload'] / base:.2f}×; goal ≤ 1.5×)")
    calls = sum(f["calls"] for f in trace["functions"])
    print(f"  functions traced: {len(trace['functions'])}, {calls:,} calls; top: " + ", ".join(
        f"{f['qualname']} {f['share']:.0%}" for f in trace["functions"][:3]))
    print(f"  traced output same as plain: {found['agreed']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--project", help="also time a workload of this project (after --)")
    parser.add_argument("--python", default=sys.executable,
                        help="the project's interpreter (with --project)")
    parser.add_argument("command", nargs="*", help="with --project: the workload, after --")
    args = parser.parse_args()
    checkout = str(Path(__file__).resolve().parent.parent)
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [checkout,
                                                             os.environ.get("PYTHONPATH")]))
    os.environ.setdefault("LESSON_LSP_CACHE_DIR", tempfile.mkdtemp(prefix="trace-bench-cache-"))
    with tempfile.TemporaryDirectory(prefix="trace-bench-") as temp:
        folder = Path(temp)
        build(folder)
        found = measure(folder, ["python", "run.py"], sys.executable, args.runs)
    report("call-heavy synthetic package (many tiny methods)", found, args.runs)
    if args.project:
        found = measure(Path(args.project), args.command, args.python, args.runs)
        report(f"{args.project}: {' '.join(args.command)}", found, args.runs)


if __name__ == "__main__":
    main()
