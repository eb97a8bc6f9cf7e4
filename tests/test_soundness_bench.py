"""benchmarks/soundness.py end to end on a tiny task made here: its ground truth is built, a
correct candidate and its one mutant are judged on it, the mutant goes through the real
`lesson-lsp verify` (one harness run; the correct one gets a made-up verdict, a timed verify
would take most of the 10 s), and the table counts both in the right rows."""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"

TASK = '''"""A loop that sums."""


def total(xs):
    s = 0
    for x in xs:
        s += x
    return s


def bench_inputs():
    return [(list(range(3000)),)]


def hidden_inputs():
    return [([],), ([5],), ([1, 2],)]
'''


@pytest.fixture
def soundness(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The script (its helpers are the package `soundness` beside it), under another name."""
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    for name in [n for n in sys.modules if n == "soundness" or n.startswith("soundness.")]:
        monkeypatch.delitem(sys.modules, name)
    spec = importlib.util.spec_from_file_location("soundness_bench", BENCHMARKS / "soundness.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_table_counts(tmp_path: Path, soundness: ModuleType, monkeypatch: pytest.MonkeyPatch,
                      capsys: pytest.CaptureFixture[str]) -> None:
    tasks, empty = tmp_path / "tasks", tmp_path / "none"
    tasks.mkdir()
    empty.mkdir()
    (tasks / "tiny.py").write_text(TASK, encoding="utf-8")
    (tasks / "manifest.json").write_text('{"tiny": "total"}', encoding="utf-8")
    (empty / "manifest.json").write_text("{}", encoding="utf-8")
    Candidate = sys.modules["soundness.corpus"].Candidate
    # One mutation site only (the return): its one mutant returns the most common value, 0.
    right = Candidate("tiny", "rule", "made here", "def total(xs):\n    return sum(xs)\n")
    monkeypatch.setattr(soundness, "candidates", lambda *_: [right])
    real = soundness.verify

    def verify(task: object, cand: object, config: str, *rest: object) -> dict[str, object]:
        if cand is right:
            return {**soundness._entry(cand, config), "verdict": "faster", "detail": "",
                    "seconds": 1.0}
        return dict(real(task, cand, config, *rest))

    monkeypatch.setattr(soundness, "verify", verify)
    out = tmp_path / "run.json"
    assert soundness.main(["--tasks", str(tasks), "--enamel-tasks", str(empty), "--work",
                           str(tmp_path / "work"), "--kinds", "rule,mutant", "--configs",
                           "named", "--per-task", "1", "--json", str(out)]) == 0
    saved = json.loads(out.read_text(encoding="utf-8"))
    rows = {r["kind"]: r for r in saved["table"]}
    assert rows["rule"]["cands"] == rows["rule"]["correct"] == 1
    assert rows["rule"]["c_incorrect"] == 0
    assert rows["mutant"]["cands"] == rows["mutant"]["wrong"] == 1
    assert rows["mutant"]["w_equiv"] == rows["mutant"]["w_faster"] == 0
    assert rows["all"]["cands"] == 2
    verdicts = {r["kind"]: r["verdict"] for r in saved["results"]}
    assert verdicts == {"rule": "faster", "mutant": "incorrect"}
    mutant = next(c for c in saved["candidates"] if c["kind"] == "mutant")
    assert "return sum(xs)" not in mutant["source"] and mutant["first"]["label"] == "hidden"
    assert saved["tasks"]["tiny"]["by_source"]["hidden"] == 3
    printed = capsys.readouterr().out
    assert "wrong but accepted: 0" in printed
    assert "correct by the ground truth but judged incorrect: 0" in printed


def test_a_failing_input_is_replayed_outside_lesson_lsp(tmp_path: Path,
                                                        soundness: ModuleType) -> None:
    """A correct candidate judged incorrect counts as a false alarm only when its failing
    input, replayed by the ground-truth worker, shows no difference."""
    (tmp_path / "tiny.py").write_text(TASK, encoding="utf-8")
    task = sys.modules["soundness.corpus"].Task("tiny", tmp_path / "tiny.py", "total", "tasks")
    # Wrong only on lists of seven: the ground truth may lack one, the harness may find one.
    source = "def total(xs):\n    return 0 if len(xs) == 7 else sum(xs)\n"
    results = [{"key": "k", "task": "tiny", "truth": "correct", "verdict": "incorrect",
                "failing_input": shown} for shown in
               ("[[1, 2, 3, 4, 5, 6, 7]]", "[[1, 2]]", "[[1, 2, …]]")]
    sys.modules["soundness.confirm"].confirm(results, {"tiny": task}, {"k": source})
    assert [r["confirmed"] for r in results] == [True, False, None]
    assert "returns 28" in results[0]["replay"] and "returns 0" in results[0]["replay"]
    rows = sys.modules["soundness.report"].table(
        [{**r, "config": "none", "kind": "expert", "seconds": 1.0} for r in results], ["none"])
    assert rows[-1]["c_shown"] == 1 and rows[-1]["c_incorrect"] == 2
