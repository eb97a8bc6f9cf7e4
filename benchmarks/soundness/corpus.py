"""The tasks and the candidates of benchmarks/soundness.py: ENAMEL's expert solutions, LLM-written
HumanEval solutions and the offline rules' verified outputs. Third-party code is read at run time
from fetched repositories (a folder or a bare git dir), never stored in this repository.
"""

from __future__ import annotations

import ast
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

EXPERTS = "samples/enamel-references.json"  # in q-rz/enamel: per HumanEval id, a list of code


@dataclass(frozen=True)
class Task:
    """One function to optimize: a module with bench_inputs/hidden_inputs beside it."""

    name: str  # the module's stem
    path: Path
    qualname: str
    suite: str  # "enamel" or "tasks"

    @property
    def humaneval(self) -> int | None:
        """HumanEval's problem number of an ENAMEL task (he012_longest → 12)."""
        found = re.match(r"he(\d+)_", self.name)
        return int(found.group(1)) if found and self.suite == "enamel" else None

    @property
    def function(self) -> str:
        return self.qualname.rsplit(".", 1)[-1]


@dataclass
class Candidate:
    """A proposed replacement of a task's function, and what the ground truth says of it."""

    task: str
    kind: str  # expert, rule, mutant, llm
    origin: str  # where it came from, for the report
    source: str  # imports, helpers and the function, at column 0
    truth: str = ""  # correct, wrong, undecided (timed out on the ground truth)
    first: dict[str, Any] = field(default_factory=dict)  # the first ground-truth difference

    @property
    def key(self) -> str:
        digest = hashlib.sha256(f"{self.task}\0{self.kind}\0{self.source}".encode())
        return digest.hexdigest()[:16]


def tasks(folder: Path, suite: str) -> list[Task]:
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    return [Task(stem, (folder / f"{stem}.py").resolve(), qualname, suite)
            for stem, qualname in sorted(manifest.items())]


def read(root: Path, path: str) -> bytes:
    """`path` from a checkout, or from a bare git dir (what the search tool's fetch brings)."""
    if (root / path).is_file():
        return (root / path).read_bytes()
    git_dir = root / ".git" if (root / ".git").exists() else root
    done = subprocess.run(["git", f"--git-dir={git_dir}", "show", f"HEAD:{path}"],
                          capture_output=True, check=False, timeout=120)
    if done.returncode != 0:
        raise SystemExit(f"{root}: cannot read {path}: {done.stderr.decode()[:200]}")
    return done.stdout


def clean(code: str, entry: str) -> str | None:
    """The imports, functions, classes and literal constants of `code` (an LLM's or expert's
    whole answer: tests, prints and `if __name__` blocks dropped), or None without `entry`."""
    try:
        tree = ast.parse(code)
    except SyntaxError:
        return None
    lines = code.splitlines()
    kept: list[str] = []
    defined = False
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            defined |= node.name == entry
        elif isinstance(node, ast.Assign):
            try:
                ast.literal_eval(node.value)
            except ValueError:
                continue
        elif not isinstance(node, (ast.Import, ast.ImportFrom)):
            continue
        first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
        kept.append("\n".join(lines[first - 1:node.end_lineno]))
    return "\n\n\n".join(kept) + "\n" if defined else None


def experts(tasks_: Iterable[Task], enamel: Path) -> list[Candidate]:
    """ENAMEL's expert-written solution of each ENAMEL task."""
    references = json.loads(read(enamel, EXPERTS))
    found = []
    for task in tasks_:
        number = task.humaneval
        if number is None or number >= len(references) or not references[number]:
            continue
        source = clean(references[number][0], task.function)
        if source is not None:
            found.append(Candidate(task.name, "expert", f"ENAMEL {EXPERTS}", source))
    return found


