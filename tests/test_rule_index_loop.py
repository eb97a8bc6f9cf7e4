"""`index-loop`, generalized: every index shape it claims, rewritten by the rule and run for real.

Each case is rewritten (real libcst), then the rewritten function is `exec`-ed and compared with
the original on edge inputs: empty, one and two items, non-ASCII text, tuples, NaN items, str
and list subclasses with their own `__getitem__`, and a dict keyed 0 … n-1 (iterating it gives
its keys, indexing its values: the type guard must keep the original there). Same result, or the
same exception type. The refusals are the loops where iterating would not be indexing.
"""

from __future__ import annotations

import io
import math
import tokenize

import pytest

from lesson_lsp.team.rewrites import index_loop
from lesson_lsp.team.rewrites.base import RewriteContext


class Shout(str):
    """A str whose items are upper-cased: iterating it is not indexing it."""

    def __getitem__(self, key):  # type: ignore[no-untyped-def, override]
        return str.__getitem__(self, key).upper()


class Tens(list):
    """A list whose items read ten times bigger."""

    def __getitem__(self, key):  # type: ignore[no-untyped-def, override]
        item = list.__getitem__(self, key)
        return item * 10 if isinstance(key, int) else item


NAN = math.nan
_ODD = ["", "a", "ab", "abc", "aab", "abca", "xyzzy", "héllo wörld ñ", "ééé", "abcabcabcd",
        ("a", "b", "a"), Shout("abcd"), Shout(""), {0: "a", 1: "b", 2: "c"}, {}, list("abba")]
TEXT: list = [*_ODD, "yogurt", "FULL", "quick", "bcdfgaeiou" * 3]
NUMS: list = [[], [1], [1, 2], [2, 1], [3, -1, 4, 1, -5, 9, 2, 6], (1, 2, 3, 4, 5), [NAN, 1.0],
              [1.0, NAN, 2.0, NAN], Tens([1, 2, 3]), Tens([]), {0: 5, 1: 7, 2: 9}, {},
              list(range(17)), [0, 0, 0], [1, 2, 2, 3], (-1, -2)]


def _comments(code: str) -> list[str]:
    return sorted(t.string for t in tokenize.generate_tokens(io.StringIO(code).readline)
                  if t.type == tokenize.COMMENT)


def _outcome(fn, arg):  # type: ignore[no-untyped-def]
    try:
        return "ok", repr(fn(arg))  # repr: NaN items compare equal as text
    except Exception as exc:  # the type must match
        return "raised", type(exc)


def _agrees(source: str, args: list) -> str:
    """The rewrite of `f`: it keeps every comment and agrees with `f` on `args`."""
    out = index_loop.apply(source, RewriteContext("f"))
    assert out is not None, source
    assert set(_comments(source)) <= set(_comments(out.source)), out.source
    new: dict = {}
    exec(out.source, new)
    old: dict = {}
    exec(source, old)
    for arg in args:
        assert _outcome(old["f"], arg) == _outcome(new["f"], arg), (arg, out.source)
    return out.source


def _refused(source: str) -> None:
    assert index_loop.apply(source, RewriteContext("f")) is None, source


