"""Does the tracer's instrumenter handle all the code people write? Two checks, broad ones.

1. Compile: every module of the standard library and of real PyPI packages, compiled with the
   recording prologue (`tracing/rewrite.compile_recording`) as `lesson-lsp trace` compiles the
   project's modules. Per source: modules, those that are Python for this interpreter (plain
   `compile` accepts them), those instrumented, those that fell back to running as written
   (`compile_or_plain`: the trace reports them) and why, the functions given a prologue, and
   that the instrumented code keeps every function where it was (same qualnames, first lines,
   arguments and locals as the plain compile: what frames, tracebacks and `inspect` see).
2. Suites (`--suites`): real packages' own test suites, from their sdists, run plainly and
   under `lesson-lsp trace` (the package's source is the project, installed editable): the
   same exit status, the same counts (passed, failed, skipped, xfailed, xpassed, errors) and
   the same failing tests.

It installs what it checks: the packages into a temp folder (`pip install --target`), or
`--packages-from DIR` (a folder such an install made); for `--suites` a temp virtualenv with
pytest, each sdist (`pip download --no-binary`) installed editable into it.

    python benchmarks/instrument_sweep.py                    # stdlib + 12 packages, compiled
    python benchmarks/instrument_sweep.py --suites           # and 8 packages' test suites
    python benchmarks/instrument_sweep.py --no-stdlib --packages networkx==3.4.2 --json out.json

Not a timing benchmark; the suites take a few minutes (two cores).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import sysconfig
import tarfile
import tempfile
import time
import warnings
import zipfile
from dataclasses import asdict, dataclass, field
from importlib import metadata
from pathlib import Path
from typing import Any

CHECKOUT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(CHECKOUT))

from lesson_lsp.tracing import rewrite  # noqa: E402

PACKAGES = ("networkx==3.4.2", "Markdown==3.7", "sqlparse==0.5.3", "tabulate==0.9.0",
            "Jinja2==3.1.6", "pyparsing==3.2.3", "docutils==0.21.2", "Pygments==2.19.1",
            "attrs==25.3.0", "more-itertools==10.7.0", "click==8.1.8", "idna==3.10")


@dataclass(frozen=True)
class Suite:
    """A package whose own tests are run plainly and traced."""

    requirement: str  # name==version, its sdist
    tests: tuple[str, ...]  # the runner's arguments, from the sdist's folder
    deps: tuple[str, ...] = ()  # what its tests need beyond pytest
    runner: str = "pytest"  # or "unittest": `python -m unittest ARGS`, as the package runs them


SUITES = (
    Suite("Markdown==3.7", ("discover", "tests"), ("PyYAML",), "unittest"),
    Suite("sqlparse==0.5.3", ("tests",)),
    Suite("tabulate==0.9.0", ("test",), ("wcwidth",)),
    Suite("idna==3.10", ("tests",)),
    Suite("more-itertools==10.7.0", ("tests",)),
    Suite("Jinja2==3.1.6", ("tests",), ("MarkupSafe", "trio")),
    Suite("click==8.1.8", ("tests",)),
    Suite("networkx==3.4.2", ("networkx/classes", "networkx/algorithms/shortest_paths",
                              "networkx/algorithms/components", "networkx/generators")),
)
COUNTED = ("passed", "failed", "skipped", "xfailed", "xpassed", "error", "errors")


@dataclass
class Tally:
    """One source's modules (the standard library, or one package)."""

    name: str
    modules: int = 0
    python: int = 0  # plain compile accepts them (not Python 2, not a syntax-error test)
    instrumented: int = 0
    fell_back: list[dict[str, str]] = field(default_factory=list)
    functions: int = 0  # given a prologue
    moved: list[str] = field(default_factory=list)  # functions whose place or locals changed
    seconds: float = 0.0


class _Slots:
    """The tracer's registry, as far as compiling needs it: a slot per function, the reasons
    a module ran as written."""

    def __init__(self, into: list[str]) -> None:
        self.into = into

    def slot(self, file: str, qualname: str, line: int, nesting: bool) -> int:
        self.into.append(qualname)
        return len(self.into) - 1

    def skip(self, file: str, why: str) -> None:
        self.into.append(why)


