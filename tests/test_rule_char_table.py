"""char-table: each shape rewritten, run for real against the original on many inputs (ASCII,
non-ASCII, a str subclass, a list of characters, None), and the refusals."""

from __future__ import annotations

import random
import string

import pytest

from lesson_lsp.team.rewrites import char_table, count_equal
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
    "def f(s, k):\n    return ''.join(c for c in s if c not in k)\n",  # a run-time argument
    "def f(s):\n    return ''.join(ord(c) for c in s)\n",  # not a str per character
    "def f(s):\n    return ', '.join(c for c in s)\n",
    "def f(s):\n    return sum(1 for c in s if c * 10000 * 10000)\n",
    "def f(s):\n    return ''.join(f'{c}' for c in s)\n",
    "def f(s):\n    v = 'ae'\n    v = v + 'i'\n    return sum(c in v for c in s)\n",
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


def test_covers_what_count_equal_does_for_str() -> None:
    source = ("def sevens(s):\n    a = 0\n    b = 0\n    for c in s:\n        a += (c == '7')\n"
              "    for c in s:\n        if c == 8:\n            b += 1\n    return a, b\n")
    assert count_equal.apply(source, RewriteContext("sevens")) is not None
    out = _same(source, "sevens")
    assert out.count(".isascii()") == 2
