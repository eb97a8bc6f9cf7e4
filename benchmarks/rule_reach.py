"""Where the offline rewrite rules reach in real code: on every function of pinned pure-Python
PyPI packages, which rules of `lesson_lsp.team.rewrites.RULES` propose a rewrite at all.

Static: no harness, no inputs, no timing of the functions; a rule "proposes" when its `apply`
returns a Rewrite. Whether the rewrite is right or faster is the harness's business
(benchmarks/real_projects.py measures that); this measures reach, which a bench of toy tasks
cannot: a rule written for a task may never meet its pattern in the wild.

For each package of CORPUS: its pinned sdist is downloaded once into WORK/sdists/ (the same
cache as benchmarks/real_projects.py, with its `download`) and unpacked once into WORK/reach/.
Only the package's own source files are read (the CORPUS paths, without tests, vendored code,
examples or setup.py). Every top-level function and every method of a top-level class is cut
out with `ast` (decorators included, as lesson-lsp extracts a function), moved to column 0 and
given to every rule with `RewriteContext(name, is_method=...)`. A rule that raises is counted
apart and listed: a crashing rule is a bug.

The script touches only `RULES`, `RewriteContext` and `lesson_lsp.source.candidate.to_column0` (or
`textwrap.dedent` where that is missing), so it also runs against an older lesson_lsp, for a
before/after: run this file with PYTHONPATH pointing at the other checkout.

    python benchmarks/rule_reach.py                                  # all packages, ~minutes
    python benchmarks/rule_reach.py --only semver,toolz --names 20
    PYTHONPATH=/path/to/old/checkout python benchmarks/rule_reach.py --json /tmp/before.json
    python benchmarks/rule_reach.py --json /tmp/after.json
    python benchmarks/rule_reach.py --diff /tmp/before.json /tmp/after.json
"""

from __future__ import annotations

import argparse
import ast
import json
import subprocess
import sys
import tempfile
import textwrap
import time
import tokenize
import traceback
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from real_projects import BenchError, Package, download, unpack

from lesson_lsp.team.rewrites import RULES, RewriteContext, Rule


def _dedent(source: str, indent: str) -> str:
    """The fallback for a lesson_lsp without `candidate.to_column0`."""
    return textwrap.dedent(indent + source)


try:
    from lesson_lsp.source.candidate import to_column0 as _to_column0
except ImportError:  # an older lesson_lsp
    _to_column0 = _dedent
TO_COLUMN0: Callable[[str, str], str] = _to_column0


@dataclass(frozen=True)
class Project:
    """A pinned sdist and where its own code lives in it."""

    name: str  # the distribution's name on the package index
    version: str
    paths: tuple[str, ...]  # package folders or single modules, relative to the sdist's root


# Pure Python, well known, with algorithmic code (parsers, iterators, containers, text, dates).
# The first nine are benchmarks/real_projects.py's packages, at its versions.
CORPUS: tuple[Project, ...] = (
    Project("cachetools", "8.0.2", ("src/cachetools",)),
    Project("semver", "3.1.2", ("src/semver",)),
    Project("parse", "1.22.4", ("parse",)),
    Project("isodate", "0.7.2", ("src/isodate",)),
    Project("tabulate", "0.10.0", ("tabulate",)),
    Project("pathspec", "1.1.1", ("pathspec",)),
    Project("webcolors", "25.10.0", ("src/webcolors",)),
    Project("sqlparse", "0.6.1", ("sqlparse",)),
    Project("idna", "3.20", ("idna",)),
    Project("more-itertools", "11.2.1", ("more_itertools",)),
    Project("python-dateutil", "4.0.0", ("src/dateutil",)),
    Project("chardet", "7.7.0", ("src/chardet",)),
    Project("sortedcontainers", "2.4.0", ("sortedcontainers",)),
    Project("toolz", "1.2.0", ("toolz",)),
    Project("inflection", "0.5.1", ("inflection",)),
    Project("humanize", "4.17.0", ("src/humanize",)),
    Project("pyparsing", "3.3.3", ("pyparsing",)),
    Project("docopt", "0.6.2", ("docopt.py",)),
    Project("wcwidth", "0.9.4", ("wcwidth",)),
    Project("Pygments", "2.21.0", ("pygments",)),
)

# Folders inside a package that are not its own code.
SKIPPED_DIRS = {"tests", "test", "testing_data", "examples", "docs", "__pycache__"}


@dataclass
class Function:
    """One function as the rules saw it, and which of them proposed something."""

    name: str  # pkg.module.Class.func
    package: str
    file: str  # relative to the unpacked sdist
    line: int  # of the `def`
    is_method: bool
    proposed: list[str] = field(default_factory=list)
    crashed: list[str] = field(default_factory=list)


