"""Code lenses and a hover line for the functions the project's last workload trace found hot.

Editors ask for code lenses after every change and for hover on every pause, so the trace is
read once per project and trace state (one `stat` per request), each file's settings once until
they change, and only the functions the trace names in that file are fingerprinted. A record
counts only while its function's code is still what was traced (same fingerprint): an edited
function shows nothing until it is traced again.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import Any

from lsprotocol import types as lsp

from lesson_lsp.lsp.trees import DocumentTree, FunctionAt
from lesson_lsp.source.candidate import to_column0
from lesson_lsp.source.fingerprint import fingerprint
from lesson_lsp.workspace import traces
from lesson_lsp.workspace.config import ConfigError, load

OPTIMIZE = "lesson-lsp.optimize"  # server.COMMAND, not imported: the server imports this module

_Index = dict[str, dict[str, traces.TracedFunction]]  # file (normcase) → qualname → record


def percent(share: float) -> str:
    """'31 %', or '0.4 %' under one per cent."""
    value = share * 100
    return f"{value:.0f} %" if value >= 1 or value == 0 else f"{value:.1f} %"


def duration(seconds: float) -> str:
    """'2.1 ms', '0.84 s', '35 µs': short enough for a lens."""
    if seconds >= 10:
        return f"{seconds:.0f} s"
    if seconds >= 0.1:
        return f"{seconds:.2f} s"
    if seconds >= 1e-3:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds * 1e6:.1f} µs"


def lens_title(record: traces.TracedFunction) -> str:
    return f"⏱ {percent(record.share)} of workload · {duration(record.per_call_s)}/call · Optimize"


def hover_line(record: traces.TracedFunction, trace: traces.Trace) -> str:
    return (f"⏱ traced: {percent(record.share)} of the workload (own {duration(record.own_s)}), "
            f"{record.calls} calls, {duration(record.per_call_s)}/call, {record.captured} calls "
            f"sampled — `{shlex.join(trace.command)}`")


class HotFunctions:
    """The project's trace as the editor shows it."""

    def __init__(self) -> None:
        self._files: dict[str, tuple[str, str, float] | None] = {}  # path → (real, root, min)
        self._traces: dict[str, tuple[tuple[int, int], traces.Trace | None, _Index]] = {}

    def forget_settings(self) -> None:
        """Settings changed (the editor's, or a saved pyproject.toml): read them again."""
        self._files.clear()

    def _file(self, path: str, settings: dict[str, Any]) -> tuple[str, str, float] | None:
        """The file's real path (as the trace names it), its project root and lens threshold."""
        if path not in self._files:
            try:
                config = load(Path(path), settings)
                real = os.path.normcase(str(Path(path).resolve()))
                self._files[path] = (real, config.root, config.trace_lens_min_share)
            except (ConfigError, OSError):
                self._files[path] = None
        return self._files[path]

    def trace(self, root: str) -> tuple[traces.Trace | None, _Index]:
        """The project's trace, loaded again only when a new one was saved."""
        now = traces.state(root)
        if now is None:
            self._traces.pop(root, None)
            return None, {}
        kept = self._traces.get(root)
        if kept is None or kept[0] != now:
            trace = traces.load(root)
            index: _Index = {}
            for record in trace.functions if trace else ():
                index.setdefault(os.path.normcase(record.path), {})[record.qualname] = record
            kept = self._traces[root] = (now, trace, index)
        return kept[1], kept[2]

    def _records(self, path: str,
                 settings: dict[str, Any]) -> tuple[traces.Trace | None, dict[str, Any], float]:
        file = self._file(path, settings)
        if file is None:
            return None, {}, 1.0
        real, root, minimum = file
        trace, index = self.trace(root)
        return trace, index.get(real, {}), minimum

    def lenses(self, uri: str, path: str, tree: DocumentTree, settings: dict[str, Any],
               encoding: str) -> list[lsp.CodeLens]:
        """A lens on each function of the document whose fresh record has at least the
        threshold's share, running the optimize command on it."""
        _, records, minimum = self._records(path, settings)
        hot = {name for name, record in records.items() if record.share >= minimum}
        if not hot:
            return []
        found = []
        for function in tree.functions(encoding, hot):
            record = records[function.qualname]
            if function.nested or not function.well_formed or not _fresh(record, function):
                continue
            line, character = function.start
            argument = {"uri": uri, "position": {"line": line, "character": character},
                        "version": tree.version}
            found.append(lsp.CodeLens(
                range=lsp.Range(start=lsp.Position(line, character),
                                end=lsp.Position(line, character)),
                command=lsp.Command(title=lens_title(record), command=OPTIMIZE,
                                    arguments=[argument])))
        return found

    def hover(self, path: str, settings: dict[str, Any], function: FunctionAt) -> str:
        """The function's line of the trace ('' when it has no fresh record)."""
        trace, records, _ = self._records(path, settings)
        record = records.get(function.qualname)
        if trace is None or record is None or not _fresh(record, function):
            return ""
        return hover_line(record, trace)


def _fresh(record: traces.TracedFunction, function: FunctionAt) -> bool:
    return record.fingerprint == fingerprint(to_column0(function.source, function.indent))
