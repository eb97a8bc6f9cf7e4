"""Where real programs spend their time: ten pure-Python PyPI packages, each driven by a workload
script that uses it as its users do, end to end (issue 25): `lesson-lsp trace` → `lesson-lsp
optimize --hot 5 --apply` (the offline rules, no LLM) → `lesson-lsp compare`, before vs after.

A faster function is not the goal; a faster program with the same output is. Per package it
prints the hot functions (share of the traced run) and, for each, whether it was **reachable**
(the harness ran it: not refused for lack of inputs, as non-deterministic or unsupported),
**improved** (a verified faster edit was written) and **wrong** (edits after which the
workload's output differs: all the package's applied edits are counted, since one comparison
cannot tell them apart; it must be 0), then the workload's measured ratio before / after (wall,
with its 95 % interval, and CPU), the predicted saving and whether the output stayed identical.
Totals close the table; the issue's goal is at least a third of the hot functions improved and
every workload faster end to end with identical output.

Each package is copied from `--packages-from DIR` into a temp git project beside its workload
(`benchmarks/real_workloads/run_<package>.py`; sqlparse and tabulate use workload_compare.py's
scripts), with a virtualenv without pip as the project's interpreter (workload_compare.project):
the package is the project's own code. Install the pinned packages once, by hand:

    pip install --target /tmp/rw-pkgs sqlparse==0.6.1 tabulate==0.10.0 Markdown==3.7 \\
        networkx==3.4.2 Pygments==2.18.0 docutils==0.21.2 more-itertools==10.5.0 idna==3.10 \\
        toolz==1.0.0 semver==3.0.2

    python benchmarks/real_workloads.py --packages-from /tmp/rw-pkgs --json /tmp/rw/after.json
    python benchmarks/real_workloads.py --packages-from /tmp/rw-pkgs --smoke --only idna,semver
    python benchmarks/real_workloads.py --packages-from /tmp/rw-pkgs --corpus /tmp/hot-corpus
    python benchmarks/real_workloads.py --diff /tmp/rw/before.json /tmp/rw/after.json

`--smoke` is `--runs 2 --hot 1 --scale 0.2` (about 5 minutes for the ten). `--corpus DIR` only
traces, and writes `DIR/<package>.json`: the ten hottest functions with their share, calls and
full source, for whoever studies what real hot code does. The full run took 16 minutes on 2
cores (each workload runs 1 to 5 s untraced; optimize takes 30 to 150 s a package). It is a
timing benchmark: run it alone among timing runs (e.g. under `flock`). Other work on the
machine widens the intervals (with a load average of 5 on 2 cores, the comparisons of an
unchanged tree spanned up to 0.59–2.01×): the load average before and after each comparison is
printed and saved; `--runs 10` narrows the intervals for about 5 minutes more.

The lesson_lsp measured is the one `python -m lesson_lsp.cli` imports here (this checkout's when
nothing else is importable): PYTHONPATH pointing at another checkout measures that one; its
path and commit are printed and saved, so that `--diff` compares two builds on the same
workloads.
"""

from __future__ import annotations

import argparse
import ast
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import workload_compare as wc

HERE = Path(__file__).resolve().parent
SCRIPTS = HERE / "real_workloads"


@dataclass(frozen=True)
class Package:
    name: str  # the import name: the folder copied into the project
    dist: str  # the pinned requirement
    count: int  # the workload's size argument at --scale 1
    what: str  # what the workload does, in a few words

    def script(self) -> str:
        builtin = {"sqlparse": wc.SQLPARSE_RUN, "tabulate": wc.TABULATE_RUN}
        if self.name in builtin:
            return builtin[self.name]
        return (SCRIPTS / f"run_{self.name}.py").read_text(encoding="utf-8")

    def workload(self) -> wc.Workload:
        return wc.Workload(self.name, self.script(), self.count)


