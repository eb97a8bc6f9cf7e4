"""Runs inside the sandbox: the project's pytest suite, once, recording the outermost calls it
makes to every function of one module, so that one run serves every function of it.

Standard library only (pytest is the project's, imported from the project's interpreter). A
failing test is counted, never fatal; a call whose arguments cannot be pickled is skipped alone;
a test that hangs is stopped by an alarm; the whole run keeps to a time budget, running first
the tests that name the function being optimized.
"""

from __future__ import annotations

import base64
import contextlib
import functools
import hashlib
import importlib.machinery
import io
import os
import pickle
import re
import signal
import sys
import time
import types
from typing import Any

from lesson_lsp.harness.calls import WorkerError, mangled

LIMIT_PER_FUNCTION = 40  # distinct calls kept per function
TRIES_PER_FUNCTION = 400  # calls pickled per function before giving up on new ones
PICKLING_S_PER_FUNCTION = 1.0  # time spent copying one function's arguments, at most
SOFT_BUDGET_S = 10.0  # after this, stop as soon as the function has calls
MAX_CALL_BYTES = 1 << 20
MAX_TOTAL_BYTES = 48 << 20
TEST_TIMEOUT_S = 10.0


class Recorder:
    """Wraps every function and method defined in the module when it is imported, and keeps a
    pickled copy of the arguments of each outermost call (taken at call time, before the
    function can change them)."""

    def __init__(self, module_name: str) -> None:
        self.name = module_name
        self.calls: dict[str, list[bytes]] = {}
        self.digests: dict[str, set[bytes]] = {}
        self.tries: dict[str, int] = {}
        self.unpicklable: dict[str, int] = {}
        self.pickling_s: dict[str, float] = {}
        self.depth: dict[str, int] = {}
        self.total = 0
        self.wrapped = False

    # -- the import hook: a meta-path finder that wraps the loader of one module
    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        if fullname != self.name:
            return None
        spec = importlib.machinery.PathFinder.find_spec(fullname, path)
        if spec is None or spec.loader is None:
            return spec
        spec.loader = _Wrapping(spec.loader, self)  # type: ignore[assignment]
        return spec

    def wrap_module(self, module: types.ModuleType) -> None:
        self.wrapped = True
        for qualname, owner, attr, raw in _functions(module):
            with contextlib.suppress(Exception):
                setattr(owner, attr, self._recording(qualname, raw))

    def _recording(self, qualname: str, raw: Any) -> Any:
        function = raw.__func__ if isinstance(raw, (staticmethod, classmethod)) else raw
        drop_first = isinstance(raw, classmethod)  # the harness passes `cls` itself
        recorder = self
        self.depth[qualname] = 0

        @functools.wraps(function)
        def recording(*args: Any, **kwargs: Any) -> Any:
            if recorder.depth[qualname] == 0:
                recorder.record(qualname, args[1:] if drop_first else args, kwargs)
            recorder.depth[qualname] += 1
            try:
                return function(*args, **kwargs)
            finally:
                recorder.depth[qualname] -= 1

        if isinstance(raw, staticmethod):
            return staticmethod(recording)
        if isinstance(raw, classmethod):
            return classmethod(recording)
        return recording

    def record(self, qualname: str, args: tuple, kwargs: dict) -> None:
        kept = self.calls.setdefault(qualname, [])
        tries = self.tries.get(qualname, 0)
        spent = self.pickling_s.get(qualname, 0.0)
        if len(kept) >= LIMIT_PER_FUNCTION or tries >= TRIES_PER_FUNCTION or \
                self.total >= MAX_TOTAL_BYTES or spent >= PICKLING_S_PER_FUNCTION:
            return
        self.tries[qualname] = tries + 1
        started = time.perf_counter()
        try:
            data = copy_call(args, kwargs)
        except Exception:  # one argument that cannot be copied skips this call only
            self.unpicklable[qualname] = self.unpicklable.get(qualname, 0) + 1
            return
        finally:
            self.pickling_s[qualname] = spent + time.perf_counter() - started
        if len(data) > MAX_CALL_BYTES:  # counted with the uncopyable: not kept either
            self.unpicklable[qualname] = self.unpicklable.get(qualname, 0) + 1
            return
        digest = hashlib.sha1(data).digest()
        seen = self.digests.setdefault(qualname, set())
        if digest in seen:
            return
        seen.add(digest)
        kept.append(data)
        self.total += len(data)