def _codes(code: Any) -> dict[tuple[str, int], tuple[Any, ...]]:
    """Every function's code in a module's: (qualname, first line) → what frames show of it."""
    found: dict[tuple[str, int], tuple[Any, ...]] = {}
    stack = [code]
    while stack:
        current = stack.pop()
        name = getattr(current, "co_qualname", current.co_name)
        found[(name, current.co_firstlineno)] = (
            current.co_argcount, current.co_posonlyargcount, current.co_kwonlyargcount,
            current.co_varnames, current.co_cellvars, current.co_freevars,
            current.co_flags & 0x1FF)
        stack.extend(c for c in current.co_consts if hasattr(c, "co_code"))
    return found


def sweep(name: str, files: list[Path]) -> Tally:
    with warnings.catch_warnings():  # a test module's `1 is 1` is not ours to report
        warnings.simplefilter("ignore")
        return _sweep(name, files)


def _sweep(name: str, files: list[Path]) -> Tally:
    tally = Tally(name)
    started = time.perf_counter()
    for path in files:
        tally.modules += 1
        try:
            source = path.read_bytes()
            plain = compile(source, str(path), "exec", dont_inherit=True)
        except (SyntaxError, ValueError, RecursionError, MemoryError, OSError):
            continue  # not Python for this interpreter: the tracer leaves that to Python
        tally.python += 1
        slots: list[str] = []
        skipped: list[str] = []
        code = rewrite.compile_or_plain(source, str(path), _Slots(slots).slot,
                                        _Slots(skipped).skip)
        if skipped:
            tally.fell_back.append({"path": str(path), "why": skipped[0]})
            continue
        tally.instrumented += 1
        tally.functions += len(slots)
        before, after = _codes(plain), _codes(code)
        if before != after:
            changed = sorted(set(before.items()) ^ set(after.items()), key=str)[:3]
            tally.moved.append(f"{path}: {changed}")
    tally.seconds = time.perf_counter() - started
    return tally


def stdlib_files() -> list[Path]:
    root = Path(sysconfig.get_paths()["stdlib"])
    return sorted(p for p in root.rglob("*.py")
                  if "site-packages" not in p.parts and "dist-packages" not in p.parts)


def install(requirements: list[str], folder: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-compile",
                           "--target", str(folder), *requirements],
                          capture_output=True, text=True)
    if done.returncode != 0:
        sys.exit(f"pip install failed:\n{done.stderr[-3000:]}")


def package_files(folder: Path) -> dict[str, list[Path]]:
    """Each distribution installed in the folder: its .py files, from its RECORD."""
    found: dict[str, list[Path]] = {}
    for dist in metadata.distributions(path=[str(folder)]):
        name = f"{dist.metadata['Name']}=={dist.version}"
        files = [Path(str(dist.locate_file(f))) for f in dist.files or []
                 if str(f).endswith(".py")]
        found[name] = sorted(p for p in files if p.is_file())
    return found


def compile_part(args: argparse.Namespace, work: Path) -> list[Tally]:
    tallies = []
    if not args.no_stdlib:
        tallies.append(sweep(f"stdlib {sys.version.split()[0]}", stdlib_files()))
        _show(tallies[-1])
    folder = Path(args.packages_from) if args.packages_from else work / "packages"
    if not args.packages_from:
        install(list(args.packages), folder)
    wanted = {re.split(r"[=<>~ ]", r)[0].lower().replace("_", "-") for r in args.packages}
    for name, files in sorted(package_files(folder).items(), key=lambda x: x[0].lower()):
        if name.split("==")[0].lower().replace("_", "-") not in wanted and not args.all_found:
            continue
        tallies.append(sweep(name, files))
        _show(tallies[-1])
    return tallies