PACKAGES = (
    Package("sqlparse", "sqlparse==0.6.1", 400, "format, split and parse generated SQL"),
    Package("tabulate", "tabulate==0.10.0", 3000, "mixed-column tables in seven formats"),
    Package("markdown", "Markdown==3.7", 60, "a generated doc site with the extra/toc extensions"),
    Package("networkx", "networkx==3.4.2", 4, "components, cores, Dijkstra, betweenness, MST"),
    Package("pygments", "Pygments==2.18.0", 2, "stdlib modules and JSON/SQL/bash to HTML, ANSI"),
    Package("docutils", "docutils==0.21.2", 40, "generated reStructuredText pages to HTML5"),
    Package("more_itertools", "more-itertools==10.5.0", 200000, "recipes over an event log"),
    Package("idna", "idna==3.10", 6000, "UTS 46 encode and decode of IDNs in six scripts"),
    Package("toolz", "toolz==1.0.0", 150000, "groupby, reduceby, joins, get_in over records"),
    Package("semver", "semver==3.0.2", 12000, "parse, sort, match, bump versions"),
)

# Why the harness could not run a function, from the words of optimize's message.
REFUSALS = (("no inputs", "no inputs"),
            ("different results on the same input", "not deterministic"),
            ("raised on every input", "raises on every input"),
            ("took longer than", "timed out"), ("nested inside", "nested"),
            ("edited since the trace", "stale"))


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def lesson_lsp_version() -> dict[str, str]:
    """Which lesson_lsp runs: the folder `python -m lesson_lsp.cli` imports here (this
    checkout's when none is importable), and its commit."""
    done = subprocess.run([sys.executable, "-c", "import lesson_lsp; print(lesson_lsp.__file__)"],
                          capture_output=True, text=True, cwd=tempfile.gettempdir(), check=False)
    folder = Path(done.stdout.strip()).resolve().parent if done.returncode == 0 \
        else wc.CHECKOUT / "lesson_lsp"
    commit = subprocess.run(["git", "-C", str(folder), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True, check=False).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(folder), "status", "--porcelain", "--", "."],
                           capture_output=True, text=True, check=False).stdout.strip()
    return {"path": str(folder), "commit": (commit or "?") + ("+changes" if dirty else "")}


class StepFailed(Exception):
    """A lesson-lsp step exited with an unexpected code: the package is reported, not the run."""


def step(what: str, *args: str, cwd: Path, codes: tuple[int, ...] = (0,)) -> Any:
    """`lesson-lsp ARGS --json`'s object (the last JSON object of its stdout)."""
    done = wc.lesson(*args, cwd=cwd)
    if done.returncode not in codes:
        raise StepFailed(f"{what} exited {done.returncode}: {done.stderr.strip()[-1500:]}")
    try:
        return json.loads(done.stdout)
    except ValueError as exc:
        raise StepFailed(f"{what}: no JSON on stdout ({exc}): {done.stdout[-500:]}") from exc


def function_source(path: Path, qualname: str, line: int) -> str:
    """The traced function's full text, decorators included (found by its `def` line)."""
    text = path.read_text(encoding="utf-8")
    name = qualname.rsplit(".", 1)[-1]
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == name \
                and node.lineno == line:
            first = min([d.lineno for d in node.decorator_list] + [node.lineno])
            return "".join(text.splitlines(True)[first - 1:node.end_lineno])
    return ""


def corpus_entries(package: Package, root: Path, traced: dict[str, Any], top: int
                   ) -> list[dict[str, Any]]:
    """The package's `top` hottest functions (not the workload script's) with their source,
    paths relative to the package's folder."""
    entries = []
    for found in traced["functions"]:
        relative = Path(found["path"])
        if relative.parts[0] != package.name:
            continue
        inside = relative.relative_to(package.name)
        entries.append({"package": package.name, "qualname": found["qualname"],
                        "file": inside.as_posix(), "line": found["line"],
                        "share": found["share"], "calls": found["calls"],
                        "source": function_source(root / relative, found["qualname"],
                                                  found["line"])})
    return entries[:top]


def outcome(found: dict[str, Any]) -> dict[str, Any]:
    """One hot function's row: reachable, improved, and why not."""
    verdict, detail = found["verdict"], found.get("detail", "")
    reachable = verdict in ("faster", "not faster")
    if verdict == "faster" and found["applied"]:
        why = f"{found['speedup']:.2f}×"
    elif reachable:
        why = "no rule applies" if "no offline rewrite rule applies" in detail \
            else "not faster" if "was faster" in detail else "not faster: " + detail[-80:]
    else:
        why = next((label for key, label in REFUSALS if key in detail), "refused")
    return {"path": found["path"], "qualname": found["qualname"], "share": found["share"],
            "verdict": verdict, "reachable": reachable,
            "improved": verdict == "faster" and bool(found["applied"]),
            "speedup": found["speedup"], "saves": found["saves"],
            "inputs_from": found.get("inputs_from", ""), "why": why, "detail": detail}


