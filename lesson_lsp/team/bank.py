"""The lesson bank: lessons outlive a run (SQLite, WAL) and the best and most relevant ones are
selected into the next prompts, as in LessonL (see shared LESSONL.md).

Lessons belong to a function (its `fingerprint`): selection and factors work per function, as
in the paper; another function's lesson reaches a prompt only when its code is close enough
(`RELEVANCE_THRESHOLD`). The bank is deduplicated (one row per function and normalized text) and
bounded (`PER_FUNCTION`, `TOTAL`), the weakest lessons forgotten first.
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

from lesson_lsp.source.fingerprint import fingerprint as fingerprint  # the bank's key for lessons

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
    embedding TEXT NOT NULL DEFAULT '',
    kind TEXT NOT NULL DEFAULT 'llm',
    count INTEGER NOT NULL DEFAULT 1,
    norm TEXT NOT NULL DEFAULT '',
    checked TEXT NOT NULL DEFAULT ''
);
CREATE INDEX IF NOT EXISTS lessons_fingerprint ON lessons (fingerprint);
"""
# Columns added since the first schema, with their definition, for banks made before them.
_ADDED = {
    "embedding": "TEXT NOT NULL DEFAULT ''",
    "kind": "TEXT NOT NULL DEFAULT 'llm'",
    "count": "INTEGER NOT NULL DEFAULT 1",
    "norm": "TEXT NOT NULL DEFAULT ''",
    "checked": "TEXT NOT NULL DEFAULT ''",
}
PER_FUNCTION = 50  # lessons kept per function: enough for the prompts of many runs
TOTAL = 5000  # lessons kept in all: relevance over them all stays well under a second
# Another function's lesson is shown only when its code is this close to the function's (token
# cosine, `similarity`): a memoized `fib` scores 0.73 against the naive `fib`, a look-alike
# recursion (`lucas`) 0.65, unrelated loops 0.16-0.41. Embedding cosines run higher for any two
# pieces of code, hence the stricter bar for them.
RELEVANCE_THRESHOLD = 0.5
EMBEDDING_THRESHOLD = 0.8
RULE, LLM = "rule", "llm"


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
    kind: str = LLM  # RULE: a rewrite rule's template, never in the speedup half of a prompt
    count: int = 1  # how many times this lesson (same function, same normalized text) was added
    checked: str = ""  # what the verdict was checked on (`scrutiny.summary`), for the reader

    @property
    def score(self) -> float:
        return self.speedup * self.factor


_COLUMNS = [f.name for f in fields(Lesson)]
_SPACE = re.compile(r"\s+")


