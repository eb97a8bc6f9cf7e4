"""`lesson-lsp optimize --json --apply`, with no configuration, on functions of real PyPI packages.

For each package of the table below: download its pinned sdist (`pip download`, cached in the
work folder, so a rerun does not download again), unpack a fresh copy into `WORK/<pkg>/src`,
make a virtualenv `WORK/<pkg>/venv` (no system site-packages) with the package installed
editable (`pip install -e .`) and its pinned test requirements, and run its test suite once as
the baseline (it must pass: tests that fail on this machine are deselected in the table).

Then, one function at a time (never in parallel), run
`lesson-lsp optimize FILE::QUALNAME --json --apply [--python WORK/<pkg>/venv/bin/python]` in the
project root with lesson-lsp's interpreter (the one running this script), and record:

- reachable: the run exited 0 and its JSON says `inputs` > 0 (inputs were found and the original
  ran); otherwise the first line of its stderr is the reason, grouped at the end;
- inputs, candidates (`len(candidates)`), improved;
- wrong: the package's own tests (`python -m pytest -q -x -p no:cacheprovider`, deselects as in
  the table) fail after the improved version was written, when they passed before;
- wall: the wall time of the `optimize` run, in seconds;
- left: files (and empty folders) in the project after the run that were not there before,
  `__pycache__`, `*.pyc` and `.pytest_cache` aside.

After each function the project is put back as it was (the file from a pristine copy, new
files removed), so every function starts from the same project. `kind` is read from the source:
function / method / classmethod / staticmethod, `gen` (a generator), `rel` (its module has a
relative import), `doctest` (its docstring has examples; otherwise only the tests call it).

`--python` is passed when this lesson-lsp's `optimize --help` offers it (`--no-pass-python`
turns that off); without it lesson-lsp runs the project with its own interpreter, where the
package is not installed. `VIRTUAL_ENV` is removed from lesson-lsp's environment so that only
`--python` picks the project's interpreter, and `LESSON_LSP_CACHE_DIR` points at a folder of the
work folder that is emptied at the start of every run (so no lesson or capture from an earlier
run is reused). The goal (the issue's): >= 90 % reachable, 0 wrong, nothing left behind, median
wall <= 15 s on 2 cores.

    python benchmarks/real_projects.py                        # everything (long)
    python benchmarks/real_projects.py --only semver,parse --limit 2
    python benchmarks/real_projects.py --setup-only           # downloads, venvs, baselines
    python benchmarks/real_projects.py --json results.json --work ~/lesson-bench
"""

from __future__ import annotations

import argparse
import ast
import hashlib
import json
import os
import platform
import re
import shutil
import signal
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from importlib.util import find_spec
from pathlib import Path
from typing import Any

# Test requirements, pinned so that a baseline means the same thing on every machine.
PYTEST = "pytest==9.2.0"
PYTEST_COV = "pytest-cov==7.1.0"  # for packages whose pytest addopts say --cov
HYPOTHESIS = "hypothesis==6.170.17"


@dataclass(frozen=True)
class Package:
    name: str  # the distribution's name on the package index
    version: str
    test_requires: tuple[str, ...]
    targets: tuple[str, ...]  # FILE::QUALNAME, FILE relative to the project root
    pytest_args: tuple[str, ...] = ()
    deselect: tuple[str, ...] = ()  # node ids that fail on this machine before any change