def run_package(package: Package, work: Path, args: argparse.Namespace) -> dict[str, Any]:
    """trace → optimize --hot N --apply → compare, in a fresh temp project."""
    started = time.monotonic()
    workload = package.workload()
    root, python = wc.project(work, workload, args.packages_from)
    command = workload.command(args.scale)
    result: dict[str, Any] = {"package": package.name, "dist": package.dist,
                              "version": wc.version_of(package.name, args.packages_from),
                              "what": package.what, "command": command, "error": None}
    try:
        say(f"{package.name}: trace `{' '.join(command)}`")
        begun = time.monotonic()
        traced = step("lesson-lsp trace", "trace", "--json", "--python", python, "--",
                      *command, cwd=root)
        result["trace"] = {k: traced[k] for k in ("wall_s", "exit_code", "complete", "note",
                                                  "uninstrumented")}
        result["trace"]["elapsed_s"] = time.monotonic() - begun
        result["trace"]["top"] = corpus_entries(package, root, traced, 10)
        if args.corpus:
            return result
        say(f"{package.name}: optimize --hot {args.hot} --apply")
        begun = time.monotonic()
        optimize = ["optimize", "--hot", str(args.hot), "--apply", "--json", "--no-compare",
                    "--python", python]
        if args.rounds:
            optimize += ["--rounds", str(args.rounds)]
        hot = step("lesson-lsp optimize --hot", *optimize, cwd=root)
        result["optimize"] = {"elapsed_s": time.monotonic() - begun, "saves": hot["saves"]}
        result["functions"] = [outcome(f) for f in hot["functions"]]
        say(f"{package.name}: compare, {args.runs} runs a side")
        begun, load = time.monotonic(), os.getloadavg()[0]
        measured = step("lesson-lsp compare", "compare", "--runs", str(args.runs), "--json",
                        "--python", python, "--", *command, cwd=root, codes=(0, 1))
        measured["elapsed_s"] = time.monotonic() - begun
        measured["load"] = [load, os.getloadavg()[0]]
        result["compare"] = measured
        if not measured["output"]["identical"]:
            for function in result["functions"]:
                function["wrong"] = function["improved"]
    except (StepFailed, subprocess.TimeoutExpired) as exc:
        result["error"] = str(exc)
        say(f"{package.name}: {exc}")
    finally:
        result["elapsed_s"] = time.monotonic() - started
    return result


# --- the report ----------------------------------------------------------------------------------

def counts(result: dict[str, Any]) -> dict[str, int]:
    functions = result.get("functions", [])
    return {"hot": len(functions), "reachable": sum(f["reachable"] for f in functions),
            "improved": sum(f["improved"] for f in functions),
            "wrong": sum(bool(f.get("wrong")) for f in functions)}


def ratio(measured: dict[str, Any] | None, kind: str = "wall") -> str:
    if not measured:
        return "-"
    found = measured["ratio"][kind]
    return f"{found['estimate']:.2f}× ({found['low']:.2f}–{found['high']:.2f})"


def identical(result: dict[str, Any]) -> str:
    measured = result.get("compare")
    return "-" if not measured else "yes" if measured["output"]["identical"] else "NO"


