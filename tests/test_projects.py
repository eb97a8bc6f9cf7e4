"""Real project layouts with no configuration (issue 13): the function runs as its package's
module, inputs are captured once from the project's own tests, with the project's Python."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lesson_lsp.harness import inputs
from lesson_lsp.harness.verify import Baseline, Harness, Target
from lesson_lsp.source.extract import function_named
from lesson_lsp.workspace.config import load
from lesson_lsp.workspace.project import ProjectError, find_root, interpreter, locate
from tests.conftest import PYTHON

CORE = '''\
from .helpers import norm


class Base:
    def total(self, xs):
        return sum(xs)


class Box(Base):
    def __init__(self, items):
        self.items = list(items)

    def total(self, xs):
        t = super().total(xs)
        for x in self.items:
            if x in xs:
                t += 1
        return t

    @classmethod
    def make(cls, n):
        out = []
        for i in range(n):
            out.append(i * i)
        return cls(out)

    @staticmethod
    def pair(a, b):
        return [a, b]


def dedupe(xs, key=None):
    out = []
    for x in xs:
        if norm(x) not in out:
            out.append(norm(x))
    return out


def untested(xs):
    return len(xs)
'''

TESTS = '''\
from pkg import Box, dedupe


def test_dedupe():
    assert dedupe([1, 2, 1, 3]) == [1, 2, 3]
    assert dedupe(list(range(30)) * 2) == list(range(30))
    assert dedupe([4, 4], key=lambda x: x) == [4]  # a lambda cannot be pickled: this call only


def test_box():
    b = Box([1, 2, 3])
    assert b.total([1, 2, 5]) == 10
    assert Box.make(4).items == [0, 1, 4, 9]
    assert Box.pair(1, 2) == [1, 2]
'''


def write(root: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return root


def package(root: Path, marker: str = "pyproject.toml", **extra: str) -> Path:
    """A src-layout package whose core module uses relative imports, with tests at the root."""
    files = {"src/pkg/__init__.py": "from .core import Box, dedupe\n",
             "src/pkg/helpers.py": "def norm(x):\n    return x\n",
             "src/pkg/core.py": CORE, "tests/test_core.py": TESTS, **extra}
    if marker == ".git":
        (root / ".git").mkdir(parents=True)
    else:
        files[marker] = "[project]\nname = 'pkg'\n" if marker == "pyproject.toml" else "\n"
    return write(root, files)


async def reach(path: Path, qualname: str, python: str = "") -> tuple[inputs.InputSpec,
                                                                       Baseline]:
    """Inputs as a run with no configuration finds them, and the original measured on them."""
    config = load(path)
    source = path.read_text(encoding="utf-8")
    span = function_named(source, qualname)
    python = python or interpreter(config.interpreter, config.root).path
    spec = await inputs.resolve(path, qualname, config, None, "", python)
    harness = Harness(Target(str(path), source, qualname, spec, config.root, span, python),
                      config.harness)
    return spec, await harness.baseline()


def files_in(root: Path) -> set[str]:
    return {str(p.relative_to(root)) for p in root.rglob("*")
            if "__pycache__" not in p.parts and ".pytest_cache" not in p.parts}


def test_locate_finds_the_import_name(tmp_path: Path) -> None:
    root = package(tmp_path)
    assert locate(root / "src/pkg/core.py", root).name == "pkg.core"
    assert locate(root / "src/pkg/core.py", root).search_path == str(root / "src")
    assert locate(root / "src/pkg/__init__.py", root).name == "pkg"
    assert locate(root / "tests/test_core.py", root).name == "test_core"
    write(tmp_path, {"src/ns/sub/mod.py": "x = 1\n"})  # a namespace package below src/
    assert locate(root / "src/ns/sub/mod.py", root).name == "ns.sub.mod"


@pytest.mark.parametrize("marker", ["setup.py", "setup.cfg", ".git"])
def test_root_without_pyproject_is_the_project_not_the_package(tmp_path: Path,
                                                              marker: str) -> None:
    root = package(tmp_path / "proj", marker)
    assert find_root(root / "src/pkg/core.py") == root.resolve()
    assert load(root / "src/pkg/core.py").root == str(root.resolve())


async def test_relative_imports_and_captured_instances_of_the_real_classes(
        tmp_path: Path) -> None:
    root = package(tmp_path)
    before = files_in(root)
    spec, base = await reach(root / "src/pkg/core.py", "Box.total")
    # `super()` needs `self` to be an instance of the very class being run.
    assert "captured from the project's tests" in spec.origin
    assert not any("exc" in o for o in base.outcomes), base.outcomes
    spec, base = await reach(root / "src/pkg/core.py", "dedupe")
    assert spec.origin.startswith("2 calls captured")  # the call with a lambda: skipped alone
    assert files_in(root) == before  # captured calls live in the user's cache directory


async def test_class_and_static_methods_are_called_as_the_tests_called_them(
        tmp_path: Path) -> None:
    root = package(tmp_path)
    for qualname in ("Box.make", "Box.pair"):
        spec, base = await reach(root / "src/pkg/core.py", qualname)
        assert spec.origin.startswith("1 call captured")
        assert "exc" not in base.outcomes[0], (qualname, base.outcomes)


async def test_failing_and_network_tests_do_not_end_the_capture(tmp_path: Path) -> None:
    root = package(tmp_path, **{
        "tests/test_a_first.py": """\
            import socket


            def test_fails():  # names dedupe, so it still runs first
                assert False, "dedupe"


            def test_needs_network():
                socket.create_connection(("127.0.0.1", 9), timeout=0.5)
            """,
        "tests/test_core.py": "def test_unrelated():\n    assert True\n",
        "tests/test_z_last.py": TESTS})
    spec, _ = await reach(root / "src/pkg/core.py", "dedupe")
    assert spec.origin.startswith("2 calls captured") and "2 failed" in spec.origin, spec.origin


@pytest.mark.slow
async def test_one_capture_serves_every_function_of_the_module(tmp_path: Path) -> None:
    root = package(tmp_path)
    await reach(root / "src/pkg/core.py", "dedupe")
    stored = list(Path(os.environ["LESSON_LSP_CACHE_DIR"]).rglob("pkg.core-*.pickle"))
    mine = [p for p in stored if root.name in str(p)]
    assert len(mine) == 1
    stamp = mine[0].stat().st_mtime_ns
    await reach(root / "src/pkg/core.py", "Box.total")
    assert mine[0].stat().st_mtime_ns == stamp  # not captured again
    (root / "src/pkg/helpers.py").write_text("def norm(x):\n    return x  # changed\n")
    await reach(root / "src/pkg/core.py", "dedupe")
    assert not mine[0].exists()  # a changed project is captured again, the old state dropped


async def test_no_calls_says_the_tests_ran_but_did_not_call_it(tmp_path: Path) -> None:
    root = package(tmp_path)
    with pytest.raises(inputs.InputsError,
                       match=r"`untested` \(none of the project's tests called it; 2 tests ran: "):
        await reach(root / "src/pkg/core.py", "untested")


def project_venv(root: Path) -> Path:
    """A .venv in the project with no pytest, and a module `depmod` found only there."""
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / ".venv")],
                   check=True)
    site = next((root / ".venv" / "lib").glob("python*/site-packages"))
    (root / "deps").mkdir()
    (root / "deps" / "depmod.py").write_text("def double(x):\n    return 2 * x\n")
    (site / "deps.pth").write_text(str(root / "deps") + "\n")
    return root / ".venv" / "bin" / "python"


@pytest.mark.slow
def test_the_projects_own_python_runs_its_code(tmp_path: Path) -> None:
    root = write(tmp_path, {"pyproject.toml": "[project]\nname = 'app'\n", "app.py": '''\
        from depmod import double


        def doubled(xs: list[int]) -> list[int]:
            """
            >>> doubled([1, 2, 3])
            [2, 4, 6]
            """
            out = []
            for x in xs:
                out = out + [double(x)]
            return out
        '''})
    python = project_venv(root)
    env = {k: v for k, v in os.environ.items() if k != "VIRTUAL_ENV"}
    done = subprocess.run([PYTHON, "-m", "lesson_lsp.cli", "optimize", "app.py::doubled",
                           "--rounds", "1", "--json"], cwd=root, capture_output=True, text=True,
                          timeout=300, env=env)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["interpreter"]["path"] == str(python)
    assert result["interpreter"]["chosen_by"] == ".venv"
    assert result["inputs_from"] == "doctest examples" and result["inputs"] >= 1
    # lesson-lsp's own Python cannot import the project's dependency.
    done = subprocess.run([PYTHON, "-m", "lesson_lsp.cli", "optimize", "app.py::doubled",
                           "--rounds", "1", "--json", "--python", PYTHON], cwd=root,
                          capture_output=True, text=True, timeout=300, env=env)
    assert done.returncode == 2 and "depmod" in done.stderr


async def test_without_pytest_in_the_projects_python_the_message_says_so(
        tmp_path: Path) -> None:
    root = package(tmp_path)
    python = project_venv(root)
    with pytest.raises(inputs.InputsError, match="pytest is not installed in"):
        await reach(root / "src/pkg/core.py", "dedupe", str(python))


def test_which_python_setting_editor_virtualenv_venv_own(tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    root = write(tmp_path / "proj", {"pyproject.toml": ""})
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(root / ".venv")],
                   check=True)
    active = tmp_path / "active"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(active)], check=True)
    monkeypatch.delenv("VIRTUAL_ENV", raising=False)
    assert interpreter("", root).chosen_by == ".venv"
    monkeypatch.setenv("VIRTUAL_ENV", str(active))
    assert interpreter("", root).path == str(active / "bin" / "python")
    picked = interpreter("", root, str(root / ".venv"))
    assert (picked.path, picked.chosen_by) == (str(root / ".venv/bin/python"),
                                               "selected in the editor")
    assert interpreter(".venv", root, str(active)).chosen_by == "configured"
    with pytest.raises(ProjectError, match="does not exist"):
        interpreter("nowhere/python", root)
    monkeypatch.delenv("VIRTUAL_ENV")
    (root / ".venv").rename(root / "gone")
    assert interpreter("", root).chosen_by == "lesson-lsp's own"


async def test_a_function_only_called_with_uncopyable_arguments_says_so(tmp_path: Path) -> None:
    root = package(tmp_path, **{"tests/test_more.py": """\
        from pkg.core import untested


        def test_untested():
            assert untested(lambda: 1) == 0 or True
        """})
    with pytest.raises(inputs.InputsError, match=r"called it 1 times, but its arguments cannot "
                                                 r"be copied"):
        await reach(root / "src/pkg/core.py", "untested")


@pytest.mark.slow
def test_doctests_may_name_the_package_and_capture_reports_progress(tmp_path: Path) -> None:
    root = package(tmp_path, **{"src/pkg/extra.py": '''\
        def total(xs):
            """
            >>> pkg.extra.total([1, 2, 3])
            6
            """
            t = 0
            for x in xs:
                t = t + x
            return t
        '''})
    done = subprocess.run([PYTHON, "-m", "lesson_lsp.cli", "optimize", "src/pkg/extra.py::total",
                           "--rounds", "1", "--json"], cwd=root, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["inputs_from"] == "doctest examples"
    done = subprocess.run([PYTHON, "-m", "lesson_lsp.cli", "optimize", "src/pkg/core.py::dedupe",
                           "--rounds", "1"], cwd=root, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert "capturing calls from tests: " in done.stderr


async def test_a_private_method_is_found_under_its_mangled_name(tmp_path: Path) -> None:
    root = package(tmp_path, **{
        "src/pkg/spec.py": """\
            class _Spec:
                def parts(self, text):
                    return self.__split(text)

                def __split(self, text):
                    out = []
                    for piece in text.split("/"):
                        out = out + [piece]
                    return out
            """,
        "tests/test_spec.py": """\
            from pkg.spec import _Spec


            def test_parts():
                assert _Spec().parts("a/b") == ["a", "b"]
            """})
    spec, base = await reach(root / "src/pkg/spec.py", "_Spec.__split")
    assert spec.origin.startswith("1 call captured") and "exc" not in base.outcomes[0]


async def test_regex_matches_and_test_defined_objects_are_captured(tmp_path: Path) -> None:
    root = package(tmp_path, **{
        "src/pkg/fields.py": """\
            def named(match):
                out = {}
                for key in match.groupdict():
                    out[key] = match.group(key)
                return out


            def area(shape):
                return shape.w * shape.h
            """,
        "tests/test_fields.py": """\
            import re

            from pkg.fields import area, named


            class Shape:
                def __init__(self, w, h):
                    self.w, self.h = w, h


            def test_named():
                m = re.compile(r"(?P<a>\\d+)-(?P<b>\\d+)").search("x 12-34 y")
                assert named(m) == {"a": "12", "b": "34"}


            def test_area():
                assert area(Shape(2, 3)) == 6
            """})
    for qualname in ("named", "area"):
        spec, base = await reach(root / "src/pkg/fields.py", qualname)
        assert spec.origin.startswith("1 call captured"), spec.origin
        assert "exc" not in base.outcomes[0], base.outcomes[0]


def test_what_the_modules_top_level_does_on_import_is_not_the_candidates(tmp_path: Path) -> None:
    """The module reads a file while it is imported (as `importlib.metadata.version` does): the
    candidate timed next to the original is imported the same way, so that read is no more its
    doing than the original's."""
    write(tmp_path, {"pyproject.toml": "", "mod.py": '''\
        with open(__file__, encoding="utf-8") as _handle:
            LINES = len(_handle.read().splitlines())


        def total(xs):
            """
            >>> total(list(range(3000)))
            4498500
            """
            t = 0
            for x in xs:
                t = t + x
            return t
        ''', "cand.py": "def total(xs):\n    return sum(xs)\n"})
    done = subprocess.run([PYTHON, "-m", "lesson_lsp.cli", "verify", "mod.py::total",
                           "--candidate", "cand.py", "--json"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    verdict = json.loads(done.stdout)
    assert verdict["verdict"] in ("faster", "not-faster"), verdict


@pytest.mark.slow
def test_a_fast_method_on_an_object_slow_to_copy_is_timed_in_bounded_time(
        tmp_path: Path) -> None:
    write(tmp_path, {"pyproject.toml": "", "cache.py": '''\
        class Cache:
            def __init__(self, n):
                self.data = {i: str(i) for i in range(n)}
                self.hits = 0

            def get(self, key):
                self.hits += 1
                return self.data.get(key)


        def inputs():
            return [(Cache(5000), k) for k in range(4)]
        ''', "cand.py": ("def get(self, key):\n    self.hits = self.hits + 1\n"
                         "    return self.data.get(key)\n")})
    done = subprocess.run([PYTHON, "-m", "lesson_lsp.cli", "verify", "cache.py::Cache.get",
                           "--candidate", "cand.py", "--inputs", "cache.py::inputs", "--json"],
                          cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["verdict"] in ("faster", "not-faster"), done.stdout


@pytest.mark.slow
async def test_from_the_editor_a_package_function_with_unsaved_text_is_optimized(
        tmp_path: Path) -> None:
    """No configuration, a function of a package with relative imports, captured inputs, and
    the editor's unsaved text (the disk holds another body): the edit lands on that text."""
    from tests.lsp_client import optimize_in_server

    root = package(tmp_path)
    disk = (root / "src/pkg/core.py").read_text(encoding="utf-8")
    (root / "src/pkg/core.py").write_text(disk.replace(
        "    out = []\n    for x in xs:", "    out = list(dict.fromkeys(xs))\n    return out\n"
        "    for x in xs:"), encoding="utf-8")
    line = disk.splitlines().index("def dedupe(xs, key=None):")
    summary, edited = await optimize_in_server(root, disk, None, position=(line, 4),
                                               name="src/pkg/core.py")
    assert summary["improved"], summary
    assert "out_set" in edited and "from .helpers import norm" in edited
    assert "dict.fromkeys" not in edited  # the editor's text was optimized, not the file's
