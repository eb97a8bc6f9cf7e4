"""`mirror-compare`: every palindrome check and mirrored-pair count it claims, run for real.

Each case is rewritten by the rule (real libcst), then the original and the rewrite are `exec`-ed
and called on the same edge inputs: empty, one item, odd and even lengths, non-ASCII text, str and
list subclasses that change what indexing returns, NaN (one object twice and distinct NaNs),
floats, tuples, mixed int/str, and items whose `!=` logs, raises or returns a non-bool. The
results (and their types) must match, or both raise the same exception type; for the logging
items, the comparisons made must be the same ones in the same order.
"""

from __future__ import annotations

import io
import tokenize
from typing import Any

import pytest

from lesson_lsp.team.rewrites import mirror_compare
from lesson_lsp.team.rewrites.base import RewriteContext

LOG: list[tuple[object, object]] = []


class Loud:
    """An item whose `!=` and `==` are logged: the rewrite must make the same calls."""

    def __init__(self, v: object) -> None:
        self.v = v

    def __ne__(self, other: object) -> Any:
        LOG.append(("ne", self.v, getattr(other, "v", other)))
        return self.v != getattr(other, "v", other)

    def __eq__(self, other: object) -> Any:
        LOG.append(("eq", self.v, getattr(other, "v", other)))
        return self.v == getattr(other, "v", other)

    __hash__ = None  # type: ignore[assignment]


class Odd:
    """`!=` returns an int, not a bool: truth and sums must be taken from it as the loop does."""

    def __init__(self, v: int) -> None:
        self.v = v

    def __ne__(self, other: object) -> Any:
        return abs(self.v - getattr(other, "v", 0))

    def __eq__(self, other: object) -> Any:
        return 0 if abs(self.v - getattr(other, "v", 0)) else 7

    __hash__ = None  # type: ignore[assignment]


class Boom:
    def __ne__(self, other: object) -> Any:
        raise ValueError("no comparing")

    __eq__ = __ne__  # type: ignore[assignment]
    __hash__ = None  # type: ignore[assignment]


class Folded(str):
    """Indexing lower-cases: the loop sees "Aa" as a palindrome, `s == s[::-1]` would not."""

    def __getitem__(self, key: Any) -> Any:
        return str.__getitem__(self, key).lower()


class Absolute(list):  # type: ignore[type-arg]
    """Indexing by int takes abs(): the loop sees [1, -1] as a palindrome, a reverse would not."""

    def __getitem__(self, key: Any) -> Any:
        item = list.__getitem__(self, key)
        return abs(item) if isinstance(key, int) else item


NAN = float("nan")
EDGES: list[Any] = [
    "", "a", "ab", "aa", "aba", "abca", "abba", "abcba", "abcda", "été", "日本日", "日本", "ñaña",
    "x" * 101, "ab" * 50, Folded("Aa"), Folded("Ab"), Absolute([1, -1]), Absolute([1, 2]),
    [], [1], [1, 2], [1, 2, 1], [1, 2, 2, 1], [1, 2, 3, 1], [NAN], [NAN, NAN], [1, NAN, 1],
    [float("nan"), float("nan")], [1.0, 2.0, 1.0], [0.0, -0.0], [1.0, 2.0],
    (), (1,), (1, 2, 1), (1, 2), ("a", 1, "a"), [1, "1", 1], [1, "a", "a", 1], [1, "a", 1, "a"],
    [True, 1], [None, None], [[1], [1]], [[1], [2]], {0: "a", 1: "a"}, None, 5,
    [Odd(1), Odd(2), Odd(1)], [Odd(1), Odd(3), Odd(5), Odd(2)], [Boom(), Boom()], [Boom()],
    (Boom(), 1), [b"a", "a"],
]
LOUD = [[Loud(1), Loud(2), Loud(1)], [Loud(1), Loud(2), Loud(3), Loud(1)],
        (Loud("a"), Loud("b"), Loud("c")), [Loud(NAN), Loud(1), Loud(NAN)]]


def _comments(code: str) -> list[str]:
    return sorted(t.string for t in tokenize.generate_tokens(io.StringIO(code).readline)
                  if t.type == tokenize.COMMENT)


def _outcome(fn: Any, args: tuple[Any, ...]) -> tuple[Any, ...]:
    LOG.clear()
    try:
        result = fn(*args)
    except Exception as exc:  # the type must match
        return "raised", type(exc), list(LOG)
    return "ok", result, type(result), list(LOG)