# Why these: pure Python, the sdist holds the whole test suite, it passes with pytest alone (+
# pytest-cov where the addopts ask for it, + hypothesis for idna), no runtime dependencies,
# suites of 0.3-9 s. Layouts: src/ (cachetools, semver, isodate, webcolors), flat packages
# (tabulate, pathspec, sqlparse, idna, parse); relative imports in cachetools, semver,
# tabulate, pathspec, webcolors, idna; none in parse, isodate, sqlparse. Every target is called
# by the package's tests (checked with a profiler over the suite) and loops, builds strings or
# lists. Left out after trying: packaging (its suite takes 33 s), pyparsing (50 s), markdown
# (its unittest suite does not collect under pytest), jmespath (the sdist lacks
# tests/__init__.py), natsort (needs a locale this machine lacks), wcwidth, python-dateutil.
PACKAGES: tuple[Package, ...] = (
    Package("cachetools", "8.0.2", (PYTEST,), (
        "src/cachetools/__init__.py::TTLCache.expire",
        "src/cachetools/keys.py::typedkey",
        "src/cachetools/__init__.py::TTLCache.__iter__",
        "src/cachetools/__init__.py::Cache.__setitem__",
        "src/cachetools/__init__.py::TLRUCache.expire",
    )),
    Package("semver", "3.1.2", (PYTEST, PYTEST_COV), (
        "src/semver/version.py::Version._nat_cmp",
        "src/semver/version.py::Version.next_version",
        "src/semver/version.py::Version.__iter__",
        "src/semver/version.py::Version._increment_string",
        "src/semver/version.py::Version.parse",
        "src/semver/version.py::Version._validate_identifiers",
    )),
    Package("parse", "1.22.4", (PYTEST, PYTEST_COV), (
        "parse/__init__.py::extract_format",
        "parse/__init__.py::Parser.evaluate_result",
        "parse/__init__.py::strf_date_convert",
        "parse/__init__.py::Parser._expand_named_fields",
        "parse/__init__.py::Parser._to_group_name",
    )),
    Package("isodate", "0.7.2", (PYTEST,), (
        "src/isodate/isoduration.py::parse_duration",
        "src/isodate/duration.py::Duration.__add__",
        "src/isodate/isostrf.py::_strfdt",
        "src/isodate/duration.py::fquotmod",
        "src/isodate/isoduration.py::duration_isoformat",
    )),
    Package("tabulate", "0.10.0", (PYTEST,), (
        "tabulate/__init__.py::_align_column",
        "tabulate/__init__.py::_column_type",
        "tabulate/__init__.py::_CustomTextWrap._handle_long_word",
        "tabulate/__init__.py::_pad_row",
        "tabulate/__init__.py::_wrap_text_to_colwidths",
        "tabulate/__init__.py::_remove_separating_lines",
        "tabulate/__init__.py::_normalize_tabular_data",
        "tabulate/__init__.py::_align_header",
    )),
    Package("pathspec", "1.1.1", (PYTEST,), (
        "pathspec/util.py::normalize_file",
        "pathspec/pathspec.py::PathSpec.match_files",
        "pathspec/pathspec.py::PathSpec.from_lines",
        "pathspec/patterns/gitignore/base.py::_GitIgnoreBasePattern.escape",
        "pathspec/util.py::check_match_file",
        "pathspec/patterns/gitignore/spec.py::GitIgnoreSpecPattern.__normalize_segments",
        "pathspec/patterns/gitignore/base.py::_GitIgnoreBasePattern._translate_segment_glob",
    )),
    Package("webcolors", "25.10.0", (PYTEST,), (
        "src/webcolors/_normalization.py::normalize_hex",
        "src/webcolors/_html5.py::html5_parse_legacy_color",
        "src/webcolors/_conversion.py::rgb_to_rgb_percent",
        "src/webcolors/_normalization.py::normalize_integer_triplet",
        "src/webcolors/_html5.py::html5_parse_simple_color",
    )),
    Package("sqlparse", "0.6.1", (PYTEST,), (
        "sqlparse/utils.py::split_unquoted_newlines",
        "sqlparse/sql.py::TokenList.flatten",
        "sqlparse/filters/others.py::StripCommentsFilter._process",
        "sqlparse/sql.py::Token.match",
        "sqlparse/keywords.py::find_delimited_spans",
        "sqlparse/lexer.py::Lexer.get_tokens",
        "sqlparse/utils.py::imt",
        "sqlparse/engine/statement_splitter.py::StatementSplitter.process",
        "sqlparse/sql.py::TokenList._get_first_name",
        "sqlparse/filters/reindent.py::ReindentFilter._process_identifierlist",
        "sqlparse/filters/reindent.py::ReindentFilter._process_case",
        "sqlparse/filters/aligned_indent.py::AlignedIndentFilter._process_identifierlist",
    )),
    Package("idna", "3.20", (PYTEST, HYPOTHESIS), (
        "idna/core.py::check_bidi",
        "idna/intranges.py::intranges_from_list",
        "idna/core.py::uts46_remap",
        "idna/core.py::valid_contexto",
    )),
)

IGNORED_PARTS = {"__pycache__", ".pytest_cache"}
# `lesson-lsp` as its console script runs it, with this interpreter: `python -m` would put the
# project root first on lesson-lsp's own sys.path (idna's root holds an `idna/` that lesson-lsp's
# HTTP stack imports), so the launcher drops that entry before importing anything.
LESSON_LSP = [sys.executable, "-c",
              "import sys\nif sys.path[:1] == ['']: del sys.path[0]\n"
              "from lesson_lsp.cli import main\nsys.exit(main())"]
