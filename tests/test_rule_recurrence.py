"""linear-recurrence: each spelling is rewritten and agrees with the original everywhere it is
tried (ints, negatives, bools, floats, NaN, int subclasses, exceptions by type); non-linear,
float, effectful or otherwise unproved shapes are refused."""

from __future__ import annotations

import functools

import pytest
from conftest import outcome

from lesson_lsp.team.rewrites import recurrence
from lesson_lsp.team.rewrites.base import RewriteContext

FIB = '''def fib(n):
    """doc"""
    # base case
    if n < 2:
        return n  # n itself
    return fib(n - 1) + fib(n - 2)  # the recurrence
'''

APPLIES = {
    "fib": FIB,
    "tight": "def f(n):\n    if n<2:\n        return n\n    return f(n-1)+f(n-2)\n",
    "equals": ("def f(n):\n    if n == 0:\n        return 0\n    if n == 1:\n        return 1\n"
               "    return f(n - 1) + f(n - 2)\n"),
    "elif": ("def f(n):\n    if n == 0:\n        return 2\n    elif n == 1:\n        return 1\n"
             "    else:\n        return f(n - 1) + f(n - 2)\n"),
    "ternary": "def f(n):\n    return n if n <= 1 else f(n - 1) + f(n - 2)\n",
    "fibfib": ("def f(n):\n    if n == 0 or n == 1:\n        return 0\n    if n == 2:\n"
               "        return 1\n    return f(n - 1) + f(n - 2) + f(n - 3)\n"),
    "fib4": ("def f(n):\n    if n in (0, 1, 3):\n        return 0\n    if n == 2:\n"
             "        return 2\n"
             "    return f(n-1) + f(n-2) + f(n-3) + f(n-4)\n"),
    "coefficients": ("def f(n):\n    if n < 2:\n        return 1 - n\n"
                     "    return 3 * f(n - 1) - f(n - 2) * 2 + 7\n"),
    "order-1": "def f(n):\n    if n == 0:\n        return 1\n    return 2 * f(n - 1) + 1\n",
    "dict": ("def f(n):\n    base = {0: 2, 1: 1}\n    if n in base:\n        return base[n]\n"
             "    return f(n - 1) + f(n - 2)\n"),
    "tuple": ("def f(n):\n    if n < 3:\n        return (1, 1, 2)[n]\n"
              "    return f(n - 1) + f(n - 3)\n"),
    "extra": ("def f(n, unused):\n    if n < 2:\n        return n\n"
              "    return f(n - 1, unused) + f(n - 2, unused)\n"),
    "positive": ("def f(n):\n    if n == 1 or n == 2:\n        return 1\n"
                 "    return f(n - 1) + f(n - 2)\n"),  # n = 0 and below recurse forever
    "list": ("def f(n):\n    results = [0, 0, 2, 0]\n    if n < 4:\n        return results[n]\n\n"
             "    for _ in range(4, n + 1):\n"
             "        results.append(results[-1] + results[-2] + results[-3] + results[-4])\n"
             "        results.pop(0)\n\n    return results[-1]\n"),
    "list-index": ("def f(n):\n    seq = [1, 1]\n    if n < 2:\n        return seq[n]\n"
                   "    for i in range(2, n + 1):\n"
                   "        seq.append(seq[i - 1] + 2 * seq[i - 2])\n"
                   "    return seq[n]\n"),
}


def _functions(source: str, out) -> tuple:
    name = "fib" if "def fib" in source else "f"
    old: dict = {}
    exec(source, old)
    # the original, cached through its own global name so n up to 30 stays quick; a cache
    # changes no value of a pure function, and exceptions are not cached
    old[name] = functools.cache(old[name])
    new: dict = {}
    exec("\n".join(out.imports) + "\n" + out.source, new)
    return old[name], new[name]


class Whole(int):
    """An int subclass: the fast path is for exact ints, so this takes the original's way."""



def _comments(source: str) -> list[str]:
    return [line.split("#", 1)[1] for line in source.splitlines() if "#" in line]


@pytest.mark.parametrize("key", sorted(APPLIES))
def test_applies_and_agrees(key: str) -> None:
    source = APPLIES[key]
    name = "fib" if key == "fib" else "f"
    out = recurrence.apply(source, RewriteContext(name))
    assert out is not None, key
    assert all(c in _comments(out.source) for c in _comments(source))
    old, new = _functions(source, out)
    extra = ("x",) if key == "extra" else ()
    cases = [(n,) for n in range(-3, 30)] + [(True,), (False,), (2.0,), (1.5,), (-1.0,),
                                             (None,), ("3",), (float("nan"),), (Whole(7),),
                                             (Whole(-2),)]
    for (arg,) in cases:
        assert outcome(old, arg, *extra) == outcome(new, arg, *extra), (key, arg)
    # a large n: the rewrite agrees with the recurrence computed bottom-up from small values
    big = [old(i, *extra) for i in range(20, 300)]
    assert big[-1] == new(299, *extra)
    if key == "fib":
        assert new(300) == 222232244629420445529739893461909967206666939096499764990979600


