"""The lesson bank: persistence, LessonL selection and factor updates, on real SQLite."""

from __future__ import annotations

from pathlib import Path

from lesson_lsp.team.bank import Bank, Lesson


def lesson(text: str, speedup: float, code: str = "x", outcome: str = "faster") -> Lesson:
    return Lesson(text=text, outcome=outcome, speedup=speedup, function="f", fingerprint="fp",
                  code=code, agent="a")


def test_lessons_outlive_the_connection(tmp_path: Path) -> None:
    path = tmp_path / "deep" / "lessons.db"
    bank = Bank(path)
    kept = bank.add(lesson("use a set", 5.0))
    bank.close()
    again = Bank(path)
    assert [x.id for x in again.all()] == [kept.id]
    assert again.all()[0].text == "use a set"
    assert again._db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


def test_all_lessons_when_no_more_than_k(tmp_path: Path) -> None:
    bank = Bank(tmp_path / "b.db")
    for i in range(3):
        bank.add(lesson(f"l{i}", 1.0))
    assert len(bank.select(4, "code", "fp")) == 3


def test_half_by_speedup_rest_by_relevance(tmp_path: Path) -> None:
    bank = Bank(tmp_path / "b.db")
    bank.add(lesson("fast1", 9.0, code="alpha"))
    bank.add(lesson("fast2", 5.0, code="alpha"))
    bank.add(lesson("fast3", 4.0, code="alpha"))
    bank.add(lesson("slow-relevant", 0.0, code="for x in ys: if x in zs", outcome="incorrect"))
    bank.add(lesson("barely", 1.05, code="for x in ys: count"))
    bank.add(lesson("unrelated", 0.5, code="print hello"))
    chosen = [x.text for x in bank.select(4, "for x in ys: if x in zs: count += 1", "fp")]
    assert chosen[:2] == ["fast1", "fast2"]  # ⌈4/2⌉ by speedup × factor, ≥ 1.1
    assert chosen[2:] == ["slow-relevant", "barely"]  # the rest by relevance


def test_factors_rise_when_beaten_and_sink_when_not(tmp_path: Path) -> None:
    bank = Bank(tmp_path / "b.db")
    beaten = bank.add(lesson("beaten", 2.0))
    unbeaten = bank.add(lesson("unbeaten", 50.0))
    bank.update_factors([beaten, unbeaten], [3.0])
    stored = {x.text: x for x in bank.all()}
    assert stored["beaten"].factor == 1.1 and stored["beaten"].uses == 1
    assert stored["unbeaten"].factor == 0.9
    bank.update_factors([stored["beaten"]], [1.0])  # replaced, not averaged with 1.1
    assert {x.text: x for x in bank.all()}["beaten"].factor == 0.9


def test_prune_and_search(tmp_path: Path) -> None:
    bank = Bank(tmp_path / "b.db")
    low = bank.add(lesson("hopeless", 1.0))
    bank.add(lesson("useful set trick", 3.0))
    bank.update_factors([low], [0.0])
    assert [x.text for x in bank.search("set")] == ["useful set trick"]
    assert bank.prune(0.95) == 1
    assert [x.text for x in bank.all()] == ["useful set trick"]


def test_a_corrupt_bank_is_moved_aside_and_replaced(tmp_path: Path) -> None:
    path = tmp_path / "lessons.db"
    path.write_bytes(b"this is not a database" * 100)
    bank = Bank(path)
    assert "moved to lessons.db.corrupt-" in bank.notice
    bank.add(lesson("fresh start", 2.0))
    assert [x.text for x in bank.all()] == ["fresh start"]
    assert any(p.name.startswith("lessons.db.corrupt-") for p in tmp_path.iterdir())


def test_a_read_only_bank_is_read_and_not_written(tmp_path: Path, monkeypatch) -> None:
    import sqlite3

    path = tmp_path / "lessons.db"
    Bank(path).add(lesson("kept", 3.0))

    def refuse(self: Bank) -> sqlite3.Connection:
        # What SQLite says when the file or its folder cannot be written (root ignores chmod,
        # so the refusal is staged here).
        raise sqlite3.OperationalError("attempt to write a readonly database")

    monkeypatch.setattr(Bank, "_open", refuse)
    bank = Bank(path)
    assert bank.read_only and "read-only" in bank.notice
    bank.add(lesson("lost", 1.0))
    bank.update_factors(bank.all(), [9.0])
    assert [(x.text, x.factor) for x in bank.all()] == [("kept", 1.0)]


WRITER = """
import sys
from lesson_lsp.team.bank import Bank, Lesson
bank = Bank(sys.argv[1], per_function=10**7, total=10**7)  # every lesson kept
for i in range(150):
    bank.add(Lesson(text=f"{sys.argv[2]}-{i}", outcome="faster", speedup=2.0, function="f",
                    fingerprint="x", code="c", agent=sys.argv[2]))
"""


def test_two_processes_writing_at_once_lose_nothing(tmp_path: Path) -> None:
    import subprocess
    import sys

    path = tmp_path / "shared.db"
    writers = [subprocess.Popen([sys.executable, "-c", WRITER, str(path), name])
               for name in ("window-a", "window-b")]
    assert all(w.wait(timeout=120) == 0 for w in writers)
    texts = {x.text for x in Bank(path).all(limit=1000)}
    assert len(texts) == 300


def test_a_killed_writer_loses_no_acknowledged_lesson(tmp_path: Path) -> None:
    import signal
    import subprocess
    import sys
    import time

    path = tmp_path / "killed.db"
    script = WRITER.replace("range(150)", "range(10**6)").replace(
        "bank.add(", "print(bank.add(").replace("agent=sys.argv[2]))",
                                                  "agent=sys.argv[2])).text, flush=True)")
    writer = subprocess.Popen([sys.executable, "-c", script, str(path), "k"],
                              stdout=subprocess.PIPE, text=True)
    assert writer.stdout is not None
    acknowledged = [writer.stdout.readline().strip() for _ in range(200)]
    time.sleep(0.05)
    writer.send_signal(signal.SIGKILL)
    writer.wait(timeout=30)
    stored = {x.text for x in Bank(path).all(limit=10**6)}
    assert set(acknowledged) <= stored


def test_relevance_by_embeddings_when_given(tmp_path: Path) -> None:
    import json

    bank = Bank(tmp_path / "b.db")
    for i in range(3):
        bank.add(lesson(f"fast{i}", 5.0 - i))
    # Lexically, "words" matches the query; by embedding, "vector" does.
    bank.add(Lesson(text="words", outcome="incorrect", speedup=0.0, function="f",
                    fingerprint="x", code="for x in ys: total", agent="a",
                    embedding=json.dumps([0.0, 1.0])))
    bank.add(Lesson(text="vector", outcome="incorrect", speedup=0.0, function="f",
                    fingerprint="x", code="zzz", agent="a", embedding=json.dumps([1.0, 0.0])))
    query = "for x in ys: total += x"  # the three "fast" lessons are this function's own
    assert bank.select(4, query, "fp")[3].text == "words"
    assert bank.select(4, query, "fp", vector=[1.0, 0.1])[3].text == "vector"
