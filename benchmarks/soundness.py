"""How sound is the verifier? Candidates whose correctness is known from a ground truth of many
more inputs than the harness sees, judged by `lesson-lsp verify` exactly as a user runs it:
how many wrong ones it accepts (verdict faster or not-faster), how many it ships (faster), how
many correct ones it refuses (incorrect), and how long one verify takes.

Candidates (built once, cached under --work):
- expert: ENAMEL's expert-written solutions (q-rz/enamel, samples/enamel-references.json) of
  the ENAMEL tasks in ../shared/benchmarks/enamel (HumanEval's canonical solution is the
  function to optimize);
- rule: what `lesson-lsp optimize --inputs FILE::bench_inputs --apply` (the offline rules)
  verified and wrote on each of benchmarks/tasks;
- mutant: single-change mutants (soundness/mutants.py) of the correct experts and rules, kept
  only when the ground truth shows them wrong, at most --per-task per task;
- llm: LLM-written HumanEval solutions from jsonl files of public repositories (--llm-source).
Each is classified correct or wrong on the task's ground truth (soundness/gt_worker.py: the
task's bench and hidden inputs, ENAMEL's generator at small sizes, doctest calls, inputs cut
down from the bench ones, type-aware edge values; run in subprocesses, candidate code never
runs here). Then each is verified in two configurations: named (`--inputs FILE::bench_inputs`;
hidden_inputs sits beside it) and none (no --inputs: the harness finds the inputs itself).

Third-party code is only read at run time, from fetched repositories (a checkout or a bare git
dir, e.g. what the search tool's `fetch` brings to /work/.mirror/OWNER+NAME/repo):

    python benchmarks/soundness.py --limit-tasks 3 \\
        --enamel /work/.mirror/q-rz+enamel/repo \\
        --llm-source "gpt-4=/work/.mirror/noahshinn+reflexion/repo::programming_runs/root/\\
simple_human_eval_py_logging/humaneval-py..gz_simple_1_gpt-4_pass_at_k_1_py.jsonl" \\
        --llm-source "gpt-3.5-turbo=/work/.mirror/Md-Ashraful-Pramanik+MapCoder/repo::\\
final-results/ChatGPT/HumanEval/ChatGPT-CoT-Python3-0-1.jsonl"
    git worktree add /tmp/before d8d4aaf      # the verifier before issue's change
    PYTHONPATH=/tmp/before python benchmarks/soundness.py ... --per-task 1 --sample 80 \
        --json /tmp/soundness-before.json    # ~45 min on 2 busy cores
    python benchmarks/soundness.py ... --per-task 1 --sample 80 --json /tmp/soundness-after.json
    python benchmarks/soundness.py --diff /tmp/soundness-before.json /tmp/soundness-after.json
    python benchmarks/soundness.py ... --confirm /tmp/soundness-after.json  # a run saved
                                                  # before failing inputs were kept

`...` is the --enamel and --llm-source arguments of the first command (without
--limit-tasks). --limit-tasks N takes the first N tasks of each suite; --sample N verifies at
most N candidates of each kind (a fixed subset: the same with the same arguments). Reading the
table: `wrong→equiv` counts wrong candidates judged faster or not-faster (the harness saw no
difference), `wrong→faster` those it would ship, `correct→incorrect` correct ones it refused,
`refused` candidates the CLI stopped before a verdict (no inputs found, or the original itself
failed: the same for every candidate of that task, so run once per task and configuration).
--diff scores both runs with the after run's ground truth (an input near its time cap may be
kept in one build and not the other). A correct candidate judged incorrect has its failing
input replayed outside lesson_lsp (soundness/confirm.py): where the original and the candidate
really differ on it, the ground truth lacked that input, and the table counts it under `…shown
wrong`, not `correct→incorrect`.

The lesson_lsp that verifies is the one `python -m lesson_lsp.cli` imports here: PYTHONPATH
pointing at another checkout measures that one (its path and commit are printed and saved).
Verifies run one at a time (the harness starts parallel processes of its own).
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict
from pathlib import Path
from typing import Any

from soundness import confirm, corpus, ground_truth, mutants, report
from soundness.corpus import Candidate, Task

ROOT = Path(__file__).resolve().parent.parent
ENAMEL_TASKS = ROOT.parent / "shared" / "benchmarks" / "enamel"
CONFIGS = ("named", "none")


def say(text: str) -> None:
    print(text, file=sys.stderr, flush=True)


def lesson_lsp_version(env: dict[str, str]) -> dict[str, str]:
    """Which lesson_lsp verifies: the folder `python -m lesson_lsp.cli` would import, and its
    commit in a git checkout."""
    done = subprocess.run([sys.executable, "-c", "import lesson_lsp; print(lesson_lsp.__file__)"],
                          capture_output=True, text=True, env=env, cwd=tempfile.gettempdir(),
                          check=False)
    folder = Path(done.stdout.strip()).parent
    commit = subprocess.run(["git", "-C", str(folder), "rev-parse", "--short", "HEAD"],
                            capture_output=True, text=True, check=False).stdout.strip()
    dirty = subprocess.run(["git", "-C", str(folder), "status", "--porcelain", "--", "."],
                           capture_output=True, text=True, check=False).stdout.strip()
    return {"path": str(folder), "commit": commit + ("+changes" if dirty else "")}


# --- the corpus ----------------------------------------------------------------------------------

def load_tasks(args: argparse.Namespace) -> list[Task]:
    found = []
    for folder, suite in ((args.enamel_tasks, "enamel"), (args.tasks, "tasks")):
        listed = corpus.tasks(folder, suite)
        found += listed[:args.limit_tasks] if args.limit_tasks else listed
    return found


def cached_rules(tasks: list[Task], work: Path, env: dict[str, str]) -> list[Candidate]:
    """The rules' outputs, made once per set of task texts (optimizing takes minutes)."""
    key = ground_truth._digest(*(t.path.read_text(encoding="utf-8") for t in tasks))
    cache = work / "corpus" / f"rules.{key}.json"
    if cache.is_file():
        return [Candidate(**c) for c in json.loads(cache.read_text(encoding="utf-8"))]
    found = corpus.rules(tasks, work, env)
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_text(json.dumps([asdict(c) for c in found], indent=1), encoding="utf-8")
    return found