_MATCH = re.Match


def rebuild_match(pattern: re.Pattern, string: Any, start: int, end: int,
                  endpos: int) -> re.Match | None:
    """A regex match made again where the test's was: the same span and groups."""
    found = pattern.match(string, start, endpos)
    if found is None or found.end() != end:
        found = pattern.fullmatch(string, start, end)
    return found


class _Copier(pickle.Pickler):
    """pickle, and regex matches (parsers hand them around) as a way to make them again."""

    def reducer_override(self, obj: Any) -> Any:
        if isinstance(obj, _MATCH):
            again = rebuild_match(obj.re, obj.string, obj.start(), obj.end(), obj.endpos)
            if again is None or again.span() != obj.span() or again.groups() != obj.groups():
                raise pickle.PicklingError("a regex match that cannot be made again")
            return rebuild_match, (obj.re, obj.string, obj.start(), obj.end(), obj.endpos)
        return NotImplemented


def copy_call(args: tuple, kwargs: dict) -> bytes:
    buffer = io.BytesIO()
    _Copier(buffer, protocol=4).dump((args, kwargs))
    return buffer.getvalue()


class _Wrapping:
    """The module's own loader, then the recorder's wrapping."""

    def __init__(self, inner: Any, recorder: Recorder) -> None:
        self.inner, self.recorder = inner, recorder

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)

    def create_module(self, spec: Any) -> Any:
        return self.inner.create_module(spec)

    def exec_module(self, module: types.ModuleType) -> None:
        self.inner.exec_module(module)
        self.recorder.wrap_module(module)


def _functions(module: types.ModuleType) -> list[tuple[str, Any, str, Any]]:
    """(qualname, owner, attribute, raw attribute) of each function defined in the module: at
    top level and in its classes (nested ones too), aliases and imported names left out."""
    found: list[tuple[str, Any, str, Any]] = []
    name = module.__name__

    def visit(owner: Any, prefix: str, depth: int) -> None:
        for attr, raw in list(vars(owner).items()):
            function = raw.__func__ if isinstance(raw, (staticmethod, classmethod)) else raw
            qualname = prefix + _unmangled(owner, attr)
            if isinstance(function, types.FunctionType):
                if function.__module__ == name and function.__qualname__ == qualname:
                    found.append((qualname, owner, attr, raw))
            elif isinstance(raw, type) and depth < 4 and raw.__module__ == name and \
                    raw.__qualname__ == qualname:
                visit(raw, qualname + ".", depth + 1)

    visit(module, "", 0)
    return found


def _unmangled(owner: Any, attr: str) -> str:
    """`__name` as written in the class body, for the attribute `_Class__name` (calls.mangled
    says how Python stores it)."""
    if isinstance(owner, type):
        written = attr[len(owner.__name__.lstrip("_")) + 1:]
        if written != attr and mangled(owner, written) == attr:
            return written
    return attr


class _TestTimeout(Exception):
    pass


