"""char-table: each shape rewritten, run for real against the original on many inputs (ASCII,
non-ASCII, a str subclass, a list of characters, None), and the refusals."""

from __future__ import annotations

import random
import string

import pytest

from lesson_lsp.team.rewrites import char_table
from lesson_lsp.team.rewrites.base import RewriteContext


class Sub(str):
    """A str subclass whose iteration differs: it must take the original path."""

    def __iter__(self):  # type: ignore[override]
        return iter(str.upper(self))


def _inputs() -> list[object]:
    rnd = random.Random(17)
    texts: list[object] = ["", "a", "é", "😀", "aé😀E", "AEIOU y", string.printable,
                           "".join(chr(i) for i in range(128)), Sub("aeXi"), Sub(""),
                           list("hello AEIOU"), []]
    texts += ["".join(rnd.choice(string.printable) for _ in range(rnd.randint(0, 60)))
              for _ in range(60)]
    return texts


def _call(fn, arg):
    try:
        return "ok", fn(arg)
    except Exception as error:  # the type is compared
        return "raised", type(error)


def _fn(source: str, name: str):
    namespace: dict = {}
    exec(source, namespace)
    return namespace[name]


def _same(source: str, name: str) -> str:
    out = char_table.apply(source, RewriteContext(name))
    assert out is not None, source
    before, after = _fn(source, name), _fn(out.source, name)
    for arg in [*_inputs(), None]:
        assert _call(before, arg) == _call(after, arg), (arg, out.source)
    return out.source


SHAPES = {
    "count loop": "def f(s):\n    n = 0\n    for c in s:\n        if c.isdigit():\n"
                  "            n += 1\n    return n\n",
    "count bool loop": "def f(s):\n    n = 0\n    for c in s:\n        n += (c == 'x')\n"
                       "    return n\n",
    "count generator": "def f(s):\n    return sum(1 for c in s if c in 'aeiou')\n",
    "count bools": "def f(s):\n    vowels = 'aeiouAEIOU'\n    return sum(c in vowels for c in s)\n",
    "count digits odd": "def f(s):\n    return sum(1 for c in s if c.isdigit() and "
                        "int(c) % 2 == 1)\n",
    "weighted": "def f(s):\n    return sum(ord(c) if c.isupper() else 0 for c in s)\n",
    "weighted negative": "def f(s):\n    return sum(ord(c) - 100 for c in s if c.isalnum())\n",
    "weighted loop": "def f(s):\n    t = 0\n    for c in s:\n        if c.isdigit():\n"
                     "            t += ord(c) - 48\n    return t\n",
    "map join": "def f(s):\n    return ''.join(c.upper() if c.islower() else c.lower() "
                "for c in s)\n",
    "map list": "def f(s):\n    return ''.join([chr(((ord(ch) - 5 - ord('a')) % 26) + ord('a')) "
                "for ch in s])\n",
    "map delete": "def f(s):\n    return ''.join('' if c == ' ' else c * 2 for c in s)\n",
    "filter": "def f(s):\n    return ''.join(c for c in s if c not in ('a', 'b', ' '))\n",
    "map loop": "def f(s):\n    out = ''\n    for c in s:\n        out += c.swapcase()\n"
                "    return out\n",
    "filter loop": "def f(s):\n    out = '>'\n    for c in s:\n        if c.isalpha():\n"
                   "            out += c\n    return out\n",
    "index loop": "def f(s):\n    k = ('2', '3', 'B')\n    n = 0\n    for i in range(0, len(s)):\n"
                  "        if s[i] in k:\n            n += 1\n    return n\n",
    "index loop step": "def f(s):\n    n = 0\n    for i in range(1, len(s), 2):\n"
                       "        if s[i] in 'AEIOU':\n            n += 1\n    return n\n",
}


@pytest.mark.parametrize("shape", sorted(SHAPES))
def test_applies_and_agrees_everywhere(shape: str) -> None:
    source = _same(SHAPES[shape], "f")
    assert "isascii()" in source and "translate" in source


def test_the_fast_path_is_taken_for_ascii_str() -> None:
    out = char_table.apply(SHAPES["count generator"], RewriteContext("f"))
    assert out is not None
    namespace: dict = {}
    exec(out.source, namespace)
    table = next(v for k, v in namespace.items() if k.startswith("_F_TABLE"))
    # computed when the rule ran, a literal in the module: 1 for the vowels, 0 elsewhere
    assert table == bytes(c in "aeiou" for c in map(chr, range(256)))
    assert namespace["f"]("banana") == 3


