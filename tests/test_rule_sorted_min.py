"""sorted-min: each end of a sort read as min/max agrees with the original, ties and all."""

from __future__ import annotations

import pytest

from lesson_lsp.team.rewrites import sorted_min
from lesson_lsp.team.rewrites.base import RewriteContext

SHAPES = {
    "first": "def f(xs):\n    return sorted(xs)[0]\n",
    "first-reverse": "def f(xs):\n    return sorted(xs, reverse=True)[0]  # largest\n",
    "last": "def f(xs):\n    return sorted(xs)[-1]\n",
    "last-reverse": "def f(xs):\n    return sorted(xs, reverse=True)[-1]\n",
    "key-first": "def f(xs):\n    return sorted(xs, key=lambda p: p[0])[0]\n",
    "key-last": "def f(xs):\n    return sorted(xs, key=lambda p: p[0], reverse=False)[-1]\n",
    "key-last-reverse": "def f(xs):\n    return sorted(xs, key=lambda p: p[0], reverse=True)[-1]\n",
}


class Items(list):
    """A list subclass: it takes the original sort."""


# Pairs compare by their first item under the key; their second item tells equal keys apart,
# so a rewrite that picked another of the tied elements would show.
PAIRS = [[(3, "a"), (1, "b"), (3, "c"), (1, "d")], [(2, "x")], [(0, "p"), (0, "q")],
         [(-1, "é"), (5, "ß"), (5, "日")]]
PLAIN = [[3, 1, 2], [1.5, -0.0, 0.0, 1.5], [0.0, -0.0], ["b", "a", "ä"], [True, 1, 1.0],
         [], (3, 1, 2), Items([2, 1]), "cab", range(4), {3: "x", 1: "y"}]


def _outcome(fn, arg):
    try:
        result = fn(arg)
        return "ok", result, type(result), repr(result)
    except Exception as exc:
        return "raised", type(exc)


@pytest.mark.parametrize("key", sorted(SHAPES))
def test_agrees_with_the_original(key: str) -> None:
    source = SHAPES[key]
    out = sorted_min.apply(source, RewriteContext("f"))
    assert out is not None and "type(xs) is list and xs" in out.source
    assert "# largest" in out.source or "largest" not in source
    old: dict = {}
    new: dict = {}
    exec(source, old)
    exec(out.source, new)
    cases = [*PAIRS, []] if "key" in key else PAIRS + PLAIN
    for arg in cases:
        assert _outcome(old["f"], arg) == _outcome(new["f"], arg), (key, arg)


@pytest.mark.parametrize("source", [
    "def f(xs):\n    return sorted(xs)[1]\n",  # not an end
    "def f(xs, r):\n    return sorted(xs, reverse=r)[0]\n",  # direction unknown
    "def f(xs):\n    return sorted(xs + [0])[0]\n",  # not a plain name: no guard possible
    "def f(xs):\n    return sorted(*xs)[0]\n",
    "min = max\n\n\ndef f(xs):\n    return sorted(xs)[0]\n",  # a rebound builtin
])
def test_refuses(source: str) -> None:
    assert sorted_min.apply(source, RewriteContext("f")) is None
