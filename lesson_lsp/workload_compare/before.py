"""What "before" is: the old bytes of the project's Python files that differ now.

In a git work tree, the files as they are in `HEAD` (or `--base REF`): every tracked file that
differs from it (staged or not), files deleted since, and files added to the index since (absent
before). Untracked files are not part of that history (often the workload's own script): both
sides run them as they are, and the report names them. In a
folder without git (or a repository without a commit yet), the bytes lesson-lsp's own `--apply`
replaced (`workspace/applied.py`). With neither, before and after are the same code: an A/A
run, whose ratio shows the measurement's noise.

Only Python modules can be served to the "before" run (through the import hook, `agent.py`);
other files that differ (data, configuration, extensions) are listed as not served.
"""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from lesson_lsp.harness.capture import SKIP_DIRS
from lesson_lsp.workspace import applied

PYTHON_SUFFIXES = (".py", ".pyw")
GIT_TIMEOUT_S = 60


class BeforeError(Exception):
    """"Before" cannot be found as asked; the message says why."""


@dataclass(frozen=True)
class Before:
    kind: str  # "git", "recorded" or "same" (nothing to compare against: an A/A run)
    description: str  # "git HEAD (1a2b3c4)", "the bytes lesson-lsp's --apply replaced", ...
    old: dict[str, bytes] = field(default_factory=dict)  # path (real) → its bytes before
    absent: tuple[str, ...] = ()  # Python files that exist now but did not before
    not_served: tuple[str, ...] = ()  # other files that differ (relative): not served
    notes: tuple[str, ...] = ()
    ref: str = ""  # git: the ref given; "" otherwise
    commit: str = ""  # git: the commit it named

    @property
    def changed(self) -> list[str]:
        """The Python files whose text differs between the sides."""
        return sorted({*self.old, *self.absent})

    def current(self) -> dict[str, bytes]:
        """The same files' bytes now (the "after" side is served these, so that both sides
        load the changed modules the same way); files gone since are left out."""
        now = {}
        for path in self.changed:
            try:
                now[path] = Path(path).read_bytes()
            except OSError:
                continue
        return now


def _is_python(path: str) -> bool:
    return path.endswith(PYTHON_SUFFIXES)


def _skipped(relative: str) -> bool:
    """A file in a virtualenv, build, cache or hidden folder: never the project's module."""
    parts = relative.split("/")[:-1]
    return any(p in SKIP_DIRS or p.startswith(".") or p.endswith("-packages") for p in parts)


def _git(args: list[str], cwd: Path) -> bytes | None:
    try:
        done = subprocess.run(["git", *args], cwd=cwd, capture_output=True,
                              stdin=subprocess.DEVNULL, timeout=GIT_TIMEOUT_S)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout if done.returncode == 0 else None


def find(root: Path, base: str | None = None) -> Before:
    """The "before" of the project at `root`: git `base` (default HEAD), else the record of
    lesson-lsp's own writes, else the code as it is."""
    top = _git(["rev-parse", "--show-toplevel"], root)
    if top is not None:
        top_path = Path(os.fsdecode(top.strip()))
        commit = _git(["rev-parse", "--verify", "--quiet", f"{base or 'HEAD'}^{{commit}}"],
                      top_path)
        if commit is not None:
            return _from_git(top_path, base or "HEAD", commit.decode("ascii").strip())
        if base:
            raise BeforeError(f"--base {base}: not a commit of the repository at {top_path}")
    elif base:
        raise BeforeError(f"--base {base} needs a git repository; {root} is not in one (there, "
                          "before is what lesson-lsp's own --apply replaced)")
    found = _from_record(root)
    if found is not None:
        return found
    why = "the repository has no commit yet" if top is not None else "no git repository"
    return Before("same", "the code as it is", notes=(
        f"nothing to compare against ({why}, and lesson-lsp's --apply has written nothing "
        "here): both sides run the same code, an A/A run whose ratio shows the noise",))


def _from_git(top: Path, ref: str, commit: str) -> Before:
    listed = _git(["diff", "--name-status", "-z", "--no-renames", commit, "--"], top)
    untracked = _git(["ls-files", "--others", "--exclude-standard", "-z"], top)
    if listed is None or untracked is None:
        raise BeforeError(f"git could not list the changes since {ref} in {top}")
    words = [os.fsdecode(w) for w in listed.split(b"\0") if w]
    changes = list(zip(words[0::2], words[1::2]))
    loose = sorted(r for r in (os.fsdecode(w) for w in untracked.split(b"\0") if w)
                   if _is_python(r) and not _skipped(r))
    notes = (f"untracked (not in git, so the same on both sides): {', '.join(loose[:6])}"
             + (f" and {len(loose) - 6} more" if len(loose) > 6 else ""),) if loose else ()
    old: dict[str, bytes] = {}
    absent: list[str] = []
    not_served: list[str] = []
    for status, relative in changes:
        if _skipped(relative):
            continue
        if not _is_python(relative):
            not_served.append(relative)
            continue
        path = str((top / relative).resolve())
        if status.startswith("A"):
            absent.append(path)
            continue
        blob = _git(["cat-file", "blob", f"{commit}:{relative}"], top)
        if blob is None:
            not_served.append(relative)
            continue
        try:
            if Path(path).read_bytes() == blob:
                continue  # a mode change, or a difference the work tree's filters undo
        except OSError:
            pass  # deleted since: served to "before" all the same
        old[path] = blob
    return Before("git", f"git {ref} ({commit[:7]})", old, tuple(sorted(absent)),
                  tuple(sorted(not_served)), notes, ref=ref, commit=commit)


def _from_record(root: Path) -> Before | None:
    records = applied.recorded_under(root, frozenset(SKIP_DIRS))
    old: dict[str, bytes] = {}
    notes: list[str] = []
    for record in records:
        try:
            now = Path(record.path).read_bytes()
        except OSError:
            now = None
        if now == record.original:
            continue
        old[str(Path(record.path).resolve())] = record.original
        if record.edited_since():
            notes.append(f"{_shown(record.path, root)} changed since lesson-lsp wrote it: "
                         "those changes count as part of \"after\"")
    if not old:
        return None
    return Before("recorded", "the bytes lesson-lsp's --apply replaced (no git)", old,
                  notes=tuple(notes))


def _shown(path: str, root: Path) -> str:
    try:
        return Path(path).relative_to(root.resolve()).as_posix()
    except ValueError:
        return path
