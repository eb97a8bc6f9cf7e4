"""divisor-bound's count-down form: the largest proper divisor as n // (smallest divisor), each
spelling agreeing with the original on every argument tried; other shapes refused."""

from __future__ import annotations

import pytest

from lesson_lsp.team.rewrites import divisor_largest
from lesson_lsp.team.rewrites.base import RewriteContext

APPLIES = {
    "reversed": ("def f(n):\n    # count down\n    for i in reversed(range(n)):\n"
                 "        if n % i == 0:  # a divisor\n            return i\n"),
    "reversed-1": ("def f(n):\n    for i in reversed(range(1, n)):\n        if not n % i:\n"
                   "            return i\n    return -1\n"),
    "reversed-half": ("def f(n):\n    for i in reversed(range(1, n // 2 + 1)):\n"
                      "        if 0 == n % i:\n            return i\n    return 'none'\n"),
    "range-0": ("def f(n):\n    for d in range(n - 1, 0, -1):\n        if n % d == 0:\n"
                "            return d * 10\n"),
    "range-2": ("def f(n):\n    for d in range(n - 1, 1, -1):\n        if n % d == 0:\n"
                "            return d\n    return 0  # prime\n"),
    "break-2": ("def f(n):\n    best = None\n    for d in range(n // 2, 1, -1):\n"
                "        if not n % d:\n            best = d\n            break\n"
                "    return best\n"),
    "break-1": ("def f(n):\n    best = None\n    for d in range(n - 1, 0, -1):\n"
                "        if n % d == 0:\n            best = (d, n)\n            break\n"
                "    return best\n"),
    "raise": ("def f(n):\n    for d in range(n - 1, 1, -1):\n        if n % d == 0:\n"
              "            raise ValueError(d)\n    return 'prime'\n"),
}


class Whole(int):
    """An int subclass: its `%` could differ, so it takes the original loop."""


def _outcome(fn, arg):
    try:
        return "ok", fn(arg)
    except Exception as exc:
        return "raised", type(exc), str(exc)


def _pair(source: str):
    out = divisor_largest.apply(source, RewriteContext("f"))
    assert out is not None
    old: dict = {}
    exec(source, old)
    new: dict = {}
    exec("\n".join(out.imports) + "\n" + out.source, new)
    return out, old["f"], new["f"]


@pytest.mark.parametrize("key", sorted(APPLIES))
def test_applies_and_agrees(key: str) -> None:
    source = APPLIES[key]
    out, old, new = _pair(source)
    assert "math.isqrt" in out.source and out.imports == ("import math",)
    for comment in [line.split("#", 1)[1] for line in source.splitlines() if "#" in line]:
        assert comment in out.source
    squares = [p * p for p in (2, 3, 5, 7, 11, 13, 31, 97)]
    cases = [*range(-6, 400), *squares, 7919, 7917, True, False, 2.0, 9.0, 1.5,
             float("nan"), Whole(12), Whole(13), None]
    for arg in cases:
        assert _outcome(old, arg) == _outcome(new, arg), (key, arg)


def test_large_prime_is_fast_and_right() -> None:
    _, _, new = _pair(APPLIES["reversed"])
    assert new(1_000_000_007) == 1  # the original would count down a billion numbers
    assert new(1_000_000_007 * 3) == 1_000_000_007


@pytest.mark.parametrize("source", [
    # counts up, not down
    "def f(n):\n    for i in range(1, n):\n        if n % i == 0:\n            return i\n",
    # stops at 3: the largest divisor ≥ 3 is not n // (smallest divisor)
    "def f(n):\n    for i in range(n - 1, 2, -1):\n        if n % i == 0:\n            return i\n",
    # starts at n: n divides itself
    "def f(n):\n    for i in reversed(range(n + 1)):\n        if n % i == 0:\n"
    "            return i\n",
    # sees every divisor, not only the largest
    "def f(n):\n    out = []\n    for i in range(n - 1, 0, -1):\n        if n % i == 0:\n"
    "            out.append(i)\n    return out\n",
    # the loop variable is read after the loop
    "def f(n):\n    for i in range(n - 1, 1, -1):\n        if n % i == 0:\n            break\n"
    "    return i\n",
    # an `else` on the divisor test
    "def f(n):\n    for i in range(n - 1, 0, -1):\n        if n % i == 0:\n            return i\n"
    "        else:\n            pass\n",
    # n rebound in the loop
    "def f(n):\n    for i in range(n - 1, 0, -1):\n        if n % i == 0:\n            n = 3\n"
    "            return i\n",
    # a `continue` in the branch would go on with the new search instead
    "def f(n):\n    for i in range(n - 1, 0, -1):\n        if n % i == 0:\n"
    "            if i > 5:\n                continue\n            return i\n",
    # `math` is the module's own name
    "math = None\n\n\ndef f(n):\n    for i in reversed(range(n)):\n        if n % i == 0:\n"
    "            return i\n",
])
def test_refuses(source: str) -> None:
    assert divisor_largest.apply(source, RewriteContext("f")) is None