def _show(tally: Tally) -> None:
    print(f"{tally.name:<28} {tally.modules:>6} modules, {tally.python:>6} Python, "
          f"{tally.instrumented:>6} instrumented, {len(tally.fell_back):>3} ran as written, "
          f"{tally.functions:>7} functions, {len(tally.moved)} moved  ({tally.seconds:.1f} s)",
          flush=True)
    for entry in tally.fell_back[:5]:
        print(f"    as written: {entry['path']}: {entry['why'][:120]}")
    for moved in tally.moved[:5]:
        print(f"    MOVED: {moved[:300]}")


# ------------------------------------------------------------------------------------- suites


def _run(command: list[str], cwd: Path, env: dict[str, str] | None = None,
         timeout: float = 3600) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True,
                          timeout=timeout)


def _sdist(requirement: str, work: Path) -> Path:
    """The requirement's sdist, unpacked: its folder."""
    downloads = work / "sdists"
    downloads.mkdir(exist_ok=True)
    done = _run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                 "--no-binary", ":all:", "--dest", str(downloads), requirement], work)
    if done.returncode != 0:
        sys.exit(f"pip download {requirement}:\n{done.stderr[-3000:]}")
    name = re.split(r"[=<>~ ]", requirement)[0].lower().replace("-", "_")
    archive = next(p for p in downloads.iterdir()
                   if p.name.lower().replace("-", "_").startswith(name + "_"))
    target = work / "src"
    target.mkdir(exist_ok=True)
    if archive.suffix == ".zip":
        with zipfile.ZipFile(archive) as handle:
            handle.extractall(target)
    else:
        with tarfile.open(archive) as handle:
            handle.extractall(target, filter="data")
    stem = archive.name[:-len(".tar.gz")] if archive.name.endswith(".tar.gz") else archive.stem
    return target / stem


def _counts(output: str) -> dict[str, int]:
    """pytest's closing line: {"passed": 10, "skipped": 2, ...}."""
    lines = [line for line in output.splitlines() if re.search(r"\d+ (passed|failed|error)",
                                                                line)]
    counts: dict[str, int] = {}
    for number, word in re.findall(r"(\d+) (\w+)", lines[-1] if lines else ""):
        if word in COUNTED:
            counts["errors" if word == "error" else word] = int(number)
    return counts


def _failing(output: str) -> list[str]:
    return sorted(line.split(" - ")[0] for line in output.splitlines()
                  if line.startswith(("FAILED ", "ERROR ", "FAIL: ")))


def _unittest_counts(output: str) -> dict[str, int]:
    """unittest's closing lines: `Ran 1090 tests`, `OK (skipped=3)` or `FAILED (errors=1)`."""
    ran = re.findall(r"^Ran (\d+) tests?", output, re.M)
    if not ran:
        return {}
    counts = {"ran": int(ran[-1])}
    ending = re.findall(r"^(?:OK|FAILED)(?: \((.*)\))?$", output, re.M)
    for part in (ending[-1] if ending else "").split(", "):
        if "=" in part:
            word, number = part.split("=")
            counts[word.strip()] = int(number)
    return counts