def candidates(tasks: list[Task], args: argparse.Namespace, env: dict[str, str]
               ) -> list[Candidate]:
    enamel = [t for t in tasks if t.suite == "enamel"]
    found: list[Candidate] = []
    if "expert" in args.kinds or "mutant" in args.kinds:
        if args.enamel is None:
            raise SystemExit("--enamel DIR_OR_GITDIR is needed for the expert solutions (fetch "
                             "github:q-rz/enamel)")
        found += corpus.experts(enamel, args.enamel)
    if "rule" in args.kinds or "mutant" in args.kinds:
        found += cached_rules([t for t in tasks if t.suite == "tasks"], args.work, env)
    if "llm" in args.kinds:
        for spec in args.llm_source:
            found += corpus.llm(enamel, spec)
    return found


def classify(tasks: dict[str, Task], truths: dict[str, Path], found: list[Candidate],
             work: Path) -> None:
    for n, cand in enumerate(found, 1):
        task = tasks[cand.task]
        ground_truth.classify(cand, ground_truth.judge(task, cand.source, truths[task.name],
                                                       work))
        if n % 25 == 0:
            say(f"  judged {n}/{len(found)} on the ground truth")


def make_mutants(tasks: dict[str, Task], truths: dict[str, Path], found: list[Candidate],
                 per_task: int, work: Path) -> list[Candidate]:
    """Up to `per_task` wrong mutants per task, from its correct experts and rules in turn."""
    made: list[Candidate] = []
    for name, task in tasks.items():
        parents = [c for c in found if c.task == name and c.truth == "correct"
                   and c.kind in ("expert", "rule")]
        constant = ground_truth.summary(truths[name])["common_return"]
        pools = [mutants.mutants(p.source, f"{name}:{p.key}", constant) for p in parents]
        kept: list[Candidate] = []
        tries = 0
        while pools and len(kept) < per_task and tries < 8 * per_task:
            parent, pool = parents[tries % len(pools)], pools[tries % len(pools)]
            tries += 1
            if not pool:
                continue
            what, source = pool.pop(0)
            cand = Candidate(name, "mutant", f"{parent.kind} mutant: {what}", source)
            result = ground_truth.judge(task, source, truths[name], work, full=True)
            ground_truth.classify(cand, result)
            if cand.truth == "wrong" and result.get("loaded") and not result.get("timeouts"):
                kept.append(cand)
        made += kept
    return made


# --- verifying -----------------------------------------------------------------------------------

