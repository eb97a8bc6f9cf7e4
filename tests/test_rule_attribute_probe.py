"""attribute-probe: an AttributeError raised and caught on the common path is avoided — a str
probed for a bytes method skips the probe, an attribute read with a fallback becomes `getattr`
with a default — exactly as written, and only where the handler's work is known."""

from __future__ import annotations

import pytest

from lesson_lsp.team.rewrites import RULES, attribute_probe
from lesson_lsp.team.rewrites.base import RewriteContext

# tabulate's `_isnumber_with_thousands_separator`, 18 % of its workload
PROBE = '''def f(string):
    # bytes or str
    try:
        string = string.decode()
    except (UnicodeDecodeError, AttributeError):
        pass
    return string.count(",")
'''
GUARDED = '''def f(string):
    # bytes or str
    if type(string) is not str:
        try:
            string = string.decode()
        except (UnicodeDecodeError, AttributeError):
            pass
    return string.count(",")
'''


def rewrite(source: str) -> str | None:
    out = attribute_probe.RULE.apply(source, RewriteContext("f"))
    return None if out is None else out.source


@pytest.mark.parametrize(("before", "after"), [
    (PROBE, GUARDED),
    ("def f(G):\n    try:\n        return G.frozen  # set by freeze\n    except AttributeError:\n"
     "        return False\n",
     "def f(G):\n    # set by freeze\n    return getattr(G, \"frozen\", False)\n"),
    ("def f(self):\n    try:\n        out = self.name\n    except AttributeError:\n"
     "        out = None\n    return out\n",
     "def f(self):\n    out = getattr(self, \"name\", None)\n    return out\n"),
    ("def f(s):\n    try:\n        s.read()\n    except Exception:\n        pass\n",
     "def f(s):\n    if type(s) is not str:\n        try:\n            s.read()\n"
     "        except Exception:\n            pass\n"),
])
def test_rewrites(before: str, after: str) -> None:
    assert rewrite(before) == after
    assert rewrite(after) is None  # settles


@pytest.mark.parametrize("source", [
    # the handler does something, or binds a name
    PROBE.replace("        pass", "        string = str(string)"),
    PROBE.replace("AttributeError):", "AttributeError) as e:"),
    # nothing catches AttributeError
    PROBE.replace("(UnicodeDecodeError, AttributeError)", "UnicodeDecodeError"),
    PROBE.replace("(UnicodeDecodeError, AttributeError)", "(MyError, AttributeError)"),
    # str has the method: a str does not raise
    PROBE.replace("decode", "encode"),
    # more than the probe in the try, an else or a finally
    PROBE.replace("string.decode()\n", "string.decode()\n        n = 1\n"),
    PROBE.replace("        pass\n", "        pass\n    else:\n        string = 1\n"),
    PROBE.replace("        pass\n", "        pass\n    finally:\n        string = 1\n"),
    # not a name's method
    PROBE.replace("string.decode()", "g(string).decode()"),
    "str = bytes\n\n\n" + PROBE,
    # the fallback form: a deeper read, a default that could do something, another handler
    "def f(s):\n    try:\n        v = s.a.b\n    except AttributeError:\n        v = None\n",
    "def f(s):\n    try:\n        v = s.a\n    except AttributeError:\n        v = g()\n",
    "def f(s, d):\n    try:\n        v = s.a\n    except AttributeError:\n        v = d\n",
    "def f(s):\n    try:\n        v = s.a\n    except AttributeError:\n        w = None\n",
    "def f(s):\n    try:\n        v = s.a\n    except (AttributeError, KeyError):\n        v = 0\n",
    "def f(s):\n    try:\n        return s.a\n    except AttributeError:\n        pass\n",
])
def test_refuses(source: str) -> None:
    assert rewrite(source) is None


def test_is_a_team_member() -> None:
    assert attribute_probe.RULE in RULES


class Sub(str):
    def decode(self) -> str:
        return "decoded"


class Odd:
    def __getattr__(self, name: str) -> int:
        if name == "frozen":
            raise AttributeError(name)
        return 7


@pytest.mark.parametrize("value", ["1,000", b"1,0,0", Sub("x,"), b"\xff,", 12, None, Odd()])
def test_equivalent_when_run(value: object) -> None:
    fallback = ("def g(G):\n    try:\n        return G.frozen\n    except AttributeError:\n"
                "        return False\n")
    for source, name in ((PROBE, "f"), (fallback, "g")):
        out = attribute_probe.RULE.apply(source, RewriteContext(name))
        assert out is not None
        old: dict = {}
        new: dict = {}
        exec(source, old)
        exec(out.source, new)

        def outcome(fn):
            try:
                return "ok", fn(value)
            except Exception as exc:  # the exception is the outcome
                return "raised", type(exc), str(exc)

        assert outcome(old[name]) == outcome(new[name])
