"""`divisor-bound`, generalized: every spelling of a first-divisor search it claims, run for real.

Each case is parsed and rewritten by the rule (real libcst), then the rewritten function is
`exec`-ed and compared with the original on n in range(-5, 2000), large primes and composites,
bools and floats (or strings and lists, when n is `len(x)`): same result, or the same exception
type. The refusals are the loops whose result is more than their first divisor.
"""

from __future__ import annotations

import io
import json
import subprocess
import tokenize

import pytest
from conftest import PYTHON, outcome, team

from lesson_lsp.team.rewrites import divisor_bound
from lesson_lsp.team.rewrites.base import RewriteContext

NUMBERS = [*range(-5, 2000), 1_000_003, 999_983 * 2, 997 * 991, 999_983 ** 2, 3 * (10 ** 12 + 39),
           True, False, 0.5, 2.5, 7.0, -3.0]
# a flag loop without `break` runs to its end: only numbers it can count through
SMALL = [*range(-5, 2000), 100_003, 99_991 * 2, True, False, 0.5, 2.5, 7.0]
WORDS = ["a" * k for k in range(0, 400)] + [list(range(997)), (1,) * 1009, "x" * 1024]


def _comments(code: str) -> list[str]:
    return sorted(t.string for t in tokenize.generate_tokens(io.StringIO(code).readline)
                  if t.type == tokenize.COMMENT)



def _agrees(source: str, args: list) -> str:
    """The rewrite of `f` in `source`: it keeps every comment and agrees with `f` on `args`."""
    out = divisor_bound.apply(source, RewriteContext("f"))
    assert out is not None, source
    assert set(_comments(source)) <= set(_comments(out.source)), out.source
    new: dict = {}
    exec("\n".join(out.imports) + "\n" + out.source, new)
    old: dict = {}
    exec(source, old)
    for arg in args:
        assert outcome(old["f"], arg) == outcome(new["f"], arg), (arg, out.source)
    return out.source


def _prime(stop: str, test: str = "n % d == 0", subject: str = "n") -> str:
    return (f"def f({subject}):\n    # trial division\n    for d in range(2, {stop}):  # end\n"
            f"        if {test}:  # a divisor\n            return d\n    return None\n")


@pytest.mark.parametrize("stop", ["n", "n - 1", "n - 2", "n - 3", "n + 1", "n + 3",
                                  "n // 2 + 1", "n // 2", "n // 3 + 1", "n // 2 - 1"])
def test_every_end_gives_the_first_divisor_the_original_gives(stop: str) -> None:
    # the first divisor itself is returned: the strongest observable result
    _agrees(_prime(stop), NUMBERS)


@pytest.mark.parametrize("test", ["n % d == 0", "0 == n % d", "not n % d", "(n % d) == 0"])
def test_every_spelling_of_divides(test: str) -> None:
    assert "math.isqrt(n)" in _agrees(_prime("n", test), NUMBERS)


@pytest.mark.parametrize("test,idle", [("n % d != 0", "pass"), ("n % d", "continue"),
                                       ("n % d > 0", "pass"), ("0 != n % d", "continue")])
def test_does_not_divide_with_the_exit_under_else(test: str, idle: str) -> None:
    source = (f"def f(n):\n    for d in range(2, n):\n        if {test}:\n            {idle}\n"
              "        else:  # found\n            return False\n    return True\n")
    _agrees(source, NUMBERS)


def test_break_with_a_flag_and_for_else_and_raise() -> None:
    flag = ("def f(n):\n    prime = n > 1\n    for i in range(2, n - 1):\n"
            "        if n % i == 0:\n            prime = False\n            break\n"
            "    return prime\n")
    _agrees(flag, NUMBERS)
    orelse = ("def f(n):\n    for i in range(2, n + 1):\n        if not n % i:\n"
              "            break\n    else:\n        return 'none'\n    return 'some'\n")
    _agrees(orelse, NUMBERS)
    raising = ("def f(n):\n    for i in range(2, n):\n        if n % i == 0: raise ValueError(i)\n"
               "    return n\n")
    _agrees(raising, NUMBERS)


def test_a_flag_set_and_the_loop_going_on_gets_its_break() -> None:
    source = ("def f(n):\n    is_prime, seen = True, 'no'\n    for j in range(2, n):\n"
              "        if n % j == 0:\n            is_prime = False  # keep going\n"
              "            seen = 'yes'\n    return is_prime, seen\n")
    out = _agrees(source, SMALL)
    assert "seen = 'yes'\n            break" in out
    one_line = ("def f(n):\n    ok = True\n    for j in range(2, n // 2 + 1):\n"
                "        if n % j == 0: ok = False\n    return ok\n")
    assert "ok = False; break" in _agrees(one_line, SMALL)


def test_the_nested_prime_sieve_of_count_up_to() -> None:
    source = ("def f(n):\n    primes = []\n    for i in range(2, n):\n        is_prime = True\n"
              "        for j in range(2, i):\n            if i % j == 0:\n"
              "                is_prime = False\n                break\n        if is_prime:\n"
              "            primes.append(i)\n    return primes\n")
    _agrees(source, [*range(-3, 400, 7), 1000, 2.5])