@pytest.mark.parametrize("source", [
    "def f(s):\n    return sum(1 for c in s if g(c))\n",  # a user function
    "def f(s):\n    return sum(1 for c in s if c in VOWELS)\n",  # a global
    "import random\n\ndef f(s):\n    return ''.join(c for c in s if random.random() < .5)\n",
    "def f(s):\n    return sum(ord(c) / 2 for c in s)\n",  # float weights
    "def f(s):\n    return sum(0.5 for c in s if c == 'a')\n",
    "def f(s):\n    return sum(int(c) for c in s)\n",  # raises on letters: no table
    "def f(s):\n    return ''.join(ord(c) for c in s)\n",  # not a str per character
    "def f(s):\n    return ', '.join(c for c in s)\n",
    "def f(s):\n    return sum(1 for c in s if c * 10000 * 10000)\n",
    "def f(s):\n    return ''.join(f'{c}' for c in s)\n",
    "def f(s):\n    n = 0\n    for c in s:\n        n += c == 'a'\n    return n, c\n",
    "def f(s, n):\n    for c in s:\n        n += c == 'a'\n    return n\n",  # n's type unknown
    "def f(s):\n    n = 0.0\n    for c in s:\n        n += c == 'a'\n    return n\n",
    "def f(s):\n    n = 0\n    for i in range(len(s)):\n        n += s[i] == 'a' and i\n"
    "    return n\n",
    "def f(s):\n    n = 0\n    for c in s:\n        n += c == 'a'\n        print(c)\n"
    "    return n\n",
    "def len(x):\n    return 0\n\ndef f(s):\n    return sum(c == 'a' for c in s)\n",
])
def test_refuses(source: str) -> None:
    name = "f"
    assert char_table.apply(source, RewriteContext(name)) is None


def test_comments_are_kept() -> None:
    source = ("def f(s):\n    # count the vowels\n    n = 0  # start\n"
              "    for c in s:  # each char\n        # a vowel?\n        if c in 'aeiou':\n"
              "            n += 1  # one more\n    return sum(c.isdigit()  # digits\n"
              "               for c in s) + n\n")
    out = _same(source, "f")
    for comment in ("# count the vowels", "# start", "# each char", "# a vowel?",
                    "# one more", "# digits"):
        assert comment in out


def test_covers_what_the_retired_count_equal_did_for_str() -> None:
    source = ("def sevens(s):\n    a = 0\n    b = 0\n    for c in s:\n        a += (c == '7')\n"
              "    for c in s:\n        if c == 8:\n            b += 1\n    return a, b\n")
    out = _same(source, "sevens")
    assert out.count(".isascii()") == 2


# --- tables built at run time, from a string argument `c` ---

RUNTIME = {
    "reverse_delete": "def f(s, c):\n    s = ''.join([char for char in s if char not in c])\n"
                      "    return (s, s[::-1] == s)\n",
    "keep": "def f(s, c):\n    return ''.join(ch for ch in s if ch in c)\n",
    "count": "def f(s, c):\n    return sum(ch in c for ch in s)\n",
    "count not": "def f(s, c):\n    return sum(1 for ch in s if ch not in c)\n",
    "count loop": "def f(s, c):\n    n = 0\n    for ch in s:\n        if ch in c:\n"
                  "            n += 1\n    return n\n",
    "count bool loop": "def f(s, c):\n    n = 0\n    for ch in s:\n        n += ch not in c\n"
                       "    return n\n",
    "filter loop": "def f(s, c):\n    out = '>'\n    for ch in s:\n        if ch not in c:\n"
                   "            out += ch\n    return out\n",
    "index loop": "def f(s, c):\n    n = 0\n    for i in range(1, len(s), 2):\n"
                  "        if s[i] in c:\n            n += 1\n    return n\n",
    "local c": "def f(s, k):\n    c = k\n    if s:\n        c = k * 2\n"
               "    return ''.join(ch for ch in s if ch not in c)\n",
}
TEXTS: list[object] = ["", "a", "abcabc", "aé😀é", "\ud800x\udfff", "ÿ\u0100\uffff\U0010ffff",
                       string.printable, Sub("abc"), Sub(""), list("abc"), ("a", "bc"), None]
SETS: list[object] = ["", "a", "ab", "aab", "bba", "é😀", "\ud800", "ÿ\U0010ffff", string.printable,
                      Sub("ab"), Sub(""), ["ab", "c"], ("a", "b"), {"a", "é"}, ("ab",), {"bc"},
                      [], None, 5]


def _pair(fn, s, c):
    try:
        return "ok", fn(s, c)
    except Exception as error:  # the type is compared
        return "raised", type(error)


@pytest.mark.parametrize("shape", sorted(RUNTIME))
def test_run_time_tables_agree_on_every_pair(shape: str) -> None:
    source = RUNTIME[shape]
    out = char_table.apply(source, RewriteContext("f"))
    assert out is not None, source
    assert ".translate(dict.fromkeys(map(ord, set(" in out.source
    assert "type(c) is str" in out.source and "isascii" not in out.source
    assert "at run time" not in out.summary and "membership in `c`" in out.summary
    before, after = _fn(source, "f"), _fn(out.source, "f")
    rnd = random.Random(112)
    alphabet = "abcé😀 \t"
    texts = TEXTS + ["".join(rnd.choices(alphabet, k=rnd.randint(0, 40))) for _ in range(20)]
    for s in texts:
        for c in SETS + ["".join(rnd.choices(alphabet, k=3)) for _ in range(3)]:
            assert _pair(before, s, c) == _pair(after, s, c), (s, c, out.source)