SUMMARY = re.compile(r"(\d+) (passed|failed|errors?|skipped|xfailed|xpassed|deselected)\b")


class BenchError(Exception):
    """Setup could not be done; the message says why."""


@dataclass
class Done:
    returncode: int
    stdout: str
    stderr: str
    seconds: float
    timed_out: bool = False


@dataclass
class TestRun:
    ok: bool
    counts: dict[str, int]
    seconds: float
    failures: list[str]
    tail: str


@dataclass
class Project:
    package: Package
    root: Path  # WORK/<pkg>/src
    pristine: Path  # WORK/<pkg>/pristine: the sdist as unpacked, never touched
    python: Path  # WORK/<pkg>/venv/bin/python
    logs: Path
    coverage_file: Path
    baseline: TestRun | None = None
    setup_s: dict[str, float] = field(default_factory=dict)
    state: dict[str, tuple[int, int]] = field(default_factory=dict)


@dataclass
class Result:
    package: str
    target: str
    kind: str
    reachable: bool = False
    reason: str = ""
    inputs: int = 0
    inputs_from: str = ""
    candidates: int = 0
    improved: bool = False
    applied: bool = False
    speedup: float | None = None
    wrong: bool = False
    wrong_detail: str = ""
    wall_s: float = 0.0
    left: list[str] = field(default_factory=list)
    touched: list[str] = field(default_factory=list)  # other files changed in place
    returncode: int | None = None
    interpreter: str = ""
    skipped: str = ""  # set when the function was not run (its package's baseline failed)


# --- processes ---------------------------------------------------------------------------------

def run(argv: Sequence[str | Path], cwd: Path | None = None, env: dict[str, str] | None = None,
        timeout: float | None = None) -> Done:
    """Run a command to its end (its whole process group is killed on timeout)."""
    started = time.perf_counter()
    with subprocess.Popen([str(a) for a in argv], cwd=cwd, env=env, stdin=subprocess.DEVNULL,
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                          errors="replace", start_new_session=True) as proc:
        try:
            out, err = proc.communicate(timeout=timeout)
            timed_out = False
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            out, err = proc.communicate()
            timed_out = True
        return Done(proc.returncode, out, err, time.perf_counter() - started, timed_out)


def checked(argv: Sequence[str | Path], what: str, log: Path, **kwargs: Any) -> Done:
    done = run(argv, **kwargs)
    log.write_text(f"$ {' '.join(map(str, argv))}\n{done.stdout}\n{done.stderr}",
                   encoding="utf-8")
    if done.returncode != 0:
        tail = (done.stderr.strip() or done.stdout.strip()).splitlines()[-5:]
        raise BenchError(f"{what} failed (see {log}):\n    " + "\n    ".join(tail))
    return done


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without the variables that would pick another Python or site."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("VIRTUAL_ENV", "PYTHONPATH", "PYTHONHOME", "PYTHONSTARTUP",
                        "PIP_REQUIRE_VIRTUALENV", "__PYVENV_LAUNCHER__")}
    env.update(extra)
    return env


def venv_python(venv: Path) -> Path:
    return venv / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


# --- setup ---------------------------------------------------------------------------------------

def download(package: Package, work: Path) -> tuple[Path, float]:
    """The pinned sdist, downloaded once into WORK/sdists/<name>-<version>/."""
    folder = work / "sdists" / f"{package.name}-{package.version}"
    found = sorted(p for p in folder.glob("*") if p.name.endswith((".tar.gz", ".zip")))
    if found:
        return found[0], 0.0
    folder.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    checked([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary", package.name,
             "--dest", folder, f"{package.name}=={package.version}"],
            f"pip download {package.name}=={package.version}", folder / "download.log",
            env=clean_env(), timeout=600)
    found = sorted(p for p in folder.glob("*") if p.name.endswith((".tar.gz", ".zip")))
    if not found:
        raise BenchError(f"pip download {package.name}=={package.version} gave no sdist")
    return found[0], time.perf_counter() - started