def normalized(text: str) -> str:
    """The text a duplicate is recognised by: case, spacing and end punctuation aside."""
    return _SPACE.sub(" ", text.casefold()).strip(" .;:!")


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

    def __init__(self, path: Path | str, per_function: int = PER_FUNCTION,
                 total: int = TOTAL) -> None:
        self.path = Path(path)
        self.per_function, self.total = per_function, total
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
            self._migrate(db)
            if db.execute("PRAGMA quick_check").fetchone()[0] != "ok":
                raise sqlite3.DatabaseError("integrity check failed")
        except sqlite3.DatabaseError:
            db.close()
            raise
        return db

    @staticmethod
    def _migrate(db: sqlite3.Connection) -> None:
        """Bring a bank made by an older version up to the schema: new columns, rule lessons
        marked (their agent's model is "rewrite"), normalized texts filled in."""
        columns = {row[1] for row in db.execute("PRAGMA table_info(lessons)")}
        for name, definition in _ADDED.items():
            if name not in columns:
                db.execute(f"ALTER TABLE lessons ADD COLUMN {name} {definition}")
        if "kind" not in columns:
            db.execute("UPDATE lessons SET kind = ? WHERE model = 'rewrite'", (RULE,))
        missing = db.execute("SELECT id, text FROM lessons WHERE norm = ''").fetchall()
        db.executemany("UPDATE lessons SET norm = ? WHERE id = ?",
                       [(normalized(text), row_id) for row_id, text in missing])
        db.execute("CREATE INDEX IF NOT EXISTS lessons_norm ON lessons (fingerprint, norm)")

    def _open_read_only(self) -> sqlite3.Connection:
        self.read_only = True
        self.notice = (f"the lesson bank {self.path} is read-only: its lessons are used, "
                       "new ones are not kept")
        return sqlite3.connect(f"file:{self.path}?mode=ro", uri=True, timeout=10,
                               isolation_level=None)

    def close(self) -> None:
        self._db.close()

    def add(self, lesson: Lesson) -> Lesson:
        """Bank `lesson`, or, when the function already has it (same normalized text), update
        that row: the better speedup (with its code) is kept and its count bumped. Returns the
        lesson as banked. The function's and the bank's caps then forget the weakest."""
        if self.read_only:
            return lesson
        norm = normalized(lesson.text)
        self._db.execute("BEGIN IMMEDIATE")
        try:
            found = self._rows("WHERE fingerprint = ? AND norm = ?", (lesson.fingerprint, norm), 1)
            if found:
                kept = found[0]
                kept.count += 1
                if lesson.speedup > kept.speedup:
                    kept.speedup, kept.code, kept.outcome = \
                        lesson.speedup, lesson.code, lesson.outcome
                self._db.execute(
                    "UPDATE lessons SET count = ?, speedup = ?, code = ?, outcome = ? "
                    "WHERE id = ?", (kept.count, kept.speedup, kept.code, kept.outcome, kept.id))
                lesson = kept
            else:
                names = [*_COLUMNS, "norm"]
                self._db.execute(
                    f"INSERT INTO lessons ({', '.join(names)}) "
                    f"VALUES ({', '.join('?' for _ in names)})",
                    [*(getattr(lesson, c) for c in _COLUMNS), norm])
            self._forget("WHERE fingerprint = ?", (lesson.fingerprint,), self.per_function)
            self._forget("", (), self.total)
            self._db.execute("COMMIT")
        except BaseException:
            self._db.execute("ROLLBACK")
            raise
        return lesson

    def _forget(self, where: str, args: tuple, cap: int) -> None:
        """Keep at most `cap` rows of `where`: the weakest (speedup × factor), then the oldest,
        go first."""
        count = self._db.execute(f"SELECT COUNT(*) FROM lessons {where}", args).fetchone()[0]
        if count > cap:
            self._db.execute(
                f"DELETE FROM lessons WHERE id IN (SELECT id FROM lessons {where} "
                "ORDER BY speedup * factor ASC, created ASC LIMIT ?)", (*args, count - cap))

    def _rows(self, where: str = "", args: tuple = (), limit: int = -1) -> list[Lesson]:
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

    def select(self, k: int, code: str, fingerprint: str = "",
               vector: list[float] | None = None) -> list[Lesson]:
        """LessonL selection for the function `fingerprint` (whose code is `code`): all of its
        lessons when it has ≤ k; else up to ⌈k/2⌉ of its LLM lessons with the best speedup ×
        factor (≥ 1.1), the rest by relevance (cosine of embeddings when `vector`, the embedding
        of `code`, is given and a lesson has one; else lexical). Other functions' lessons only
        fill the relevance part, and only above the threshold. No text is chosen twice."""
        if k <= 0:
            return []

        def relevance(lesson: Lesson) -> float:
            if vector is not None and lesson.embedding:
                return cosine(vector, json.loads(lesson.embedding))
            return similarity(lesson.code, code)

        def bar(lesson: Lesson) -> float:
            return EMBEDDING_THRESHOLD if vector is not None and lesson.embedding else \
                RELEVANCE_THRESHOLD

        own = self.for_function(fingerprint) if fingerprint else []
        if len(own) <= k:
            chosen = own
        else:
            good = sorted((x for x in own if x.kind != RULE and x.score >= 1.1),
                          key=lambda x: -x.score)
            chosen = good[: math.ceil(k / 2)]
        taken = {x.id for x in chosen}
        scored = [(relevance(x), x) for x in own if x.id not in taken]
        for other in self._rows("WHERE fingerprint != ?", (fingerprint,)):
            score = relevance(other)
            if score >= bar(other):
                scored.append((score, other))
        texts = {normalized(x.text) for x in chosen}
        for _, lesson in sorted(scored, key=lambda pair: -pair[0]):
            if len(chosen) >= k:
                break
            if normalized(lesson.text) not in texts:
                chosen.append(lesson)
                texts.add(normalized(lesson.text))
        return chosen

    def without_embedding(self, limit: int = 500) -> list[Lesson]:
        """The newest lessons not embedded yet, `limit` at a time (one request to the endpoint);
        older ones get theirs in later rounds and are compared lexically until then."""
        return self._rows("WHERE embedding = ''", (), limit)

    def set_embedding(self, lesson_id: str, vector: list[float]) -> None:
        if not self.read_only:
            self._db.execute("UPDATE lessons SET embedding = ? WHERE id = ?",
                             (json.dumps(vector), lesson_id))

    def update_factors(self, shown: list[Lesson], reached: list[float],
                       fingerprint: str | None = None) -> None:
        """The reference rule (LessonL `lesson.py`): after a round, a shown lesson's factor is
        replaced by the mean, over the agents that read it, of 1.1 (that agent's speedup beat
        the lesson's) or 0.9. `reached` holds the readers' speedups (0 for a failed candidate).
        Speedups are only comparable within one function: with `fingerprint`, other functions'
        lessons keep their factor. Without readers nothing moves."""
        if self.read_only or not reached:
            return
        for lesson in shown:
            if fingerprint is not None and lesson.fingerprint != fingerprint:
                continue
            marks = [1.1 if speed > lesson.speedup else 0.9 for speed in reached]
            lesson.factor, lesson.uses = sum(marks) / len(marks), lesson.uses + 1
            self._db.execute("UPDATE lessons SET factor = ?, uses = ? WHERE id = ?",
                             (lesson.factor, lesson.uses, lesson.id))
