"""Tracing never changes what the workload does: a tiny project using every construct the
instrumenter must handle, run plainly and under the real `lesson-lsp trace` CLI, prints the
same and exits with the same status; a module the instrumenter cannot handle runs as written
and is reported."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

from lesson_lsp.source.candidate import to_column0
from lesson_lsp.source.extract import function_named
from lesson_lsp.source.fingerprint import fingerprint
from lesson_lsp.workspace import traces

PYTHON = sys.executable

CONSTRUCTS = '''\
"""Every construct the instrumenter must leave working."""
from __future__ import annotations

import asyncio
import functools
import inspect
import sys
import traceback

COUNTER = 0


def only_docstring():
    """Nothing but this docstring."""


def only_docstring_two_lines(a,
                             b=2):
    """A docstring
    over two lines."""


def only_ellipsis(x): ...


def only_pass(*args, **kwargs):
    pass


def stub_with_docstring_and_ellipsis():
    """Doc."""
    ...


def shout(func):
    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        return str(func(*args, **kwargs)).upper()
    return wrapper


@shout
@functools.lru_cache(maxsize=None)
def decorated(word, *, suffix="!"):
    return word + suffix


def outer(n):
    total = 0

    def inner(k):
        nonlocal total
        total += k
        return total

    for k in range(n):
        inner(k)
    return total, inner.__qualname__


def bump(by):
    global COUNTER
    COUNTER += by
    return COUNTER


def countdown(n):
    while n:
        yield n
        n -= 1


def chained(n):
    yield from countdown(n)
    yield "done"


async def fetch(x):
    await asyncio.sleep(0)
    return x * 2


async def agen(n):
    for i in range(n):
        await asyncio.sleep(0)
        yield i


async def gather_all():
    got = [await fetch(i) for i in range(3)]
    got += [i async for i in agen(3)]
    return got


def classify(value):
    match value:
        case {"kind": "point", "x": x, "y": y}:
            return f"point {x},{y}"
        case [first, *rest]:
            return f"list from {first} with {len(rest)} more"
        case int(n) if n > 10:
            return "big int"
        case str() | bytes():
            return "text"
        case _:
            return "other"


def fib(n):
    return n if n < 2 else fib(n - 1) + fib(n - 2)


def where_am_i():
    frame = sys._getframe()
    line = frame.f_lineno
    return frame.f_code.co_name, line - frame.f_code.co_firstlineno, frame.f_back.f_code.co_name


def my_source():
    return inspect.getsource(my_source)


def fails(x, /, y=1):
    if x:
        raise ValueError(f"bad {x} {y}")
    return y


def my_traceback():
    try:
        fails(3)
    except ValueError:
        return [(f.name, f.line) for f in traceback.extract_tb(sys.exc_info()[2])]


class Base:
    def __init__(self, v):
        self.v = v

    def describe(self):
        return f"{type(self).__name__}({self.v})"


class Child(Base):
    """A docstring only would do; here methods too."""

    limit = 3

    def __init__(self, v, w=0):
        super().__init__(v)
        self.__w = w

    def describe(self):
        return super().describe() + f"+{self.__w}"

    @property
    def w(self):
        """The hidden w."""
        return self.__w

    @w.setter
    def w(self, value):
        self.__w = value

    @classmethod
    def make(cls, v):
        return cls(v, w=1)

    @staticmethod
    def helper(a, b):
        """Static."""

    class Inner:
        def deep(self):
            return [lambda: i for i in range(2)][1]()

    def method_stub(self) -> int: ...


if sys.version_info >= (3, 0):
    def conditional():
        return "defined in an if"
else:
    def conditional():
        return "never"

try:
    def in_try(a: int, *rest: int, key: str = "k", **more: int) -> str:
        return f"{a}{rest}{key}{sorted(more)}"
except Exception:
    pass

for _i in range(2):
    def in_loop(i=_i):
        return i

with open(__file__, encoding="utf-8") as _handle:
    def in_with():
        return "with"
'''

RUN = '''\
import asyncio
import inspect
import sys

import constructs as c

print(c.only_docstring(), c.only_docstring.__doc__)
print(c.only_docstring_two_lines(1), c.only_ellipsis(2), c.only_pass(1, k=2))
print(c.stub_with_docstring_and_ellipsis(), c.stub_with_docstring_and_ellipsis.__doc__)
print(c.decorated("hi"), c.decorated("hi", suffix="?"), c.decorated.__name__)
print(c.outer(5))
print(c.bump(2), c.bump(3), c.COUNTER)
print(list(c.countdown(3)), list(c.chained(2)))
print(asyncio.run(c.fetch(21)), asyncio.run(c.gather_all()))
for value in ({"kind": "point", "x": 1, "y": 2}, [1, 2, 3], 42, "s", 3.5):
    print(c.classify(value))
print(c.fib(15))
print(c.where_am_i())
print(c.my_source())
print(c.my_traceback())
print(inspect.signature(c.in_try), c.in_try(1, 2, 3, key="x", z=1))
child = c.Child.make(4)
child.w = 9
print(child.describe(), child.w, c.Child.w.__doc__, c.Child.helper(1, 2), c.Child.limit)
print(c.Child.Inner().deep(), c.conditional(), c.in_loop(), c.in_with())
print(c.only_docstring.__code__.co_firstlineno, c.Child.describe.__code__.co_firstlineno)
print(inspect.getsourcelines(c.Child.make)[1], c.only_ellipsis.__code__.co_varnames)
print(c.fails.__defaults__, inspect.getdoc(c.Child))
print(sys.argv[1:])
sys.exit(int(sys.argv[1]))
'''


def _project(tmp_path: Path) -> Path:
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'constructs'\n",
                                             encoding="utf-8")
    (tmp_path / "constructs.py").write_text(CONSTRUCTS, encoding="utf-8")
    (tmp_path / "run.py").write_text(RUN, encoding="utf-8")
    return tmp_path


def _plain(root: Path, *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PYTHON, *command], cwd=root, capture_output=True, text=True,
                          timeout=60)


def _traced(root: Path, *command: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([PYTHON, "-m", "lesson_lsp.cli", "trace", "--top", "100", "--",
                           "python", *command], cwd=root, capture_output=True, text=True,
                          timeout=120)


def _workload_part(traced: subprocess.CompletedProcess[str], command: str) -> str:
    """The traced run's stdout up to the trace's own table (printed after the workload)."""
    cut = traced.stdout.rfind(f"\n`python {command}")
    assert cut >= 0, traced.stdout
    return traced.stdout[:cut]


def test_every_construct_runs_the_same_traced_and_the_exit_status_is_the_workloads(
        tmp_path: Path) -> None:
    root = _project(tmp_path)
    plain = _plain(root, "run.py", "7")
    assert plain.returncode == 7, plain.stderr
    assert "Nothing but this docstring." in plain.stdout and "point 1,2" in plain.stdout
    traced = _traced(root, "run.py", "7")
    assert traced.returncode == 7, traced.stderr  # the workload's own exit status
    assert _workload_part(traced, "run.py") == plain.stdout
    trace = traces.load(root)
    assert trace is not None and trace.exit_code == 7 and trace.uninstrumented == []
    assert "failed (exit 7)" in trace.note
    calls = {f.qualname: f.calls for f in trace.functions}
    # Instrumented, not merely left alone: each construct's calls were counted.
    assert calls["only_docstring"] == 1 and calls["only_docstring_two_lines"] == 1
    assert calls["only_ellipsis"] == 1 and calls["only_pass"] == 1
    assert calls["stub_with_docstring_and_ellipsis"] == 1
    assert calls["decorated"] == 2 and calls["outer"] == 1 and calls["bump"] == 2
    assert calls["countdown"] == 2 and calls["chained"] == 1
    assert calls["fetch"] == 4 and calls["agen"] == 1 and calls["gather_all"] == 1
    assert calls["classify"] == 5 and calls["fib"] == 1973  # every call of a recursive one
    assert calls["Child.make"] == 1 and calls["Child.__init__"] == 1
    assert calls["Child.Inner.deep"] == 1 and calls["in_try"] == 1
    assert calls["conditional"] == 1 and calls["in_with"] == 1 and calls["my_source"] == 1

    succeeded = _traced(root, "run.py", "0")
    assert succeeded.returncode == 0, succeeded.stderr
    assert _workload_part(succeeded, "run.py") == _plain(root, "run.py", "0").stdout


def test_an_uncaught_exception_prints_as_python_does_and_exits_1(tmp_path: Path) -> None:
    root = _project(tmp_path)
    (root / "boom.py").write_text(
        "import constructs\n\nprint('before')\nconstructs.fails(5, 6)\n", encoding="utf-8")
    plain = _plain(root, "boom.py")
    traced = _traced(root, "boom.py")
    assert plain.returncode == traced.returncode == 1
    assert _workload_part(traced, "boom.py") == plain.stdout == "before\n"
    shown = traced.stderr[traced.stderr.index("Traceback"):]
    assert shown == plain.stderr  # the same traceback, line for line
    killed = root / "killed.py"
    killed.write_text("import os, signal\nos.kill(os.getpid(), signal.SIGTERM)\n",
                      encoding="utf-8")
    done = subprocess.run([PYTHON, "-m", "lesson_lsp.cli", "trace", "--json", "--", "python",
                           "killed.py"], cwd=root, capture_output=True, text=True, timeout=60)
    assert done.returncode == 128 + 15, done.stderr  # as a shell reports a signal
    assert json.loads(done.stdout)["exit_code"] == 128 + 15


def _too_deep_once_rewritten() -> str | None:
    """A module that Python compiles from source but not from a rewritten tree (a very long
    chain of `+`: the tree is too deep to turn back into the compiler's), or None on an
    interpreter without such a module."""
    for terms in (1000, 1500, 2000, 2500):
        source = "TOTAL = " + " + ".join(["1"] * terms) + "\n"
        try:
            compile(source, "deep.py", "exec")
        except RecursionError:
            return None
        try:
            compile(ast.parse(source), "deep.py", "exec")
        except RecursionError:
            return source
    return None


def test_a_module_that_cannot_be_instrumented_runs_as_written_and_is_reported(
        tmp_path: Path) -> None:
    deep = _too_deep_once_rewritten()
    if deep is None:
        pytest.skip("this interpreter compiles every tree it parses")
    root = _project(tmp_path)
    (root / "deep.py").write_text(deep + "\n\ndef total():\n    return TOTAL\n",
                                  encoding="utf-8")
    (root / "use.py").write_text(
        "import constructs, deep\n\nprint(deep.total(), constructs.fib(10))\n",
        encoding="utf-8")
    plain = _plain(root, "use.py")
    assert plain.returncode == 0, plain.stderr
    traced = _traced(root, "use.py")
    assert traced.returncode == 0, traced.stderr
    assert _workload_part(traced, "use.py") == plain.stdout
    assert "not instrumented (ran as written): deep.py: RecursionError" in traced.stdout
    trace = traces.load(root)
    assert trace is not None
    assert [Path(e["path"]).name for e in trace.uninstrumented] == ["deep.py"]
    assert "1 module could not be instrumented" in trace.note
    names = {f.qualname for f in trace.functions}
    assert "fib" in names and "total" not in names  # the others still traced
    as_json = subprocess.run([PYTHON, "-m", "lesson_lsp.cli", "trace", "--json", "--",
                              "python", "use.py"], cwd=root, capture_output=True, text=True,
                             timeout=120)
    assert as_json.returncode == 0, as_json.stderr
    reported = json.loads(as_json.stdout)["uninstrumented"]
    assert [e["path"] for e in reported] == ["deep.py"]
    assert reported[0]["why"].startswith("RecursionError")


PROPERTY = '''\
class Version:
    def __init__(self, major):
        self._major = major

    @property
    def major(self):
        """The major part (read-only)."""
        return self._major

    @major.setter
    def major(self, value):
        raise AttributeError("attribute 'major' is readonly")
'''


def test_a_property_getter_with_a_setter_is_traced_as_the_getter(tmp_path: Path) -> None:
    """The getter and its setter share `Version.major`: the trace points at the getter, whose
    code `optimize` finds under that name, so it is not "stale"."""
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text("[project]\nname = 'ver'\n", encoding="utf-8")
    (root / "ver.py").write_text(PROPERTY, encoding="utf-8")
    (root / "run.py").write_text("from ver import Version\n"
                                 "versions = [Version(i % 13) for i in range(3000)]\n"
                                 "print(sum(v.major for v in versions))\n", encoding="utf-8")
    done = _traced(root, "run.py")
    assert done.returncode == 0, done.stderr
    trace = traces.load(root)
    assert trace is not None
    (major,) = [f for f in trace.functions if f.qualname == "Version.major"]
    getter = function_named(PROPERTY, "Version.major")
    assert major.line == getter.def_line + 1 and major.calls == 3000
    assert trace.fresh(root / "ver.py", "Version.major",
                       fingerprint(to_column0(getter.source, getter.indent))) is not None
    # The harness calls the getter on the instances the workload used.
    done = subprocess.run([PYTHON, "-m", "lesson_lsp.cli", "optimize", "ver.py::Version.major",
                           "--rounds", "1"], cwd=root, capture_output=True, text=True,
                          timeout=300)
    assert done.returncode == 0, done.stderr
    assert "as the workload called it" in done.stdout + done.stderr