class Schedule:
    """A pytest plugin: the tests that name the function first, then those that name its
    module; stop when the budget is spent, or after a short while once the function has calls
    and no test left names it; progress on the report pipe."""

    def __init__(self, job: dict[str, Any], recorder: Recorder) -> None:
        self.recorder = recorder
        self.wanted = str(job["qualname"])
        self.words = (self.wanted.rsplit(".", 1)[-1], str(job["module_name"]).rsplit(".", 1)[-1])
        self.started = time.monotonic()
        self.deadline = self.started + float(job.get("capture_budget_s", 60.0))
        self.report_fd = int(job.get("report_fd", -1))
        self.texts: dict[str, int] = {}
        self.total = self.ran = 0
        self.outcomes: dict[str, bool] = {}  # test id → passed (a failing phase or subtest wins)
        self.stopped = ""
        self.last_report = 0.0

    def rank(self, item: Any) -> int:
        """0: its file names the function; 1: it names the module; 2: neither."""
        path = str(getattr(item, "path", "") or getattr(item, "fspath", ""))
        if path not in self.texts:
            try:
                with open(path, encoding="utf-8", errors="replace") as handle:
                    text = handle.read()
            except OSError:
                text = ""
            self.texts[path] = next((i for i, w in enumerate(self.words) if w in text), 2)
        return self.texts[path]

    def names_it(self, item: Any) -> bool:
        return self.rank(item) == 0

    def pytest_collection_modifyitems(self, session: Any, config: Any, items: list) -> None:
        items.sort(key=self.rank)  # stable: file order kept within a rank
        self.total = len(items)
        self.report()

    def pytest_runtest_protocol(self, item: Any, nextitem: Any) -> bool | None:
        if time.monotonic() > self.deadline:
            self.stopped = "time budget spent"
        elif self.recorder.calls.get(self.wanted) and not self.names_it(item) and \
                time.monotonic() - self.started > SOFT_BUDGET_S:
            self.stopped = "enough calls"
        if self.stopped:
            item.session.shouldstop = self.stopped
            return True  # handled: not run
        self.ran += 1
        self.report()
        return None

    def pytest_runtest_call(self, item: Any) -> None:
        signal.setitimer(signal.ITIMER_REAL, TEST_TIMEOUT_S)

    def pytest_runtest_teardown(self, item: Any) -> None:
        signal.setitimer(signal.ITIMER_REAL, 0)

    def pytest_runtest_logreport(self, report: Any) -> None:
        if report.failed:
            self.outcomes[report.nodeid] = False
        elif report.when == "call" and report.passed:
            self.outcomes.setdefault(report.nodeid, True)

    @property
    def passed(self) -> int:
        return sum(self.outcomes.values())

    @property
    def failed(self) -> int:
        return len(self.outcomes) - self.passed

    def report(self) -> None:
        now = time.monotonic()
        if self.report_fd < 0 or (now - self.last_report < 0.25 and self.ran < self.total):
            return
        self.last_report = now
        with contextlib.suppress(OSError):
            line = f"capturing calls from tests: {self.ran}/{self.total}\n"
            os.write(self.report_fd, line.encode("utf-8"))


def _quieted_plugins() -> list[str]:
    """Coverage writes files and xdist starts processes (both refused in the sandbox): switched
    off by their own options, so that a project whose addopts name them still parses."""
    import importlib.util

    found = []
    if importlib.util.find_spec("pytest_cov") is not None:
        found.append("--no-cov")
    if importlib.util.find_spec("xdist") is not None:
        found += ["-n", "0"]
    return found


def _alarm(signum: int, frame: Any) -> None:
    raise _TestTimeout(f"a test ran longer than {TEST_TIMEOUT_S:g} s")


def capture(job: dict[str, Any]) -> dict[str, Any]:
    """Run the project's tests from its root and return the recorded calls per function."""
    try:
        import pytest
    except ImportError as exc:
        raise WorkerError(f"pytest is not installed in {sys.executable}, so no calls could be "
                          "captured from the tests: install pytest there") from exc
    recorder = Recorder(job["module_name"])
    sys.meta_path.insert(0, recorder)
    for entry in reversed(job.get("sys_path", [])):
        if entry not in sys.path:
            sys.path.insert(0, entry)
    schedule = Schedule(job, recorder)
    signal.signal(signal.SIGALRM, _alarm)
    root = job["tests_root"]
    os.chdir(root)  # pytest finds the project's own configuration (testpaths, rootdir) here
    out = io.StringIO()
    started = time.monotonic()
    arguments = ["-q", "-p", "no:cacheprovider", "-p", "no:randomly", "--rootdir", root,
                 "-W", "ignore", "--continue-on-collection-errors", *_quieted_plugins()]
    before = list(sys.path)
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        code = pytest.main(arguments, plugins=[schedule])
    # Where pytest imported the test modules from: an argument may be an object of a class a
    # test module defines, which the worker can then import to unpickle it.
    test_paths = [entry for entry in sys.path if entry not in before and os.path.isdir(entry)]
    signal.setitimer(signal.ITIMER_REAL, 0)
    functions = {q: [base64.b64encode(c).decode("ascii") for c in calls]
                 for q, calls in recorder.calls.items() if calls}
    return {"functions": functions, "unpicklable": recorder.unpicklable,
            "imported": recorder.wrapped, "collected": schedule.total, "ran": schedule.ran,
            "passed": schedule.passed, "failed": schedule.failed,
            "complete": not schedule.stopped and schedule.ran == schedule.total,
            "stopped": schedule.stopped, "seconds": time.monotonic() - started,
            "test_paths": test_paths,
            "pytest_exit": int(code), "pytest_tail": out.getvalue()[-1500:]}