def unpack(archive: Path, dest: Path) -> None:
    """The sdist's single top folder becomes `dest` (replaced if it exists)."""
    if dest.exists():
        shutil.rmtree(dest)
    scratch = Path(tempfile.mkdtemp(prefix="unpack-", dir=dest.parent))
    try:
        if archive.name.endswith(".zip"):
            with zipfile.ZipFile(archive) as zf:
                zf.extractall(scratch)
        else:
            with tarfile.open(archive) as tf:
                if hasattr(tarfile, "data_filter"):
                    tf.extractall(scratch, filter="data")
                else:  # Python without extraction filters (< 3.10.12 / 3.11.4)
                    tf.extractall(scratch)  # a pinned sdist from the index
        tops = list(scratch.iterdir())
        if len(tops) != 1 or not tops[0].is_dir():
            raise BenchError(f"{archive.name}: not one top folder")
        tops[0].rename(dest)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def prepare(package: Package, work: Path) -> Project:
    """Fresh source, the venv (kept between runs while its requirements are the same), the
    editable install and the baseline test run."""
    base = work / package.name
    base.mkdir(parents=True, exist_ok=True)
    logs = base / "logs"
    if logs.exists():
        shutil.rmtree(logs)
    logs.mkdir()
    project = Project(package, base / "src", base / "pristine", venv_python(base / "venv"), logs,
                      base / "coverage.data")
    archive, project.setup_s["download"] = download(package, work)

    started = time.perf_counter()
    unpack(archive, project.pristine)
    unpack(archive, project.root)
    for target in package.targets:  # the table must name real functions
        kind_of(project.root, target)
    project.setup_s["unpack"] = time.perf_counter() - started

    started = time.perf_counter()
    venv = base / "venv"
    stamp = venv / "bench-stamp.json"
    wanted = json.dumps({"python": sys.version, "base": sys.base_prefix,
                         "requires": sorted(package.test_requires)}, sort_keys=True)
    if not (stamp.is_file() and stamp.read_text(encoding="utf-8") == wanted
            and project.python.exists()):
        if venv.exists():
            shutil.rmtree(venv)
        checked([sys.executable, "-m", "venv", venv], f"venv for {package.name}",
                logs / "venv.log", env=clean_env(), timeout=300)
        checked([project.python, "-m", "pip", "install", "-q", *package.test_requires],
                f"installing the test requirements of {package.name}",
                logs / "pip-test-requires.log", env=clean_env(), timeout=900)
        stamp.write_text(wanted, encoding="utf-8")
    project.setup_s["venv"] = time.perf_counter() - started

    started = time.perf_counter()
    checked([project.python, "-m", "pip", "install", "-q", "-e", "."],
            f"pip install -e {package.name}", logs / "pip-install.log", cwd=project.root,
            env=clean_env(), timeout=900)
    project.setup_s["install"] = time.perf_counter() - started

    project.state = scan(project.root)  # after the install: its egg-info belongs to the project
    project.baseline = run_tests(project, stop_at_first=False, log=logs / "baseline-tests.log")
    restore(project, None)
    project.setup_s["baseline tests"] = project.baseline.seconds
    return project


# --- the project's files ----------------------------------------------------------------------

def ignored(relative: str) -> bool:
    parts = relative.split("/")
    return any(p in IGNORED_PARTS for p in parts) or relative.endswith(".pyc")


def scan(root: Path) -> dict[str, tuple[int, int]]:
    """Every file (size, mtime) and folder (-1, -1; trailing /) under `root`, by relative path."""
    state: dict[str, tuple[int, int]] = {}
    for folder, dirs, files in os.walk(root):
        here = Path(folder)
        for name in dirs:
            state[(here / name).relative_to(root).as_posix() + "/"] = (-1, -1)
        for name in files:
            path = here / name
            try:
                info = path.lstat()
            except OSError:
                continue
            state[path.relative_to(root).as_posix()] = (info.st_size, info.st_mtime_ns)
    return state


def left_behind(before: dict[str, tuple[int, int]], after: dict[str, tuple[int, int]]
                ) -> list[str]:
    """New files, and new folders that hold no new file, cache folders aside."""
    new = [p for p in after if p not in before and not ignored(p)]
    files = [p for p in new if not p.endswith("/")]
    folders = [p for p in new if p.endswith("/") and not any(f.startswith(p) for f in new
                                                              if f != p)]
    return sorted(files + folders)