@dataclass
class Crash:
    function: str
    file: str
    line: int
    rule: str
    error: str  # "TypeError: ... at memoize.py:42"


@dataclass
class Report:
    rules: list[str]
    packages: list[dict[str, Any]] = field(default_factory=list)
    functions: list[Function] = field(default_factory=list)
    crashes: list[Crash] = field(default_factory=list)
    unparsed: list[str] = field(default_factory=list)  # files ast could not parse
    rule_seconds: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0

    def hits(self, rule: str) -> list[Function]:
        return [f for f in self.functions if rule in f.proposed]

    def reached(self) -> list[Function]:
        return [f for f in self.functions if f.proposed]


# --- finding functions ---------------------------------------------------------------------------

def own_files(root: Path, paths: Iterable[str]) -> list[Path]:
    """The package's own .py files under `root`: the given modules, and the .py files of the
    given folders except tests, vendored code and the like (they are not what a user would
    optimize, and tests would inflate the count with trivial functions)."""
    found: list[Path] = []
    for rel in paths:
        path = root / rel
        if path.is_file():
            found.append(path)
            continue
        for file in sorted(path.rglob("*.py")):
            parts = file.relative_to(root).parts
            if any(p in SKIPPED_DIRS or "vendor" in p for p in parts[:-1]):
                continue
            if parts[-1].startswith("test_") or parts[-1].endswith("_test.py") \
                    or parts[-1] in ("conftest.py", "setup.py"):
                continue
            found.append(file)
    return found


def module_name(root: Path, file: Path) -> str:
    """Dotted module name: `src/` dropped, `__init__` dropped."""
    parts = list(file.relative_to(root).with_suffix("").parts)
    if parts[:1] == ["src"]:
        parts = parts[1:]
    if parts[-1] == "__init__" and len(parts) > 1:
        parts = parts[:-1]
    return ".".join(parts)


def function_source(lines: list[str], node: ast.FunctionDef | ast.AsyncFunctionDef
                    ) -> tuple[str, str]:
    """The function's text as lesson-lsp extracts it (from its first decorator to the end of
    its last statement, the first line cut at the indentation) and that indentation.
    ast columns are UTF-8 byte offsets, hence the encoding round trips."""
    first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    start = lines[first - 1]
    prefix = start.encode("utf-8")[:node.col_offset].decode("utf-8", "replace")
    if prefix.strip():  # `class A: def f(self): ...` on one line: no indentation to strip
        indent = ""
        head = start[len(prefix):]
    else:
        indent = prefix
        head = start[len(indent):]
    end_line = node.end_lineno or node.lineno
    body = [head, *lines[first:end_line]]
    if node.end_col_offset is not None:
        last = body[-1] if end_line > first else start
        cut = last.encode("utf-8")[:node.end_col_offset].decode("utf-8", "replace")
        if end_line > first:
            body[-1] = cut
        else:
            body[-1] = cut[len(prefix):]
    text = "".join(body)
    return text.rstrip("\n"), indent


def parsed_files(package: str, root: Path, paths: Iterable[str], unparsed: list[str]
                 ) -> Iterator[tuple[Path, str, str, ast.Module]]:
    """(file, path from `root`, text, tree) of each own file; those ast cannot parse go to
    `unparsed`."""
    for file in own_files(root, paths):
        rel = file.relative_to(root).as_posix()
        try:
            with tokenize.open(file) as handle:  # the coding cookie, universal newlines
                text = handle.read()
            yield file, rel, text, ast.parse(text, filename=rel)
        except (SyntaxError, UnicodeDecodeError, ValueError) as exc:
            unparsed.append(f"{package}/{rel}: {type(exc).__name__}: {exc}")


def cut_out(text: str, tree: ast.Module
            ) -> Iterator[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef, bool, str]]:
    """(qualname, node, is_method, source at column 0) of each function `functions_of` finds."""
    # ast counts lines at "\n" only; str.splitlines would also split at "\f", "\x1c", …
    lines = [line + "\n" for line in text.split("\n")]
    for qualname, node, is_method in functions_of(tree):
        source, indent = function_source(lines, node)
        yield qualname, node, is_method, TO_COLUMN0(source, indent)


