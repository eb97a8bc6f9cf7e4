"""The ground truth of benchmarks/soundness.py, from the parent's side: built once per task by
gt_worker.py in a subprocess (cached by the task's text and the worker's), and each candidate
judged against it in another subprocess (cached by the candidate's module text).
"""

from __future__ import annotations

import ast
import hashlib
import json
import pickle
import subprocess
import sys
import tempfile
import textwrap
from collections import Counter
from pathlib import Path
from typing import Any

from soundness.corpus import Candidate, Task

WORKER = Path(__file__).with_name("gt_worker.py")
CAP_S = 0.5  # a generated or edge input the original takes longer on is left out
BIG_CAP_S = 10.0  # bench_inputs and hidden_inputs: what the harness sees anyway
FACTOR = 20.0  # a candidate may take this many times the original's time on an input
SIMPLE = ("NoneType", "bool", "int", "float", "str")


class GroundTruthError(Exception):
    """The original could not be run to build a ground truth."""


def splice(module: str, qualname: str, candidate: str) -> str:
    """`module` with the function `qualname` (decorators included) replaced by `candidate`,
    indented to its place: the text a user gets, as the harness plans it."""
    node: Any = ast.parse(module)
    for part in qualname.split("."):
        node = next(n for n in node.body if getattr(n, "name", None) == part)
    first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
    lines = module.splitlines(keepends=True)
    body = textwrap.indent(candidate.rstrip("\n") + "\n", " " * node.col_offset)
    return "".join(lines[:first - 1]) + body + "".join(lines[node.end_lineno:])


def _digest(*parts: str) -> str:
    return hashlib.sha256("\0".join(parts).encode("utf-8", "surrogatepass")).hexdigest()[:16]


def _worker(mode: str, job: dict[str, Any], timeout: float) -> None:
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(job, handle)
    try:
        subprocess.run([sys.executable, "-I", str(WORKER), mode, handle.name],
                       cwd=tempfile.gettempdir(), capture_output=True, timeout=timeout,
                       check=False)
    finally:
        Path(handle.name).unlink(missing_ok=True)


def build(task: Task, work: Path) -> Path:
    """The pickled ground truth of `task` (made now unless cached)."""
    code = [f.read_text(encoding="utf-8") for f in (WORKER, WORKER.with_name("gt_values.py"))]
    out = work / "truth" / f"{task.name}.{_digest(task.path.read_text('utf-8'), *code)}.pickle"
    if out.is_file():
        return out
    out.parent.mkdir(parents=True, exist_ok=True)
    partial = out.with_suffix(".partial")
    job = {"task": str(task.path), "qualname": task.qualname, "out": str(partial),
           "cap_s": CAP_S, "big_cap_s": BIG_CAP_S}
    try:
        _worker("build", job, timeout=1800)
    except subprocess.TimeoutExpired as exc:
        raise GroundTruthError(f"{task.name}: building its ground truth timed out") from exc
    if not partial.is_file():
        raise GroundTruthError(f"{task.name}: the ground-truth worker failed")
    partial.replace(out)
    return out


def summary(truth: Path) -> dict[str, Any]:
    """How many inputs of each source the ground truth holds, and what the original returns
    most often (a constant for the return-value mutants)."""
    data = pickle.loads(truth.read_bytes())
    labels = Counter(item["label"] for item in data["inputs"])
    returns = Counter(item["outcome"][1] for item in data["inputs"]
                      if item["outcome"][0] == "ret" and item["outcome"][1][0] in SIMPLE)
    common = returns.most_common(1)[0][0][1] if returns else None
    return {"inputs": len(data["inputs"]), "by_source": dict(labels),
            "dropped": data["dropped"], "common_return": common}


def judge(task: Task, source: str, truth: Path, work: Path, full: bool = False
          ) -> dict[str, Any]:
    """The worker's account of `source` in place of the task's function on every ground-truth
    input (stopping at the first difference unless `full`); cached."""
    text = splice(task.path.read_text(encoding="utf-8"), task.qualname, source)
    out = work / "judged" / f"{task.name}.{_digest(truth.name, text, str(full))}.json"
    if out.is_file():
        return dict(json.loads(out.read_text(encoding="utf-8")))
    out.parent.mkdir(parents=True, exist_ok=True)
    job = {"task": str(task.path), "qualname": task.qualname, "text": text,
           "truth": str(truth), "out": str(out), "cap_s": CAP_S * 4, "factor": FACTOR,
           "full": full}
    try:
        _worker("judge", job, timeout=900)
    except subprocess.TimeoutExpired:
        return {"loaded": True, "timeouts": 1, "differs": 0, "error": "judging timed out"}
    if not out.is_file():
        return {"loaded": False, "error": "the judging worker died"}
    return dict(json.loads(out.read_text(encoding="utf-8")))


def classify(candidate: Candidate, result: dict[str, Any]) -> None:
    """correct: agrees on every input; wrong: differs on one, or does not load; undecided:
    no difference seen but some input timed out."""
    if not result.get("loaded"):
        candidate.truth = "wrong"
        candidate.first = {"why": "does not load", "actual": result.get("error", "")}
    elif result.get("differs"):
        candidate.truth = "wrong"
        candidate.first = dict(result["first"])
    elif result.get("timeouts"):
        candidate.truth = "undecided"
        candidate.first = {"why": "timed out on the ground truth"}
    else:
        candidate.truth = "correct"