def restore(project: Project, target_file: str | None) -> list[str]:
    """Put the project back to its recorded state: new entries removed, changed files copied
    from the pristine sdist. Returns the changed files other than `target_file`."""
    now = scan(project.root)
    for relative in sorted((p for p in now if p not in project.state), key=len, reverse=True):
        path = project.root / relative.rstrip("/")
        if relative.endswith("/"):
            shutil.rmtree(path, ignore_errors=True)
        elif path.exists() or path.is_symlink():
            path.unlink()
    touched = []
    for relative, stat in project.state.items():
        if relative.endswith("/") or ignored(relative) or now.get(relative) == stat:
            continue
        source = project.pristine / relative
        destination = project.root / relative
        if not source.is_file():
            continue  # written by the install (egg-info), not by a run
        if relative != target_file:
            touched.append(relative)
        destination.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, destination)
    project.state = scan(project.root)
    return touched


# --- functions -----------------------------------------------------------------------------------

def _find(body: Iterable[ast.stmt], names: list[str], in_class: bool
          ) -> tuple[ast.FunctionDef | ast.AsyncFunctionDef, bool] | None:
    for node in body:
        if isinstance(node, ast.ClassDef) and node.name == names[0] and len(names) > 1:
            return _find(node.body, names[1:], True)
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.name == names[0]:
            if len(names) == 1:
                return node, in_class
            return _find(node.body, names[1:], False)
    return None


def _is_generator(fn: ast.FunctionDef | ast.AsyncFunctionDef) -> bool:
    stack: list[ast.AST] = list(fn.body)
    while stack:
        node = stack.pop()
        if isinstance(node, (ast.Yield, ast.YieldFrom)):
            return True
        if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda,
                                 ast.ClassDef)):
            stack.extend(ast.iter_child_nodes(node))
    return False


def kind_of(root: Path, target: str) -> str:
    file_part, qualname = target.rsplit("::", 1)
    path = root / file_part
    if not path.is_file():
        raise BenchError(f"{target}: no file {file_part} in the sdist")
    tree = ast.parse(path.read_bytes())
    found = _find(tree.body, qualname.split("."), False)
    if found is None:
        raise BenchError(f"{target}: no such function in {file_part}")
    fn, in_class = found
    decorators = {ast.unparse(d) for d in fn.decorator_list}
    tags = ["function"]
    if "classmethod" in decorators:
        tags = ["classmethod"]
    elif "staticmethod" in decorators:
        tags = ["staticmethod"]
    elif in_class:
        tags = ["method"]
    if _is_generator(fn):
        tags.append("gen")
    if any(isinstance(n, ast.ImportFrom) and n.level for n in ast.walk(tree)):
        tags.append("rel")
    if ">>>" in (ast.get_docstring(fn) or ""):
        tags.append("doctest")
    return ",".join(tags)


def run_tests(project: Project, stop_at_first: bool, log: Path) -> TestRun:
    argv: list[str | Path] = [project.python, "-m", "pytest", "-q", "-p", "no:cacheprovider",
                              "-rfE", *project.package.pytest_args]
    if stop_at_first:
        argv.append("-x")
    for node in project.package.deselect:
        argv += ["--deselect", node]
    done = run(argv, cwd=project.root, timeout=1800,
               env=clean_env(PY_COLORS="0", COVERAGE_FILE=str(project.coverage_file)))
    log.write_text(f"$ {' '.join(map(str, argv))}\n{done.stdout}\n{done.stderr}",
                   encoding="utf-8")
    lines = done.stdout.strip().splitlines()
    counts: dict[str, int] = {}
    for line in reversed(lines):
        if SUMMARY.search(line) and " in " in line:
            for number, word in SUMMARY.findall(line):
                counts["errors" if word.startswith("error") else word] = int(number)
            break
    failures = [line for line in lines if line.startswith(("FAILED ", "ERROR "))]
    tail = "\n".join((lines or done.stderr.strip().splitlines())[-3:])
    return TestRun(done.returncode == 0 and not done.timed_out, counts, done.seconds, failures,
                   tail)


def normalized_reason(text: str, target: str) -> str:
    """A reason without the function's own names, so that equal reasons group."""
    file_part, qualname = target.rsplit("::", 1)
    reason = text.removeprefix("lesson-lsp: ")
    for name in sorted({target, file_part, qualname, qualname.rsplit(".", 1)[-1]}, key=len,
                       reverse=True):
        reason = reason.replace(name, "<fn>")
    reason = re.sub(r"`[^`]*`", "`…`", reason)
    reason = re.sub(r"/\S+", "<path>", reason)
    reason = re.sub(r"\d+(?:\.\d+)?", "N", reason)
    return reason[:140]


