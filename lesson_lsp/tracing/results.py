"""What the agent wrote, made into a `Trace`: functions ranked by share, each with its module,
line and fingerprint (read from disk now, so a later edit makes the record stale), and the
sampled calls stored per module in the format of captured test calls."""

from __future__ import annotations

import json
import pickle
import shutil
import time
from pathlib import Path
from typing import Any

from lesson_lsp.source.candidate import to_column0
from lesson_lsp.source.extract import FunctionSpan, all_functions
from lesson_lsp.team.bank import fingerprint
from lesson_lsp.workspace import traces
from lesson_lsp.workspace.project import locate


def read(workdir: str) -> dict[str, Any] | None:
    """The agent's results, or None when it wrote none (killed, or it failed to start)."""
    try:
        raw = json.loads(Path(workdir, "result.json").read_text(encoding="utf-8"))
        with open(Path(workdir, "calls.pickle"), "rb") as handle:
            raw["calls"] = pickle.load(handle)  # {path: {qualname: [bytes]}}: bytes only
        return dict(raw)
    except (OSError, ValueError, pickle.UnpicklingError, EOFError):
        return None


def _spans(path: str, memo: dict[str, dict[str, FunctionSpan]]) -> dict[str, FunctionSpan]:
    if path not in memo:
        try:
            text = Path(path).read_text(encoding="utf-8")
            spans: dict[str, FunctionSpan] = {}
            for span in all_functions(text):  # the first of a name, as `function_named` finds
                spans.setdefault(span.qualname, span)
            memo[path] = spans
        except (OSError, UnicodeDecodeError, ValueError):
            memo[path] = {}
    return memo[path]


def assemble(raw: dict[str, Any] | None, command: list[str], root: Path, python: str,
             wall_s: float, returncode: int | None, timed_out: bool,
             timeout_s: float) -> traces.Trace:
    """The trace of one run; its sampled calls replace the project's previous ones."""
    calls_folder = traces.calls_folder(root)
    shutil.rmtree(calls_folder, ignore_errors=True)
    words = command[1:] if command and command[0] == "--" else command
    trace = traces.Trace(command=list(words), root=str(root), interpreter=python,
                         wall_s=wall_s, exit_code=None if timed_out else returncode,
                         created=time.time(), complete=not timed_out)
    if raw is None:
        trace.complete = False
        if timed_out:
            trace.note = ("the workload was stopped at the time limit before it could report: "
                          "no functions were recorded")
        else:
            if returncode is not None and returncode < 0:  # killed by a signal: as a shell says
                trace.exit_code = 128 - returncode
            trace.note = (f"the workload ended without letting the tracer report (exit "
                          f"{trace.exit_code}: os._exit, a crash or a signal): no functions "
                          "were recorded")
        return trace
    trace.wall_s = float(raw["wall_s"]) or wall_s
    # Shares are of the workload's CPU time, as the profiler's own times are: on a busy machine
    # its wall time grows with the waiting, its CPU time does not. The time the tracer spent
    # instrumenting the project's modules (untraced, they load from bytecode caches) and
    # copying arguments is not the workload's: left out, or every share shrinks.
    trace.tracer_s = float(raw.get("instrumenting_s") or 0.0) + float(
        raw.get("copying_s") or 0.0)
    cpu_s = float(raw.get("cpu_s") or 0.0)
    workload_s = (cpu_s - trace.tracer_s if cpu_s > trace.tracer_s else cpu_s) \
        or trace.wall_s
    trace.complete = bool(raw["complete"]) and not timed_out
    if not timed_out:
        trace.exit_code = int(raw["exit_code"])
    notes = []
    if timed_out:
        notes.append(f"stopped at the time limit ({timeout_s:g} s): a partial trace")
    elif trace.exit_code:
        notes.append(f"the workload failed (exit {trace.exit_code}); its trace was kept")
    if not raw.get("profiled"):
        notes.append("no sampling profiler on this platform: times are missing")
    trace.uninstrumented = [{"path": str(entry["path"]), "why": str(entry["why"])}
                            for entry in raw.get("uninstrumented") or []]
    if trace.uninstrumented:
        count = len(trace.uninstrumented)
        notes.append(f"{count} module{'s' if count > 1 else ''} could not be instrumented and "
                     "ran as written, unrecorded")
    memo: dict[str, dict[str, FunctionSpan]] = {}
    by_module: dict[str, dict[str, list[bytes]]] = {}
    functions = []
    for entry in raw["functions"]:
        path, qualname = entry["path"], entry["qualname"]
        span = _spans(path, memo).get(qualname)
        if span is None:  # gone or renamed since it ran: nothing to point at
            continue
        module = locate(path, root).name
        kept = raw["calls"].get(path, {}).get(qualname, [])
        calls_file = ""
        if kept:
            by_module.setdefault(module, {})[qualname] = kept
            calls_file = str(calls_folder / f"{module}.pickle")
        functions.append(traces.TracedFunction(
            path=str(Path(path).resolve()), qualname=qualname, line=span.def_line + 1,
            share=min(float(entry["own_s"]) / workload_s, 1.0) if workload_s > 0 else 0.0,
            own_s=float(entry["own_s"]), total_s=float(entry["total_s"]),
            calls=int(entry["calls"]), captured=len(kept),
            unpicklable=int(entry.get("unpicklable") or 0),
            fingerprint=fingerprint(to_column0(span.source, span.indent)),
            module=module, calls_file=calls_file))
    functions.sort(key=lambda f: (-f.share, -f.total_s, -f.calls))
    trace.functions = functions
    trace.note = "; ".join(notes)
    _write_calls(calls_folder, by_module, raw, trace)
    return trace


def _write_calls(folder: Path, by_module: dict[str, dict[str, list[bytes]]],
                 raw: dict[str, Any], trace: traces.Trace) -> None:
    """One pickle per module, as `harness/recorder.py` captures from tests (and
    `harness/calls.captured_calls` loads)."""
    if not by_module:
        return
    folder.mkdir(parents=True, exist_ok=True)
    meta = {"source": "trace", "command": trace.command, "created": trace.created,
            "test_paths": raw.get("test_paths") or []}
    for module, functions in by_module.items():
        partial = folder / f"{module}.pickle.partial"
        with open(partial, "wb") as handle:
            pickle.dump({"functions": functions, "meta": meta}, handle, protocol=4)
        partial.replace(folder / f"{module}.pickle")
