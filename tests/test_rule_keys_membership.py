"""keys-membership on an attribute: `item in self._data.keys()` (Markdown's
`Registry.__contains__`) asks the dict itself."""

from __future__ import annotations

import pytest

from lesson_lsp.team.rewrites import keys_membership
from lesson_lsp.team.rewrites.base import RewriteContext


def rewrite(source: str) -> str | None:
    out = keys_membership.RULE.apply(source, RewriteContext("f", is_method=True))
    return None if out is None else out.source


@pytest.mark.parametrize(("before", "after"), [
    ("def f(self, item):\n    if isinstance(item, str):\n"
     "        return item in self._data.keys()\n    return item in self._data.values()\n",
     "def f(self, item):\n    if isinstance(item, str):\n"
     "        return item in self._data\n    return item in self._data.values()\n"),
    ("def f(self):\n    return [k for k in self.md.registry.keys() if k]\n",
     "def f(self):\n    return [k for k in self.md.registry if k]\n"),
])
def test_rewrites(before: str, after: str) -> None:
    assert rewrite(before) == after
    assert rewrite(after) is None


@pytest.mark.parametrize("source", [
    "def f(self, x):\n    return x in self.get().keys()\n",  # a call: not a plain read
    "def f(self, x):\n    return x in self.a.b.c.keys()\n",  # a longer chain
    "def f(self, x):\n    return x in self._data.keys(1)\n",
])
def test_refuses(source: str) -> None:
    assert rewrite(source) is None


class Registry:
    def __init__(self) -> None:
        self._data = {"a": 1, "b": None}


@pytest.mark.parametrize("item", ["a", "b", "c", 1, None])
def test_equivalent_when_run(item: object) -> None:
    source = "def f(self, item):\n    return item in self._data.keys()\n"
    out = rewrite(source)
    assert out is not None
    old: dict = {}
    new: dict = {}
    exec(source, old)
    exec(out, new)
    assert old["f"](Registry(), item) == new["f"](Registry(), item)
