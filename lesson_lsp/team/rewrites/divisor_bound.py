"""Trial division up to the square root, over 2, 3 and 6k ± 1, when the result is the first divisor.

(The rule's other form, a count down to the largest divisor, is `divisor_largest`.)

The loop is `for d in range(2, B): if n % d == 0: <branch>` (also `0 == n % d`, `not n % d`, or
`if n % d != 0: pass/continue` / `if n % d: …` with the branch under `else`), and the loop's
body is that one `if`. The branch either leaves the loop (`return`, `break` or `raise` last) or
only sets flags to constants: then it gets a `break`, since setting the same constants again
changes nothing. Either way all the loop shows is the first divisor of `n` in `[2, B)`, or that
there is none (its `else` runs exactly when there is none).

The proof. For an int n ≥ 2 the first divisor counted up from 2 is its smallest prime factor p,
and p ≤ isqrt(n) unless n is prime (a divisor d > √n has the cofactor n/d < √n, met first). So
the candidates `[2, B)` can be cut to `[2, min(B, isqrt(n) + 1))`, plus n itself when n < B:

* B is n: `range(2, isqrt(n) + 1)`.
* B ≤ n for every n ≥ 2 (`n - c` with c ≥ 0, `n // k + c` with k ≥ 2 and c ≤ 1):
  `range(2, min(B, isqrt(n) + 1))`; the `min` matters for `n - 2`, which stops below √n for 4.
* B is `n + c` with c ≥ 1, so a prime n is its own first divisor: isqrt's range, then n.

The wheel. The first divisor found is the smallest prime factor p, so trial division may skip
every d that is a multiple of 2 or 3 once 2 and 3 themselves are tried: if a skipped d divided
n, then 2 or 3 would divide n and be found first, so no skipped d can be the first divisor, and
p (2, 3 or 6k ± 1, as every prime above 3 is) is still tried, in order. From n = 64² the loop
runs over 2, 3, 5, 7, 11, 13, … below the same end (one itertools expression) instead of
`range(2, end)` (it is exact at the end: none at or past it). This holds because of what the
rule already requires: the body does nothing for a non-dividing d (no count, no effect), the
start is 2, the loop ends or gets its `break` at the first divisor, so nothing after it
depends on later d's, and d is not read after the loop (inside the branch it is p either way).
The numbers (CPython 3.11): a prime near 10⁶ takes 1000 plain trial divisions, 25 µs, and 334
wheel ones, 12 µs (2.2×; 2.4× near 10⁹, 1.8× near 10⁵); the wheel's setup costs about 0.6 µs,
50 plain divisions, so it breaks even near n = 3000 and loses below (0.3× at n = 25); below
64² the plain cut range stays (count_up_to's inner loops, all below 300, keep it). An n with
a small factor, 2 or 3, pays that setup for nothing: 0.2 µs → 0.7 µs.

The cut range is taken only when `type(n) is int and n > 1`, tested at run time; otherwise the
original range runs: floats (whose `range` raises), bools and int subclasses (their own `%`),
and n < 2, where 0 and negative numbers do have divisors (the loop is short there anyway).
n may be `len(x)`: bound once with `:=` and read from that name in the test (`x` is not rebound
in the loop, and `len` returns an exact int).

Refused: a start other than 2 (counting from 3, the first divisor need not be at most √n), a
step, any other statement in the body (appending, printing, counting or summing every divisor:
those see all divisors, not the first), a flag set to a value that changes (`last = d`), n or
`x` rebound in the loop, the loop variable read after it (its last value differs), and a flag
loop with an `else` (the added `break` would skip it).
"""

from __future__ import annotations

import ast

import libcst as cst
import libcst.matchers as m

from lesson_lsp.team.rewrites import divisor_largest
from lesson_lsp.team.rewrites.base import (
    Rewrite,
    RewriteContext,
    Rule,
    first_form,
    parse_with_parents,
)
from lesson_lsp.team.rewrites.bindings import bound_names, fresh_name, is_builtin, may_import
from lesson_lsp.team.rewrites.divisor_test import divisibility
from lesson_lsp.team.rewrites.loops import read_outside
from lesson_lsp.team.rewrites.shapes import call_to, simple_statements, spelling

_EXITS = (cst.Return, cst.Break, cst.Raise)
_CONSTANT = m.Integer() | m.Float() | m.SimpleString() | m.Name("True") | m.Name("False") | \
    m.Name("None")
_EMPTY = cst.Module([])
# The wheel's setup (a chain, an islice, an accumulate) costs about as much as 50 plain trial
# divisions (CPython 3.11, measured): below that the plain range is faster, so stops up to 64
# (n below 64², as the guard at the loop says it) keep it.
_WHEEL_STOP = 64
_WHEEL_FROM = _WHEEL_STOP ** 2


def _idle(block: cst.BaseSuite) -> bool:
    """The block only passes or continues: the non-divisor branch does nothing."""
    smalls = simple_statements(block)
    return bool(smalls) and all(isinstance(s, (cst.Pass, cst.Continue)) for s in smalls or ())