def test_a_list_of_strings_takes_the_original() -> None:
    # `'a' in ['ab', 'c']` is False: a table from c's characters would delete it
    out = char_table.apply(RUNTIME["reverse_delete"], RewriteContext("f"))
    assert out is not None
    after = _fn(out.source, "f")
    assert after("abcab", ["ab", "c"]) == ("abab", False)
    assert after("abcab", ("ab",)) == ("abcab", False)
    assert after("abcab", "ab") == ("c", True)
    assert after("é😀xé", "😀") == ("éxé", True) and after("é😀x", "x") == ("é😀", False)


def test_a_local_not_known_statically_gets_a_run_time_table() -> None:
    # v's value is not one literal, so no table at rule time: one from v when the code runs
    source = _same("def f(s):\n    v = 'ae'\n    v = v + 'i'\n    return sum(c in v for c in s)\n",
                   "f")
    assert "type(v) is str" in source


def test_run_time_comments_are_kept() -> None:
    source = ("def f(s, c):\n    # count c's characters\n    n = 0  # start\n"
              "    for ch in s:  # each\n        if ch in c:  # one of them\n"
              "            n += 1  # more\n    return n\n")
    out = char_table.apply(source, RewriteContext("f"))
    assert out is not None
    for comment in ("# count c's characters", "# start", "# each", "# one of them", "# more"):
        assert comment in out.source


@pytest.mark.parametrize("source", [
    # c rebound in the loop
    "def f(s, c):\n    n = 0\n    for ch in s:\n        if ch in c:\n            n += 1\n"
    "        c = c[1:]\n    return n\n",
    "def f(s, c):\n    return ''.join(ch for ch in s if (c := c + ch) and ch in c)\n",
    # not a plain name
    "def f(s, c):\n    return ''.join(ch for ch in s if ch not in c.lower())\n",
    "def f(s, o):\n    return sum(ch in o.c for ch in s)\n",
    "def f(s, c):\n    return sum(ch in c + 'x' for ch in s)\n",
    # a global, a name that may be unbound, a deleted one: evaluating it early could raise
    "def f(s):\n    return ''.join(ch for ch in s if ch not in C)\n",
    "def f(s, k):\n    if k:\n        c = k\n    return ''.join(ch for ch in s if ch not in c)\n",
    "def f(s, c):\n    r = ''.join(ch for ch in s if ch not in c)\n    del c\n    return r\n",
    # another scope's c
    "def f(s, c):\n    return [sum(ch in c for ch in s) for c in s]\n",
    "def f(s, c):\n    return lambda c: ''.join(ch for ch in s if ch in c)\n",
    # more than the membership: c's table is not all the step does
    "def f(s, c):\n    return ''.join(ch.upper() for ch in s if ch in c)\n",
    "def f(s, c):\n    return sum(2 for ch in s if ch in c)\n",
    "def f(s, c):\n    return sum(1 for ch in s if ch in c and ch.isdigit())\n",
    # the character itself is the container
    "def f(s, c):\n    return sum(c in ch for ch in s)\n",
    # the loop variable is read after the loop
    "def f(s, c):\n    n = 0\n    for ch in s:\n        n += ch in c\n    return n, ch\n",
])
def test_run_time_refuses(source: str) -> None:
    assert char_table.apply(source, RewriteContext("f")) is None


def test_the_original_kept_for_other_inputs_is_not_rewritten_again() -> None:
    # Found on webcolors' normalize_hex: three rounds stacked three guards and two tables.
    for source, name in (('def f(h):\n    return "".join(2 * s for s in h)\n', "f"),
                         ("def f(s, c):\n    return ''.join(ch for ch in s if ch not in c)\n",
                          "f"),
                         ("def f(s):\n    n = 0\n    for c in s:\n        if c in 'aeiou':\n"
                          "            n += 1\n    return n\n", "f")):
        once = char_table.apply(source, RewriteContext(name))
        assert once is not None
        assert char_table.apply(once.source, RewriteContext(name)) is None, once.source


def test_a_method_gets_no_table_beside_it_but_a_run_time_one_still_applies() -> None:
    # A table beside a method would be spliced into the class body, out of the method's reach.
    static = 'def f(self, h):\n    return "".join(2 * s for s in h)\n'
    assert char_table.apply(static, RewriteContext("f")) is not None
    assert char_table.apply(static, RewriteContext("f", is_method=True)) is None
    runtime = "def f(self, s, c):\n    return ''.join(ch for ch in s if ch not in c)\n"
    out = char_table.apply(runtime, RewriteContext("f", is_method=True))
    assert out is not None and out.source.count("def ") == 1 and "TABLE" not in out.source
