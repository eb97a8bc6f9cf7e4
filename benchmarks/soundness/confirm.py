"""Is a correct candidate the harness called incorrect really correct? The ground truth holds
many inputs, but not every one: the harness's edge inputs, fuzzing and concolic pass may find
one it lacks. Each such verdict's failing input is replayed here, in gt_worker.py (which never
imports lesson_lsp), on the original and the candidate: if they differ there, the harness was
right and the ground truth incomplete, and the report says so instead of counting a false alarm.
"""

from __future__ import annotations

import ast
import json
import pickle
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from soundness.corpus import Task
from soundness.ground_truth import WORKER, splice

CAP_S = 10.0


def failing_args(shown: str) -> tuple[Any, ...] | None:
    """The positional arguments of a verdict's `failing_input` (a Python list literal), or None
    when it was shortened for display ("…") or is not a literal."""
    if not shown or "…" in shown:
        return None
    try:
        value = ast.literal_eval(shown)
    except (ValueError, SyntaxError, MemoryError, RecursionError):
        return None
    return tuple(value) if isinstance(value, list) else None


def replay(task: Task, source: str, args: tuple[Any, ...]) -> dict[str, Any]:
    """gt_worker.py's account of the original and the candidate on `args`."""
    text = splice(task.path.read_text(encoding="utf-8"), task.qualname, source)
    with tempfile.TemporaryDirectory() as folder:
        job_path, out = Path(folder) / "job.json", Path(folder) / "out.json"
        job_path.write_text(json.dumps({
            "task": str(task.path), "qualname": task.qualname, "text": text,
            "args": pickle.dumps(args).hex(), "cap_s": CAP_S, "out": str(out)}))
        try:
            subprocess.run([sys.executable, "-I", str(WORKER), "replay", str(job_path)],
                           cwd=folder, capture_output=True, timeout=120, check=False)
        except subprocess.TimeoutExpired:
            return {"differs": False, "why": "the replay timed out"}
        if not out.is_file():
            return {"differs": False, "why": "the replay worker died"}
        return dict(json.loads(out.read_text(encoding="utf-8")))


def confirm(results: list[dict[str, Any]], tasks: dict[str, Task],
            sources: dict[str, str]) -> None:
    """Marks each correct candidate judged incorrect: `confirmed` True (its failing input shows
    a real difference), False (no difference there: a false alarm) or None (not replayable)."""
    for result in results:
        if result["truth"] != "correct" or result["verdict"] != "incorrect":
            continue
        args = failing_args(result.get("failing_input", ""))
        if args is None:
            result["confirmed"] = None
            result["replay"] = "its failing input was shortened for display or is missing"
            continue
        found = replay(tasks[result["task"]], sources[result["key"]], args)
        result["confirmed"] = bool(found.get("differs"))
        result["replay"] = found.get("why") or (
            f"original {found.get('expected')}; candidate {found.get('actual')}")