def print_package(result: dict[str, Any]) -> None:
    print(f"\n{result['package']} {result['version']} ({result['what']}): "
          f"`{' '.join(result['command'])}`, {result['elapsed_s']:.0f} s in all")
    trace = result.get("trace")
    if trace:
        print(f"  traced: {trace['wall_s']:.2f} s, exit {trace['exit_code']}"
              + (f"; not instrumented: {len(trace['uninstrumented'])}"
                 if trace["uninstrumented"] else ""))
    for function in result.get("functions", []):
        flag = "WRONG " if function.get("wrong") else ""
        detail = re.sub(r"^no inputs for `[^`]*` \(", "", function["detail"])
        refused = "" if function["reachable"] else f" ({detail[:110]})"
        print(f"  {function['share']:6.1%}  {function['qualname']:<40} "
              f"{'reachable' if function['reachable'] else 'REFUSED  '}  {flag}{function['why']}"
              f"{refused}")
    if result.get("error"):
        print(f"  !! {result['error']}")
    measured = result.get("compare")
    if measured:
        print(f"  predicted saving {result['optimize']['saves']:.1%}; measured wall "
              f"{ratio(measured)}, cpu {ratio(measured, 'cpu')}; medians "
              f"{measured['before']['median_wall_s']:.2f} s → "
              f"{measured['after']['median_wall_s']:.2f} s; output identical: "
              f"{identical(result)}; load {measured['load'][0]:.1f}, {measured['load'][1]:.1f}")
        for difference in measured["output"]["differences"][:3]:
            print(f"  !! {difference['stream']} line {difference['line']}: before "
                  f"{difference['before']!r}, after {difference['after']!r}")


def table(results: list[dict[str, Any]]) -> list[str]:
    lines = [f"{'package':<15}{'hot':>4}{'reach':>6}{'impr':>5}{'wrong':>6}  "
             f"{'predicted':>9}  {'wall ratio (95 %)':<20}{'cpu ratio (95 %)':<20}same"]
    total = {"hot": 0, "reachable": 0, "improved": 0, "wrong": 0}
    for result in results:
        found = counts(result)
        total = {k: total[k] + found[k] for k in total}
        predicted = f"{result['optimize']['saves']:.1%}" if "optimize" in result else "-"
        lines.append(f"{result['package']:<15}{found['hot']:>4}{found['reachable']:>6}"
                     f"{found['improved']:>5}{found['wrong']:>6}  {predicted:>9}  "
                     f"{ratio(result.get('compare')):<20}"
                     f"{ratio(result.get('compare'), 'cpu'):<20}{identical(result)}"
                     + ("  (error)" if result.get("error") else "")
                     + ("  (nothing written: A/A)" if result.get("compare")
                        and not found["improved"] else ""))
    share = total["improved"] / total["hot"] if total["hot"] else 0.0
    faster = sum(1 for r in results if r.get("compare") and r["compare"]["output"]["identical"]
                 and r["compare"]["ratio"]["wall"]["low"] > 1.0 and counts(r)["improved"])
    lines.append(f"{'total':<15}{total['hot']:>4}{total['reachable']:>6}{total['improved']:>5}"
                 f"{total['wrong']:>6}")
    reach = total["reachable"] / total["hot"] if total["hot"] else 0.0
    lines.append(f"reachable {reach:.0%}, improved {share:.0%} of the hot functions (goal: "
                 f"improved ≥ 33 %, wrong 0); {faster} of "
                 f"{len(results)} workloads faster end to end with identical output (an edit "
                 f"written, wall interval above 1.00)")
    return lines


