"""The check every rule runs on what it proposes (`rewrites.repeats`): a rewrite that guards code
where the same guard is already known false, or converts a value made by the same conversion, is
refused; another site of the same rule, another rule on a rule's output, and guards the user
wrote are not. And issue 23's case: three rounds of the team convert `common_items`' list once."""

from __future__ import annotations

import libcst as cst
import pytest

from lesson_lsp.team.rewrites import COMPOSE, RULES, Rewrite, RewriteContext, Rule
from lesson_lsp.team.rewrites.base import Apply, parse_with_parents
from lesson_lsp.team.rewrites.compose import applied
from lesson_lsp.team.rewrites.repeats import known_false, repeated

RULE = {rule.name: rule for rule in RULES}
TEAM = (*RULES, COMPOSE)


def test_a_rule_still_rewrites_another_site_of_its_own_output() -> None:
    two = ("def f(xs, ys, zs):\n    out = []\n    for x in xs:\n        if x in ys:\n"
           "            out.append(x)\n    for x in xs:\n        if x in zs:\n"
           "            out.append(x)\n    return out\n")
    context = RewriteContext("f")
    once = RULE["membership-set"].apply(two, context)
    assert once is not None and "ys_set" in once.source and "zs_set" not in once.source
    twice = RULE["membership-set"].apply(once.source, context)
    assert twice is not None and "zs_set" in twice.source and "ys_set_set" not in twice.source
    assert RULE["membership-set"].apply(twice.source, context) is None


def test_a_converted_parameter_named_like_a_builtin_is_not_converted_again() -> None:
    # parse's strf_date_convert(x, _, type): `set(type)` is the same conversion as `set(xs)`
    source = ("def f(x, type):\n    a = any('%' + c in type for c in 'aA')\n"
              "    b = any('%' + c in type for c in 'HI')\n    return a, b\n")
    context = RewriteContext("f")
    once = RULE["membership-set"].apply(source, context)
    assert once is not None and "type_set =" in once.source
    twice = RULE["membership-set"].apply(once.source, context)
    assert twice is None or "type_set_set" not in twice.source


def test_another_rule_still_rewrites_a_rules_output() -> None:
    source = ("def positives(words):\n    nums = [int(w) for w in words]\n"
              "    return len(list(filter(lambda n: n > 0, nums)))\n")
    context = RewriteContext("positives")
    mapped = RULE["builtin-map"].apply(source, context)
    assert mapped is not None
    assert RULE["builtin-map"].apply(mapped.source, context) is None
    assert RULE["lambda-comprehension"].apply(mapped.source, context) is not None


def _wrap(source: str, context: RewriteContext) -> Rewrite | None:
    """A careless new rule: guards every `return E` with a fast path, every time."""
    return Rewrite(source.replace("return ", "return 0 if type(xs) is list else ", 1))


def _convert(source: str, context: RewriteContext) -> Rewrite | None:
    """Another: converts the last name it finds in a membership test, every time."""
    name = source.split(" in ")[-1].split(":")[0]
    made = f"{name}_fast"
    return Rewrite(source.replace(f" in {name}:", f" in {made}:").replace(
        "    for", f"    {made} = frozenset({name}) if type({name}) is list else {name}\n"
        "    for", 1))


@pytest.mark.parametrize("apply", [_wrap, _convert])
def test_a_new_rule_is_refused_its_own_output_without_doing_anything(apply: Apply) -> None:
    rule = Rule("careless", "", apply)
    source = "def f(xs, ys):\n    for x in xs:\n        if x in ys:\n            return x\n"
    context = RewriteContext("f")
    once = rule.apply(source, context)
    assert once is not None
    again = apply(once.source, context)  # the rule itself would stack a second rewrite
    assert again is not None and repeated(once.source, again.source)
    assert rule.apply(once.source, context) is None


def test_a_guard_the_user_wrote_is_not_a_repeat() -> None:
    # the new guard sits in the body of the user's same test (true there, not false): kept
    inside = "def f(xs):\n    if type(xs) is list and xs:\n        return sorted(xs)[0]\n"
    assert RULE["sorted-min"].apply(inside, RewriteContext("f")) is not None
    # the user's own dead guard is theirs: the rule adds none
    dead = ("def f(xs, s):\n    if type(s) is str:\n        return 1\n    if type(s) is str:\n"
            "        return 2\n    return sorted(xs)[0]\n")
    assert RULE["sorted-min"].apply(dead, RewriteContext("f")) is not None


@pytest.mark.parametrize(("body", "known"), [
    ("if t(x):\n        pass\n    else:\n        site()\n", True),
    ("if t(x):\n        site()\n", False),
    ("if t(x):\n        return 1\n    site()\n", True),
    ("if t(x):\n        raise E\n    y = 1\n    site()\n", True),
    ("if t(x):\n        return 1\n    x = g()\n    site()\n", False),  # x rebound in between
    ("if t(x):\n        pass\n    site()\n", False),  # the body does not leave
    ("if t(x):\n        return 1\n    else:\n        pass\n    site()\n", False),
    ("if u:\n        pass\n    elif t(x):\n        pass\n    else:\n        site()\n", True),
    ("y = 1 if t(x) else site()\n", True),
    ("for x in xs:\n        y = 1 if t(x) else site()\n", True),
    ("if t(x):\n        return 1\n    for x in xs:\n        site()\n", False),  # the loop rebinds
    ("for i in xs:\n        if t(x):\n            continue\n        site()\n", True),
    ("if t(x):\n        return 1\n    g = lambda: site()\n", False),  # runs later
])
def test_known_false(body: str, known: bool) -> None:
    found = parse_with_parents(f"def f(x, xs):\n    {body}", "f")
    assert found is not None
    parent_of = found[2]
    site = next(node for node in parent_of if isinstance(node, cst.Call)
                and isinstance(node.func, cst.Name) and node.func.value == "site")
    assert known_false(site, cst.parse_expression("t( x )"), parent_of) is known


COMMON_ITEMS = ("def common_items(xs, ys):\n    out = []\n    for x in xs:\n        if x in ys:\n"
                "            out.append(x)\n    return out\n")
CONVERSION = ".__class__ in (list, tuple)"  # membership-set's guard on the list it converts


def test_three_rounds_of_the_offline_team_convert_ys_once() -> None:
    # The user's case: with `restart_from = "best"` rounds 2 and 3 ran the rules on round 1's
    # winner, membership-set's `ys_set`, and it converted `ys_set`, then `ys_set_set`. Without
    # the harness nothing is timed, so every candidate of a round starts the next in turn.
    context = RewriteContext("common_items")
    starts, reached = {COMMON_ITEMS}, set()
    for _ in range(3):
        # as RewriteAgent makes its candidate, which a round then starts from
        starts = {rewrite.source.strip("\n") + "\n" for source in starts for rule in TEAM
                  if (rewrite := applied(rule, source, context)) is not None}
        reached |= starts
    assert reached and all(source.count(CONVERSION) <= 1 for source in reached), \
        "\n\n".join(s for s in reached if s.count(CONVERSION) > 1)
    membership = RULE["membership-set"]
    won = applied(membership, COMMON_ITEMS, context)  # the user's round-1 winner
    assert won is not None and won.source.count(CONVERSION) == 1 and won.source in reached
    assert applied(membership, won.source, context) is None