def suite_part(args: argparse.Namespace, work: Path) -> list[dict[str, Any]]:
    venv = work / "suite-venv"
    _run([sys.executable, "-m", "venv", str(venv)], work)
    python = str(venv / "bin" / "python")
    deps = sorted({d for s in SUITES for d in s.deps})
    done = _run([python, "-m", "pip", "install", "--quiet", "pytest==8.3.5", *deps], work)
    if done.returncode != 0:
        sys.exit(f"pip install pytest: {done.stderr[-2000:]}")
    results = []
    for suite in SUITES:
        folder = _sdist(suite.requirement, work)
        done = _run([python, "-m", "pip", "install", "--quiet", "--no-deps", "-e", str(folder)],
                    work)
        if done.returncode != 0:
            print(f"{suite.requirement}: editable install failed; skipped\n{done.stderr[-800:]}")
            continue
        env = {k: v for k, v in os.environ.items() if k not in ("VIRTUAL_ENV", "PYTHONPATH")}
        env["PATH"] = f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}"
        env["LESSON_LSP_CACHE_DIR"] = str(work / "cache")
        if suite.runner == "unittest":
            command = ["python", "-m", "unittest", *suite.tests]
            plain_command = [python, *command[1:]]
        else:
            command = ["pytest", "-q", "-rfE", "-p", "no:cacheprovider", *suite.tests]
            plain_command = [str(venv / "bin" / "pytest"), *command[1:]]
        started = time.perf_counter()
        plain = _run(plain_command, folder, env)
        plain_s = time.perf_counter() - started
        started = time.perf_counter()
        traced = _run([sys.executable, "-m", "lesson_lsp.cli", "trace", "--json", "--timeout",
                       "3000", "--python", python, "--", *command], folder,
                      {**env, "PYTHONPATH": str(CHECKOUT)})
        traced_s = time.perf_counter() - started
        try:
            trace = json.loads(traced.stdout)
        except ValueError:
            trace = {}
        # With --json the workload's own output went to stderr.
        plain_out = plain.stdout + plain.stderr
        counts = _unittest_counts if suite.runner == "unittest" else _counts
        result: dict[str, Any] = {
            "suite": suite.requirement, "command": " ".join(command),
            "plain": {"exit": plain.returncode, "counts": counts(plain_out),
                      "failing": _failing(plain_out), "seconds": round(plain_s, 1)},
            "traced": {"exit": traced.returncode, "counts": counts(traced.stderr),
                       "failing": _failing(traced.stderr), "seconds": round(traced_s, 1),
                       "functions": len(trace.get("functions", [])),
                       "calls": sum(f["calls"] for f in trace.get("functions", [])),
                       "uninstrumented": trace.get("uninstrumented", [])},
        }
        same = all(result["plain"][k] == result["traced"][k] for k in ("exit", "counts",
                                                                         "failing"))
        result["same"] = same and bool(result["plain"]["counts"])
        results.append(result)
        print(f"{suite.requirement:<24} plain: exit {plain.returncode} "
              f"{result['plain']['counts']} ({plain_s:.0f} s) | traced: exit "
              f"{traced.returncode} {result['traced']['counts']} ({traced_s:.0f} s, "
              f"{result['traced']['functions']} functions, {result['traced']['calls']:,} "
              f"calls) | {'SAME' if result['same'] else 'DIFFERENT'}", flush=True)
        if not result["same"]:
            print("    plain:", plain_out[-1500:], "\n    traced:", traced.stderr[-1500:])
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--packages", nargs="*", default=list(PACKAGES))
    parser.add_argument("--packages-from", metavar="DIR",
                        help="a folder the packages are installed in (pip install --target)")
    parser.add_argument("--all-found", action="store_true",
                        help="with --packages-from: every distribution there, dependencies too")
    parser.add_argument("--no-stdlib", action="store_true")
    parser.add_argument("--suites", action="store_true", help="also run the test suites")
    parser.add_argument("--suites-only", action="store_true")
    parser.add_argument("--json", metavar="FILE")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="instrument-sweep-"))
    report: dict[str, Any] = {"python": sys.version.split()[0]}
    try:
        if not args.suites_only:
            tallies = compile_part(args, work)
            report["compile"] = [asdict(t) for t in tallies]
            total = Tally("all")
            for t in tallies:
                total.modules += t.modules
                total.python += t.python
                total.instrumented += t.instrumented
                total.functions += t.functions
                total.fell_back += t.fell_back
                total.moved += t.moved
            print(f"\nall: {total.modules} modules, {total.python} Python for "
                  f"{report['python']}, {total.instrumented} instrumented, "
                  f"{len(total.fell_back)} ran as written, {total.functions} functions, "
                  f"{len(total.moved)} moved")
        if args.suites or args.suites_only:
            print()
            report["suites"] = suite_part(args, work)
            same = sum(r["same"] for r in report["suites"])
            print(f"\nsuites: {same} of {len(report['suites'])} give the same results traced")
    finally:
        shutil.rmtree(work, ignore_errors=True)
    if args.json:
        Path(args.json).write_text(json.dumps(report, indent=1), encoding="utf-8")


if __name__ == "__main__":
    main()
