"""Lessons banked by earlier runs that may apply to a function, for hover.

Hover comes with every pause of the mouse: the bank (SQLite) is read once per function and bank
state, and each file's settings once until they change; after that a hover is a lookup and one
`stat` of the bank file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from lesson_lsp.engine.messages import lesson_line
from lesson_lsp.harness.verdicts import FASTER
from lesson_lsp.source.candidate import to_column0
from lesson_lsp.team.bank import Bank, fingerprint
from lesson_lsp.workspace.config import ConfigError, load

SHOWN = 3


class BankedLessons:
    def __init__(self) -> None:
        self._banks: dict[str, Path | None] = {}  # file → its bank, as its settings say
        self._texts: dict[tuple[Path, tuple[int, ...], str], str] = {}

    def forget_settings(self) -> None:
        """Settings changed (the editor's, or a saved pyproject.toml): read them again."""
        self._banks.clear()

    def _bank_of(self, path: str, settings: dict[str, Any]) -> Path | None:
        if path not in self._banks:
            try:
                self._banks[path] = load(Path(path), settings).bank_path()
            except ConfigError:
                self._banks[path] = None
        return self._banks[path]

    def text(self, path: str, settings: dict[str, Any], source: str, indent: str) -> str:
        """Markdown for the function's banked `faster` lessons ('' when none; never creates a
        bank)."""
        bank_path = self._bank_of(path, settings)
        if bank_path is None:
            return ""
        state = _state(bank_path)
        if state is None:
            return ""
        own = fingerprint(to_column0(source, indent))  # as the loop keys lessons
        key = (bank_path, state, own)
        if key not in self._texts:
            if len(self._texts) > 1000:
                self._texts.clear()
            self._texts[key] = _read(bank_path, source, own)
        return self._texts[key]


def _state(bank_path: Path) -> tuple[int, ...] | None:
    """What changes when lessons are added: the file and its write-ahead log (WAL mode writes
    there first), or None when there is no bank."""
    try:
        main = bank_path.stat()
    except OSError:
        return None
    try:
        wal = Path(f"{bank_path}-wal").stat()
        log = (wal.st_mtime_ns, wal.st_size)
    except OSError:
        log = (0, 0)
    return (main.st_mtime_ns, main.st_size, *log)


def _read(bank_path: Path, source: str, own: str) -> str:
    bank = Bank(bank_path)
    try:
        lessons = [x for x in bank.select(SHOWN, source, own) if x.outcome == FASTER]
    finally:
        bank.close()
    if not lessons:
        return ""
    return "\n".join(["**lesson team · banked lessons that may apply**", "",
                      *(lesson_line(x) for x in lessons)])