def functions_of(tree: ast.Module) -> Iterable[tuple[str, ast.FunctionDef | ast.AsyncFunctionDef,
                                                     bool]]:
    """(qualname, node, is_method) of the top-level functions and the methods of top-level
    classes, in source order. Nested functions are left out: lesson-lsp's rules see them
    inside their outer function."""
    for stmt in tree.body:
        if isinstance(stmt, (ast.FunctionDef, ast.AsyncFunctionDef)):
            yield stmt.name, stmt, False
        elif isinstance(stmt, ast.ClassDef):
            for inner in stmt.body:
                if isinstance(inner, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    yield f"{stmt.name}.{inner.name}", inner, True


# --- calling the rules ---------------------------------------------------------------------------

def _where(tb: Any) -> str:
    """The innermost frame of lesson_lsp in a traceback, as `file.py:line`."""
    where = ""
    for frame in traceback.extract_tb(tb):
        if "lesson_lsp" in frame.filename:
            where = f"{Path(frame.filename).name}:{frame.lineno}"
    return where


def try_rules(source: str, context: RewriteContext, rules: Sequence[Rule],
              seconds: dict[str, float]) -> tuple[list[str], list[tuple[str, str]]]:
    """The rules that propose a rewrite of `source`, and (rule, error) for those that raise.
    Time spent per rule is added to `seconds`, to spot a rule that is slow on real code."""
    proposed: list[str] = []
    crashed: list[tuple[str, str]] = []
    for rule in rules:
        started = time.perf_counter()
        try:
            if rule.apply(source, context) is not None:
                proposed.append(rule.name)
        except Exception as exc:  # a rule must refuse, not raise: report it
            where = _where(exc.__traceback__)
            error = f"{type(exc).__name__}: {exc}"[:300] + (f" at {where}" if where else "")
            crashed.append((rule.name, error))
        seconds[rule.name] = seconds.get(rule.name, 0.0) + time.perf_counter() - started
    return proposed, crashed


def scan(package: str, root: Path, paths: Iterable[str], report: Report,
         rules: Sequence[Rule] = RULES) -> None:
    """Every function of one package's own files through every rule, added to `report`.
    Progress goes to stderr, one line per file."""
    for file, rel, text, tree in parsed_files(package, root, paths, report.unparsed):
        module = module_name(root, file)
        started = time.perf_counter()
        count = 0
        for qualname, node, is_method, source in cut_out(text, tree):
            proposed, crashed = try_rules(source, RewriteContext(node.name, is_method=is_method),
                                          rules, report.rule_seconds)
            name = f"{module}.{qualname}"
            report.functions.append(Function(name, package, rel, node.lineno, is_method,
                                             proposed, [r for r, _ in crashed]))
            report.crashes.extend(Crash(name, rel, node.lineno, r, e) for r, e in crashed)
            count += 1
        print(f"  {package}/{rel}: {count} functions, {time.perf_counter() - started:.1f} s",
              file=sys.stderr, flush=True)


# --- the corpus ----------------------------------------------------------------------------------

def unpacked(project: Project, work: Path) -> Path:
    """The project's sdist, downloaded (once) and unpacked (once) under `work`."""
    dest = work / "reach" / f"{project.name}-{project.version}"
    if (dest / ".unpacked").exists():
        return dest
    archive, _ = download(Package(project.name, project.version, (), ()), work)
    dest.parent.mkdir(parents=True, exist_ok=True)
    unpack(archive, dest)
    (dest / ".unpacked").write_text(archive.name, encoding="utf-8")
    return dest


def lesson_lsp_version() -> dict[str, str]:
    """Which lesson_lsp was measured: its folder and, in a git checkout, its commit."""
    import lesson_lsp

    folder = Path(lesson_lsp.__file__).resolve().parent
    commit = ""
    try:
        done = subprocess.run(["git", "-C", str(folder), "rev-parse", "--short", "HEAD"],
                              capture_output=True, text=True, timeout=10, check=False)
        commit = done.stdout.strip() if done.returncode == 0 else ""
    except (OSError, subprocess.TimeoutExpired):
        pass
    return {"path": str(folder), "commit": commit}


# --- output --------------------------------------------------------------------------------------

def print_report(report: Report, names: int) -> None:
    """Per rule, the functions it proposes for; then the total and any crashes."""
    width = max([len(r) for r in report.rules] + [4])
    print(f"{'rule':<{width}}  {'hits':>5}  {'sec':>6}  functions (up to {names})")
    for rule in report.rules:
        hits = report.hits(rule)
        shown = ", ".join(f.name for f in hits[:names]) + (" …" if len(hits) > names else "")
        print(f"{rule:<{width}}  {len(hits):>5}  {report.rule_seconds.get(rule, 0.0):>6.1f}  "
              f"{shown}")
    reached = report.reached()
    total = len(report.functions)
    share = f" ({100 * len(reached) / total:.1f} %)" if total else ""
    print(f"\nfunctions where some rule proposed something: {len(reached)} of {total}{share} "
          f"({len(report.packages)} packages)")
    if report.crashes:
        print(f"\nrule crashes: {len(report.crashes)}")
        for crash in report.crashes:
            print(f"  {crash.rule} on {crash.function} ({crash.file}:{crash.line}): {crash.error}")
    else:
        print("rule crashes: 0")
    for line in report.unparsed:
        print(f"not parsed: {line}")
    print(f"time: {report.seconds:.1f} s")


def to_json(report: Report) -> dict[str, Any]:
    return {
        "lesson_lsp": lesson_lsp_version(),
        "python": sys.version.split()[0],
        "rules": report.rules,
        "packages": report.packages,
        "counts": {rule: len(report.hits(rule)) for rule in report.rules},
        "hits": {rule: [f.name for f in report.hits(rule)] for rule in report.rules},
        "total": {"functions": len(report.functions), "reached": len(report.reached()),
                  "packages": len(report.packages), "crashes": len(report.crashes)},
        "functions": [asdict(f) for f in report.functions],
        "crashes": [asdict(c) for c in report.crashes],
        "unparsed": report.unparsed,
        "rule_seconds": {r: round(s, 3) for r, s in report.rule_seconds.items()},
        "seconds": round(report.seconds, 1),
    }


def print_diff(before: dict[str, Any], after: dict[str, Any]) -> None:
    """Two saved runs side by side (`--json` of an older and a newer lesson_lsp): per rule the
    counts, and the functions that some rule reaches in one run and none in the other."""
    def label(run: dict[str, Any]) -> str:
        return run["lesson_lsp"].get("commit") or run["lesson_lsp"]["path"]

    print(f"{'':<22}  {label(before):>9}  {label(after):>9}")
    rules = list(before["rules"]) + [r for r in after["rules"] if r not in before["rules"]]
    for rule in rules:
        old = before["counts"].get(rule)
        new = after["counts"].get(rule)
        print(f"{rule:<22}  {'-' if old is None else old:>9}  {'-' if new is None else new:>9}")
    for key in ("reached", "functions", "crashes"):
        print(f"{key:<22}  {before['total'][key]:>9}  {after['total'][key]:>9}")
    old_reached = {f["name"] for f in before["functions"] if f["proposed"]}
    new_reached = {f["name"] for f in after["functions"] if f["proposed"]}
    for title, names in (("reached only after", new_reached - old_reached),
                         ("reached only before", old_reached - new_reached)):
        print(f"\n{title}: {len(names)}")
        for name in sorted(names):
            print(f"  {name}")


def chosen(only: str | None) -> list[Project]:
    if not only:
        return list(CORPUS)
    wanted = [n.strip() for n in only.split(",") if n.strip()]
    known = {p.name: p for p in CORPUS}
    unknown = [n for n in wanted if n not in known]
    if unknown:
        raise SystemExit(f"not in the corpus: {', '.join(unknown)} "
                         f"(known: {', '.join(known)})")
    return [known[n] for n in wanted]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--work", type=Path,
                        default=Path(tempfile.gettempdir()) / "lesson-lsp-real-projects",
                        help="sdists and unpacked sources, shared with real_projects.py "
                             "(default: %(default)s)")
    parser.add_argument("--only", metavar="PKG[,PKG]", help="these packages of the corpus")
    parser.add_argument("--names", type=int, default=10, metavar="N",
                        help="functions shown per rule (default: %(default)s)")
    parser.add_argument("--json", metavar="FILE", type=Path, help="save everything")
    parser.add_argument("--diff", nargs=2, metavar=("BEFORE", "AFTER"), type=Path,
                        help="compare two --json files and stop (no scan)")
    args = parser.parse_args(argv)
    if args.diff:
        old, new = (json.loads(p.read_text(encoding="utf-8")) for p in args.diff)
        print_diff(old, new)
        return 0
    started = time.perf_counter()
    version = lesson_lsp_version()
    print(f"lesson_lsp: {version['path']} {version['commit']}; {len(RULES)} rules",
          file=sys.stderr)
    report = Report([rule.name for rule in RULES])
    for project in chosen(args.only):
        try:
            root = unpacked(project, args.work)
        except BenchError as exc:
            print(f"{project.name} {project.version}: {exc}", file=sys.stderr)
            return 1
        print(f"{project.name} {project.version}", file=sys.stderr, flush=True)
        before = len(report.functions)
        scan(project.name, root, project.paths, report)
        added = report.functions[before:]
        report.packages.append({"name": project.name, "version": project.version,
                                "functions": len(added),
                                "reached": sum(1 for f in added if f.proposed)})
    report.seconds = time.perf_counter() - started
    print(f"lesson_lsp: {version['path']} {version['commit']}; {len(RULES)} rules")
    print_report(report, args.names)
    if args.json:
        args.json.write_text(json.dumps(to_json(report), indent=1) + "\n", encoding="utf-8")
        print(f"saved {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
