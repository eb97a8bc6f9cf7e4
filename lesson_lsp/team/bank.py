"""The lesson bank: lessons outlive a run (SQLite, WAL) and the best and most relevant ones are
selected into the next prompts, as in LessonL (see shared LESSONL.md).
"""

from __future__ import annotations

import json
import math
import re
import sqlite3
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field, fields
from pathlib import Path

_SCHEMA = """
CREATE TABLE IF NOT EXISTS lessons (
    id TEXT PRIMARY KEY,
    text TEXT NOT NULL,
    outcome TEXT NOT NULL,
    speedup REAL NOT NULL,
    function TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    code TEXT NOT NULL,
    agent TEXT NOT NULL,
    model TEXT NOT NULL,
    round INTEGER NOT NULL,
    factor REAL NOT NULL DEFAULT 1.0,
    uses INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL,
    embedding TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS lessons_fingerprint ON lessons (fingerprint);
"""


@dataclass
class Lesson:
    text: str
    outcome: str
    speedup: float
    function: str
    fingerprint: str
    code: str
    agent: str
    model: str = ""
    round: int = 1
    factor: float = 1.0
    uses: int = 0
    created: float = field(default_factory=time.time)
    id: str = field(default_factory=lambda: uuid.uuid4().hex)
    embedding: str = ""  # JSON vector of `code` from the endpoint, when one is configured

    @property
    def score(self) -> float:
        return self.speedup * self.factor


_COLUMNS = [f.name for f in fields(Lesson)]
_TOKEN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*|\S")


def tokens(code: str) -> Counter[str]:
    """Identifier and symbol unigrams plus bigrams: a cheap stand-in for a code embedding."""
    words = _TOKEN.findall(code)
    counts = Counter(words)
    counts.update(a + " " + b for a, b in zip(words, words[1:]))
    return counts


def cosine(a: list[float], b: list[float]) -> float:
    norm = math.sqrt(sum(x * x for x in a)) * math.sqrt(sum(y * y for y in b))
    return sum(x * y for x, y in zip(a, b)) / norm if norm else 0.0


def similarity(a: str, b: str) -> float:
    """Cosine similarity of token counts (0 … 1)."""
    ta, tb = tokens(a), tokens(b)
    dot = sum(count * tb[word] for word, count in ta.items() if word in tb)
    norm = math.sqrt(sum(v * v for v in ta.values())) * math.sqrt(sum(v * v for v in tb.values()))
    return dot / norm if norm else 0.0