LOOPS = {
    "plain": ("def f(xs):\n    n = 0\n    for i in range(len(xs)):  # each\n"
              "        n += xs[i]\n    return n\n", NUMS, "for xs_item in xs:"),
    "from a": ("def f(xs):\n    out = []\n    for i in range(2, len(xs)):\n"
               "        out.append(xs[i])\n    return out\n", TEXT, "in xs[2:]:"),
    "from a by k": ("def f(xs):\n    out = []\n    for i in range(1, len(xs) - 1, 3):\n"
                    "        out.append(xs[i])\n    return out\n", TEXT, "in xs[1:-1:3]:"),
    "zero start": ("def f(xs):\n    out = []\n    for i in range(0, len(xs), 2):\n"
                   "        out.append(xs[i])\n    return out\n", TEXT, "in xs[::2]:"),
    "shifted": ("def f(xs):\n    out = []\n    for i in range(1, len(xs) + 1):\n"
                "        out.append(xs[i - 1])\n    return out\n", TEXT, "in xs:"),
    "backwards": ("def f(xs):\n    out = []\n    for i in range(len(xs) - 1, -1, -1):  # back\n"
                  "        out.append(xs[i])\n    return out\n", TEXT, "in reversed(xs):"),
    "backwards from 2": ("def f(xs):\n    out = []\n    for i in range(len(xs) - 1, 1, -1):\n"
                         "        out.append(xs[i])\n    return out\n", TEXT,
                         "in reversed(xs[2:]):"),
    "happy": ("def f(s):\n    if len(s) < 3:\n      return False\n\n"
              "    for i in range(len(s) - 2):\n      \n"
              "      if s[i] == s[i+1] or s[i+1] == s[i+2] or s[i] == s[i+2]:  # a repeat\n"
              "        return False\n    return True\n", TEXT, "in zip(s, s[1:], s[2:]):"),
    "happy unguarded by length": ("def f(s):\n    for i in range(len(s) - 2):\n"
                                  "        if s[i] == s[i + 2]:\n            return s[i + 1]\n"
                                  "    return -1\n", TEXT, None),
    "pairs by two": ("def f(s):\n    out = []\n    for i in range(0, len(s) - 1, 2):\n"
                     "        out.append((s[i + 1], s[i]))\n    return out\n", TEXT,
                     "in zip(s[::2], s[1::2]):"),
    "window gap": ("def f(s):\n    n = 0\n    for i in range(len(s) - 2):\n"
                   "        if s[i] == s[i + 2]:\n            n += 1\n    return n\n",
                   TEXT, "in zip(s, s[2:]):"),
    "window short of the end": ("def f(s):\n    n = 0\n    for i in range(len(s) - 3):\n"
                                "        n += s[i] == s[1 + i]\n    return n\n",
                                TEXT, "in zip(s, s[1:-2]):"),
    "backwards window": ("def f(word):\n    for i in range(len(word)-2, 0, -1):  # from the end\n"
                         "        if word[i - 1] == word[i + 1]:\n            return word[i]\n"
                         "    return None\n", TEXT,
                         "zip(reversed(word[:-2]), reversed(word[1:-1]), reversed(word[2:]))"),
    "backwards window from 3": ("def f(word):\n    n = 0\n"
                                "    for i in range(len(word) - 3, 2, -1):\n"
                                "        n += word[i - 3] < word[i + 2]\n    return n\n", TEXT,
                                "zip(reversed(word[:-5]), reversed(word[5:]))"),
}


@pytest.mark.parametrize("name", LOOPS)
def test_index_loops_agree_with_the_original(name: str) -> None:
    source, inputs, expected = LOOPS[name]
    out = _agrees(source, inputs)
    if expected is not None:
        assert expected in out, out
    assert "type(" in out and "else:" in out  # parameters are guarded


COMPREHENSIONS = {
    "list with filter": ("def f(xs):\n    # doubled positives\n"
                         "    return [xs[i] * 2 for i in range(len(xs)) if xs[i] > 0]\n", NUMS,
                         "[xs_item * 2 for xs_item in xs if xs_item > 0]"),
    "sum of odd places": ("def f(xs):\n    return sum(xs[i] for i in range(1, len(xs), 2))\n",
                          NUMS, "sum((xs_item for xs_item in xs[1::2]) if"),
    "sorted pairs": ("def f(lst):\n"
                     "    return all(lst[i-1] <= lst[i] for i in range(1, len(lst)))\n",
                     [*NUMS, *TEXT], "zip(lst, lst[1:])"),
    "join": ("def f(s):\n    return ''.join(s[i] for i in range(0, len(s), 2))\n", TEXT,
             "s[::2]"),
    "set": ("def f(xs):\n    return {xs[i] for i in range(len(xs) - 1)}\n", TEXT, "xs[:-1]"),
    "dict": ("def f(s):\n    return {s[i]: s[i + 1] for i in range(len(s) - 1)}\n", TEXT,
             "zip(s, s[1:])"),
    "operand": ("def f(xs):\n    return [xs[i] for i in range(len(xs))] + [0]\n", TEXT, None),
    "inner loop": ("def f(xs):\n    return [xs[i] + y for i in range(len(xs)) for y in 'ab']\n",
                   TEXT, None),
}


@pytest.mark.parametrize("name", COMPREHENSIONS)
def test_index_comprehensions_agree_with_the_original(name: str) -> None:
    source, inputs, expected = COMPREHENSIONS[name]
    out = _agrees(source, inputs)
    if expected is not None:
        assert expected in out, out
    assert "range(" in out  # the original stays for other types