def _same(a: tuple[Any, ...], b: tuple[Any, ...]) -> bool:
    return repr(a) == repr(b)  # NaN results compare by their text


def _agrees(source: str, name: str = "f", args: list[tuple[Any, ...]] | None = None) -> str:
    """The rewrite of `name`: it keeps every comment and agrees with the original on `args`
    (every edge input, alone, by default)."""
    out = mirror_compare.apply(source, RewriteContext(name))
    assert out is not None, source
    assert out.imports == ("import operator",)
    assert set(_comments(source)) <= set(_comments(out.source)), out.source
    new: dict[str, Any] = {}
    exec("\n".join(out.imports) + "\n" + out.source, new)
    old: dict[str, Any] = {}
    exec(source, old)
    calls = args if args is not None else [(x,) for x in [*EDGES, *LOUD]]
    for call in calls:
        before, after = _outcome(old[name], call), _outcome(new[name], call)
        assert _same(before, after), (call, before, after, out.source)
    return out.source


def _refused(source: str, name: str = "f") -> None:
    compile(source, "refused", "exec")
    assert mirror_compare.apply(source, RewriteContext(name)) is None, source


# --- loops that return at the first mismatch ------------------------------------------------

MIRROR = """def is_palindrome(text):
    # compare the ends
    for i in range(len(text)):
        if text[i] != text[len(text) - 1 - i]:
            return False
    return True
"""


def test_the_palindrome_loop_of_he048_takes_s_reversed_for_strings_only() -> None:
    out = _agrees(MIRROR, "is_palindrome")
    assert "# compare the ends" in out
    assert "if type(text) is str:\n        return text == text[::-1]" in out
    assert "return not any(map(operator.ne, text, reversed(text)))" in out


MIRRORS = ["s[len(s) - 1 - i]", "s[len(s) - i - 1]", "s[-1 - i]", "s[-i - 1]", "s[-(i + 1)]",
           "s[~i]"]
BOUNDS = ["len(s)", "len(s) // 2", "(len(s) + 1) // 2", "0, len(s) // 2", "0, len(s)"]


@pytest.mark.parametrize("mirror", MIRRORS)
@pytest.mark.parametrize("bound", BOUNDS)
def test_every_mirror_spelling_and_bound(mirror: str, bound: str) -> None:
    source = (f"def f(s):\n    for i in range({bound}):\n        if s[i] != {mirror}:\n"
              "            return False\n    return True\n")
    _agrees(source)


@pytest.mark.parametrize("test", ["s[-1 - i] != s[i]", "s[~i] != s[i]"])
def test_the_mirrored_item_first_keeps_its_operand_order(test: str) -> None:
    source = (f"def f(s):\n    for i in range(len(s) // 2):\n        if {test}:\n"
              "            return False\n    return True\n")
    assert "map(operator.ne, reversed(s), s[:len(s) // 2])" in _agrees(source)


WILL_IT_FLY = """def will_it_fly(q,w):
    '''Balanced and light enough.'''
    if sum(q) > w:
        return False

    i, j = 0, len(q)-1  # the two ends
    while i<j:
        if q[i] != q[j]:
            return False  # unbalanced
        i+=1
        j-=1
    return True
"""


def test_the_two_pointers_of_he072_keep_the_weight_check() -> None:
    numbers = [[], [1], [1, 2], [3, 2, 3], [1, 2, 2, 1], [1.0, NAN, 1.0], [NAN], (1, 2, 1)]
    calls = [(q, w) for q in numbers for w in (0, 5, 100)] + [("aba", 0), (None, 1)]
    out = _agrees(WILL_IT_FLY, "will_it_fly", calls)
    assert "if sum(q) > w:\n        return False" in out
    assert "i, j = 0, len(q)-1  # the two ends\n    if type(q) is str:" in out
    assert "return not any(map(operator.ne, q[:len(q) // 2], reversed(q)))" in out


@pytest.mark.parametrize("start,test,step", [
    ("i, j = 0, len(s) - 1", "i < j", "i += 1\n        j -= 1"),
    ("i = 0\n    j = len(s) - 1", "i < j", "j -= 1\n        i += 1"),
    ("j = len(s) - 1\n    i = 0", "i <= j", "i += 1; j -= 1"),
    ("i = 0; j = len(s) - 1", "i <= j", "i, j = i + 1, j - 1"),
])
def test_every_two_pointer_layout(start: str, test: str, step: str) -> None:
    source = (f"def f(s):\n    {start}\n    while {test}:\n        if s[i] != s[j]:\n"
              f"            return False\n        {step}\n    return True\n")
    _agrees(source)
    _agrees(source.replace("s[i] != s[j]", "s[j] != s[i]"))


