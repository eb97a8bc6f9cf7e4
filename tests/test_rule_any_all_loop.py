"""any-all-loop: `any`/`all` over a generator in a `return`, an `if` test or an assignment
become a loop that leaves at the first element that decides, exactly as written, and only
where the generator's own scope cannot be missed."""

from __future__ import annotations

import pytest

from lesson_lsp.team.rewrites import RULES, any_all_loop
from lesson_lsp.team.rewrites.base import RewriteContext


def rewrite(source: str) -> str | None:
    out = any_all_loop.RULE.apply(source, RewriteContext("f"))
    return None if out is None else out.source


CASES = [
    ("def f(token, m):\n    return any(token.match(*p) for p in m)\n",
     "def f(token, m):\n    for p in m:\n        if token.match(*p):\n            return True\n"
     "    return False\n"),
    ("def f(xs):\n    return all(x > 0 for x in xs if x is not None)\n",
     "def f(xs):\n    for x in xs:\n        if x is not None and not x > 0:\n"
     "            return False\n    return True\n"),
    # nested `for`s, negated, comments kept
    ("def f(xs, ys):\n    # near\n    return not any(x == y or y is None for x in xs for y in ys)"
     "  # end\n",
     "def f(xs, ys):\n    # near\n    # end\n    for x in xs:\n        for y in ys:\n"
     "            if (x == y or y is None):\n                return False\n    return True\n"),
    # an `if` test: a flag set by for … else; a variable used elsewhere is renamed
    ("def f(t, ttype):\n    if any(t.ttype in ttype for ttype in t.types):\n        return True\n"
     "    return ttype\n",
     "def f(t, ttype):\n    for ttype_2 in t.types:\n        if t.ttype in ttype_2:\n"
     "            found = True\n            break\n    else:\n        found = False\n"
     "    if found:\n        return True\n    return ttype\n"),
    ("def f(xs):\n    if not all(isinstance(x, int) for x in xs):\n        raise TypeError\n"
     "    else:\n        return 1\n",
     "def f(xs):\n    for x in xs:\n        if not isinstance(x, int):\n            holds = False\n"
     "            break\n    else:\n        holds = True\n    if not holds:\n"
     "        raise TypeError\n    else:\n        return 1\n"),
    # an assignment
    ("def f(xs):\n    ok = not any(x.bad for x in xs)\n    return ok\n",
     "def f(xs):\n    for x in xs:\n        if x.bad:\n            ok = False\n            break\n"
     "    else:\n        ok = True\n    return ok\n"),
    # a multi-line element keeps its lines, in parentheses
    ("def f(xs):\n    return any(\n        x.a  # first\n        and x.b\n"
     "        for x in xs\n    )\n",
     "def f(xs):\n    for x in xs:\n        if (x.a  # first\n        and x.b):\n"
     "            return True\n    return False\n"),


    # networkx's `_simrank_similarity_python`: the inner `all` becomes an `if` test, then a loop
    ("def f(oldsim, close):\n    is_close = all(\n        all(close(u, v) for v in nbrs)\n"
     "        for u, nbrs in oldsim.items()\n    )\n    return is_close\n",
     "def f(oldsim, close):\n    for u, nbrs in oldsim.items():\n"
     "        for v in nbrs:\n            if not close(u, v):\n                holds = False\n"
     "                break\n        else:\n            holds = True\n        if not holds:\n"
     "            is_close = False\n            break\n    else:\n        is_close = True\n"
     "    return is_close\n"),
]


@pytest.mark.parametrize(("before", "after"), CASES)
def test_rewrites(before: str, after: str) -> None:
    assert rewrite(before) == after
    assert rewrite(after) is None  # settles


@pytest.mark.parametrize("source", [
    # not the whole statement: `and` would evaluate it at another time
    "def f(a, xs):\n    return a and any(x for x in xs)\n",
    "def f(a, xs):\n    if a or all(x for x in xs):\n        return 1\n",
    # an elif cannot get statements before it
    "def f(a, xs):\n    if a:\n        return 0\n    elif any(x for x in xs):\n        return 1\n",
    # `break` would leave only the inner loop
    "def f(xs):\n    if any(y for x in xs for y in x):\n        return 1\n",
    "def f(xs):\n    ok = all(y for x in xs for y in x)\n    return ok\n",
    # not alone on its line, or not in a block
    "def f(xs):\n    n = 1; return any(x for x in xs)\n",
    "def f(a, xs):\n    if a: return any(x for x in xs)\n",
    # the target is a loop variable of the generator, an attribute, or two names
    "def f(xs):\n    x = any(x for x in xs)\n    return x\n",
    "def f(self, xs):\n    self.ok = any(x for x in xs)\n",
    # a lambda in the generator binds the renamed name
    "def f(xs, x):\n    return any((lambda x: x)(x) for x in xs)\n",
    # not the builtins, a list, async
    "any = all\n\n\ndef f(xs):\n    return any(x for x in xs)\n",
    "def f(xs):\n    return any([x for x in xs])\n",
    "async def f(xs):\n    return any(x async for x in xs)\n",
    "async def f(xs):\n    return any(await x for x in xs)\n",
])
def test_refuses(source: str) -> None:
    assert rewrite(source) is None


def test_is_a_team_member() -> None:
    assert any_all_loop.RULE in RULES


SOURCE = '''
def f(xs, seen):
    if any(x in seen for x in xs if x is not None):
        seen.append("hit")
    ok = all(seen.append(x) or x > 0 for x in xs if x is not None)
    seen.append(ok)
    return not all(x != 3 for x in xs if x for y in range(2))
'''


@pytest.mark.parametrize("xs", [[], [1, 2, 3], [None, -1, 3], [3, None], [0, 0], [2, "a"],
                                [float("nan"), 1]])
def test_equivalent_when_run(xs: list) -> None:
    out = rewrite(SOURCE.lstrip("\n"))
    assert out is not None and "any(" not in out and "all(" not in out
    old: dict = {}
    new: dict = {}
    exec(SOURCE, old)
    exec(out, new)

    def outcome(fn):
        seen: list = [2]
        try:
            return "ok", fn(xs, seen), seen
        except Exception as exc:  # the exception is the outcome
            return "raised", type(exc), str(exc), seen

    assert outcome(old["f"]) == outcome(new["f"])
