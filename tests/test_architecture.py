"""The shape ARCHITECTURE.md describes, checked: the layer contract (import-linter, configured in
pyproject.toml), no import circle between any two modules (lazy and type-only imports count:
they hide a circle from start-up, not from the reader), every module under 400 lines, and
every path ARCHITECTURE.md names still there."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import grimp
import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "lesson_lsp"
ARCHITECTURE = ROOT / "ARCHITECTURE.md"
MAX_LINES = 400


def test_the_layer_contracts_hold() -> None:
    done = subprocess.run([sys.executable, "-c", "from importlinter.cli import lint_imports_command"
                           " as c; c()"], cwd=ROOT, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout and "2 kept" in done.stdout


def cycles(imports: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan, iterative)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    for start in sorted(imports):
        if start in index:
            continue
        work = [(start, iter(sorted(imports.get(start, ()))))]
        index[start] = low[start] = len(index)
        stack.append(start)
        on_stack.add(start)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is not None:
                if child not in index:
                    index[child] = low[child] = len(index)
                    stack.append(child)
                    on_stack.add(child)
                    work.append((child, iter(sorted(imports.get(child, ())))))
                elif child in on_stack:
                    low[node] = min(low[node], index[child])
                continue
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                component = []
                while True:
                    member = stack.pop()
                    on_stack.discard(member)
                    component.append(member)
                    if member == node:
                        break
                if len(component) > 1:
                    found.append(sorted(component))
    return found


def test_cycles_finds_a_circle_and_only_a_circle() -> None:
    assert cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert cycles({"a": {"b"}, "b": {"c"}, "c": set()}) == []


def test_no_module_imports_its_way_back_to_itself() -> None:
    graph = grimp.build_graph("lesson_lsp", exclude_type_checking_imports=False)
    imports = {module: {other for other in graph.find_modules_directly_imported_by(module)
                        if other != module}
               for module in graph.modules}
    # A package's __init__ importing from its own modules is how a package re-exports; an
    # edge from a module to the package that contains it would make every such pair a circle.
    for module, targets in imports.items():
        targets -= {parent for parent in targets if module.startswith(parent + ".")}
    assert cycles(imports) == []


def test_every_module_is_under_the_line_limit() -> None:
    sizes = {str(path.relative_to(ROOT)): len(path.read_text(encoding="utf-8").splitlines())
             for path in PACKAGE.rglob("*.py")}
    assert sizes, "no modules found"
    over = {path: lines for path, lines in sizes.items() if lines >= MAX_LINES}
    assert over == {}


NAMED = re.compile(r"`((?:lesson_lsp|tests|benchmarks|editors)/[\w./-]*?)(?:::(\w+))?`")
SHORT = re.compile(r"`([\w/]+(?:\.py|/))`")


def named_paths(text: str) -> list[tuple[str, str | None]]:
    """The repository paths (and `file::test` names) a Markdown text names in backquotes."""
    return [(m.group(1), m.group(2)) for m in NAMED.finditer(text)]


def short_names(text: str) -> list[tuple[list[str], str]]:
    """Module names written short (`main.py`, `tracing/runner.py`, `team/prompts/`) with the
    folders of the section they stand in (its heading's paths, else the package)."""
    found = []
    roots = ["lesson_lsp/"]
    for line in text.splitlines():
        if line.startswith("#"):
            roots = [path for path, _ in named_paths(line)] or ["lesson_lsp/"]
            continue
        for m in SHORT.finditer(line):
            if not m.group(1).startswith(("lesson_lsp/", "tests/", "benchmarks/", "editors/")):
                found.append((roots, m.group(1)))
    return found


def missing(text: str) -> list[str]:
    gone = []
    for path, name in named_paths(text):
        target = ROOT / path
        if not target.exists():
            gone.append(path)
        elif name is not None and not re.search(rf"^(async )?def {name}\b|^class {name}\b",
                                                target.read_text(encoding="utf-8"), re.M):
            gone.append(f"{path}::{name}")
    for roots, short in short_names(text):
        # Anywhere under the section's folders (or the package): `bindings.py` in the team's
        # section is team/rewrites/bindings.py.
        suffix = short.rstrip("/")
        if not any(str(found.relative_to(ROOT)).endswith(suffix)
                   for root in [*roots, "lesson_lsp/"] for found in (ROOT / root).rglob("*")
                   if found.name == Path(suffix).name):
            gone.append(short)
    return gone


def test_architecture_names_only_what_exists() -> None:
    text = ARCHITECTURE.read_text(encoding="utf-8")
    assert len(named_paths(text)) >= 40 and len(short_names(text)) >= 40  # a map, not a summary
    assert missing(text) == []


@pytest.mark.parametrize(("named", "renamed"), [
    ("lesson_lsp/harness/verify.py", "lesson_lsp/harness/verification.py"),
    ("tests/test_architecture.py::test_the_layer_contracts_hold",
     "tests/test_architecture.py::test_the_layer_contracts_are_kept"),
    ("sampler.py", "samples.py"),
    ("tracing/runner.py", "tracing/run.py"),
])
def test_a_renamed_module_or_test_fails_the_check(named: str, renamed: str) -> None:
    text = ARCHITECTURE.read_text(encoding="utf-8")
    assert f"`{named}`" in text and missing(text) == []
    assert missing(text.replace(f"`{named}`", f"`{renamed}`")) != []


def test_the_readme_links_the_architecture() -> None:
    assert "(ARCHITECTURE.md)" in (ROOT / "README.md").read_text(encoding="utf-8")