@pytest.mark.parametrize("leave,after", [
    ("return False", "return len(s)"),  # falls through to other code
    ("return None", "return True"),
    ("return 'no'", "return 1"),
    ("raise ValueError('not a palindrome')", "return 'yes'"),
    ("print('mismatch')\n            return -1", "return s"),
])
def test_an_exit_followed_by_other_code_becomes_a_mismatch_test(leave: str, after: str) -> None:
    source = (f"def f(s):\n    for i in range(len(s) // 2):\n        if s[i] != s[~i]:\n"
              f"            {leave}\n    {after}\n")
    out = _agrees(source)
    assert "if s != s[::-1]:" in out and "if any(map(operator.ne, s[:len(s) // 2]" in out
    two = (f"def f(s):\n    i, j = 0, len(s) - 1\n    while i < j:\n        if s[i] != s[j]:\n"
           f"            {leave}\n        i += 1\n        j -= 1\n    {after}\n")
    _agrees(two)


def test_a_flag_and_break_sets_the_flag_once() -> None:
    source = ("def f(s):\n    ok = True\n    for i in range(len(s) // 2):\n"
              "        if s[i] != s[len(s) - 1 - i]:\n            ok = False  # found one\n"
              "            break\n    return ok, len(s)\n")
    out = _agrees(source)
    assert "if s != s[::-1]:\n            ok = False  # found one\n    elif" in out
    one_line = ("def f(s):\n    ok = 1\n    i, j = 0, len(s) - 1\n    while i < j:\n"
                "        if s[i] != s[j]: ok = 0; break\n        i += 1\n        j -= 1\n"
                "    return ok\n")
    assert "if s != s[::-1]: ok = 0\n" in _agrees(one_line)
    bare = ("def f(s):\n    for i in range(len(s)):\n        if s[i] != s[~i]:\n"
            "            break\n    return 'done'\n")
    _agrees(bare)


def test_a_nested_loop_in_an_outer_one() -> None:
    source = ("def f(words):\n    out = []\n    for w in words:\n"
              "        for k in range(len(w) // 2):\n            if w[k] != w[-1 - k]:\n"
              "                break\n        else:\n            out.append(w)\n    return out\n")
    _refused(source)  # the inner loop has an `else`
    source = ("def f(words):\n    out = []\n    for w in words:\n        ok = True\n"
              "        for k in range(len(w) // 2):\n            if w[k] != w[-1 - k]:\n"
              "                ok = False\n                break\n        if ok:\n"
              "            out.append(w)\n    return out\n")
    _agrees(source, args=[(["aba", "ab", "", [1, 2, 1], [NAN], Folded("Aa")],), ([],)])


# --- the length read from a name: `n = len(s)` ------------------------------------------------

ALIASED = [
    "def f(s):\n    n = len(s)\n    for i in range(n // 2):\n        if s[i] != s[n - 1 - i]:\n"
    "            return False\n    return True\n",
    "def f(s):\n    n = len(s)\n    for i in range(n):\n        if s[i] != s[-1 - i]:\n"
    "            return 'no'\n    return n\n",
    "def f(s):\n    size = len(s)\n    lo, hi = 0, size - 1\n    while lo <= hi:\n"
    "        if s[lo] != s[hi]:\n            return False\n        lo += 1\n        hi -= 1\n"
    "    return True\n",
    "def f(s):\n    n = len(s)\n"
    "    return all(s[i] == s[n - i - 1] for i in range((n + 1) // 2))\n",
    "def f(s):\n    n = len(s)\n    c = 0\n    for i in range(n // 2):\n"
    "        if s[i] != s[n - 1 - i]:\n            c += 1\n    return c\n",
]


@pytest.mark.parametrize("source", ALIASED)
def test_a_length_name_is_checked_to_be_the_length(source: str) -> None:
    out = _agrees(source)
    assert "type(n) is int and n == len(s)" in out or "size == len(s)" in out


def test_a_length_name_that_is_not_the_length_takes_the_loop() -> None:
    source = ("def f(s, n):\n    for i in range(n // 2):\n        if s[i] != s[n - 1 - i]:\n"
              "            return False\n    return True\n")
    calls = [(x, k) for x in ["abca", "abba", "", [1, 2, 1], (1, 2, 2, 1), [NAN]]
             for k in (len(x), len(x) - 1, len(x) + 1, len(x) + 3, 3.0, True, None)]
    _agrees(source, args=calls)