def verify(task: Task, cand: Candidate, config: str, work: Path, env: dict[str, str]
           ) -> dict[str, Any]:
    """`lesson-lsp verify` on a copy of the task's module (alone in its folder, as a user's
    file), the candidate in a file of its own; the verdict and the wall time."""
    folder = work / "verify" / task.name
    module = folder / task.path.name
    if not module.is_file():
        folder.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(task.path, module)
    file = work / "candidates" / f"{cand.key}.py"
    file.parent.mkdir(parents=True, exist_ok=True)
    file.write_text(cand.source, encoding="utf-8")
    argv = [sys.executable, "-m", "lesson_lsp.cli", "verify", f"{module.name}::{task.qualname}",
            "--candidate", str(file), "--json"]
    if config == "named":
        argv += ["--inputs", f"{module.name}::bench_inputs"]
    started = time.perf_counter()
    try:
        done = subprocess.run(argv, cwd=folder, env=env, capture_output=True, text=True,
                              timeout=1200, check=False)
        verdict, detail, found = _verdict(done)
    except subprocess.TimeoutExpired:
        verdict, detail, found = "hung", "no verdict within 1200 s", {}
    return {**_entry(cand, config), "verdict": verdict, "detail": detail,
            "seconds": round(time.perf_counter() - started, 2),
            **{k: found[k] for k in ("failing_input", "found_by", "expected", "actual")
               if found.get(k)}}


def _entry(cand: Candidate, config: str) -> dict[str, Any]:
    return {"key": cand.key, "task": cand.task, "kind": cand.kind, "origin": cand.origin,
            "truth": cand.truth, "first": cand.first, "config": config}


def _verdict(done: subprocess.CompletedProcess[str]) -> tuple[str, str, dict[str, Any]]:
    if done.returncode == 0:
        try:
            found = json.loads(done.stdout)
            return str(found["verdict"]), str(found.get("detail", "")), dict(found)
        except (ValueError, KeyError):
            pass
    why = (done.stderr.strip().splitlines() or ["?"])[-1]
    return ("refused" if done.returncode == 2 else "crashed"), why[:400], {}


def run_all(tasks: dict[str, Task], found: list[Candidate], configs: list[str], work: Path,
            env: dict[str, str]) -> list[dict[str, Any]]:
    """Every judged candidate in every configuration, the configurations of one candidate
    one after the other (a run stopped early stays balanced). Where the CLI refused a task
    before looking at the candidate (no inputs, or the original failed), its other
    candidates get the same refusal without a run."""
    todo = [(c, config) for c in found if c.truth in ("correct", "wrong") for config in configs]
    say(f"verifying {len(todo)} (candidate, configuration) pairs, one at a time")
    results: list[dict[str, Any]] = []
    refused: dict[tuple[str, str], str] = {}
    started = time.perf_counter()
    for n, (cand, config) in enumerate(todo, 1):
        known = refused.get((cand.task, config))
        result = verify(tasks[cand.task], cand, config, work, env) if known is None else \
            {**_entry(cand, config), "verdict": "refused", "detail": known, "seconds": 0.0}
        if result["verdict"] == "refused":
            refused[(cand.task, config)] = result["detail"]
        results.append(result)
        left = (time.perf_counter() - started) / n * (len(todo) - n)
        say(f"  [{n}/{len(todo)}] {config} {cand.task} {cand.kind} ({cand.truth}): "
            f"{result['verdict']} in {result['seconds']:.1f} s; ~{left / 60:.0f} min left")
    return results


def _counts(found: list[Candidate], kind: str) -> str:
    mine = [c for c in found if c.kind == kind]
    return f"{kind} {len(mine)} ({sum(c.truth == 'wrong' for c in mine)} wrong)"


def sample(found: list[Candidate], most: int | None) -> list[Candidate]:
    """At most `most` candidates of each kind, the same ones on every run (by their key, a
    hash: no kind of task is favoured)."""
    if not most:
        return found
    kept = {c.key for kind in report.KINDS
            for c in sorted((c for c in found if c.kind == kind), key=lambda c: c.key)[:most]}
    return [c for c in found if c.key in kept]


# --- main ----------------------------------------------------------------------------------------