def optimize_one(project: Project, target: str, work: Path, python_flag: bool, timeout: float,
                 index: int) -> Result:
    result = Result(project.package.name, target, kind_of(project.root, target))
    file_part = target.rsplit("::", 1)[0]
    argv: list[str | Path] = [*LESSON_LSP, "optimize", target, "--json", "--apply"]
    if python_flag:
        argv += ["--python", project.python]
    before = project.state
    env = clean_env(LESSON_LSP_CACHE_DIR=str(work / "lesson-cache"))
    if "PYTHONPATH" in os.environ:  # lesson-lsp's own environment, not the project's
        env["PYTHONPATH"] = os.environ["PYTHONPATH"]
    done = run(argv, cwd=project.root, timeout=timeout, env=env)
    result.wall_s = done.seconds
    result.returncode = None if done.timed_out else done.returncode
    log = project.logs / f"{index:02d}-{re.sub(r'[^A-Za-z0-9_.]+', '_', target)}"
    log.with_suffix(".out.json").write_text(done.stdout, encoding="utf-8")
    log.with_suffix(".err.txt").write_text(done.stderr, encoding="utf-8")
    result.left = left_behind(before, scan(project.root))
    payload: dict[str, Any] | None = None
    if done.timed_out:
        result.reason = f"timed out after {timeout:.0f} s"
    elif done.returncode != 0:
        lines = [line.strip() for line in done.stderr.splitlines() if line.strip()]
        if not lines:
            result.reason = f"exit code {done.returncode}, nothing on stderr"
        elif lines[0].startswith("Traceback"):  # a crash: its last line says what it was
            result.reason = f"crashed: {lines[-1]}"
        else:
            result.reason = lines[0]
    else:
        try:
            payload = json.loads(done.stdout)
        except ValueError:
            result.reason = f"exit code 0 but stdout is not JSON: {done.stdout[:80]!r}"
    if payload is not None:
        result.inputs = int(payload.get("inputs") or 0)
        result.inputs_from = str(payload.get("inputs_from") or "")
        result.candidates = len(payload.get("candidates") or [])
        result.improved = bool(payload.get("improved"))
        result.applied = bool(payload.get("applied"))
        result.speedup = payload.get("speedup")
        interpreter = payload.get("interpreter")
        if isinstance(interpreter, dict):
            result.interpreter = f"{interpreter.get('path')} ({interpreter.get('chosen_by')})"
        result.reachable = result.inputs > 0
        if not result.reachable:
            result.reason = "exit code 0 with no inputs"
    changed = (project.root / file_part).read_bytes() != (project.pristine / file_part).read_bytes()
    if changed and not result.applied:
        result.wrong, result.wrong_detail = True, "the file changed but the JSON says not applied"
    elif result.applied and changed:
        tests = run_tests(project, stop_at_first=True, log=log.with_suffix(".tests.txt"))
        if not tests.ok:
            result.wrong = True
            result.wrong_detail = (tests.failures[0] if tests.failures else tests.tail)[:300]
    result.touched = restore(project, file_part)
    return result


# --- report --------------------------------------------------------------------------------------

def median(values: Sequence[float]) -> float | None:
    return statistics.median(values) if values else None


def fmt(value: float | None, digits: int = 1) -> str:
    return "-" if value is None else f"{value:.{digits}f}"


def source_of(inputs_from: str) -> str:
    """A short name for where lesson-lsp found the inputs."""
    text = inputs_from.lower()
    for needle, short in (("doctest", "doctest"), ("captured", "tests"), ("test", "tests"),
                          ("type hint", "hints"), ("inputs]", "config"), ("--inputs", "cli")):
        if needle in text:
            return short
    return text.split(" ", 1)[0][:7] or "-"