# --- generators --------------------------------------------------------------------------------

@pytest.mark.parametrize("expression", [
    "all(s[i] == s[-1 - i] for i in range(len(s) // 2))",
    "all(s[len(s) - 1 - i] == s[i] for i in range(len(s)))",
    "not any(s[i] != s[len(s)-1-i] for i in range(len(s) // 2))",
    "any(s[i] != s[~i] for i in range((len(s) + 1) // 2))",
    "bool(s) and all(s[i] == s[~i] for i in range(len(s) // 2))",
    "sum(s[i] != s[-i-1] for i in range(len(s) // 2))",
    "sum(s[i] == s[-i-1] for i in range(len(s)))",
    "sum(1 for i in range(len(s)//2) if s[i] != s[-i-1])",
    "sum(1 for i in range(len(s)) if s[~i] == s[i])",
])
def test_generator_forms(expression: str) -> None:
    out = _agrees(f"def f(s):\n    return {expression}  # the check\n")
    assert "if type(s) is str else" in out


# --- mirrored-pair counts ----------------------------------------------------------------------

@pytest.mark.parametrize("source", [
    "def f(a):\n    ans = 0\n    for i in range(len(a) // 2):\n"
    "        if a[i] != a[len(a) - i - 1]:\n            ans += 1  # one change\n    return ans\n",
    "def f(a):\n    changes = 0\n    for i in range(len(a)):\n        if a[~i] != a[i]:\n"
    "            changes = changes + 1\n    return changes\n",
    # a float counter takes the loop: 1e16 + 1 rounds back to 1e16, 1e16 + 2 does not
    "def f(a, ans=1e16):\n    for i in range(len(a) // 2):\n        if a[i] != a[-1 - i]:\n"
    "            ans += 1\n    return ans\n",
    "def f(a):\n    n = 0\n    i, j = 0, len(a) - 1\n    while i < j:\n"
    "        if a[i] != a[j]:\n            n += 1\n        i += 1\n        j -= 1\n    return n\n",
    "def f(a):\n    same = 0\n    for i in range(len(a) // 2):\n        if a[i] == a[-1 - i]:\n"
    "            same += 1\n    return same\n",
])
def test_counts(source: str) -> None:
    out = _agrees(source)
    assert "len([*filter(None, map(operator." in out


def test_smallest_change_count_of_he073() -> None:
    source = ("def smallest_change(arr):\n    ans = 0\n    for i in range(len(arr) // 2):\n"
              "        if arr[i] != arr[len(arr) - i - 1]:\n            ans += 1\n"
              "    return ans\n")
    out = _agrees(source, "smallest_change",
                  [([1, 2, 3, 5, 4, 7, 9, 6],), ([1, 2, 3, 4, 3, 2, 2],), ([1, 2, 3, 2, 1],),
                   ([3, 1, 1, 3],), ([1],), ([0, 1],), ("abcd",), ([NAN, NAN],)])
    assert "ans += sum(map(operator.ne, arr[:len(arr) // 2], reversed(arr)))" in out


# --- refusals: one per precondition ------------------------------------------------------------

LOOP = ("def f(s):\n    for i in range(len(s) // 2):\n        if s[i] != s[-1 - i]:\n"
        "            return False\n    return True\n")


@pytest.mark.parametrize("change", [
    ("s[-1 - i]", "s[-2 - i]"),  # not the mirror
    ("s[-1 - i]", "s[len(s) - 2 - i]"),
    ("s[-1 - i]", "t[-1 - i]"),  # another sequence
    ("s[i] != s[-1 - i]", "s.x[i] != s.x[-1 - i]"),  # not a plain name
    ("range(len(s) // 2)", "range(len(s) // 3)"),  # a bound that misses pairs
    ("range(len(s) // 2)", "range(len(s) // 2 + 1)"),  # raises IndexError on ""
    ("range(len(s) // 2)", "range(1, len(s) // 2)"),
    ("range(len(s) // 2)", "range(len(s) // 2, 0, -1)"),
    ("range(len(s) // 2)", "range(len(t) // 2)"),
    ("            return False", "            return False\n        print(i)"),  # more body
    ("            return False", "            return i"),  # the exit reads the index
    ("            return False", "            continue"),  # not an exit
    ("            return False", "            s = s[1:]"),  # not an exit
    ("            return False", "            if s:\n                break\n            return 0"),
    ("s[i] != s[-1 - i]", "s[i] == s[-1 - i]"),  # leaves at the first match
    ("s[i] != s[-1 - i]", "s[i] < s[-1 - i]"),
    ("    return True", "    else:\n        pass\n    return True"),  # a loop else
    ("    return True", "    return i"),  # the index is read after the loop
    ("def f(s):", "reversed = list\n\n\ndef f(s):"),  # a builtin the fast path needs, rebound
    ("def f(s):", "def f(s):\n    operator = 1"),  # `operator` cannot be imported
])
def test_loop_refusals(change: tuple[str, str]) -> None:
    source = LOOP.replace(*change)
    assert source != LOOP
    _refused(source)