def _leaves(block: cst.BaseSuite) -> bool:
    """The block's last line leaves the loop, whatever came before it."""
    if isinstance(block, cst.SimpleStatementSuite):
        return any(isinstance(small, _EXITS) for small in block.body)
    if not isinstance(block, cst.IndentedBlock) or not block.body:
        return False
    last = block.body[-1]
    return isinstance(last, cst.SimpleStatementLine) and \
        any(isinstance(small, _EXITS) for small in last.body)


def _flags_only(block: cst.BaseSuite, forbidden: set[str]) -> bool:
    """Every statement sets names other than `forbidden` to constants: doing it again changes
    nothing, so stopping at the first divisor shows the same."""
    smalls = simple_statements(block)
    return bool(smalls) and all(
        isinstance(s, cst.Assign) and m.matches(s.value, _CONSTANT) and all(
            isinstance(t.target, cst.Name) and t.target.value not in forbidden
            for t in s.targets) for s in smalls or ())


def _kind(bound: cst.BaseExpression, n: str) -> str | None:
    """How the loop's end B compares with n: "exact" (B is n), "below" (B ≤ n for n ≥ 2) or
    "above" (B is n + c, c ≥ 1); None for any other end."""
    if spelling(bound) == n:
        return "exact"
    if not (isinstance(bound, cst.BinaryOperation) and isinstance(bound.right, cst.Integer)):
        return None
    c = ast.literal_eval(bound.right.value)
    left, op = bound.left, bound.operator
    if spelling(left) == n:
        if isinstance(op, cst.Subtract):
            return "below"
        if isinstance(op, cst.Add) and c >= 1:
            return "above"
        return "below" if isinstance(op, cst.FloorDivide) and c >= 2 else None
    halved = isinstance(left, cst.BinaryOperation) and isinstance(left.operator, cst.FloorDivide) \
        and spelling(left.left) == n and isinstance(left.right, cst.Integer) and \
        ast.literal_eval(left.right.value) >= 2
    return "below" if halved and (isinstance(op, cst.Subtract) or
                                  (isinstance(op, cst.Add) and c <= 1)) else None


def _subject(n: cst.BaseExpression, module: cst.Module) -> tuple[set[str], str | None] | None:
    """The names n reads, and the `x` of `len(x)`; None unless n is a name or `len(name)`."""
    if isinstance(n, cst.Name):
        return {n.value}, None
    if call_to(n, "len", 1) and is_builtin(module, "len"):
        assert isinstance(n, cst.Call)
        x = n.args[0].value
        if isinstance(x, cst.Name):
            return {x.value}, x.value
    return None


class _Hit:
    """One loop the rule rewrites: what it found, and the names the rewrite will use."""

    def __init__(self, n: str, kind: str, x: str | None, needs_break: bool) -> None:
        self.n, self.kind, self.x, self.needs_break = n, kind, x, needs_break
        self.bound = ""  # the name bound to len(x), when n is len(x)


def _match(loop: cst.For, module: cst.Module) -> _Hit | None:
    """The loop as a first-divisor search, or None."""
    if loop.asynchronous is not None or not isinstance(loop.target, cst.Name) or \
            not call_to(loop.iter, "range", 2):
        return None
    assert isinstance(loop.iter, cst.Call)
    start, stop = (a.value for a in loop.iter.args)
    body = loop.body.body if isinstance(loop.body, cst.IndentedBlock) else ()
    if not m.matches(start, m.Integer("2")) or len(body) != 1 or not isinstance(body[0], cst.If):
        return None
    d, test_if = loop.target.value, body[0]
    found = divisibility(test_if.test, d)
    subject = _subject(found[0], module) if found is not None else None
    if found is None or subject is None:
        return None
    (n, divides), (reads, x) = found, subject
    if divides and test_if.orelse is None:
        branch = test_if.body
    elif not divides and isinstance(test_if.orelse, cst.Else) and _idle(test_if.body):
        branch = test_if.orelse.body
    else:
        return None
    kind = _kind(stop, spelling(n))
    if kind is None or d in reads or reads & bound_names(loop.body):
        return None
    if _leaves(branch):
        return _Hit(spelling(n), kind, x, False)
    if loop.orelse is None and _flags_only(branch, reads | {d}):
        return _Hit(spelling(n), kind, x, True)
    return None


def _with_break(block: cst.BaseSuite) -> cst.BaseSuite:
    if isinstance(block, cst.SimpleStatementSuite):
        return block.with_changes(body=(*block.body, cst.Break()))
    assert isinstance(block, cst.IndentedBlock)
    return block.with_changes(body=(*block.body, cst.SimpleStatementLine([cst.Break()])))