def _code(row: dict[str, Any]) -> str:
    """The generated code of one jsonl row (reflexion: `solution`; MapCoder: the last of
    `source_codes`; EvalPlus-style: prompt + `completion`)."""
    codes = row.get("source_codes")
    if isinstance(codes, str):
        try:
            codes = json.loads(codes)
        except ValueError:
            codes = ast.literal_eval(codes)
    if isinstance(codes, list) and codes:
        return str(codes[-1])
    if isinstance(row.get("solution"), str) and row["solution"].strip():
        return str(row["solution"])
    if isinstance(row.get("completion"), str):
        return str(row.get("prompt", "")) + row["completion"]
    return ""


def llm(tasks_: Iterable[Task], spec: str) -> list[Candidate]:
    """The solutions in one jsonl source, `LABEL=ROOT::PATH` (ROOT a checkout or git dir)."""
    label, _, where = spec.partition("=")
    root, _, path = where.partition("::")
    rows = [json.loads(line) for line in read(Path(root), path).decode().splitlines()
            if line.strip()]
    by_id = {str(r.get("task_id", "")): r for r in rows}
    found = []
    for task in tasks_:
        row = by_id.get(f"HumanEval/{task.humaneval}")
        source = clean(_code(row), task.function) if row is not None else None
        if source is not None:
            found.append(Candidate(task.name, "llm", f"{label} ({Path(path).name})", source))
    return found


# --- the offline rules' verified outputs ---------------------------------------------------------

def _top_level(tree: ast.Module) -> set[str]:
    return {ast.dump(node) for node in tree.body}


def _segment(lines: list[str], node: ast.stmt) -> str:
    first = min([node.lineno, *(d.lineno for d in getattr(node, "decorator_list", []))])
    chunk = lines[first - 1:node.end_lineno]
    indent = len(chunk[0]) - len(chunk[0].lstrip())
    return "\n".join(line[indent:] if line[:indent].strip() == "" else line for line in chunk)


def written_candidate(before: str, after: str, qualname: str) -> str:
    """What a rule changed, as a candidate file: the module-level statements it added
    (imports, tables, helpers) and the new function (a method: dedented)."""
    old, new = ast.parse(before), ast.parse(after)
    lines = after.splitlines()
    node: Any = new
    for part in qualname.split("."):
        node = next(n for n in node.body if getattr(n, "name", None) == part)
    known = _top_level(old)
    outer = qualname.split(".")[0]
    added = [_segment(lines, n) for n in new.body
             if ast.dump(n) not in known and getattr(n, "name", None) != outer]
    return "\n\n\n".join([*added, _segment(lines, node)]) + "\n"


def rules(tasks_: Iterable[Task], work: Path, env: dict[str, str]) -> list[Candidate]:
    """`lesson-lsp optimize --apply` on a copy of each task (offline rules, bench_inputs): the
    rewrite it verified and wrote, when it wrote one."""
    found = []
    for task in tasks_:
        folder = work / "rules" / task.name
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir(parents=True)
        copy = folder / task.path.name
        shutil.copyfile(task.path, copy)
        target = f"{copy.name}::{task.qualname}"
        print(f"  rules: optimize {task.name}", file=sys.stderr, flush=True)
        done = subprocess.run(
            [sys.executable, "-m", "lesson_lsp.cli", "optimize", target, "--inputs",
             f"{copy.name}::bench_inputs", "--json", "--apply"],
            cwd=folder, env=env, capture_output=True, text=True, timeout=1800, check=False)
        if done.returncode != 0:
            print(f"  rules: {task.name}: {done.stderr.strip()[-300:]}", file=sys.stderr)
            continue
        run = json.loads(done.stdout)
        if not run.get("applied"):
            continue
        source = written_candidate(task.path.read_text(encoding="utf-8"),
                                   copy.read_text(encoding="utf-8"), task.qualname)
        agent = (run.get("final") or {}).get("agent") or "?"
        found.append(Candidate(task.name, "rule", f"rule {agent} ({run['speedup']:.1f}×)",
                               source))
    return found


def lsp_env(work: Path) -> dict[str, str]:
    """The environment of every lesson-lsp command run here: its cache kept under `work`."""
    return {**os.environ, "LESSON_LSP_CACHE_DIR": str(work / "lesson-lsp-cache")}
