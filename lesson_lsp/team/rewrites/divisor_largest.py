"""The largest proper divisor, found counting down, as n // (the smallest divisor above 1).

    for d in reversed(range(n)):        if type(n) is int and n > 1:
        if n % d == 0:                      for p in range(2, math.isqrt(n) + 1):
            return d                            if n % p == 0:
                                                    d = n // p
                                                    break
                                            else:
                                                d = 1
                                            return d
                                        else:
                                            <the original loop>

Counting down from n − 1 (or from n // 2) tries every number above the answer first: O(n) for
a prime. The proof. For an int n ≥ 2, d divides n exactly when its cofactor n / d does, and
d < n exactly when n / d > 1; so the largest divisor below n is n // p for the smallest divisor
p ≥ 2, which is at most isqrt(n) unless n is prime (then the largest below n is 1). A count that
starts at n − 1 or n // 2 misses nothing, since n // p ≤ n // 2. A count that stops at 1 (or 0:
1 divides n, so 0 is never reached) always ends on a divisor: the branch runs with d set to
n // p, or 1. A count that stops at 2 finds none for a prime n and falls through, as the fast
path does.

The loop runs over `reversed(range([0|1|2,] n))`, `reversed(range(1, n // 2 + 1))`,
`range(n - 1, 0|-1|1, -1)` or `range(n // 2, …, -1)`, its body is one `if` that tests that d
divides n (`n % d == 0`, `not n % d`, `0 == n % d`) with no `else`, and the branch ends by
leaving the loop (`return`, `raise`, or `break`, dropped where the branch no longer sits in a
loop), with no other `break` or `continue` in it (inside the new search they would act on it).
n is a plain name not rebound in the loop and d is not read after it. The fast path is taken
only when `type(n) is int and n > 1`; everything else (floats, bools, int subclasses with
their own `%`, n ≤ 1, where the count hits 0 and raises) runs the original loop.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from lesson_lsp.team.rewrites.base import Rewrite, RewriteContext, parse_with_parents
from lesson_lsp.team.rewrites.bindings import bound_names, fresh_name, is_builtin, may_import
from lesson_lsp.team.rewrites.divisor_test import divides
from lesson_lsp.team.rewrites.loops import read_outside
from lesson_lsp.team.rewrites.shapes import call_to, has_any, spelling


def _top(node: cst.BaseExpression, n: str) -> bool:
    """`node` is n − 1 or n // 2: at least the largest proper divisor, below n."""
    return spelling(node) in (f"{n}-1", f"{n}//2")


def _count_down(iterable: cst.BaseExpression, n: str) -> int | None:
    """The lowest number the loop counts down to (0, 1 or 2) when it counts down from a top."""
    if call_to(iterable, "reversed", 1):
        assert isinstance(iterable, cst.Call)
        inner = iterable.args[0].value
        if not call_to(inner, "range"):
            return None
        assert isinstance(inner, cst.Call)
        args = [a.value for a in inner.args]
        if len(args) == 1 and spelling(args[0]) == n:
            return 0
        if len(args) != 2 or not m.matches(args[0], m.Integer("0") | m.Integer("1") |
                                           m.Integer("2")):
            return None
        assert isinstance(args[0], cst.Integer)
        low = int(args[0].value)
        return low if spelling(args[1]) in (n, f"{n}//2+1") else None
    if call_to(iterable, "range", 3):
        assert isinstance(iterable, cst.Call)
        start, stop, step = (a.value for a in iterable.args)
        ends = {"-1": 0, "0": 1, "1": 2}
        if _top(start, n) and spelling(step) == "-1" and spelling(stop) in ends:
            return ends[spelling(stop)]
    return None


def _branch(loop: cst.For) -> tuple[str, cst.IndentedBlock] | None:
    """(n, the branch) when the body is one `if n % d == 0:` whose branch leaves the loop."""
    body = loop.body.body if isinstance(loop.body, cst.IndentedBlock) else ()
    if len(body) != 1 or not isinstance(body[0], cst.If) or body[0].orelse is not None or \
            not isinstance(loop.target, cst.Name):
        return None
    test_if = body[0]
    n = divides(test_if.test, loop.target.value)
    if not isinstance(n, cst.Name) or not isinstance(test_if.body, cst.IndentedBlock):
        return None
    last = test_if.body.body[-1] if test_if.body.body else None
    if not (isinstance(last, cst.SimpleStatementLine) and len(last.body) == 1 and
            isinstance(last.body[0], (cst.Return, cst.Raise, cst.Break))):
        return None
    if has_any(test_if.body.with_changes(body=test_if.body.body[:-1]), (cst.Break, cst.Continue)):
        return None  # inside the new search it would leave or go on with that loop instead
    return n.value, test_if.body