@pytest.mark.parametrize("stop", ["len(word)", "len(word) - 1", "len(word) + 1"])
def test_len_is_bound_once(stop: str) -> None:
    source = ("def f(word):\n    ok = True\n    for i in range(2, " + stop + "):\n"
              "        if len(word) % i == 0:\n            ok = False\n    return ok\n")
    out = _agrees(source, WORDS)
    assert "(word_len := len(word)) > 1" in out and "word_len % i" in out


@pytest.mark.parametrize("source", [
    # counts every divisor
    "def f(n):\n    c = 0\n    for d in range(2, n):\n        if n % d == 0:\n"
    "            c += 1\n    return c\n",
    # the sum of divisors sees them all
    "def f(n):\n    s = 0\n    for d in range(2, n):\n        if n % d == 0:\n"
    "            s = s + d\n    return s\n",
    # appends every divisor
    "def f(n):\n    out = []\n    for d in range(2, n):\n        if n % d == 0:\n"
    "            out.append(d)\n    return out\n",
    # prints, then leaves: the print is another statement of the body
    "def f(n):\n    for d in range(2, n):\n        print(d)\n        if n % d == 0:\n"
    "            return d\n",
    # a flag set to what changes: the last divisor, not the first
    "def f(n):\n    last = None\n    for d in range(2, n):\n        if n % d == 0:\n"
    "            last = d\n    return last\n",
    # n is reassigned inside
    "def f(n):\n    for d in range(2, n):\n        if n % d == 0:\n            n = n // d\n"
    "            return n\n",
    "def f(n):\n    ok = 1\n    for d in range(2, n):\n        if n % d == 0:\n            n = 0\n"
    "    return n\n",
    # a step
    "def f(n):\n    for d in range(2, n, 1):\n        if n % d == 0:\n            return d\n",
    "def f(n):\n    for d in range(3, n, 2):\n        if n % d == 0:\n            return d\n",
    # starts at 3: the first divisor from 3 may be above the square root (2 * 7 = 14: 7)
    "def f(n):\n    for d in range(3, n):\n        if n % d == 0:\n            return d\n",
    # the loop variable is read after the loop
    "def f(n):\n    for d in range(2, n):\n        if n % d == 0:\n            break\n"
    "    return d\n",
    # a flag loop with else: the added break would skip it
    "def f(n):\n    ok = True\n    for d in range(2, n):\n        if n % d == 0:\n"
    "            ok = False\n    else:\n        ok = 'done'\n    return ok\n",
    # ends that are not n, n ± c or n // k + c
    "def f(n):\n    for d in range(2, n * 2):\n        if n % d == 0:\n            return d\n",
    "def f(n):\n    for d in range(2, int(n ** 0.5) + 1):\n        if n % d == 0:\n"
    "            return d\n",
    "def f(n):\n    for d in range(2, n // 2 + 2):\n        if n % d == 0:\n            return d\n",
    # another number's divisors
    "def f(n, m):\n    for d in range(2, n):\n        if m % d == 0:\n            return d\n",
    # not a divisibility test
    "def f(n):\n    for d in range(2, n):\n        if d * d == n:\n            return d\n",
])
def test_refuses(source: str) -> None:
    assert divisor_bound.apply(source, RewriteContext("f")) is None


# --- the 6k ± 1 wheel, taken from n = 64² ---

class Mod4(int):
    """An int subclass with its own `%`: only 4 "divides" it, a d the wheel never tries."""

    def __mod__(self, d):  # type: ignore[override]
        return 0 if d == 4 else 1


# squares and products of primes on both sides of 64², the wheel's threshold, and beyond
WHEEL = [*range(-5, 130), 25, 49, 121, 4093, 4095, 4096, 4097, 4099, 67 ** 2, 71 * 73, 2 * 4099,
         3 * 4099, 5 * 4099, 7 * 4099, 97 ** 2, 101 * 103, 1009 ** 2, 99_991 ** 2, 999_983,
         3 * 1_000_003, 999_983 * 1_000_003, True, False, 4096.0, 4099.0, 2.5, -4099, -4096,
         Mod4(5000), Mod4(10 ** 5)]
LARGE_PRIMES = [10 ** 9 + 7, 10 ** 9 + 9, 2 ** 31 - 1]


def _rewritten(source: str):
    """The rewrite of `source`, run in its own module: the wheel is inside the function."""
    out = divisor_bound.apply(source, RewriteContext("f"))
    assert out is not None and "itertools.cycle((2, 4))" in out.source
    assert "def " not in out.source.replace("def f(", "")  # no helper beside the function
    namespace: dict = {}
    exec("\n".join(out.imports) + "\n" + out.source, namespace)
    return namespace