class _Swap(cst.CSTTransformer):
    """Every `len(x)` spelled as n becomes the name bound to it."""

    def __init__(self, n: str, name: str) -> None:
        super().__init__()
        self.n, self.name = n, name

    def leave_Call(self, original: cst.Call, updated: cst.BaseExpression) -> cst.BaseExpression:
        return cst.Name(self.name) if spelling(original) == self.n else updated


def _iter(hit: _Hit, stop: cst.BaseExpression, original: cst.BaseExpression) -> cst.IfExp:
    """`<the plain cut range> if <n is an int above 1, below _WHEEL_FROM> else <the wheel's cut
    range> if <n is an int above 1> else <the original range>`."""
    n = hit.bound or hit.n  # len(x) is bound to its name by the first test, read by the second
    guard = f"({n} := {hit.n}) > 1" if hit.bound else f"type({n}) is int and {n} > 1"
    end = f"math.isqrt({n}) + 1"
    if hit.kind == "below":
        cut = stop.visit(_Swap(hit.n, hit.bound)) if hit.bound else stop
        assert isinstance(cut, cst.BaseExpression)
        end = f"min({_EMPTY.code_for_node(cut)}, {end})"
    plain, wheeled = f"range(2, {end})", wheel(end)
    if hit.kind == "above":
        plain, wheeled = (f"itertools.chain({r}, ({n},))" for r in (plain, wheeled))
    return cst.IfExp(
        test=cst.parse_expression(f"{guard} and {n} < {_WHEEL_FROM}"),
        body=cst.parse_expression(plain),
        orelse=cst.IfExp(test=cst.parse_expression(f"{n} > 1" if hit.bound else guard),
                         body=cst.parse_expression(wheeled), orelse=original))


def wheel(end: str) -> str:
    """2, 3, then 5, 7, 11, 13, … (6k ± 1) below `end`, every prime below it in order, as one
    expression: the rewrite stays inside the function, so it works as well in a method."""
    return ("itertools.chain((2, 3), itertools.islice(itertools.accumulate(itertools.cycle("
            f"(2, 4)), initial=5), len(range(5, {end}, 6)) + len(range(7, {end}, 6))))")


def apply(source: str, context: RewriteContext) -> Rewrite | None:
    found = parse_with_parents(source, context.name)
    if found is None:
        return None
    module, fn, parent_of = found
    if not all(is_builtin(module, b) for b in ("range", "type", "min", "len")) or \
            not may_import(module, fn, "math"):
        return None
    hits: dict[int, _Hit] = {}

    class Finder(cst.CSTVisitor):
        def visit_For(self, loop: cst.For) -> None:
            hit = _match(loop, module)
            if hit is not None and not read_outside(loop, fn, parent_of):
                hits[id(loop)] = hit

    fn.visit(Finder())
    if not hits or not may_import(module, fn, "itertools"):
        return None
    taken: set[str] = set()
    for hit in hits.values():
        if hit.x is not None:
            hit.bound = fresh_name(module, f"{hit.x}_len")
            while hit.bound in taken:
                hit.bound += "_"
            taken.add(hit.bound)

    class Transform(cst.CSTTransformer):
        def leave_For(self, original: cst.For, updated: cst.For) -> cst.For:
            hit = hits.get(id(original))
            if hit is None:
                return updated
            assert isinstance(original.iter, cst.Call) and isinstance(updated.body,
                                                                       cst.IndentedBlock)
            test_if = updated.body.body[0]
            assert isinstance(test_if, cst.If)
            if hit.bound:
                test_if = test_if.with_changes(test=test_if.test.visit(_Swap(hit.n, hit.bound)))
            if hit.needs_break and isinstance(test_if.orelse, cst.Else):
                test_if = test_if.with_changes(
                    orelse=test_if.orelse.with_changes(body=_with_break(test_if.orelse.body)))
            elif hit.needs_break:
                test_if = test_if.with_changes(body=_with_break(test_if.body))
            return updated.with_changes(
                iter=_iter(hit, original.iter.args[1].value, updated.iter),
                body=updated.body.with_changes(body=(test_if, *updated.body.body[1:])))

    new_module = module.visit(Transform())
    names = ", ".join(sorted({f"`{h.n}`" for h in hits.values()}))
    flagged = " (a flag loop gets the `break` it did not need)" if any(
        h.needs_break for h in hits.values()) else ""
    return Rewrite(new_module.code, ("import math", "import itertools"),
                   f"the search for the first divisor of {names} ran past its square root; "
                   "a divisor above √n has its cofactor below it, met first, so the loop stops "
                   f"at `math.isqrt` when n is an int above 1, and from n = {_WHEEL_FROM} "
                   "tries only 2, 3 and 6k ± 1 (a multiple of 2 or 3 is never the first "
                   f"divisor){flagged}")


RULE = Rule(
    name="divisor-bound",
    idea="search divisors of n only up to isqrt(n): the first divisor counting up is the "
         "smallest prime factor, and the largest below n is n divided by it",
    apply=first_form(apply, divisor_largest.apply),
)
