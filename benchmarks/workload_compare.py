"""Does the predicted saving show up end to end? Two real PyPI packages, each with a workload
script that uses it as a user would: `lesson-lsp trace` → `lesson-lsp optimize --hot 5 --apply`
→ `lesson-lsp compare`, the measured ratio with its 95 % interval printed next to the predicted
saving, and whether the output stayed identical. And how stable the ratio is: the same
comparison three times on an unchanged tree (ratio near 1.00, its interval covering it).

It installs nothing. The packages are taken from where they are installed (`--packages-from
DIR`, e.g. a `pip install --target DIR sqlparse tabulate` folder; default: this interpreter's
own path), their source copied into a temp project beside the workload script, committed to a
fresh git repository ("before" = HEAD), with a virtualenv made without pip (`python -m venv
--without-pip`) as the project's interpreter: the package is the project's own code, which
lesson-lsp traces and optimizes, not an installed dependency.

    pip install --target /tmp/wc-pkgs sqlparse==0.6.1 tabulate==0.10.0     # once, by hand
    python benchmarks/workload_compare.py --packages-from /tmp/wc-pkgs     # the full run
    python benchmarks/workload_compare.py --packages-from /tmp/wc-pkgs \\
        --runs 2 --hot 1 --rounds 1 --scale 0.1 --stability-repeats 1     # a smoke test

Timing benchmark: run it alone on the machine (no other benchmark, no test suite beside it).
"""

from __future__ import annotations

import argparse
import importlib.machinery
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

CHECKOUT = Path(__file__).resolve().parent.parent

SQLPARSE_RUN = '''\
"""Format and split a corpus of SQL as a user of sqlparse would."""
import hashlib
import random
import sys
import time

import sqlparse

count = int(sys.argv[1]) if len(sys.argv) > 1 else 400
random.seed(7)
TABLES = ["users", "orders", "items", "payments", "shipments", "audit_log"]
COLUMNS = ["id", "name", "total", "created_at", "status", "user_id", "order_id", "amount"]


def statement(i):
    first, second = random.sample(TABLES, 2)
    columns = ", ".join(f"{random.choice('ab')}.{c}" for c in random.sample(COLUMNS, 4))
    where = " and ".join(f"a.{random.choice(COLUMNS)} {random.choice(['=', '>', '<', '<>'])} "
                         f"{random.randint(0, 999)}" for _ in range(3))
    return (f"select {columns}, count(*) as n from {first} a join {second} b on a.id = "
            f"b.{random.choice(COLUMNS)} where {where} and b.name like '%{i}%' group by a.id "
            f"order by a.{random.choice(COLUMNS)} desc limit {i % 50 + 1};")


started = time.perf_counter()
script = "\\n".join(statement(i) for i in range(count))
digest = hashlib.sha256()
done = 0
for sql in sqlparse.split(script):
    formatted = sqlparse.format(sql, reindent=True, keyword_case="upper",
                                identifier_case="lower", strip_comments=True)
    digest.update(formatted.encode())
    done += 1
tokens = sum(len(list(s.flatten())) for s in sqlparse.parse(script[:20000]))
print("statements", done, "tokens", tokens)
print("sha256", digest.hexdigest())
print(f"took {time.perf_counter() - started:.3f} s")
'''

TABULATE_RUN = '''\
"""Render tables of mixed columns in several formats as a user of tabulate would."""
import hashlib
import random
import sys
import time

from tabulate import tabulate

count = int(sys.argv[1]) if len(sys.argv) > 1 else 3000
random.seed(11)
rows = [[f"item-{i}", random.randint(-10**6, 10**6), round(random.uniform(-1e4, 1e4), 3),
         random.choice(["yes", "no", None]), f"{random.random():.2e}", str(random.randint(0, 99))]
        for i in range(count)]
headers = ["name", "count", "value", "flag", "ratio", "code"]
started = time.perf_counter()
digest = hashlib.sha256()
size = 0
for style in ("plain", "simple", "grid", "github", "pipe", "rst", "html"):
    for start in range(0, count, 250):
        text = tabulate(rows[start:start + 250], headers=headers, tablefmt=style, floatfmt=".2f")
        digest.update(text.encode())
        size += len(text)
print("characters", size)
print("sha256", digest.hexdigest())
print(f"took {time.perf_counter() - started:.3f} s")
'''


@dataclass(frozen=True)
class Workload:
    package: str  # its import name (and PyPI name)
    script: str
    count: int  # the script's size argument at --scale 1

    def command(self, scale: float) -> list[str]:
        return ["python", "run.py", str(max(1, round(self.count * scale)))]