def test_the_wheel_is_2_3_and_6k_pm_1_below_its_stop_and_no_further() -> None:
    import itertools
    for stop in range(65, 3000):
        got = list(eval(divisor_bound.wheel("stop"), {"itertools": itertools, "stop": stop}))
        assert got == [d for d in range(2, stop) if d in (2, 3) or d % 6 in (1, 5)], stop
        primes = [p for p in range(2, stop) if all(p % q for q in range(2, p))] \
            if stop < 400 else []
        assert set(primes) <= set(got)


@pytest.mark.parametrize("stop", ["n", "n - 1", "n + 1", "n // 2 + 1", "n - 4000"])
def test_the_wheel_gives_the_first_divisor_the_original_gives(stop: str) -> None:
    # n - 4000: an end below √n for n ≥ 4096 + … , where the wheel must stop exactly at it
    out = _agrees(_prime(stop), WHEEL)
    assert "n > 1 and n < 4096 else " in out and out.count("itertools.cycle((2, 4))") == 1


def test_the_wheel_with_flags_else_and_len() -> None:
    flag = ("def f(n):\n    prime = n > 1\n    for i in range(2, n - 1):\n"
            "        if n % i == 0:\n            prime = False\n    return prime\n")
    _agrees(flag, [w for w in WHEEL if not isinstance(w, int) or w < 10 ** 6])
    orelse = ("def f(n):\n    if n == 1:\n        return 'y'\n    for i in range(2, n):\n"
              "        if n % i == 0:\n            return 'y'\n            break\n"
              "    else:\n        return 'x'\n")  # x_or_y
    _agrees(orelse, WHEEL)
    words = ["a" * k for k in (0, 1, 2, 3, 4, 25, 4095, 4096, 4097, 4099, 67 ** 2, 71 * 73)]
    _agrees("def f(s):\n    l = len(s)\n    if l == 0 or l == 1:\n        return False\n"
            "    for i in range(2, l):\n        if l % i == 0:\n            return False\n"
            "    return True\n", words)  # prime_length
    _agrees("def f(s):\n    for i in range(2, len(s)):\n        if len(s) % i == 0:\n"
            "            return i\n    return 0\n", [*words, list(range(4097))])


def test_large_primes_take_the_wheel_and_agree_with_the_answer() -> None:
    # the original would try 10⁹ divisors: the answer is known instead
    f = _rewritten(_prime("n"))["f"]
    for p in LARGE_PRIMES:
        assert f(p) is None
        assert f(p * 2) == 2 and f(p * 3) == 3 and f(p * 25) == 5 and f(p * 49) == 7
    assert f(46_337 ** 2) == 46_337 and f(46_337 * 46_349) == 46_337


@pytest.mark.parametrize("source", [
    # counts the numbers that do not divide: the body does something for them
    "def f(n):\n    c = 0\n    for d in range(2, n):\n        if n % d != 0:\n"
    "            c += 1\n        else:\n            return c\n",
    # an effect in the test itself
    "def f(n):\n    for d in range(2, n):\n        if print(d) or n % d == 0:\n"
    "            return d\n",
    # the first divisor of what a call returns
    "def f(n):\n    for d in range(2, n):\n        if g(n) % d == 0:\n            return d\n",
])
def test_refuses_bodies_that_do_more_than_test(source: str) -> None:
    assert divisor_bound.apply(source, RewriteContext("f")) is None


def test_a_method_gets_the_wheel_inside_it_and_the_written_file_runs(tmp_path) -> None:
    # The rewrite must live inside the method: a helper beside it would land in the class body.
    (tmp_path / "mod.py").write_text(
        "class Factors:\n"
        "    def smallest(self, n):\n"
        "        for d in range(2, n):\n"
        "            if n % d == 0:\n"
        "                return d\n"
        "        return n\n\n\n"
        "def inputs():\n"
        "    return [(Factors(), n) for n in (4099, 4111, 9973, 10007, 4096 * 3 + 1, 12, 97)]\n",
        encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.lesson-lsp]\nrounds = 1\n\n[tool.lesson-lsp.inputs]\n'
        '"mod.py::Factors.smallest" = "mod.py::inputs"\n' + team("divisor-bound"),
        encoding="utf-8")
    done = subprocess.run([PYTHON, "-m", "lesson_lsp.cli", "optimize", "mod.py::Factors.smallest",
                           "--apply", "--json"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=300)
    report = json.loads(done.stdout)
    assert report["applied"], (report["headline"], report["candidates"])
    written = (tmp_path / "mod.py").read_text(encoding="utf-8")
    assert "itertools.cycle((2, 4))" in written and written.count("def ") == 2  # no helper
    check = subprocess.run(
        [PYTHON, "-c", "import mod; f = mod.Factors(); "
         "print([f.smallest(n) for n in (1_000_000_007, 4099 * 4111, 2 ** 13, 9, 2, 1, 0)])"],
        cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert check.returncode == 0, check.stderr
    assert check.stdout.strip() == "[1000000007, 4099, 2, 3, 2, 1, 0]"