def print_report(results: list[Result], projects: list[Project], notes: list[str]) -> None:
    ran = [r for r in results if not r.skipped]
    width = max([len(r.target) for r in results] + [20])
    kind_width = max([len(r.kind) for r in results] + [4])
    print()
    print(f"{'package':<11} {'function':<{width}} {'kind':<{kind_width}} reach inputs "
          "from    cands impr wrong  wall s left")
    for r in results:
        if r.skipped:
            print(f"{r.package:<11} {r.target:<{width}} {r.kind:<{kind_width}} "
                  f"skipped: {r.skipped}")
            continue
        print(f"{r.package:<11} {r.target:<{width}} {r.kind:<{kind_width}} "
              f"{'yes' if r.reachable else 'no':<5} {r.inputs:>6} "
              f"{source_of(r.inputs_from):<7} {r.candidates:>5} "
              f"{'yes' if r.improved else '-':>4} {'YES' if r.wrong else '-':>5} "
              f"{r.wall_s:>7.1f} {len(r.left):>4}")
    print()
    n = len(ran)
    reachable = [r for r in ran if r.reachable]
    print(f"reachable   {len(reachable)}/{n}" + (f" ({100 * len(reachable) / n:.0f} %)" if n
                                                   else "") + "   goal >= 90 %")
    print(f"inputs      median {fmt(median([r.inputs for r in reachable]), 0)} "
          "(of the reachable functions)")
    print(f"candidates  {sum(r.candidates for r in ran)} in all")
    print(f"improved    {sum(r.improved for r in ran)}")
    print(f"wrong       {sum(r.wrong for r in ran)}   goal 0")
    print(f"wall        median {fmt(median([r.wall_s for r in ran]))} s (all), "
          f"{fmt(median([r.wall_s for r in reachable]))} s (reachable)   goal <= 15 s on 2 "
          f"cores (this machine: {os.cpu_count()})")
    print(f"files left  {sum(len(r.left) for r in ran)}   goal 0")
    touched = sum(len(r.touched) for r in ran)
    if touched:
        print(f"other files changed in place: {touched}")
    skipped = [r for r in results if r.skipped]
    if skipped:
        print(f"skipped     {len(skipped)} (their package's baseline tests failed)")

    by_kind: dict[str, list[Result]] = defaultdict(list)
    for r in ran:
        for tag in r.kind.split(","):
            by_kind[tag].append(r)
    if by_kind:
        print("by kind     " + ", ".join(
            f"{tag} {sum(r.reachable for r in rs)}/{len(rs)}" for tag, rs in sorted(
                by_kind.items())) + " reachable")

    reasons: dict[str, list[Result]] = defaultdict(list)
    for r in ran:
        if not r.reachable:
            reasons[normalized_reason(r.reason, r.target)].append(r)
    if reasons:
        print("\nwhy not reachable:")
        for reason, rs in sorted(reasons.items(), key=lambda item: -len(item[1])):
            print(f"  {len(rs):>3}  {reason}")
            print(f"       e.g. {rs[0].target}: {rs[0].reason[:300]}")
    wrong = [r for r in ran if r.wrong]
    if wrong:
        print("\nwrong:")
        for r in wrong:
            print(f"  {r.target}: {r.wrong_detail}")
    left = [r for r in ran if r.left]
    if left:
        print("\nleft behind:")
        for r in left:
            print(f"  {r.target}: {', '.join(r.left[:5])}{' …' if len(r.left) > 5 else ''}")

    print("\npackages (setup seconds; baseline test counts):")
    for p in projects:
        counts = ", ".join(f"{v} {k}" for k, v in (p.baseline.counts if p.baseline else {})
                           .items())
        setup = ", ".join(f"{k} {v:.1f}" for k, v in p.setup_s.items())
        print(f"  {p.package.name}=={p.package.version}: {setup}; {counts}")
    for note in notes:
        print(f"note: {note}")


# --- main ----------------------------------------------------------------------------------------

def supports_python_flag() -> bool:
    done = run([*LESSON_LSP, "optimize", "--help"], timeout=60)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["nothing on stderr"])[-1]
        raise BenchError(f"`lesson-lsp optimize --help` fails with {sys.executable}: {last}")
    return "--python" in done.stdout


