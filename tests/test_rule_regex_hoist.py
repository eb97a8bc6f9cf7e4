"""regex-compile outside loops: a literal pattern compiled once where the function is defined,
and a compiled pattern handed to `re` called through its own method — exactly as written,
refused where the call's arguments or the function's place could differ."""

from __future__ import annotations

import re

import pytest

from lesson_lsp.team.rewrites import regex_compile
from lesson_lsp.team.rewrites.base import RewriteContext


def rewrite(source: str, name: str = "f", is_method: bool = False) -> str | None:
    out = regex_compile.RULE.apply(source, RewriteContext(name, is_method))
    return None if out is None else out.source


CASES = [
    # tabulate's `_format`: a literal searched on every call
    ('def f(val):\n    colored = re.search(\n        r"(\\d+)([0-9.]+)$", val\n    )\n'
     '    return colored\n',
     '_f_re = re.compile(r"(\\d+)([0-9.]+)$")\n\n\ndef f(val):\n    colored = _f_re.search(\n'
     '        val\n    )\n    return colored\n'),
    # flags as re constants; two patterns, one of them twice
    ('def f(s):\n    return re.match("a+", s, re.I | re.M), re.sub("b", "", s), '
     're.sub("b", "c", s)\n',
     '_f_re = re.compile("a+", re.I | re.M)\n_f_re_2 = re.compile("b")\n\n\ndef f(s):\n'
     '    return _f_re.match(s), _f_re_2.sub("", s), _f_re_2.sub("c", s)\n'),
    # tabulate's `_isnumber_with_thousands_separator`: a compiled pattern in a global
    ("def f(string):\n    return bool(re.match(PAT, string))\n",
     "def f(string):\n    return bool(PAT.match(string) if type(PAT) is re.Pattern "
     "else re.match(PAT, string))\n"),
    ("def f(p, s):\n    m = re.sub(p, '', s) + '!'\n    return m\n",
     "def f(p, s):\n    m = (p.sub('', s) if type(p) is re.Pattern else re.sub(p, '', s)) + '!'\n"
     "    return m\n"),
]


@pytest.mark.parametrize(("before", "after"), CASES)
def test_rewrites(before: str, after: str) -> None:
    assert rewrite(before) == after
    assert rewrite(after) is None  # settles


def test_a_method_is_left_alone() -> None:
    # a class attribute can mean something else to its class (an Enum member, …)
    before = "def test(self, block):\n    return bool(re.search(r'^> ?', block))\n"
    assert rewrite(before, "test", is_method=True) is None
    assert rewrite(before.replace("self, ", ""), "test") is not None


@pytest.mark.parametrize("source", [
    # re.sub's fourth argument is count, not flags; findall's third would be pos
    "def f(s):\n    return re.sub('a', 'b', s, re.I)\n",
    "def f(s):\n    return re.findall('a', s, 0, 3)\n",
    "def f(s, fl):\n    return re.match('a', s, fl)\n",  # flags not known
    "def f(s):\n    return re.match('a', s, flags=re.I)\n",  # keywords
    "def f(s):\n    return re.match('(', s)\n",  # does not compile
    "def f(s):\n    return re.match(f'{s}', s)\n",  # not a literal
    "def f(s, re):\n    return re.match('a', s)\n",  # not the module
    "import regex as re\n\n\ndef f(s):\n    return re.match('a', s)\n",
    "def f(s):\n    return re.match(self.p, s)\n",  # an attribute may be read once only
    "def f(s):\n    return re.compile('a').match(s)\n",
])
def test_refuses(source: str) -> None:
    assert rewrite(source) is None


SOURCE = '''
import re

PAT = re.compile(r"^[+-]?\\d{1,3}(,\\d{3})*(\\.\\d*)?$")


def f(s, p):
    a = re.match(PAT, s)
    b = re.sub(p, "#", s)
    c = re.findall(r"\\d", s)
    d = re.split(r"[,.]", s, 1)
    e = re.search("[a-z]+", s, re.I)
    return (a and a.group()), b, c, d, (e and e.span())
'''


@pytest.mark.parametrize("s", ["1,234.5", "12", "x1,2", "", "ABC,def.1", "1,234,567"])
@pytest.mark.parametrize("p", ["[0-9]", re.compile("[,]"), re.compile(b"x")])
def test_equivalent_when_run(s: str, p: object) -> None:
    source = SOURCE
    for _ in range(4):  # each proposal takes one form; the next round the next
        out = rewrite(source)
        if out is None:
            break
        source = out
    assert "re.compile(r\"\\d\")" in source and "p.sub(" in source and "PAT.match(" in source
    old: dict = {}
    new: dict = {}
    exec(SOURCE, old)
    exec(source, new)

    def outcome(fn):
        try:
            return "ok", fn(s, p)
        except Exception as exc:  # the exception is the outcome
            return "raised", type(exc), str(exc)

    assert outcome(old["f"]) == outcome(new["f"])


def test_what_runs_on_import_is_admitted() -> None:
    from lesson_lsp.harness.admission import refusal
    for before, after in CASES:
        assert refusal(after, ("import re",), before) is None
