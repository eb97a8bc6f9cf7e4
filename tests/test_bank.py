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
    assert len(bank.select(4, "code")) == 3


def test_half_by_speedup_rest_by_relevance(tmp_path: Path) -> None:
    bank = Bank(tmp_path / "b.db")
    bank.add(lesson("fast1", 9.0, code="alpha"))
    bank.add(lesson("fast2", 5.0, code="alpha"))
    bank.add(lesson("fast3", 4.0, code="alpha"))
    bank.add(lesson("slow-relevant", 0.0, code="for x in ys: if x in zs", outcome="incorrect"))
    bank.add(lesson("barely", 1.05, code="for x in ys: count"))
    bank.add(lesson("unrelated", 0.5, code="print hello"))
    chosen = [x.text for x in bank.select(4, "for x in ys: if x in zs: count += 1")]
    assert chosen[:2] == ["fast1", "fast2"]  # ⌈4/2⌉ by speedup × factor, ≥ 1.1
    assert chosen[2:] == ["slow-relevant", "barely"]  # the rest by relevance


def test_factors_rise_when_beaten_and_sink_when_not(tmp_path: Path) -> None:
    bank = Bank(tmp_path / "b.db")
    beaten = bank.add(lesson("beaten", 2.0))
    unbeaten = bank.add(lesson("unbeaten", 50.0))
    bank.update_factors([beaten, unbeaten], [3.0, 0.0])
    stored = {x.text: x for x in bank.all()}
    assert stored["beaten"].factor == 1.1 and stored["beaten"].uses == 1
    assert stored["unbeaten"].factor == 0.9
    bank.update_factors([stored["beaten"]], [1.0])
    assert abs(bank.all()[-1].factor - 1.0) < 1e-9 or abs(
        {x.text: x for x in bank.all()}["beaten"].factor - 1.0) < 1e-9


def test_prune_and_search(tmp_path: Path) -> None:
    bank = Bank(tmp_path / "b.db")
    low = bank.add(lesson("hopeless", 1.0))
    bank.add(lesson("useful set trick", 3.0))
    bank.update_factors([low], [0.0])
    assert [x.text for x in bank.search("set")] == ["useful set trick"]
    assert bank.prune(0.95) == 1
    assert [x.text for x in bank.all()] == ["useful set trick"]