def confirm_saved(args: argparse.Namespace) -> int:
    """--confirm: a run saved before the failing inputs were kept gets them by one more verify
    of those few candidates (with the lesson_lsp this process finds), then the replay."""
    saved = json.loads(args.confirm.read_text(encoding="utf-8"))
    tasks = {t.name: t for t in load_tasks(args)}
    env = corpus.lsp_env(args.work)
    cands = {c["key"]: Candidate(**{k: v for k, v in c.items() if k != "key"})
             for c in saved["candidates"]}
    for n, result in enumerate(saved["results"]):
        if result["truth"] == "correct" and result["verdict"] == "incorrect" and \
                "failing_input" not in result:
            again = verify(tasks[result["task"]], cands[result["key"]], result["config"],
                           args.work, env)
            if again["verdict"] == "incorrect":
                saved["results"][n] = {**again, "seconds": result["seconds"]}
    confirm.confirm(saved["results"], tasks, {k: c.source for k, c in cands.items()})
    saved["table"] = report.table(saved["results"], args.configs)
    args.confirm.write_text(json.dumps(saved, indent=1, default=str) + "\n", encoding="utf-8")
    report.print_table(saved["table"])
    report.print_accepted(saved["results"])
    return 0


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--enamel", type=Path, help="q-rz/enamel: a checkout or a bare git dir")
    parser.add_argument("--llm-source", action="append", default=[],
                        metavar="LABEL=ROOT::PATH", help="a jsonl of HumanEval solutions in a "
                        "checkout or bare git dir (repeatable)")
    parser.add_argument("--enamel-tasks", type=Path, default=ENAMEL_TASKS)
    parser.add_argument("--tasks", type=Path, default=ROOT / "benchmarks" / "tasks")
    parser.add_argument("--work", type=Path,
                        default=Path(tempfile.gettempdir()) / "lesson-lsp-soundness",
                        help="caches: ground truths, judgements, the rules' outputs "
                             "(default: %(default)s)")
    parser.add_argument("--limit-tasks", type=int, metavar="N",
                        help="the first N tasks of each suite")
    parser.add_argument("--kinds", default="expert,rule,mutant,llm")
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--per-task", type=int, default=2, metavar="K",
                        help="mutants kept per task (default: %(default)s)")
    parser.add_argument("--sample", type=int, metavar="N",
                        help="verify at most N candidates of each kind (a fixed sample)")
    parser.add_argument("--corpus-only", action="store_true",
                        help="build and judge the candidates (cached), verify none")
    parser.add_argument("--json", type=Path, metavar="OUT", help="save everything")
    parser.add_argument("--confirm", type=Path, metavar="SAVED",
                        help="replay the failing inputs of a saved run's correct candidates "
                             "judged incorrect (verifying again those saved without one), "
                             "save it back and print its table")
    parser.add_argument("--diff", nargs=2, type=Path, metavar=("BEFORE", "AFTER"),
                        help="compare two --json files and stop")
    args = parser.parse_args(argv)
    args.kinds = [k for k in args.kinds.split(",") if k]
    args.configs = [c for c in args.configs.split(",") if c]
    unknown = set(args.kinds) - set(report.KINDS) | set(args.configs) - set(CONFIGS)
    if unknown:
        parser.error(f"unknown kinds or configurations: {', '.join(sorted(unknown))}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.diff:
        before, after = (json.loads(p.read_text(encoding="utf-8")) for p in args.diff)
        report.print_diff(before, after)
        return 0
    if args.confirm:
        return confirm_saved(args)
    started = time.perf_counter()
    env = corpus.lsp_env(args.work)
    version = lesson_lsp_version(env)
    say(f"verifying with lesson_lsp at {version['path']} ({version['commit']})")
    tasks = load_tasks(args)
    truths = {}
    for task in tasks:
        truths[task.name] = ground_truth.build(task, args.work)
    say(f"ground truth of {len(tasks)} tasks ready")
    by_name = {t.name: t for t in tasks}
    found = candidates(tasks, args, env)
    classify(by_name, truths, found, args.work)
    if "mutant" in args.kinds:
        found += make_mutants(by_name, truths, found, args.per_task, args.work)
    found = sample([c for c in found if c.kind in args.kinds], args.sample)
    say(f"{len(found)} candidates: " + ", ".join(_counts(found, k) for k in report.KINDS))
    if args.corpus_only:
        return 0
    results = run_all(by_name, found, args.configs, args.work, env)
    confirm.confirm(results, by_name, {c.key: c.source for c in found})
    rows = report.table(results, args.configs)
    print(f"verified with lesson_lsp at {version['path']} ({version['commit']})")
    report.print_table(rows)
    report.print_accepted(results)
    seconds = time.perf_counter() - started
    print(f"\ntime: {seconds / 60:.1f} min")
    if args.json:
        saved = {"lesson_lsp": version, "python": sys.version.split()[0],
                 "args": {k: str(v) for k, v in vars(args).items()},
                 "tasks": {n: ground_truth.summary(p) for n, p in truths.items()},
                 "candidates": [{**asdict(c), "key": c.key} for c in found],
                 "results": results, "table": rows, "seconds": round(seconds, 1)}
        args.json.write_text(json.dumps(saved, indent=1, default=str) + "\n", encoding="utf-8")
        print(f"saved {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