def _without_break(block: cst.IndentedBlock) -> list[cst.BaseStatement]:
    last = block.body[-1]
    assert isinstance(last, cst.SimpleStatementLine)
    return list(block.body[:-1]) if isinstance(last.body[0], cst.Break) else list(block.body)


def _fast(loop: cst.For, n: str, d: str, p: str, low: int,
          branch: cst.IndentedBlock) -> list[cst.BaseStatement]:
    """The search up to √n: the branch inside it (counting stops at 2), or after it with d
    set to n // p or 1 (counting reaches 1)."""
    header = f"for {p} in range(2, math.isqrt({n}) + 1):\n    if {n} % {p} == 0:\n"
    if low == 2:
        search = cst.parse_statement(header + f"        {d} = {n} // {p}\n        pass\n")
        assert isinstance(search, cst.For) and isinstance(search.body, cst.IndentedBlock)
        found = search.body.body[0]
        assert isinstance(found, cst.If) and isinstance(found.body, cst.IndentedBlock)
        inner = found.body.with_changes(body=(found.body.body[0], *branch.body))
        return [search.with_changes(body=search.body.with_changes(
            body=(found.with_changes(body=inner),)))]
    search = cst.parse_statement(header + f"        {d} = {n} // {p}\n        break\n"
                                 f"else:\n    {d} = 1\n")
    return [search, *_without_break(branch)]


def apply(source: str, context: RewriteContext) -> Rewrite | None:
    found = parse_with_parents(source, context.name)
    if found is None:
        return None
    module, fn, parent_of = found
    if not all(is_builtin(module, b) for b in ("range", "reversed", "type", "int")) or \
            not may_import(module, fn, "math"):
        return None
    hits: dict[int, tuple[str, int, cst.IndentedBlock]] = {}

    class Finder(cst.CSTVisitor):
        def visit_For(self, loop: cst.For) -> None:
            matched = _branch(loop)
            if matched is None or loop.orelse is not None or loop.asynchronous is not None:
                return
            n, branch = matched
            low = _count_down(loop.iter, n)
            assert isinstance(loop.target, cst.Name)
            if low is None or n in bound_names(loop.body) or loop.target.value == n or \
                    read_outside(loop, fn, parent_of):
                return
            hits[id(loop)] = (n, low, branch)

    fn.visit(Finder())
    if not hits:
        return None
    p = fresh_name(module, "p")

    class Transform(cst.CSTTransformer):
        def leave_For(self, original: cst.For, updated: cst.For
                      ) -> cst.BaseStatement | cst.FlattenSentinel[cst.BaseStatement]:
            hit = hits.get(id(original))
            if hit is None:
                return updated
            n, low, branch = hit
            assert isinstance(original.target, cst.Name)
            guard = cst.parse_statement(f"if type({n}) is int and {n} > 1:\n    pass\n"
                                        "else:\n    pass\n")
            assert isinstance(guard, cst.If) and isinstance(guard.body, cst.IndentedBlock)
            assert isinstance(guard.orelse, cst.Else)
            fast = _fast(original, n, original.target.value, p, low, branch)
            return guard.with_changes(
                leading_lines=updated.leading_lines,
                body=guard.body.with_changes(body=fast),
                orelse=guard.orelse.with_changes(body=guard.orelse.body.with_changes(
                    body=(updated.with_changes(leading_lines=()),))))

    new_module = module.visit(Transform())
    names = ", ".join(sorted({f"`{n}`" for n, _, _ in hits.values()}))
    return Rewrite(new_module.code, ("import math",),
                   f"the count down to the largest divisor of {names} tried every number above "
                   "it; that divisor is n // p for the smallest divisor p ≥ 2, found by trial "
                   "division up to √n, so an int above 1 takes that search")
