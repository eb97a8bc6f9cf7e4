"""`lesson-lsp serve | optimize | verify | trace | compare | lessons | bench`: the arguments.

Exit codes: 0 when a run completed (improved or not) or a verdict was reached, 2 on bad input
with a one-line reason on stderr (`compare`: 1 when the workload's output changed). Each
command's module is imported when it runs: `serve` is started with every editor window and must
not wait for the team's imports.
"""

from __future__ import annotations

import argparse
import gc
import importlib
import sys
from pathlib import Path

from lesson_lsp import __version__
from lesson_lsp.cli.usage import UsageError


def cmd_serve(args: argparse.Namespace) -> int:
    # The protocol's ~600 classes live as long as the server: frozen, no collection traverses
    # them again, not even the many that building pygls's converter triggers at start-up (a
    # tenth of the start-up time; nothing is kept that would otherwise be freed).
    import lsprotocol.types  # noqa: F401

    gc.freeze()
    from lesson_lsp.lsp.server import serve

    serve(tcp=args.tcp, log_file=args.log_file, level=args.log_level)
    return 0


def _run(name: str, args: argparse.Namespace) -> int:
    """`cmd_<name>` of the command's module (`commands`, `hot`, `trace`, `compare`), imported
    now."""
    if name == "optimize" and args.hot is not None:
        name = "hot"  # `optimize --hot N`: hot.cmd_hot
    module = {"trace": "lesson_lsp.cli.trace", "compare": "lesson_lsp.cli.compare",
              "hot": "lesson_lsp.cli.hot"}.get(name, "lesson_lsp.cli.commands")
    commands = importlib.import_module(module)
    return int(getattr(commands, f"cmd_{name}")(args))


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="lesson-lsp", description=__doc__.splitlines()[0])
    top.add_argument("--version", action="version", version=__version__)
    sub = top.add_subparsers(dest="command", required=True)

    serve = sub.add_parser("serve", help="speak LSP over stdio (or --tcp HOST:PORT)")
    serve.add_argument("--stdio", action="store_true", help="accepted and ignored (VS Code)")
    serve.add_argument("--tcp", metavar="HOST:PORT")
    serve.add_argument("--log-file")
    serve.add_argument("--log-level", default="info",
                       choices=["debug", "info", "warning", "error"],
                       help="for the log file and window/logMessage (default: info)")
    serve.set_defaults(func="serve")

    opt = sub.add_parser("optimize", help="optimize FILE::FUNCTION and print the diff")
    opt.add_argument("target", metavar="FILE::QUALNAME", nargs="?")
    opt.add_argument("--hot", type=int, metavar="N",
                     help="optimize the N hottest functions of the last `lesson-lsp trace`, "
                          "one after another, and show what the workload would save")
    opt.add_argument("--project", default=".",
                     help="with --hot: a folder or file of the traced project (default: .)")
    opt.add_argument("--inputs", metavar="FILE::CALLABLE")
    opt.add_argument("--python", metavar="PYTHON",
                     help="the project's interpreter or virtualenv (default: the active "
                          "virtualenv, then .venv/venv in the project, then lesson-lsp's own)")
    opt.add_argument("--rounds", type=int)
    opt.add_argument("--apply", action="store_true", help="write the file when verified")
    opt.add_argument("--no-compare", action="store_true",
                     help="with --hot N --apply: do not end with `lesson-lsp compare` on the "
                          "traced workload")
    opt.add_argument("--json", action="store_true")
    opt.add_argument("--record", metavar="FILE.jsonl",
                     help="record every exchange with the LLM endpoint (no headers, no keys)")
    opt.add_argument("--replay", metavar="FILE.jsonl",
                     help="answer the LLM agents from a recording instead of the endpoint")
    opt.set_defaults(func="optimize")

    ver = sub.add_parser("verify", help="check one candidate against the original")
    ver.add_argument("target", metavar="FILE::QUALNAME")
    ver.add_argument("--candidate", required=True, metavar="CAND.py")
    ver.add_argument("--inputs", metavar="FILE::CALLABLE")
    ver.add_argument("--python", metavar="PYTHON", help="the project's interpreter")
    ver.add_argument("--json", action="store_true")
    ver.set_defaults(func="verify")

    ben = sub.add_parser("bench", help="run the team on a task suite and print the table")
    ben.add_argument("tasks", nargs="?", default="benchmarks/tasks", metavar="TASKS_DIR")
    ben.add_argument("--team", help="rewrite agents, comma-separated (default: all, unless "
                                    "--config gives a team)")
    ben.add_argument("--config", metavar="PROJECT",
                     help="a pyproject.toml (or its folder) whose [tool.lesson-lsp] team and "
                          "LLM settings to use")
    ben.add_argument("--rounds", type=int, default=3)
    ben.add_argument("--no-lessons", action="store_true",
                     help="the ablation: the configured LLM team with lessons and with k = 0, "
                          "rule agents off in both, side by side")
    ben.add_argument("--jobs", type=int, help="tasks at once (default: cores − 1)")
    ben.add_argument("--bank", help="a lesson bank to use and keep (default: a fresh one)")
    ben.add_argument("--json", action="store_true")
    ben.add_argument("--plot", metavar="FILE.png")
    ben.add_argument("--why", action="store_true",
                     help="run no harness: per task, each rule and the precondition that "
                          "refused it (or \"applies\"), then which rules apply to one task "
                          "or none")
    ben.set_defaults(func="bench")

    tra = sub.add_parser("trace", help="run a workload and rank the project's functions by "
                                       "their share of its time (-- COMMAND ARGS...)")
    tra.add_argument("--top", type=int, default=20)
    tra.add_argument("--json", action="store_true")
    tra.add_argument("--timeout", type=float, metavar="S",
                     help="stop the workload after S seconds, keeping its trace (default: the "
                          "`trace_timeout_s` setting, 600)")
    tra.add_argument("--python", metavar="PYTHON", help="the project's interpreter")
    tra.add_argument("workload", nargs=argparse.REMAINDER, metavar="-- COMMAND")
    tra.set_defaults(func="trace")

    com = sub.add_parser("compare", help="run a workload on the code before the edits (git HEAD, "
                                         "else what --apply replaced) and as it is now: "
                                         "times, their ratio, same output? (-- COMMAND ARGS...)")
    com.add_argument("--runs", type=int, default=5, metavar="N",
                     help="timed runs of each side, interleaved (default: 5; one warm-up pair "
                          "comes first)")
    com.add_argument("--base", metavar="REF",
                     help="the git commit (branch, tag) that is \"before\" (default: HEAD)")
    com.add_argument("--json", action="store_true")
    com.add_argument("--timeout", type=float, metavar="S",
                     help="stop a run after S seconds, and the comparison with it (default: "
                          "the `trace_timeout_s` setting, 600)")
    com.add_argument("--python", metavar="PYTHON", help="the project's interpreter")
    com.add_argument("workload", nargs=argparse.REMAINDER, metavar="-- COMMAND")
    com.set_defaults(func="compare")

    les = sub.add_parser("lessons", help="list, search or prune the lesson bank")
    les.add_argument("--project", default=".",
                     help="a folder or file of the project whose bank to use (default: .)")
    les.add_argument("--bank", help="a bank file instead (default: the project's, as "
                                    "`optimize` and the server use it)")
    les.add_argument("--search")
    les.add_argument("--prune", type=float, metavar="MAX_FACTOR")
    les.add_argument("--limit", type=int, default=50)
    les.add_argument("--json", action="store_true")
    les.set_defaults(func="lessons")
    return top


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    if args.command == "optimize" and args.replay and not Path(args.replay).is_file():
        print(f"lesson-lsp: {args.replay}: no such recording; make one with --record "
              f"{args.replay}", file=sys.stderr)
        return 2
    if args.command == "optimize" and args.hot is not None and (
            args.hot < 1 or args.target or args.inputs):
        print("lesson-lsp: --hot N needs N ≥ 1, and neither FILE::QUALNAME nor --inputs (the "
              "functions and their calls come from the trace)", file=sys.stderr)
        return 2
    if args.command == "optimize" and args.rounds is not None and args.rounds < 1:
        print("lesson-lsp: --rounds must be at least 1", file=sys.stderr)
        return 2
    try:
        if args.func == "serve":
            return cmd_serve(args)
        return _run(args.func, args)
    except UsageError as exc:
        print(f"lesson-lsp: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("lesson-lsp: interrupted", file=sys.stderr)
        return 130