WORKLOADS = (Workload("sqlparse", SQLPARSE_RUN, 400), Workload("tabulate", TABULATE_RUN, 3000))


def source_of(name: str, folder: str | None) -> Path:
    """The installed package's folder (or single module) to copy."""
    path = [folder] if folder else sys.path
    spec = importlib.machinery.PathFinder.find_spec(name, path)
    if spec is None or spec.origin is None:
        sys.exit(f"{name} is not installed where this looks ({folder or 'sys.path'}): install it "
                 f"first, e.g. pip install --target DIR {name}, then --packages-from DIR")
    origin = Path(spec.origin)
    return origin.parent if spec.submodule_search_locations else origin


def version_of(name: str, folder: str | None) -> str:
    from importlib import metadata

    try:
        found = metadata.distributions(name=name, path=[folder] if folder else sys.path)
        return next(iter(found)).version
    except StopIteration:
        return "?"


def run(command: list[str], cwd: Path, timeout: float = 7200) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


def lesson(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return run([sys.executable, "-m", "lesson_lsp.cli", *args], cwd)


def git(root: Path, *args: str) -> None:
    done = run(["git", "-c", "user.name=Benchmark", "-c", "user.email=bench@example.invalid",
                "-c", "commit.gpgsign=false", *args], root)
    if done.returncode != 0:
        sys.exit(f"git {' '.join(args)}: {done.stderr}")


def project(work: Path, workload: Workload, folder: str | None) -> tuple[Path, str]:
    """A temp project: the package's source, the workload script, git, a venv without pip."""
    root = work / workload.package
    root.mkdir()
    (root / "pyproject.toml").write_text(f"[project]\nname = 'bench-{workload.package}'\n",
                                         encoding="utf-8")
    source = source_of(workload.package, folder)
    if source.is_dir():
        shutil.copytree(source, root / source.name,
                        ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    else:
        shutil.copy(source, root / source.name)
    (root / "run.py").write_text(workload.script, encoding="utf-8")
    (root / ".gitignore").write_text(".venv/\n", encoding="utf-8")
    made = run([sys.executable, "-m", "venv", "--without-pip", str(root / ".venv")], root)
    if made.returncode != 0:
        sys.exit(f"python -m venv: {made.stderr}")
    git(root, "init", "-q")
    git(root, "add", "-A")
    git(root, "commit", "-qm", f"{workload.package} and its workload")
    return root, str(root / ".venv" / "bin" / "python")


def checked(done: subprocess.CompletedProcess[str], what: str, codes: tuple[int, ...] = (0,)
            ) -> subprocess.CompletedProcess[str]:
    if done.returncode not in codes:
        sys.exit(f"{what} failed ({done.returncode}):\n{done.stdout[-2000:]}\n"
                 f"{done.stderr[-4000:]}")
    return done


def compare(root: Path, python: str, command: list[str], runs: int) -> dict[str, Any]:
    done = checked(lesson("compare", "--runs", str(runs), "--json", "--python", python, "--",
                          *command, cwd=root), "lesson-lsp compare", (0, 1))
    return json.loads(done.stdout)


def apply_mode(root: Path, python: str, workload: Workload, args: argparse.Namespace
               ) -> dict[str, Any]:
    command = workload.command(args.scale)
    started = time.monotonic()
    traced = json.loads(checked(lesson("trace", "--json", "--python", python, "--", *command,
                                       cwd=root), "lesson-lsp trace").stdout)
    optimize = ["optimize", "--hot", str(args.hot), "--apply", "--json", "--no-compare",
                "--python", python]
    if args.rounds:
        optimize += ["--rounds", str(args.rounds)]
    hot = json.loads(checked(lesson(*optimize, cwd=root), "lesson-lsp optimize --hot").stdout)
    measured = compare(root, python, command, args.runs)
    return {"package": workload.package, "command": command, "trace": traced, "hot": hot,
            "compare": measured, "elapsed_s": time.monotonic() - started}


def stability_mode(root: Path, python: str, workload: Workload, args: argparse.Namespace
                   ) -> list[dict[str, Any]]:
    command = workload.command(args.scale)
    return [compare(root, python, command, args.runs) for _ in range(args.stability_repeats)]


def _ratio(found: dict[str, Any]) -> str:
    return f"{found['estimate']:.2f}× ({found['low']:.2f}×–{found['high']:.2f}×)"


def _saving(found: dict[str, Any]) -> str:
    def one(value: float) -> str:
        return f"{1 - 1 / value:.1%}"

    return f"{one(found['estimate'])} ({one(found['low'])} to {one(found['high'])})"


def print_apply(result: dict[str, Any], version: str) -> None:
    hot, measured = result["hot"], result["compare"]
    written = [f"{f['path']}::{f['qualname']} {f['speedup']:.2f}×" for f in hot["functions"]
               if f["applied"]]
    print(f"\n{result['package']} {version}: `{' '.join(result['command'])}` "
          f"({result['elapsed_s']:.0f} s in all)")
    print(f"  traced: {result['trace']['wall_s']:.2f} s; top: " + ", ".join(
        f"{f['qualname']} {f['share']:.0%}" for f in result["trace"]["functions"][:5]))
    print("  written: " + (", ".join(written) or "nothing (no function got faster)"))
    output = measured["output"]
    print(f"  predicted saving (share × (1 − 1/speedup)): {hot['saves']:.1%}")
    print(f"  measured saving, CPU:  {_saving(measured['ratio']['cpu'])}; ratio "
          f"{_ratio(measured['ratio']['cpu'])}")
    print(f"  measured saving, wall: {_saving(measured['ratio']['wall'])}; ratio "
          f"{_ratio(measured['ratio']['wall'])}")
    print(f"  medians: before {measured['before']['median_wall_s']:.3f} s, after "
          f"{measured['after']['median_wall_s']:.3f} s ({measured['runs']} runs each, "
          f"before = {measured['base']['description']})")
    print(f"  output identical: {output['identical']} (lines masked: "
          f"{sum(output['masked_lines'].values())}: {'; '.join(output['masked_examples'])})")
    for difference in output["differences"]:
        print(f"  !! {difference['stream']} line {difference['line']}: before "
              f"{difference['before']!r}, after {difference['after']!r}")


def print_stability(package: str, found: list[dict[str, Any]]) -> None:
    times = "once" if len(found) == 1 else f"{len(found)} times"
    print(f"\n{package}: the same comparison on an unchanged tree, {times}")
    for index, measured in enumerate(found, 1):
        wall, cpu = measured["ratio"]["wall"], measured["ratio"]["cpu"]
        covers = wall["low"] <= 1.0 <= wall["high"]
        print(f"  #{index}: wall {_ratio(wall)} covers 1.00: {'yes' if covers else 'NO'}; "
              f"cpu {_ratio(cpu)}; output identical: {measured['output']['identical']}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages-from", metavar="DIR",
                        help="where sqlparse and tabulate are installed (default: sys.path)")
    parser.add_argument("--only", help="comma-separated packages (default: sqlparse,tabulate)")
    parser.add_argument("--runs", type=int, default=5, help="runs per side of each comparison")
    parser.add_argument("--hot", type=int, default=5, help="optimize --hot N (default 5)")
    parser.add_argument("--rounds", type=int, help="optimize --rounds (default: lesson-lsp's)")
    parser.add_argument("--scale", type=float, default=1.0, help="the workloads' size factor")
    parser.add_argument("--stability-repeats", type=int, default=3)
    parser.add_argument("--mode", choices=["apply", "stability", "both"], default="both")
    parser.add_argument("--json", metavar="FILE", help="write every result here too")
    parser.add_argument("--keep", action="store_true", help="keep the temp projects")
    args = parser.parse_args()
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(CHECKOUT),
                                                             os.environ.get("PYTHONPATH")]))
    os.environ["LESSON_LSP_CACHE_DIR"] = tempfile.mkdtemp(prefix="workload-compare-cache-")
    chosen = [w for w in WORKLOADS if not args.only or w.package in args.only.split(",")]
    work = Path(tempfile.mkdtemp(prefix="workload-compare-"))
    results: dict[str, Any] = {"apply": [], "stability": {}}
    try:
        for workload in chosen:
            version = version_of(workload.package, args.packages_from)
            if args.mode in ("stability", "both"):
                unchanged = work / "unchanged"
                unchanged.mkdir(exist_ok=True)
                root, python = project(unchanged, workload, args.packages_from)
                found = stability_mode(root, python, workload, args)
                results["stability"][workload.package] = found
                print_stability(f"{workload.package} {version}", found)
            if args.mode in ("apply", "both"):
                root, python = project(work, workload, args.packages_from)
                result = apply_mode(root, python, workload, args)
                results["apply"].append(result)
                print_apply(result, version)
    finally:
        if args.keep:
            print(f"\nprojects kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
        if args.json:
            Path(args.json).write_text(json.dumps(results, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
