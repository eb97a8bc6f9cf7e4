"""constant-hoist: a dict, set or list of constants that a function builds on every call and
only reads is built once at module level, exactly as written, and only when nothing the
function does could tell one built per call from one built once."""

from __future__ import annotations

import pytest

from lesson_lsp.team.rewrites import RULES, constant_hoist
from lesson_lsp.team.rewrites.base import RewriteContext

# tabulate's `_more_generic`, 8 % of its workload
MORE_GENERIC = '''def _more_generic(type1, type2):
    # the order of generality
    types = {
        type(None): 0,
        bool: 1,
        int: 2,
        str: 5,
    }  # most generic last
    invtypes = {5: str, 2: int, 1: bool, 0: type(None)}
    moregeneric = max(types.get(type1, 5), types.get(type2, 5))
    return invtypes[moregeneric]
'''

HOISTED = '''_more_generic_types = None
_more_generic_invtypes = None


def _more_generic(type1, type2):
    # the order of generality
    global _more_generic_types
    if _more_generic_types is None:
        _more_generic_types = {
            type(None): 0,
            bool: 1,
            int: 2,
            str: 5,
        }  # most generic last
    types = _more_generic_types
    global _more_generic_invtypes
    if _more_generic_invtypes is None:
        _more_generic_invtypes = {5: str, 2: int, 1: bool, 0: type(None)}
    invtypes = _more_generic_invtypes
    moregeneric = max(types.get(type1, 5), types.get(type2, 5))
    return invtypes[moregeneric]
'''

# without `type(None)`, what the harness lets run on import: built at module level
PLAIN = MORE_GENERIC.replace("type(None)", "None")
PLAIN_HOISTED = '''# the order of generality
_more_generic_types = {
    None: 0,
    bool: 1,
    int: 2,
    str: 5,
}  # most generic last
_more_generic_invtypes = {5: str, 2: int, 1: bool, 0: None}


def _more_generic(type1, type2):
    types = _more_generic_types
    invtypes = _more_generic_invtypes
    moregeneric = max(types.get(type1, 5), types.get(type2, 5))
    return invtypes[moregeneric]
'''


def rewrite(source: str, name: str = "f", is_method: bool = False) -> str | None:
    out = constant_hoist.RULE.apply(source, RewriteContext(name, is_method))
    return None if out is None else out.source


def test_more_generic() -> None:
    assert rewrite(MORE_GENERIC, "_more_generic") == HOISTED
    assert rewrite(HOISTED, "_more_generic") is None  # settles
    assert rewrite(PLAIN, "_more_generic") == PLAIN_HOISTED
    assert rewrite(PLAIN_HOISTED, "_more_generic") is None


def test_what_runs_on_import_is_admitted() -> None:
    from lesson_lsp.harness.admission import refusal
    for before, after in ((MORE_GENERIC, HOISTED), (PLAIN, PLAIN_HOISTED)):
        assert refusal(after, (), before) is None


@pytest.mark.parametrize(("before", "after"), [
    ("def f(x):\n    names = ['a', 'b', -1.5]\n    if x in names:\n"
     "        return names.index(x), len(names), [n for n in names if n != x]\n"
     "    return sorted(names, key=str)\n",
     "_f_names = ['a', 'b', -1.5]\n\n\ndef f(x):\n    names = _f_names\n    if x in names:\n"
     "        return names.index(x), len(names), [n for n in names if n != x]\n"
     "    return sorted(names, key=str)\n"),
    ("def f(c):\n    SEPS = {' ', '\\t', ('a', 1)}\n    for s in SEPS:\n        c = c.x\n"
     "    return c not in SEPS\n",
     "_f_SEPS = {' ', '\\t', ('a', 1)}\n\n\ndef f(c):\n    SEPS = _f_SEPS\n    for s in SEPS:\n"
     "        c = c.x\n    return c not in SEPS\n"),
])
def test_rewrites(before: str, after: str) -> None:
    assert rewrite(before) == after
    assert rewrite(after) is None


@pytest.mark.parametrize("source", [
    "def f(x):\n    t = {1: 2}\n    return t\n",  # handed out: a caller could change it
    "def f(x):\n    t = {1: [2]}\n    return t[1]\n",  # an item that could be changed
    "def f(x):\n    t = {1: 2}\n    t[x] = 3\n    return t[1]\n",  # changed
    "def f(x):\n    t = {1: 2}\n    del t[1]\n    return len(t)\n",
    "def f(x):\n    t = [1, 2]\n    t.append(x)\n    return len(t)\n",
    "def f(x):\n    t = [1, 2]\n    g(t)\n    return len(t)\n",  # passed to unknown code
    "def f(x):\n    t = [1, 2]\n    return id(t)\n",
    "def f(x):\n    t = [1, 2]\n    return t is x\n",
    "def f(x):\n    t = [1, 2]\n    if x:\n        t = [3]\n    return len(t)\n",  # bound twice
    "def f(x):\n    t = [1, x]\n    return len(t)\n",  # not a constant
    "def f(x):\n    t = [1, g()]\n    return len(t)\n",
    "def f(x):\n    t = [1, *x]\n    return len(t)\n",
    "def f(x):\n    t = {**x}\n    return len(t)\n",
    "int = float\n\n\ndef f(x):\n    t = {int: 1}\n    return t[x]\n",  # a rebound builtin
    "def f(x):\n    t = (1, 2)\n    return t[x]\n",  # a tuple is folded by CPython already
    "def f(x):\n    if x:\n        t = {1: 2}\n        return t[x]\n",  # not at the top
    "def f(t):\n    t = {1: 2}\n    return t[1]\n",  # a parameter
    "def f(x):\n    t = {1: 2}\n    return lambda: t.setdefault(x, 3)\n",
])
def test_refuses(source: str) -> None:
    assert rewrite(source) is None


def test_a_method_is_left_alone() -> None:
    source = "def m(self, x):\n    t = {1: 2}\n    return t.get(x)\n"
    assert rewrite(source, "m", is_method=True) is None
    assert rewrite(source.replace("self, ", ""), "m") is not None


def test_is_a_team_member() -> None:
    assert constant_hoist.RULE in RULES


@pytest.mark.parametrize("args", [(int, float), (bool, int), (str, type(None)),
                                  (list, dict), (type(None), type(None))])
def test_equivalent_when_run(args: tuple) -> None:
    old: dict = {}
    new: dict = {}
    exec(MORE_GENERIC, old)
    exec(HOISTED, new)
    for _ in range(2):  # a second call sees what the first left
        assert old["_more_generic"](*args) is new["_more_generic"](*args)
    plain_old: dict = {}
    plain_new: dict = {}
    exec(PLAIN, plain_old)
    exec(PLAIN_HOISTED, plain_new)
    assert plain_old["_more_generic"](*args) is plain_new["_more_generic"](*args)