def diff(before_file: str, after_file: str) -> None:
    """Two saved runs side by side, package by package and function by function."""
    before, after = (json.loads(Path(f).read_text(encoding="utf-8")) for f in
                     (before_file, after_file))
    print(f"before: lesson_lsp {before['lesson_lsp']['commit']} ({before['lesson_lsp']['path']})"
          f"\nafter:  lesson_lsp {after['lesson_lsp']['commit']} ({after['lesson_lsp']['path']})")
    old = {r["package"]: r for r in before["packages"]}
    names = [r["package"] for r in after["packages"]]
    after["packages"] += [{"package": n} for n in old if n not in names]
    print(f"\n{'package':<15}{'reach':>12}{'improved':>12}{'wrong':>8}  "
          f"{'wall ratio before → after':<44}same")
    for result in after["packages"]:
        previous = old.get(result["package"], {"package": result["package"]})
        a, b = counts(previous), counts(result)
        print(f"{result['package']:<15}{a['reachable']:>5} → {b['reachable']:<4}"
              f"{a['improved']:>5} → {b['improved']:<4}{a['wrong']:>3} → {b['wrong']:<2}  "
              f"{ratio(previous.get('compare')):>20} → {ratio(result.get('compare')):<20}"
              f"{identical(previous)} → {identical(result)}")
    for result in after["packages"]:
        was = {(f["path"], f["qualname"]): f for f in old.get(result["package"], {})
               .get("functions", [])}
        print(f"\n{result['package']}:" + (f" {result['error']}" if result.get("error") else ""))
        for function in result.get("functions", []):
            earlier = was.pop((function["path"], function["qualname"]), None)
            print(f"  {function['share']:6.1%}  {function['qualname']:<44} "
                  f"{earlier['why'][:40] if earlier else '(not hot before)':<42} → "
                  f"{function['why'][:60]}")
        for function in was.values():
            print(f"  {function['share']:6.1%}  {function['qualname']:<44} "
                  f"{function['why'][:40]:<42} → (not hot after)")
    for name, run in (("before", before), ("after", after)):
        print(f"\n{name}:")
        print("\n".join(table([r for r in run["packages"] if "version" in r])))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages-from", metavar="DIR",
                        help="the `pip install --target` folder (default: sys.path)")
    parser.add_argument("--only", help="comma-separated import names (default: all ten)")
    parser.add_argument("--runs", type=int, default=5, help="compare's runs per side (5)")
    parser.add_argument("--hot", type=int, default=5, help="optimize --hot N (5)")
    parser.add_argument("--rounds", type=int, help="optimize --rounds (default: lesson-lsp's)")
    parser.add_argument("--scale", type=float, default=1.0, help="the workloads' size factor")
    parser.add_argument("--smoke", action="store_true", help="--runs 2 --hot 1 --scale 0.2")
    parser.add_argument("--corpus", metavar="DIR",
                        help="only trace, and write DIR/<package>.json: the 10 hottest functions")
    parser.add_argument("--json", metavar="FILE", help="save every result here")
    parser.add_argument("--keep", action="store_true", help="keep the temp projects")
    parser.add_argument("--diff", nargs=2, metavar=("BEFORE", "AFTER"),
                        help="print two saved --json runs side by side, and run nothing")
    args = parser.parse_args()
    if args.diff:
        diff(*args.diff)
        return
    if args.smoke:
        args.runs, args.hot, args.scale = 2, 1, 0.2
    version = lesson_lsp_version()
    os.environ["PYTHONPATH"] = os.pathsep.join(filter(None, [str(Path(version["path"]).parent),
                                                             os.environ.get("PYTHONPATH")]))
    wanted = args.only.split(",") if args.only else [p.name for p in PACKAGES]
    unknown = set(wanted) - {p.name for p in PACKAGES}
    if unknown:
        sys.exit(f"unknown packages: {', '.join(sorted(unknown))} (known: "
                 f"{', '.join(p.name for p in PACKAGES)})")
    chosen = [p for p in PACKAGES if p.name in wanted]
    work = Path(tempfile.mkdtemp(prefix="real-workloads-"))
    os.environ["LESSON_LSP_CACHE_DIR"] = str(work / "cache")
    print(f"lesson_lsp at {version['path']} ({version['commit']}); runs {args.runs}, hot "
          f"{args.hot}, scale {args.scale}", flush=True)
    started = time.monotonic()
    saved: dict[str, Any] = {"lesson_lsp": version, "args": vars(args), "packages": []}
    try:
        for package in chosen:
            result = run_package(package, work, args)
            result["counts"] = counts(result)
            saved["packages"].append(result)
            if args.corpus:
                folder = Path(args.corpus)
                folder.mkdir(parents=True, exist_ok=True)
                (folder / f"{package.name}.json").write_text(
                    json.dumps(result.get("trace", {}).get("top", []), indent=1),
                    encoding="utf-8")
                print(f"{package.name}: {len(result.get('trace', {}).get('top', []))} hot "
                      f"functions → {folder / (package.name + '.json')}"
                      + (f" ({result['error']})" if result["error"] else ""), flush=True)
            else:
                print_package(result)
            saved["wall_s"] = time.monotonic() - started
            if args.json:  # after every package, so that an interrupted run keeps its part
                Path(args.json).write_text(json.dumps(saved, indent=1), encoding="utf-8")
    finally:
        if args.keep:
            print(f"\nprojects kept in {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    if not args.corpus:
        print(f"\nlesson_lsp at {version['path']} ({version['commit']}); {len(chosen)} packages "
              f"in {saved.get('wall_s', 0) / 60:.1f} min\n")
        print("\n".join(table(saved["packages"])))


if __name__ == "__main__":
    main()