def test_fib_uses_a_window_and_keeps_the_original_for_everything_else() -> None:
    out = recurrence.apply(FIB, RewriteContext("fib"))
    assert out is not None
    assert "if type(n) is int and n >= 0:" in out.source
    assert "return fib(n - 1) + fib(n - 2)  # the recurrence" in out.source
    assert '"""doc"""' in out.source.split("if type")[0]


def test_domain_starts_where_the_base_cases_cover() -> None:
    out = recurrence.apply(APPLIES["positive"], RewriteContext("f"))
    assert out is not None and "n >= 1:" in out.source


@pytest.mark.parametrize("source", [
    "def f(n):\n    if n < 2:\n        return n\n    return f(n - 1) * f(n - 2)\n",  # non-linear
    "def f(n):\n    if n < 2:\n        return n\n    return 1.5 * f(n - 1) + f(n - 2)\n",
    "def f(n):\n    if n < 2:\n        return 1.0\n    return f(n - 1) + f(n - 2)\n",
    "def f(n):\n    if n < 2:\n        return n\n    print(n)\n    return f(n - 1) + f(n - 2)\n",
    "def f(n):\n    if n < 2:\n        return n\n    seen.append(n)\n"
    "    return f(n - 1) + f(n - 2)\n",
    "def f(n):\n    if n < 2:\n        return n\n    return f(n // 2) + f(n - 1)\n",
    "def f(n):\n    if n < 2:\n        return n\n    return f(n - 1) + g(n - 2)\n",
    "def f(n):\n    if n < 2:\n        return n\n    return f(n + 1) + f(n - 2)\n",
    "def f(n):\n    if n % 2:\n        return n\n    return f(n - 1) + f(n - 2)\n",
    "def f(n):\n    if n < 2:\n        return g(n)\n    return f(n - 1) + f(n - 2)\n",
    "def f(n):\n    return f(n - 1) + f(n - 2)\n",  # no base case
    "def f(n):\n    if n > 2:\n        return 1\n    return f(n - 1) + f(n - 2)\n",
    "def f(n, m):\n    if n < 2:\n        return n\n    return f(n - 1, m + 1) + f(n - 2, m)\n",
    "def f(n, m):\n    if n < 2:\n        return m\n    return f(n - 1, m) + f(n - 2, m)\n",
    "import functools\n\n\n@functools.cache\ndef f(n):\n    if n < 2:\n        return n\n"
    "    return f(n - 1) + f(n - 2)\n",  # memoized already: left to memoize's territory
    "def f(n):\n    @functools.cache\n    def g(k):\n"
    "        return k if k < 2 else g(k-1) + g(k-2)\n"
    "    return g(n)\n",
    "def f(n):\n    if n < 2:\n        return n\n    return f(n - 1) + f(n - 2)\n\n\nf = print\n",
    "def f(n):\n    type = 3\n    if n < 2:\n        return n\n    return f(n - 1) + f(n - 2)\n",
    "def f(n):\n    r = [0, 1]\n    if n < 2:\n        return r[n]\n    for _ in range(2, n + 1):\n"
    "        r.pop(0)\n        r.append(r[-1] + r[-2])\n    return r[-1]\n",  # pop first
    "def f(n):\n    r = [0, 1]\n    if n < 2:\n        return r[n]\n    for i in range(2, n + 1):\n"
    "        r.append(r[i - 1] + r[i - 2])\n        r.pop(0)\n    return r[-1]\n",
    "def f(n):\n    r = [0, 1.0]\n    if n < 2:\n        return r[n]\n"
    "    for _ in range(2, n + 1):\n"
    "        r.append(r[-1] + r[-2])\n    return r[-1]\n",
])
def test_refuses(source: str) -> None:
    assert recurrence.apply(source, RewriteContext("f")) is None


def test_refuses_methods() -> None:
    source = "def f(n):\n    if n < 2:\n        return n\n    return f(n - 1) + f(n - 2)\n"
    assert recurrence.apply(source, RewriteContext("f", is_method=True)) is None


def test_recursion_error_is_kept_where_the_original_raises_it() -> None:
    source = APPLIES["positive"]
    out = recurrence.apply(source, RewriteContext("f"))
    assert out is not None
    old, new = _functions(source, out)
    for arg in (0, -2, 1.5):
        assert outcome(old, arg) == outcome(new, arg) == ("raised", RecursionError)


def test_registered_before_memoize() -> None:
    from lesson_lsp.team.rewrites import RULES
    names = [rule.name for rule in RULES]
    assert names.index("linear-recurrence") < names.index("memoize")