class Bank:
    """A lesson store in one SQLite file; safe for several processes (WAL, short transactions,
    every `add` committed before it returns). A file that is not a usable database is moved
    aside (`notice` says where) and a fresh bank takes its place; a bank that cannot be written
    is used read-only."""

    def __init__(self, path: Path | str) -> None:
        self.path = Path(path)
        self.notice = ""
        self.read_only = False
        if str(path) != ":memory:":
            self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = self._open()
        except sqlite3.DatabaseError as exc:
            if "readonly" in str(exc) or "read-only" in str(exc):
                self._db = self._open_read_only()
                return
            aside = self.path.with_name(f"{self.path.name}.corrupt-{int(time.time())}")
            self.path.replace(aside)
            for suffix in ("-wal", "-shm"):
                Path(str(self.path) + suffix).unlink(missing_ok=True)
            self.notice = (f"the lesson bank {self.path} was damaged ({exc}); it was moved to "
                           f"{aside.name} and a new bank was started")
            self._db = self._open()

    def _open(self) -> sqlite3.Connection:
        db = sqlite3.connect(str(self.path), timeout=10, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=FULL")
            db.executescript(_SCHEMA)
            columns = {row[1] for row in db.execute("PRAGMA table_info(lessons)")}
            if "embedding" not in columns:  # a bank from before embeddings
                db.execute("ALTER TABLE lessons ADD COLUMN embedding TEXT NOT NULL DEFAULT ''")
            if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError("integrity check failed")
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    def _open_read_only(self) -> sqlite3.Connection:
        self.read_only = True
        self.notice = (f"the lesson bank {self.path} is read-only: its lessons are used, "
                       "new ones are not kept")
        return sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=10,
                               isolation_level=None)

    def close(self) -> None:
        self._db.close()

    def add(self, lesson: Lesson) -> Lesson:
        if self.read_only:
            return lesson
        values = [getattr(lesson, c) for c in _COLUMNS]
        placeholders = ", ".join("?" for _ in _COLUMNS)
        self._db.execute(f"INSERT INTO lessons ({', '.join(_COLUMNS)}) VALUES ({placeholders})",
                         values)
        return lesson

    def _rows(self, where: str = "", args: tuple = (), limit: int = 1000) -> list[Lesson]:
        cursor = self._db.execute(
            f"SELECT {', '.join(_COLUMNS)} FROM lessons {where} ORDER BY created DESC LIMIT ?",
            (*args, limit))
        return [Lesson(**dict(zip(_COLUMNS, row))) for row in cursor.fetchall()]

    def all(self, limit: int = 1000) -> list[Lesson]:
        return self._rows(limit=limit)

    def for_function(self, fingerprint: str) -> list[Lesson]:
        return self._rows("WHERE fingerprint = ?", (fingerprint,))

    def search(self, text: str, limit: int = 100) -> list[Lesson]:
        return self._rows("WHERE text LIKE ? OR function LIKE ?", (f"%{text}%", f"%{text}%"),
                          limit)

    def prune(self, max_factor: float) -> int:
        """Forget lessons whose effectiveness sank to `max_factor` or below."""
        cursor = self._db.execute("DELETE FROM lessons WHERE factor <= ?", (max_factor,))
        return cursor.rowcount

    def select(self, k: int, code: str, pool: int = 500,
               vector: list[float] | None = None) -> list[Lesson]:
        """LessonL selection: up to ⌈k/2⌉ lessons with the best speedup × factor (≥ 1.1), the
        rest by relevance to `code` (cosine of embeddings when `vector`, the embedding of
        `code`, is given and a lesson has one; else lexical); all when the bank holds ≤ k."""
        if k <= 0:
            return []
        lessons = self._rows(limit=pool)
        if len(lessons) <= k:
            return lessons
        good = sorted((x for x in lessons if x.score >= 1.1), key=lambda x: -x.score)
        chosen = good[: math.ceil(k / 2)]
        taken = {x.id for x in chosen}

        def relevance(lesson: Lesson) -> float:
            if vector is not None and lesson.embedding:
                return cosine(vector, json.loads(lesson.embedding))
            return similarity(lesson.code, code)

        rest = sorted((x for x in lessons if x.id not in taken), key=lambda x: -relevance(x))
        return chosen + rest[: k - len(chosen)]

    def without_embedding(self, pool: int = 500) -> list[Lesson]:
        return [x for x in self._rows(limit=pool) if not x.embedding]

    def set_embedding(self, lesson_id: str, vector: list[float]) -> None:
        if not self.read_only:
            self._db.execute("UPDATE lessons SET embedding = ? WHERE id = ?",
                             (json.dumps(vector), lesson_id))

    def update_factors(self, shown: list[Lesson], reached: list[float]) -> None:
        """After a round: a lesson whose readers beat its own speedup gains (1.1), else it sinks
        (0.9); the factor is the running average of those marks."""
        best = max(reached, default=0.0)
        if self.read_only:
            return
        for lesson in shown:
            mark = 1.1 if best > lesson.speedup else 0.9
            factor = (lesson.factor * lesson.uses + mark) / (lesson.uses + 1) if lesson.uses \
                else mark
            lesson.factor, lesson.uses = factor, lesson.uses + 1
            self._db.execute("UPDATE lessons SET factor = ?, uses = ? WHERE id = ?",
                             (factor, lesson.uses, lesson.id))