FILTERS = ["i % 2 == 0", "i % 2 == 1", "i % 2", "not i % 2", "1 == i % 2", "i % 2 != 0",
           "i % 3 == 2", "i % 4 == 0", "(i % 2 == 1)"]
_SLICE = {"i % 2 == 0": "[::2]", "i % 2 == 1": "[1::2]", "i % 2": "[1::2]",
          "not i % 2": "[::2]", "1 == i % 2": "[1::2]", "i % 2 != 0": "[1::2]",
          "i % 3 == 2": "[2::3]", "i % 4 == 0": "[::4]", "(i % 2 == 1)": "[1::2]"}


@pytest.mark.parametrize("test", FILTERS)
def test_enumerate_stride_filters_agree_with_the_original(test: str) -> None:
    loop = ("def f(xs):\n    out = []\n    for i, x in enumerate(xs):  # each\n"
            f"        if {test}:  # the stride\n            out.append(x)\n    return out\n")
    assert f"for x in xs{_SLICE[test]}:" in _agrees(loop, [*TEXT, *NUMS])
    comp = f"def f(xs):\n    return [x * 2 for i, x in enumerate(xs) if {test} if x]\n"
    assert f"for x in xs{_SLICE[test]} if x]" in _agrees(comp, [*TEXT, *NUMS])


def test_a_local_known_to_be_a_list_needs_no_guard() -> None:
    source = ("def f(n):\n    xs = sorted(range(n))\n    t = 0\n    for i in range(len(xs)):\n"
              "        t += xs[i]\n    return t\n")
    out = _agrees(source, [0, 1, 2, 10])
    assert "type(" not in out and "for xs_item in xs:" in out
    # a parameter, or a local that may hold something else, keeps the guard
    maybe = source.replace("    t = 0\n", "    t = 0\n    if n > 5:\n        xs = {0: 1}\n")
    assert "type(xs)" in _agrees(maybe, [0, 1, 2, 10])
    sorted_rebound = "def sorted(x):\n    return dict.fromkeys(x, 1)\n\n\n" + source
    assert "type(xs)" in _agrees(sorted_rebound, [0, 1, 2, 10])
    # a nested function's `xs` is its own: the loop's is a global of any type
    inner = ("xs = {0: 5}\n\n\ndef f(n):\n    def g():\n        xs = [n]\n        return xs\n"
             "    t = 0\n    for i in range(len(xs)):\n        t += xs[i]\n"
             "    return t + len(g())\n")
    assert "type(xs)" in _agrees(inner, [0, 1])


REFUSED = {
    "index used otherwise": ("n += xs[i]", "n += xs[i] + i"),
    "index read after": ("return n", "return i"),
    "item stored": ("n += xs[i]", "xs[i] = 0"),
    "method call": ("n += xs[i]", "xs.append(1)"),
    "unknown call": ("n += xs[i]", "g(xs)"),
    "rebinds xs": ("n += xs[i]", "xs = [1]"),
    "rebinds i": ("n += xs[i]", "i = 0"),
    "yields": ("n += xs[i]", "yield xs[i]"),
    "past the end": ("n += xs[i]", "n += xs[i + 1]"),
    "wraps round": ("n += xs[i]", "n += xs[i - 1]"),
    "other sequence": ("n += xs[i]", "n += ys[i]"),
    "index of an item": ("n += xs[i]", "n += xs[i][i]"),
    "slice": ("n += xs[i]", "n += xs[i:]"),
    "name start": ("range(len(xs))", "range(k, len(xs))"),
    "negative start": ("range(len(xs))", "range(-1, len(xs))"),
    "backward step": ("range(len(xs))", "range(0, len(xs), -2)"),
    "name step": ("range(len(xs))", "range(0, len(xs), k)"),
    "zero step": ("range(len(xs))", "range(0, len(xs), 0)"),
    "not the length": ("range(len(xs))", "range(len(xs) * 2)"),
    "length of a call": ("range(len(xs))", "range(len(g(xs)))"),
    "else": ("    return n", "    else:\n        n = 0\n    return n"),
    "closure": ("n += xs[i]", "n += (lambda: xs[i])()"),
    "nested def": ("n += xs[i]", "def g():\n            return xs[i]\n        n += g()"),
}
_BASE = ("def f(xs, ys=(), k=1):\n    n = 0\n    for i in range(len(xs)):\n"
         "        n += xs[i]\n    return n\n")


