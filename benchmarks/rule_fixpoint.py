"""Whether the offline rewrite rules leave their own output alone, on real code: every rule
(and `compose`) is given each function of rule_reach.py's pinned packages, and every rewrite it
proposes is given back to it.

A later round of the team starts from the best candidate so far and runs every rule on it
again: a rule that still finds its pattern in its own output stacks a second rewrite on the
first, round after round (issue 23: `ys_set`, `ys_set_set`, `ys_set_set_set`). Every `Rule`
refuses that (`lesson_lsp.team.rewrites.repeats`). Given its own rewrite, a rule that rewrites
one site per proposal may still rightly rewrite another site (the next loop, the next list);
what it must not do is rewrite what it wrote: change a line its rewrite wrote, or write those
lines again (`stacked`, a line diff that knows nothing of the rule), nor keep going past SETTLE
rewrites. tests/test_rule_fixpoint.py checks this on the bench's tasks and ENAMEL, and this
script on the real packages, which are not committed. It uses rule_reach.py's corpus, download
cache and function extraction.

    python benchmarks/rule_fixpoint.py                    # all packages; exit 1 on a stack
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
from dataclasses import dataclass
from difflib import SequenceMatcher
from pathlib import Path

from real_projects import BenchError
from rule_reach import chosen, cut_out, module_name, parsed_files, unpacked

from lesson_lsp.team.rewrites import COMPOSE, RULES, RewriteContext, Rule
from lesson_lsp.team.rewrites.compose import applied

TEAM: tuple[Rule, ...] = (*RULES, COMPOSE)


@dataclass
class Again:
    """A rule that proposed a rewrite of its own rewrite."""

    rule: str
    steps: list[str]  # the function, then after each rewrite of the rule in turn
    stacked: str  # why the last rewrite rewrote the one before; "" when it rewrote other code


def proposed_again(source: str, context: RewriteContext, rules: Sequence[Rule] = TEAM
                   ) -> tuple[list[str], list[Again], list[tuple[str, str]]]:
    """The rules that propose a rewrite of `source`; those that propose again when given their
    own rewrite (then given that one, and so on up to SETTLE rewrites); (rule, error) for those
    that raise. Rules are asked through `compose`'s cache, as the agents ask them, so `compose`
    does not run every rule a second time."""
    proposed: list[str] = []
    again: list[Again] = []
    crashed: list[tuple[str, str]] = []
    for rule in rules:
        try:
            rewrite = applied(rule, source, context)
            if rewrite is None:
                continue
            proposed.append(rule.name)
            steps, why = [source, rewrite.source], ""
            while not why and (rewrite := applied(rule, steps[-1], context)) is not None:
                why = stacked(*steps[-2:], rewrite.source)
                steps.append(rewrite.source)
                if len(steps) > SETTLE and not why:
                    why = f"still rewriting after {SETTLE} rewrites"
            if len(steps) > 2:
                again.append(Again(rule.name, steps, why))
        except Exception as exc:  # a rule must refuse, not raise: report it
            where = traceback.extract_tb(exc.__traceback__)[-1]
            crashed.append((rule.name, f"{type(exc).__name__}: {exc} at "
                                       f"{Path(where.filename).name}:{where.lineno}"[:300]))
    return proposed, again, crashed


# A rule may rewrite one site per proposal: given its own rewrite, it may rightly rewrite
# another site (the next loop, the next list; regex-compile takes six on one Pygments lexer).
# It must not rewrite what it wrote (`stacked`), and must run out of sites.
SETTLE = 20


def stacked(before: str, first: str, second: str) -> str:
    """Why `second`, a rule's rewrite of its own rewrite `first` of `before`, rewrites that
    rewrite: it changes a line `first` wrote, or writes again lines `first` wrote (a guard
    before the guard it added); "" when it changes only other code."""
    old, mid, new = before.splitlines(), first.splitlines(), second.splitlines()
    wrote: set[int] = set()
    runs: list[list[str]] = []
    for tag, _, _, j1, j2 in SequenceMatcher(None, old, mid, autojunk=False).get_opcodes():
        if tag in ("replace", "insert"):
            wrote.update(range(j1, j2))
            runs.append(_bare(mid[j1:j2]))
    for tag, i1, i2, j1, j2 in SequenceMatcher(None, mid, new, autojunk=False).get_opcodes():
        changed = sorted(wrote & set(range(i1, i2))) if tag in ("replace", "delete") else []
        if changed:
            return f"it changes a line its rewrite wrote: {mid[changed[0]].strip()}"
        block = _bare(new[j1:j2]) if tag in ("replace", "insert") else []
        if block and any(run[k:k + len(block)] == block for run in runs
                         for k in range(len(run) - len(block) + 1)):
            return f"it writes again what its rewrite wrote: {block[0]}"
    return ""


def _bare(lines: list[str]) -> list[str]:
    """The lines without whitespace, blank ones left out."""
    return ["".join(line.split()) for line in lines if line.strip()]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--work", type=Path,
                        default=Path(tempfile.gettempdir()) / "lesson-lsp-real-projects",
                        help="sdists and unpacked sources, shared with rule_reach.py "
                             "(default: %(default)s)")
    parser.add_argument("--only", metavar="PKG[,PKG]", help="these packages of the corpus")
    parser.add_argument("--names", type=int, default=3, metavar="N",
                        help="functions shown per rule (default: %(default)s)")
    parser.add_argument("--show", action="store_true",
                        help="print each rule's successive rewrites of its own rewrite")
    parser.add_argument("--json", metavar="FILE", type=Path, help="save the counts")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    hits = {rule.name: 0 for rule in TEAM}
    other: dict[str, list[str]] = {rule.name: [] for rule in TEAM}  # another site: fine
    stacks: dict[str, list[str]] = {rule.name: [] for rule in TEAM}  # its own rewrite: a bug
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
                for again in repeated:
                    (stacks if again.stacked else other)[again.rule].append(
                        f"{name} ({again.stacked})" if again.stacked else name)
                    if args.show:
                        print(f"=== {again.rule} on {name}: {again.stacked or 'another site'}")
                        print("\n--- then:\n".join(again.steps), end="\n\n")
                crashes += [f"{rule} on {name}: {error}" for rule, error in crashed]
    seconds = time.perf_counter() - started
    width = max(len(name) for name in hits)
    print(f"{'rule':<{width}}  {'hits':>5}  {'other':>5}  {'own':>5}  "
          f"functions where it rewrote its own rewrite, or another site (up to {args.names})")
    for rule, count in hits.items():
        shown = (stacks[rule] or other[rule])[:args.names]
        print(f"{rule:<{width}}  {count:>5}  {len(other[rule]):>5}  {len(stacks[rule]):>5}  "
              f"{', '.join(shown)}")
    total = sum(len(names) for names in stacks.values())
    print(f"\n{functions} functions, {reached} where some rule proposed something, "
          f"{sum(hits.values())} rewrites; given its own rewrite, a rule rewrote another site "
          f"{sum(len(names) for names in other.values())} times and its own rewrite {total} "
          "times (must be 0)")
    print(f"rule crashes: {len(crashes)}")
    for line in crashes + [f"not parsed: {line}" for line in unparsed]:
        print(f"  {line}")
    print(f"time: {seconds:.1f} s")
    if args.json:
        args.json.write_text(json.dumps({
            "functions": functions, "reached": reached, "hits": hits, "other_site": other,
            "own_rewrite": stacks, "crashes": crashes, "seconds": round(seconds, 1)},
            indent=1) + "\n", encoding="utf-8")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
