"""eager-comprehension: a generator handed to a consumer that takes every element becomes a
comprehension, exactly as written, and only where the consumer's order of work cannot tell."""

from __future__ import annotations

import pytest

from lesson_lsp.team.rewrites import RULES, eager_comprehension
from lesson_lsp.team.rewrites.base import RewriteContext


def rewrite(source: str) -> str | None:
    out = eager_comprehension.RULE.apply(source, RewriteContext("f"))
    return None if out is None else out.source


@pytest.mark.parametrize(("before", "after"), [
    ("def f(G, n, weight):\n    return sum(d.get(weight, 1) for d in G[n].values())\n",
     "def f(G, n, weight):\n    return sum([d.get(weight, 1) for d in G[n].values()])\n"),
    ("def f(self):\n    return ''.join(token.value for token in self.tokens)\n",
     "def f(self):\n    return ''.join([token.value for token in self.tokens])\n"),
    ("def f(xs):\n    sep = ', '\n    return sep.join(str(x) for x in xs if x)\n",
     "def f(xs):\n    sep = ', '\n    return sep.join([str(x) for x in xs if x])\n"),
    ("def f(xs):\n    return tuple(g(x) for x in xs)\n",
     "def f(xs):\n    return tuple([g(x) for x in xs])\n"),
    ("def f(xs):\n    return list(g(x) for x in xs)\n",
     "def f(xs):\n    return [g(x) for x in xs]\n"),
    ("def f(xs):\n    return set(g(x) for x in xs)\n",
     "def f(xs):\n    return {g(x) for x in xs}\n"),
    ("def f(xs):\n    return dict((x, g(x)) for x in xs)\n",
     "def f(xs):\n    return {x: g(x) for x in xs}\n"),
    ("def f(xs):\n    return sorted((x.k for x in xs), key=lambda v: -v, reverse=True)\n",
     "def f(xs):\n    return sorted([x.k for x in xs], key=lambda v: -v, reverse=True)\n"),
    ("def f(xs):\n    return min((len(x) for x in xs), default=0)\n",
     "def f(xs):\n    return min([len(x) for x in xs], default=0)\n"),
    ("def f(xs):\n    return max(x for x in xs for y in x.items() if y)\n",
     "def f(xs):\n    return max([x for x in xs for y in x.items() if y])\n"),
    ("def f(xs):\n    return sum((x[0] for x in xs), 10)\n",
     "def f(xs):\n    return sum([x[0] for x in xs], 10)\n"),
    ("def f(xs):\n    return sum(xs[i] * i for i in range(len(xs)))\n",
     "def f(xs):\n    return sum([xs[i] * i for i in range(len(xs))])\n"),
    ("def f(xs):\n    return max(\n        len(x)  # long\n        for x in xs\n    )\n",
     "def f(xs):\n    return max(\n        [len(x)  # long\n        for x in xs]\n    )\n"),
])
def test_rewrites(before: str, after: str) -> None:
    assert rewrite(before) == after
    assert rewrite(after) is None  # settles


@pytest.mark.parametrize("source", [
    # a reducer whose elements call unknown code: an addition between them could be seen
    "def f(xs):\n    return sum(g(x) for x in xs)\n",
    "def f(xs):\n    return max(x.pop() for x in xs)\n",
    "def f(xs, n):\n    return sum((n := n + x) for x in xs)\n",
    # a list as long as an unknown range
    "def f(n):\n    return sum(i * i for i in range(n))\n",
    # a key a reducer would call later, that may do anything
    "def f(xs):\n    return max((x for x in xs), key=weigh)\n",
    # sorted's key computed after elements that may change it
    "def f(self, xs):\n    return sorted((g(x) for x in xs), key=self.k())\n",
    # the consumer is not the builtin
    "sum = print\n\n\ndef f(xs):\n    return sum(x for x in xs)\n",
    "def f(xs, tuple):\n    return tuple(x for x in xs)\n",
    # a join whose object may not be a string
    "def f(xs, sep):\n    return sep.join(x for x in xs)\n",
    "def f(xs):\n    sep = get()\n    return sep.join(x for x in xs)\n",
    # not one generator argument
    "def f(xs):\n    return tuple((x for x in xs), 1)\n",
    "def f(xs):\n    return dict((x for x in xs))\n",
    "def f(xs):\n    return dict((*x,) for x in xs)\n",
    "async def f(xs):\n    return tuple(x async for x in xs)\n",
    # laziness used: any/all/next stop early
    "def f(xs):\n    return any(x for x in xs)\n",
    "def f(xs):\n    return next(x for x in xs)\n",
])
def test_refuses(source: str) -> None:
    name = "f"
    assert eager_comprehension.RULE.apply(source, RewriteContext(name)) is None


def test_is_a_team_member() -> None:
    assert eager_comprehension.RULE in RULES


SOURCE = '''
def f(G, n, weight, sep):
    total = sum(d.get(weight, 1) for d in G[n].values())
    biggest = max((len(k) for k in G), default=-1)
    names = ", ".join(str(k) for k in sorted(G) if k)
    pairs = dict((k, len(v)) for k, v in G.items())
    keys = sorted((k for k in G), key=lambda k: (len(k), k), reverse=True)
    return total, biggest, names, pairs, keys, tuple(x for x in G[n]), set(len(k) for k in G)
'''


@pytest.mark.parametrize("G", [
    {"a": {"b": {"w": 2}, "c": {}}, "b": {"a": {"w": 2}}, "c": {"a": {}}},
    {"a": {}},
    {"a": {"a": {"w": 1.5}}, "bb": {"a": {"w": -0.0}}, "": {}},
    {"a": {"b": {"w": "x"}}, "b": {}},  # sum of 'x' and 1 raises TypeError in both
])
def test_equivalent_when_run(G: dict) -> None:
    out = rewrite(SOURCE.replace("\ndef f", "def f", 1))
    assert out is not None and "sum([" in out and "{k: len(v)" in out and "tuple([" in out
    old: dict = {}
    new: dict = {}
    exec(SOURCE, old)
    exec(out, new)

    def outcome(fn):
        try:
            return "ok", fn(G, "a", "w", ", ")
        except Exception as exc:  # the exception is the outcome
            return "raised", type(exc), str(exc)

    assert outcome(old["f"]) == outcome(new["f"])