def chosen(only: str | None) -> list[Package]:
    if not only:
        return list(PACKAGES)
    names = [n.strip().lower() for n in only.split(",") if n.strip()]
    known = {p.name.lower(): p for p in PACKAGES}
    unknown = [n for n in names if n not in known]
    if unknown:
        raise BenchError(f"--only: unknown package(s) {', '.join(unknown)}; the table has "
                         + ", ".join(p.name for p in PACKAGES))
    return [known[n] for n in names]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--work", type=Path,
                        default=Path(tempfile.gettempdir()) / "lesson-lsp-real-projects",
                        help="sdists, venvs and projects (default: %(default)s)")
    parser.add_argument("--only", metavar="PKG[,PKG]", help="these packages of the table")
    parser.add_argument("--limit", type=int, metavar="N",
                        help="the first N functions of each package")
    parser.add_argument("--json", metavar="FILE", type=Path, help="save the raw results")
    parser.add_argument("--pass-python", action=argparse.BooleanOptionalAction, default=True,
                        help="pass --python WORK/<pkg>/venv/bin/python when lesson-lsp has it "
                             "(default: on)")
    parser.add_argument("--timeout", type=float, default=600.0,
                        help="seconds for one optimize run (default: %(default)s)")
    parser.add_argument("--setup-only", action="store_true",
                        help="download, make the venvs, run the baselines, stop")
    args = parser.parse_args(argv)
    if args.limit is not None and args.limit < 1:
        parser.error("--limit must be at least 1")
    if find_spec("lesson_lsp") is None:
        print(f"lesson_lsp is not importable by {sys.executable}: run this with lesson-lsp's "
              "interpreter", file=sys.stderr)
        return 2
    work: Path = args.work.expanduser().resolve()
    work.mkdir(parents=True, exist_ok=True)
    notes: list[str] = []
    above = next((d for d in [work, *work.parents] if (d / "pyproject.toml").is_file()), None)
    if above is not None:
        notes.append(f"{above}/pyproject.toml lies above the work folder; a project without "
                     "its own pyproject.toml would read it")
    try:
        packages = chosen(args.only)
    except BenchError as exc:
        print(exc, file=sys.stderr)
        return 2
    python_flag = False
    if not args.setup_only:
        try:
            supported = supports_python_flag()
        except BenchError as exc:
            print(exc, file=sys.stderr)
            return 2
        python_flag = args.pass_python and supported
        if args.pass_python and not supported:
            notes.append("this lesson-lsp's optimize has no --python: it ran every project "
                         "with its own interpreter, where the packages are not installed")
        elif not args.pass_python:
            notes.append("--no-pass-python: lesson-lsp ran the projects with its own "
                         "interpreter")
        cache = work / "lesson-cache"
        if cache.exists():
            shutil.rmtree(cache)
        cache.mkdir()

    projects: list[Project] = []
    results: list[Result] = []
    started = time.perf_counter()
    for package in packages:
        print(f"== {package.name}=={package.version}: setting up", file=sys.stderr, flush=True)
        try:
            project = prepare(package, work)
        except BenchError as exc:
            print(f"{package.name}: {exc}", file=sys.stderr)
            return 1
        projects.append(project)
        baseline = project.baseline
        assert baseline is not None
        print(f"   setup {sum(project.setup_s.values()):.1f} s "
              f"({', '.join(f'{k} {v:.1f}' for k, v in project.setup_s.items())}); baseline "
              f"{baseline.counts}", file=sys.stderr, flush=True)
        targets = package.targets[:args.limit] if args.limit else package.targets
        if not baseline.ok:
            print(f"   BASELINE FAILS ({project.logs / 'baseline-tests.log'}); deselect these "
                  "in the table if this machine is the cause:", file=sys.stderr)
            for line in baseline.failures[:20] or [baseline.tail]:
                print(f"     {line}", file=sys.stderr)
            results += [Result(package.name, t, kind_of(project.root, t),
                               skipped="baseline tests fail") for t in targets]
            continue
        if args.setup_only:
            continue
        for i, target in enumerate(targets):
            print(f"   {target} …", end="", file=sys.stderr, flush=True)
            result = optimize_one(project, target, work, python_flag, args.timeout, i)
            results.append(result)
            verdict = ("reachable" if result.reachable else f"not reachable: {result.reason}")
            print(f" {result.wall_s:.1f} s, {verdict[:160]}", file=sys.stderr, flush=True)
    total_s = time.perf_counter() - started

    if not args.setup_only:
        print_report(results, projects, notes)
    else:
        for p in projects:
            print(f"{p.package.name}=={p.package.version}: "
                  f"{'passes' if p.baseline and p.baseline.ok else 'FAILS'} "
                  f"{p.baseline.counts if p.baseline else {}}; "
                  + ", ".join(f"{k} {v:.1f} s" for k, v in p.setup_s.items()))
    print(f"\ntotal {total_s:.0f} s; work folder {work}")
    if args.json:
        args.json.write_text(json.dumps({
            "lesson_lsp_python": sys.executable,
            "python": platform.python_version(),
            "cores": os.cpu_count(),
            "passed_python": python_flag,
            "notes": notes,
            "total_s": total_s,
            "table_sha256": hashlib.sha256(repr(PACKAGES).encode()).hexdigest()[:16],
            "packages": [{"name": p.package.name, "version": p.package.version,
                          "setup_s": p.setup_s,
                          "baseline": asdict(p.baseline) if p.baseline else None}
                         for p in projects],
            "functions": [asdict(r) for r in results],
        }, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
