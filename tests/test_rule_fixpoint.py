"""No rule rewrites its own rewrite (issue 23): every rule, `compose` included, given what it
proposed for a function, either proposes nothing or rewrites only code its rewrite did not
write (another site: the next loop, the next list), and settles.

A later round starts from the best candidate so far and runs every rule on it again; a rule that
still sees its pattern in its own output stacks a second rewrite on the first (`common_items`
got `ys_set`, then `ys_set_set`, then `ys_set_set_set` over three rounds). The check is
`lesson_lsp.team.rewrites.repeats`, which every `Rule` runs on what it proposes; the judge here is
`benchmarks/rule_fixpoint.py`'s `stacked`, a line diff that knows nothing of the rules. It runs
on every function of the bench's tasks and of the public ENAMEL half (when that checkout is
beside this one); the script checks the same on real packages.
"""

from __future__ import annotations

import ast
import sys
import tokenize
from pathlib import Path
from types import ModuleType

import pytest

from lesson_lsp.team.rewrites import COMPOSE, RULES, RewriteContext, Rule

BENCHMARKS = Path(__file__).resolve().parents[1] / "benchmarks"
TASKS = BENCHMARKS / "tasks"
ENAMEL = Path(__file__).resolve().parents[2] / "shared" / "benchmarks" / "enamel"
TEAM: tuple[Rule, ...] = (*RULES, COMPOSE)


@pytest.fixture
def fixpoint(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """benchmarks/rule_fixpoint.py, imported as the script imports its sibling rule_reach."""
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    for name in ("rule_fixpoint", "rule_reach"):
        monkeypatch.delitem(sys.modules, name, raising=False)
    import rule_fixpoint

    return rule_fixpoint


def check(fixpoint: ModuleType, paths: list[Path]) -> tuple[int, dict[str, int]]:
    """How many functions `paths` hold (each function and method, cut out as lesson-lsp cuts
    it), and how many rewrites each rule proposed for them; fails listing every rule that
    proposed again on its own rewrite, with both rewrites."""
    count, fired, other, stacked = 0, dict.fromkeys((r.name for r in TEAM), 0), 0, []
    for path in paths:
        with tokenize.open(path) as handle:
            text = handle.read()
        for qualname, node, is_method, source in fixpoint.cut_out(text, ast.parse(text)):
            count += 1
            proposed, again, crashed = fixpoint.proposed_again(
                source, RewriteContext(node.name, is_method=is_method), TEAM)
            assert not crashed, (path.name, qualname, crashed)
            for rule in proposed:
                fired[rule] += 1
            other += sum(1 for a in again if not a.stacked)
            stacked += [f"{a.rule} on {path.stem}.{qualname}: {a.stacked}:\n" +
                        "\n→\n".join(a.steps) for a in again if a.stacked]
    assert not stacked, "\n\n".join(stacked)
    print(f"{paths[0].parent.name}: {count} functions, {sum(fired.values())} rewrites by "
          f"{sum(1 for n in fired.values() if n)} of {len(TEAM)} rules; given its own rewrite, "
          f"a rule rewrote another site {other} times, its own rewrite never")
    return count, fired


@pytest.mark.slow
def test_no_rule_rewrites_its_own_rewrite_of_a_task(fixpoint: ModuleType) -> None:
    count, fired = check(fixpoint, sorted(TASKS.glob("*.py")))
    assert count >= 140  # every function, input generators too, not only the task's own
    # not vacuous: the rules that stacked on themselves before (membership-set, sorted-min,
    # mirror-compare) and most others did rewrite something here
    assert {"membership-set", "sorted-min", "mirror-compare", "char-table", "compose"} <= \
        {rule for rule, n in fired.items() if n}
    assert sum(1 for n in fired.values() if n) >= 24


# In two halves, which `pytest -n 2` runs side by side: each takes some 15 s of rules.
@pytest.mark.slow
@pytest.mark.skipif(not ENAMEL.is_dir(), reason=f"the public ENAMEL half is not at {ENAMEL} "
                    "(it is a sibling checkout, not part of this repository)")
@pytest.mark.parametrize("half", [0, 1])
def test_no_rule_rewrites_its_own_rewrite_of_an_enamel_task(fixpoint: ModuleType,
                                                            half: int) -> None:
    paths = sorted(ENAMEL.glob("*.py"))
    assert len(paths) >= 75
    count, fired = check(fixpoint, paths[half::2])
    assert count >= 150
    assert fired["membership-set"] and fired["compose"]

