"""Whether the offline rewrite rules leave their own output alone, on real code: every rule
(and `compose`) is given each function of rule_reach.py's pinned packages, and every rewrite it
proposes is given back to it; it must propose nothing more.

A later round of the team starts from the best candidate so far and runs every rule on it
again: a rule that still finds its pattern in its own output stacks a second rewrite on the
first, round after round (issue 23: `ys_set`, `ys_set_set`, `ys_set_set_set`). Every `Rule`
refuses that (`lesson_lsp.team.rewrites.repeats`); tests/test_rule_fixpoint.py checks it on
the bench's tasks and ENAMEL, and this script on the real packages, which are not committed.
It uses rule_reach.py's corpus, download cache and function extraction.

    python benchmarks/rule_fixpoint.py                    # all packages; exit 1 if any repeat
    python benchmarks/rule_fixpoint.py --only semver,toolz --show
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
import traceback
from collections.abc import Sequence
from pathlib import Path

from real_projects import BenchError
from rule_reach import chosen, cut_out, module_name, parsed_files, unpacked

from lesson_lsp.team.rewrites import COMPOSE, RULES, RewriteContext, Rule
from lesson_lsp.team.rewrites.compose import applied

TEAM: tuple[Rule, ...] = (*RULES, COMPOSE)


def proposed_again(source: str, context: RewriteContext, rules: Sequence[Rule] = TEAM
                   ) -> tuple[list[str], list[tuple[str, str, str]], list[tuple[str, str]]]:
    """The rules that propose a rewrite of `source`; (rule, rewrite, second rewrite) for those
    that propose again when given their own rewrite; (rule, error) for those that raise.
    Rules are asked through `compose`'s cache, as the agents ask them, so `compose` does not
    run every rule a second time."""
    proposed: list[str] = []
    again: list[tuple[str, str, str]] = []
    crashed: list[tuple[str, str]] = []
    for rule in rules:
        try:
            rewrite = applied(rule, source, context)
            if rewrite is None:
                continue
            proposed.append(rule.name)
            second = applied(rule, rewrite.source, context)
            if second is not None:
                again.append((rule.name, rewrite.source, second.source))
        except Exception as exc:  # a rule must refuse, not raise: report it
            where = traceback.extract_tb(exc.__traceback__)[-1]
            crashed.append((rule.name, f"{type(exc).__name__}: {exc} at "
                                       f"{Path(where.filename).name}:{where.lineno}"[:300]))
    return proposed, again, crashed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--work", type=Path,
                        default=Path(tempfile.gettempdir()) / "lesson-lsp-real-projects",
                        help="sdists and unpacked sources, shared with rule_reach.py "
                             "(default: %(default)s)")
    parser.add_argument("--only", metavar="PKG[,PKG]", help="these packages of the corpus")
    parser.add_argument("--names", type=int, default=5, metavar="N",
                        help="functions shown per rule (default: %(default)s)")
    parser.add_argument("--show", action="store_true", help="print each repeated rewrite")
    parser.add_argument("--json", metavar="FILE", type=Path, help="save the counts")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    hits = {rule.name: 0 for rule in TEAM}
    again: dict[str, list[str]] = {rule.name: [] for rule in TEAM}
    crashes: list[str] = []
    unparsed: list[str] = []
    functions = reached = 0
    for project in chosen(args.only):
        try:
            root = unpacked(project, args.work)
        except BenchError as exc:
            print(f"{project.name} {project.version}: {exc}", file=sys.stderr)
            return 2
        print(f"{project.name} {project.version}", file=sys.stderr, flush=True)
        for file, _, text, tree in parsed_files(project.name, root, project.paths, unparsed):
            for qualname, node, is_method, source in cut_out(text, tree):
                name = f"{module_name(root, file)}.{qualname}"
                proposed, repeated, crashed = proposed_again(
                    source, RewriteContext(node.name, is_method=is_method))
                functions += 1
                reached += bool(proposed)
                for rule in proposed:
                    hits[rule] += 1
                for rule, first, second in repeated:
                    again[rule].append(name)
                    if args.show:
                        print(f"=== {rule} on {name}:\n{first}\n--- again:\n{second}\n")
                crashes += [f"{rule} on {name}: {error}" for rule, error in crashed]
    seconds = time.perf_counter() - started
    width = max(len(name) for name in hits)
    print(f"{'rule':<{width}}  {'hits':>5}  {'again':>5}  functions (up to {args.names})")
    for rule, count in hits.items():
        shown = ", ".join(again[rule][:args.names]) + (" …" if len(again[rule]) > args.names
                                                       else "")
        print(f"{rule:<{width}}  {count:>5}  {len(again[rule]):>5}  {shown}")
    repeats = sum(len(names) for names in again.values())
    print(f"\n{functions} functions, {reached} where some rule proposed something, "
          f"{sum(hits.values())} rewrites; proposed again on their own rewrite: {repeats}")
    print(f"rule crashes: {len(crashes)}")
    for line in crashes + [f"not parsed: {line}" for line in unparsed]:
        print(f"  {line}")
    print(f"time: {seconds:.1f} s")
    if args.json:
        args.json.write_text(json.dumps({
            "functions": functions, "reached": reached, "hits": hits, "again": again,
            "crashes": crashes, "seconds": round(seconds, 1)}, indent=1) + "\n",
            encoding="utf-8")
    return 1 if repeats else 0


if __name__ == "__main__":
    sys.exit(main())
