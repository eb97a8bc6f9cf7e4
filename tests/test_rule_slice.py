"""slice-startswith's prefix and suffix form: exact for every type, the slice kept where
`startswith`/`endswith` would not say the same."""

from __future__ import annotations

import pytest
from conftest import outcome

from lesson_lsp.team.rewrites import slice_startswith
from lesson_lsp.team.rewrites.base import RewriteContext

SHAPES = {
    "prefix": "def f(s, t):\n    # prefix?\n    return s[:len(t)] == t  # in place\n",
    "prefix-0": "def f(s, t):\n    return s[0:len(t)] != t\n",
    "prefix-flipped": ("def f(s, t):\n    if t == s[:len(t)]:\n        return 'yes'\n"
                       "    return 'no'\n"),
    "suffix": "def f(s, t):\n    return s[-len(t):] == t\n",
    "suffix-ne": "def f(s, t):\n    return t != s[-len(t):]\n",
}


class Text(str):
    """A str subclass whose slices are upper-cased: the slice and startswith differ for it."""

    def __getitem__(self, key):  # type: ignore[override]
        return str.__getitem__(self, key).upper()


NAN = float("nan")
VALUES = ["", "a", "ab", "abc", "bc", "c", "é", "éa", "日本語", "日本", "語", b"", b"ab", b"b",
          Text("ab"), Text(""), ["a", "b"], ["a"], [], ("a", "b"), ("a",), [NAN], [NAN, 1.0],
          bytearray(b"ab")]



@pytest.mark.parametrize("key", sorted(SHAPES))
def test_agrees_with_the_original_on_every_pair(key: str) -> None:
    source = SHAPES[key]
    out = slice_startswith.RULE.apply(source, RewriteContext("f"))
    assert out is not None and ("startswith" in out.source or "endswith" in out.source)
    kept = [line.split("#", 1)[1] for line in source.splitlines() if "#" in line]
    assert all(comment in out.source for comment in kept)
    old: dict = {}
    new: dict = {}
    exec(source, old)
    exec(out.source, new)
    for s in VALUES:
        for t in VALUES:
            assert outcome(old["f"], s, t) == outcome(new["f"], s, t), (key, s, t)


@pytest.mark.parametrize("source", [
    "def f(s, t):\n    return s[:len(t) + 1] == t\n",  # not t's length
    "def f(s, t, u):\n    return s[:len(t)] == u\n",  # compared with another string
    "def f(s, t):\n    return s[1:len(t)] == t\n",  # not from the start
    "def f(s, t):\n    return s[:len(t):2] == t\n",  # a step
    "def f(s):\n    return s[:len(s)] == s\n",  # the same name
    "def f(s, t):\n    return s.x[:len(t)] == t\n",  # not a plain name: read twice
    "def f(s, t):\n    return s[:len(t)] < t\n",  # not equality
    "len = max\n\n\ndef f(s, t):\n    return s[:len(t)] == t\n",  # a rebound builtin
])
def test_refuses(source: str) -> None:
    assert slice_startswith.RULE.apply(source, RewriteContext("f")) is None
