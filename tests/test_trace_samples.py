"""Calls sampled from a workload: a hot function called late still gets some whatever the
copying budget says, the time spent instrumenting the project is not the workload's, and a
replay that raises where the program's calls returned is refused, not timed."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from lesson_lsp.harness.recorder import PICKLING_S_PER_FUNCTION
from lesson_lsp.tracing import probe, results
from lesson_lsp.workspace import traces


def _registry_with_budget_spent() -> probe.Registry:
    registry = probe.Registry()
    registry.pickling_s = 1e6  # other functions' arguments spent it all
    assert not registry.may_pickle()
    return registry


def test_a_function_called_after_the_budget_was_spent_keeps_its_floor() -> None:
    registry = _registry_with_budget_spent()
    late = registry.functions[registry.slot("m.py", "late", 1, False)]
    cold = registry.functions[registry.slot("m.py", "cold", 9, False)]
    late.own_s = 1e3  # the profiler found it hot
    for i in range(10):
        registry.keep(registry.slots["m.py", "late"], ([i, 2, 3],), {})
        registry.keep(registry.slots["m.py", "cold"], ([i, 2, 3],), {})
    assert len(late.kept) == probe.FLOOR_CALLS == 2  # the floor, no more while over budget
    assert cold.kept == []  # a cold function's copies would only slow the workload down


def test_the_floor_still_respects_a_functions_own_cap() -> None:
    registry = _registry_with_budget_spent()
    slot = registry.slot("m.py", "heavy", 1, False)
    heavy = registry.functions[slot]
    heavy.pickling_s = PICKLING_S_PER_FUNCTION  # its own arguments already took its share
    heavy.own_s = 1e3
    registry.keep(slot, ([1],), {})
    assert heavy.kept == []


def test_the_tracers_own_time_is_left_out_of_the_shares(tmp_path: Path) -> None:
    work = tmp_path / "work.py"
    work.write_text("def hot(n):\n    return sum(range(n))\n", encoding="utf-8")
    raw = {"exit_code": 0, "complete": True, "wall_s": 5.0, "cpu_s": 4.0,
           "instrumenting_s": 2.0, "copying_s": 1.0, "profiled": True, "calls": {},
           "functions": [{"path": str(work), "qualname": "hot", "calls": 10, "own_s": 0.5,
                          "total_s": 0.5, "captured": 0, "unpicklable": 3}]}
    trace = results.assemble(json.loads(json.dumps(raw)), ["--", "python", "run.py"], tmp_path,
                             sys.executable, 5.0, 0, False, 60.0)
    (hot,) = trace.functions
    assert hot.share == 0.5  # of the workload's 1 s, not of the 4 s with the tracer's own 3 s
    assert trace.tracer_s == 3.0 and hot.unpicklable == 3
    assert trace.as_json()["functions"][0]["unpicklable"] == 3


LEXER = '''\
class Meta(type):
    """Builds the class's table on the first instantiation, as pygments' RegexLexerMeta does."""

    def __call__(cls, *args, **kwargs):
        if "_table" not in cls.__dict__:
            cls._table = {c: c.upper() for c in "abcdef"}
        return super().__call__(*args, **kwargs)


class Lexer(metaclass=Meta):
    def run(self, text):
        out = []
        for c in text:
            out.append(self._table.get(c, c))
        return "".join(out)
'''


def test_a_replay_that_lacks_the_programs_class_state_is_refused_not_timed(
        tmp_path: Path) -> None:
    """The workload's calls returned; replayed on an unpickled receiver (never made through the
    metaclass) they raise, while derived edge inputs (an empty text) return: timing the replay
    would time the AttributeError."""
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text("[project]\nname = 'lex'\n", encoding="utf-8")
    (root / "lexmod.py").write_text(LEXER, encoding="utf-8")
    (root / "run.py").write_text("from lexmod import Lexer\nlexer = Lexer()\ntotal = 0\n"
                                 "for i in range(3000):\n"
                                 "    total += len(lexer.run('abcxyz' * (i % 7 + 1)))\n"
                                 "print(total)\n", encoding="utf-8")

    def lesson(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([sys.executable, "-m", "lesson_lsp.cli", *args], cwd=root,
                              capture_output=True, text=True, timeout=600)

    traced = lesson("trace", "--", "python", "run.py")
    assert traced.returncode == 0, traced.stderr
    done = lesson("optimize", "lexmod.py::Lexer.run")
    assert done.returncode == 2, done.stdout + done.stderr
    assert "raised on every input (first: AttributeError" in done.stderr
    assert "replayed in a fresh process" in done.stderr


def test_compiling_a_module_is_not_the_time_of_the_function_that_imported_it(
        tmp_path: Path) -> None:
    """The tracer compiles the project's modules as they are imported; the untraced program
    loads bytecode. A function whose import triggers that compiling is not made hot by it."""
    root = tmp_path / "proj"
    root.mkdir()
    (root / "pyproject.toml").write_text("[project]\nname = 'big'\n", encoding="utf-8")
    (root / "big.py").write_text("".join(
        f"def f{i}(x, y=1):\n    if x > {i}:\n        return [x * y + k for k in range({i})]\n"
        f"    return {{'a': x, 'b': y, 'c': {i}}}\n\n\n" for i in range(4000)),
        encoding="utf-8")
    (root / "work.py").write_text(
        "def load():\n    import big\n    return big.f1(3)\n\n\n"
        "def spin(n):\n    total = 0\n    for i in range(n):\n        total += i % 7\n"
        "    return total\n", encoding="utf-8")
    (root / "run.py").write_text("from work import load, spin\nload()\n"
                                 "print(sum(spin(20000) for _ in range(60)))\n",
                                 encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "lesson_lsp.cli", "trace", "--", "python",
                           "run.py"], cwd=root, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    trace = traces.load(root)
    assert trace is not None and trace.tracer_s > 0
    shares = {f.qualname: f.share for f in trace.functions}
    assert shares["spin"] > 0.5 and shares.get("load", 0.0) < 0.1, shares