@pytest.mark.parametrize("name", REFUSED)
def test_index_loops_that_are_not_item_reads_are_refused(name: str) -> None:
    old, new = REFUSED[name]
    assert old in _BASE
    _refused(_BASE.replace(old, new))


def test_a_rebound_builtin_is_refused() -> None:
    _refused("def range(n):\n    return [0]\n\n\n" + _BASE)
    _refused("zip = None\n\n\ndef f(s):\n    return [s[i] + s[i + 1] for i in range(len(s) - 1)]\n")


@pytest.mark.parametrize("source", [
    "def f(xs):\n    g = (xs[i] for i in range(len(xs)))\n    return list(g)\n",
    "def f(xs):\n    return (xs[i] for i in range(len(xs)))\n",
    "def f(xs):\n    return max((xs[i] for i in range(len(xs))), key=abs)\n",
    "def f(xs):\n    return sep.join(xs[i] for i in range(len(xs)))\n",
    "def sum(g):\n    return g\n\n\ndef f(xs):\n    return sum(xs[i] for i in range(len(xs)))\n",
])
def test_a_generator_not_consumed_where_it_is_made_is_refused(source: str) -> None:
    _refused(source)


@pytest.mark.parametrize("source", [
    # `i` read besides the filter
    "def f(xs):\n    for i, x in enumerate(xs):\n        if i % 2 == 0:\n            print(i)\n",
    # the filter has an else: odd items run too
    "def f(xs):\n    for i, x in enumerate(xs):\n        if i % 2 == 0:\n            print(x)\n"
    "        else:\n            print(0)\n",
    # more than the filter in the loop
    "def f(xs):\n    for i, x in enumerate(xs):\n        print(x)\n        if i % 2:\n"
    "            print(x)\n",
    # no residue: never true, or true on two residues
    "def f(xs):\n    return [x for i, x in enumerate(xs) if i % 2 == 2]\n",
    "def f(xs):\n    return [x for i, x in enumerate(xs) if i % 3]\n",
    "def f(xs):\n    return [x for i, x in enumerate(xs) if i % 3 != 0]\n",
    # the filter is not the first test: the first runs on every item
    "def f(xs):\n    return [x for i, x in enumerate(xs) if x.pop() if i % 2]\n",
    # a start, an expression, the item read after the loop
    "def f(xs):\n    return [x for i, x in enumerate(xs, 1) if i % 2]\n",
    "def f(xs):\n    return [x for i, x in enumerate(xs + xs) if i % 2]\n",
    "def f(xs):\n    for i, x in enumerate(xs):\n        if i % 2:\n            pass\n"
    "    return x\n",
])
def test_enumerate_filters_that_are_not_a_stride_are_refused(source: str) -> None:
    _refused(source)


@pytest.mark.parametrize("name", ["plain", "happy", "backwards window"])
def test_the_original_kept_for_other_types_is_not_rewritten_again(name: str) -> None:
    out = _agrees(LOOPS[name][0], TEXT)
    _refused(out)
    comp = _agrees(COMPREHENSIONS["sum of odd places"][0], NUMS)
    _refused(comp)
    two = LOOPS["plain"][0].replace("    return n\n", "    for i in range(len(xs)):\n"
                                    "        n -= xs[i]\n    return n\n")
    once = _agrees(two, NUMS)
    assert once.count("type(xs)") == 1
    twice = index_loop.apply(once, RewriteContext("f"))
    assert twice is not None and twice.source.count("type(xs)") == 2


def test_a_window_whose_items_are_mostly_read_only_sometimes_is_refused() -> None:
    # ENAMEL he118: the neighbours are read only next to a vowel; three zipped reversed slices
    # cost more per pass than the one subscript most passes evaluate
    _refused("def f(word):\n    vowels = set('aeiouAEIOU')\n"
             "    for i in range(len(word)-2, 0, -1):\n        if word[i] in vowels:\n"
             "            if (word[i+1] not in vowels) and (word[i-1] not in vowels):\n"
             "                return word[i]\n    return ''\n")
    _refused("def f(s):\n    return [s[i] if s[i + 1] else s[i + 2] for i in range(len(s) - 2)]\n")
    assert index_loop.apply("def f(s):\n    return [s[i] + (s[i + 1] if s[i + 2] else 0) "
                            "for i in range(len(s) - 2)]\n", RewriteContext("f")) is not None
