"""The project's last workload trace, kept in its cache folder (beside captured test calls).

`trace.json` ranks the project's functions by their share of the workload; `calls/<module>.pickle`
holds the calls sampled from the workload, in the format of captured test calls (see
`harness/recorder.py`), so the harness takes them as inputs. Each function's record carries the
fingerprint of its code at trace time: once the function is edited, its record is stale and is
neither shown nor used.

Kept import-light: the server reads it for code lenses and hover.
"""

from __future__ import annotations

import json
import os
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path
from typing import Any

from lesson_lsp.workspace import storage

FORMAT = 1


@dataclass(frozen=True)
class TracedFunction:
    """One of the project's functions as the workload ran it."""

    path: str  # the file, absolute
    qualname: str
    line: int  # of its `def` (1-based)
    share: float  # own time / the workload's CPU time, 0..1: what optimizing it could save
    own_s: float  # time in its own code and in the library code it calls itself
    total_s: float  # time while it was on the stack (callees included)
    calls: int
    captured: int  # calls sampled into `calls_file`
    fingerprint: str  # `bank.fingerprint` of its code (column 0) when traced
    module: str = ""  # its import name, as the harness loads it
    calls_file: str = ""  # the pickle holding its sampled calls (absolute), "" if none
    unpicklable: int = 0  # calls offered to the sample whose arguments could not be copied

    @property
    def per_call_s(self) -> float:
        return self.total_s / self.calls if self.calls else 0.0


@dataclass
class Trace:
    """What `lesson-lsp trace -- COMMAND` measured."""

    command: list[str]
    root: str
    interpreter: str
    wall_s: float  # the workload's wall time, traced
    exit_code: int | None  # None: stopped at the time limit
    created: float  # time.time()
    functions: list[TracedFunction] = field(default_factory=list)  # by share, largest first
    complete: bool = True  # False when the time limit (or a signal) ended the workload
    note: str = ""  # anything the user should know about this trace
    # Modules of the project that could not be instrumented and ran as written (unrecorded):
    # [{"path": absolute, "why": the rewriter's error}]
    uninstrumented: list[dict[str, str]] = field(default_factory=list)
    tracer_s: float = 0.0  # the tracer's own time (instrumenting, copying): not in shares

    def as_json(self) -> dict[str, Any]:
        """The `--json` form: {"functions": [{"path", "qualname", "line", "share", "own_s",
        "calls", "captured"}, ...], ...}, paths relative to the project root."""
        root = Path(self.root)
        return {
            "command": self.command, "root": self.root, "interpreter": self.interpreter,
            "wall_s": self.wall_s, "exit_code": self.exit_code, "complete": self.complete,
            "note": self.note, "tracer_s": self.tracer_s,
            "uninstrumented": [{"path": relative(entry["path"], root), "why": entry["why"]}
                               for entry in self.uninstrumented],
            "functions": [{
                "path": relative(f.path, root), "qualname": f.qualname, "line": f.line,
                "share": f.share, "own_s": f.own_s, "total_s": f.total_s, "calls": f.calls,
                "captured": f.captured, "unpicklable": f.unpicklable,
                "per_call_s": f.per_call_s,
            } for f in self.functions],
        }

    def find(self, path: str | Path, qualname: str) -> TracedFunction | None:
        wanted = os.path.normcase(str(Path(path).resolve()))
        for function in self.functions:
            if function.qualname == qualname and os.path.normcase(function.path) == wanted:
                return function
        return None

    def fresh(self, path: str | Path, qualname: str, fingerprint: str) -> TracedFunction | None:
        """The function's record if its code is still what was traced."""
        found = self.find(path, qualname)
        return found if found is not None and found.fingerprint == fingerprint else None

    def in_file(self, path: str | Path) -> list[TracedFunction]:
        wanted = os.path.normcase(str(Path(path).resolve()))
        return [f for f in self.functions if os.path.normcase(f.path) == wanted]

    @property
    def status(self) -> int:
        """What `lesson-lsp trace` exits with: the workload's own exit status as a shell sees
        it; 0 when the time limit stopped it (its partial trace is what was asked for)."""
        return 0 if self.exit_code is None else self.exit_code & 0xFF

    def describe(self) -> str:
        """'`python run.py`: 3.2 s, exit 0'."""
        ran = " ".join(self.command)
        end = "stopped at the time limit" if self.exit_code is None else f"exit {self.exit_code}"
        return f"`{ran}`: {self.wall_s:.1f} s, {end}"


def relative(path: str | Path, root: Path) -> str:
    """A traced file as the user reads it: from the project root (posix), else as it is."""
    try:
        return Path(path).relative_to(root).as_posix()
    except ValueError:
        return Path(path).as_posix()


def folder(root: str | Path) -> Path:
    """Where the project's trace lives (not created here)."""
    return storage.project_cache(root) / "trace"


def trace_file(root: str | Path) -> Path:
    return folder(root) / "trace.json"


def calls_folder(root: str | Path) -> Path:
    return folder(root) / "calls"


def save(trace: Trace) -> Path:
    """Replace the project's trace (written whole, then renamed: a reader never sees half)."""
    path = trace_file(trace.root)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = {"format": FORMAT, **{k: v for k, v in asdict(trace).items() if k != "functions"},
            "functions": [asdict(f) for f in trace.functions]}
    partial = path.with_suffix(".json.partial")
    partial.write_text(json.dumps(data, indent=1), encoding="utf-8")
    partial.replace(path)
    return path


def load(root: str | Path) -> Trace | None:
    """The project's last trace, or None (none yet, or unreadable: traced again, it is fixed)."""
    try:
        data = json.loads(trace_file(root).read_text(encoding="utf-8"))
        if data.get("format") != FORMAT:
            return None
        known = {f.name for f in fields(TracedFunction)}
        functions = [TracedFunction(**{k: v for k, v in f.items() if k in known})
                     for f in data.pop("functions")]
        known = {f.name for f in fields(Trace)}  # a field a later version added is left out
        return Trace(**{k: v for k, v in data.items() if k in known}, functions=functions)
    except (OSError, ValueError, TypeError):
        return None


def state(root: str | Path) -> tuple[int, int] | None:
    """What changes when a new trace is saved (for readers that keep one in memory)."""
    try:
        stat = trace_file(root).stat()
    except OSError:
        return None
    return stat.st_mtime_ns, stat.st_size