TWO = ("def f(s):\n    i, j = 0, len(s) - 1\n    while i < j:\n        if s[i] != s[j]:\n"
       "            return False\n        i += 1\n        j -= 1\n    return True\n")


@pytest.mark.parametrize("change", [
    ("i, j = 0, len(s) - 1", "i, j = 1, len(s) - 1"),  # starts elsewhere
    ("i, j = 0, len(s) - 1", "i, j = 0, len(s)"),
    ("i, j = 0, len(s) - 1", "i, j = 0, len(t) - 1"),
    ("i, j = 0, len(s) - 1", "i, j = 0, len(s) - 1\n    print(i)"),  # not right before
    ("i += 1", "i += 2"),  # another step
    ("        j -= 1\n", ""),
    ("        j -= 1\n", "        j -= 1\n        print(j)\n"),  # more body
    ("while i < j", "while i != j"),
    ("while i < j", "while j > i"),
    ("s[i] != s[j]", "s[i] != s[j - 1]"),
    ("s[i] != s[j]", "s[i] != s[i]"),
    ("    return True", "    return i"),  # a pointer read after the loop
    ("            return False", "            return j"),  # the exit reads a pointer
])
def test_two_pointer_refusals(change: tuple[str, str]) -> None:
    source = TWO.replace(*change)
    assert source != TWO
    _refused(source)


@pytest.mark.parametrize("source", [
    # the counter is not bound before the loop: the type test would raise where the loop may not
    "def f(a):\n    for i in range(len(a) // 2):\n        if a[i] != a[~i]:\n"
    "            ans += 1\n    return 0\n",
    # in a nested function, `ans` is its own local, unbound: not the outer parameter
    "def f(ans):\n    def g(a):\n        for i in range(len(a) // 2):\n"
    "            if a[i] != a[~i]:\n                ans += 1\n        return 0\n    return g\n",
    # another step
    "def f(a):\n    ans = 0\n    for i in range(len(a) // 2):\n        if a[i] != a[~i]:\n"
    "            ans += 2\n    return ans\n",
    # the counter is global
    "def f(a):\n    global ans\n    ans = 0\n    for i in range(len(a) // 2):\n"
    "        if a[i] != a[~i]:\n            ans += 1\n    return ans\n",
    # the counter is the length name: the mirror would move as it counts
    "def f(a):\n    n = len(a)\n    for i in range(n // 2):\n        if a[i] != a[n - 1 - i]:\n"
    "            n += 1\n    return n\n",
    # the length name is the sequence, or an index
    "def f(s):\n    for i in range(s // 2):\n        if s[i] != s[s - 1 - i]:\n"
    "            return False\n    return True\n",
    "def f(s):\n    i, j = 0, j - 1\n    while i < j:\n        if s[i] != s[j]:\n"
    "            return False\n        i += 1\n        j -= 1\n    return True\n",
    # the counter is the index
    "def f(a):\n    i = 0\n    for i in range(len(a) // 2):\n        if a[i] != a[~i]:\n"
    "            i += 1\n    return 0\n",
    # generators: all of `!=`, any of `==`, a list, two loops, a filter, another element
    "def f(s):\n    return all(s[i] != s[~i] for i in range(len(s) // 2))\n",
    "def f(s):\n    return any(s[i] == s[~i] for i in range(len(s) // 2))\n",
    "def f(s):\n    return all([s[i] == s[~i] for i in range(len(s) // 2)])\n",
    "def f(s):\n    return all(s[i] == s[~i] for i in range(len(s) // 2) for j in s)\n",
    "def f(s):\n    return all(s[i] == s[~i] for i in range(len(s) // 2) if i)\n",
    "def f(s):\n    return sum(2 for i in range(len(s) // 2) if s[i] != s[~i])\n",
    "def f(s):\n    return sum(s[i] != s[~i] for i in range(len(s) // 2 + 1))\n",
])
def test_other_refusals(source: str) -> None:
    _refused(source)
