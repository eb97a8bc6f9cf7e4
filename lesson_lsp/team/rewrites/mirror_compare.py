"""Palindrome checks and mirrored-pair counts written index by index → one C-speed comparison.

The family covers every code that compares `s[i]` with its mirror `s[len(s) - 1 - i]` (spelled
also `s[-1 - i]`, `s[-i - 1]`, `s[-(i + 1)]`, `s[~i]`) for i = 0, 1, … below h, where h is
`len(s)`, `len(s) // 2` or `(len(s) + 1) // 2` (the mirror of a pair past the middle is a pair
before it, and the middle item is its own mirror, so these cover every mirrored pair). The
length may be read from a name instead, `n = len(s)` earlier (`range(n // 2)`, `s[n - 1 - i]`,
`j = n - 1`): then the fast path also tests `type(n) is int and n == len(s)` at run time, which
makes it the same code as with `len(s)`; any other n runs the original loop.

* loops `for i in range(h): if s[i] != s[<mirror>]: <leave>` and two pointers
  `i, j = 0, len(s) - 1` / `while i < j:` (`<=`) / `if s[i] != s[j]: <leave>` / `i += 1` /
  `j -= 1` (j is always `len(s) - 1 - i`; `<` visits i < len(s) // 2, `<=` one more for an odd
  middle); <leave> ends in `return`, `raise` or `break` and reads no index; whatever follows the
  loop is kept and runs as before;
* `all(s[i] == s[<mirror>] for i in range(h))`, `any(… != …)`;
* counts: the loops with `if …: c += 1`, `sum(s[i] != s[<mirror>] for …)` and
  `sum(1 for … if s[i] != s[<mirror>])`.

The proof, by the exact type of s, tested at run time before the fast path (everything else,
subclasses included, runs the original code, kept unchanged in the `else`):

* `str`: each item is a one-character str, compared by value; `==` is reflexive and `!=` is
  its negation, so some mirrored pair differs exactly when `s != s[::-1]`. Counts use the map
  below (each comparison gives an exact bool).
* `list` and `tuple`: items may be anything (a NaN is unequal to itself, and `==` between
  lists tests identity first, so `q == q[::-1]` is NOT the loop's answer). The fast path makes
  the very same comparisons instead: `map(operator.ne, s[:h], reversed(s))` calls `!=` on
  `(s[0], s[n-1]), (s[1], s[n-2]), …` — the loop's operands, in the loop's order (the other way
  round when the loop writes the mirrored item first). `any` tests each result's truth and stops
  at the first true one, as the loop's `if` and its exit do; `all` with `operator.eq` for
  `all(… == …)`; `sum` adds the same results in the same order; a count of `if` hits is the
  number of true results, `len([*filter(None, …)])` (`filter` tests truth as `if` does). A NaN,
  an overloaded `__ne__`, one that raises or prints: all behave as in the loop. The one thing
  the fast path does not reproduce is a comparison that changes the list under test itself (the
  loop would re-read it; the slice does not). A tuple cannot be changed. Why not `q == q[::-1]`
  behind a test that every item's type is int or str: `set(map(type, q))` alone costs 75% of
  the loop on he072's 30 000 ints, while the map runs in about 40% of it and needs no such test.
* a loop's exit (`<leave>`) runs once, at the first mismatch, in the same state (it reads no
  index); so it runs once under `if <mismatch>:` (a final `break` dropped). The indices are not
  read after the loop (their last values would differ); two pointers' start line is kept.
* a counter `c += 1` per mismatch is `c += k` when `type(c) is int` (exact integer sums) and c
  is bound before the loop (a parameter, or assigned earlier in the same block).

Refused: any other index arithmetic or bound (`len(s) - 2 - i`, `len(s) // 3`), other
statements in the loop body, an exit that reads an index or `continue`s, a loop `else`, a
sequence that is not a plain name, loops in nested functions and classes, and builtins the
module rebinds.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from lesson_lsp.team.rewrites.base import Parents, Rewrite, RewriteContext, Rule, parse_with_parents
from lesson_lsp.team.rewrites.bindings import is_builtin, may_import, param_names
from lesson_lsp.team.rewrites.edits import with_function
from lesson_lsp.team.rewrites.loops import read_outside, within
from lesson_lsp.team.rewrites.mirror_shapes import (
    LoopShape,
    Pairs,
    counter,
    for_shape,
    mentions,
    ranged_pair,
    while_shape,
)
from lesson_lsp.team.rewrites.shapes import call_to, simple_statements

_BUILTINS = ("len", "range", "type", "str", "list", "tuple", "int", "map", "reversed", "any",
             "all", "sum", "filter")


def _exit(suite: cst.BaseSuite) -> cst.BaseSuite | None:
    """The block as the fast path runs it once: None unless it ends by leaving the loop
    (`return`, `raise`, or `break`, which is dropped) with no other `break`/`continue`."""
    jumps = len(m.findall(suite, m.Break() | m.Continue()))
    if isinstance(suite, cst.SimpleStatementSuite):
        last: object = suite.body[-1]
    elif isinstance(suite, cst.IndentedBlock) and isinstance(suite.body[-1],
                                                             cst.SimpleStatementLine):
        last = suite.body[-1].body[-1]
    else:
        return None
    if isinstance(last, (cst.Return, cst.Raise)):
        return suite if jumps == 0 else None
    if not isinstance(last, cst.Break) or jumps != 1:
        return None
    if isinstance(suite, cst.SimpleStatementSuite):
        rest = list(suite.body[:-1]) or [cst.Pass()]
        rest[-1] = rest[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
        return suite.with_changes(body=rest)
    assert isinstance(suite, cst.IndentedBlock)
    line = suite.body[-1]
    assert isinstance(line, cst.SimpleStatementLine)
    lines = list(suite.body[:-1])
    if len(line.body) > 1:
        smalls = list(line.body[:-1])
        smalls[-1] = smalls[-1].with_changes(semicolon=cst.MaybeSentinel.DEFAULT)
        lines.append(line.with_changes(body=smalls))
    return suite.with_changes(body=lines or [cst.SimpleStatementLine([cst.Pass()])])


class _LoopPlan:
    """One loop to rewrite: its shape, and what the fast path does on a mismatch."""

    def __init__(self, shape: LoopShape, leave: cst.BaseSuite | None, count: str | None,
                 compact: bool) -> None:
        self.shape, self.leave, self.count, self.compact = shape, leave, count, compact


def _bound_before(name: str, before: list[cst.BaseStatement], fn: cst.FunctionDef) -> bool:
    """`name` holds a value when the loop starts: a parameter, or assigned earlier in the block."""
    if m.findall(fn, m.Del() | m.Global() | m.Nonlocal()):
        return False
    return name in param_names(fn) or any(
        isinstance(small, cst.Assign) and any(m.matches(t.target, m.Name(name))
                                              for t in small.targets)
        for line in before if isinstance(line, cst.SimpleStatementLine) for small in line.body)


def _loop_plan(loop: cst.BaseStatement, before: list[cst.BaseStatement],
               after: cst.BaseStatement | None, fn: cst.FunctionDef,
               parent_of: Parents) -> _LoopPlan | None:
    if isinstance(loop, cst.For):
        shape = for_shape(loop)
        if shape is None or read_outside(loop, fn, parent_of):
            return None
    elif isinstance(loop, cst.While):
        shape = while_shape(loop, before)
        if shape is None or any(
                not any(within(use, node, parent_of) for node in (loop, *shape.init))
                for name in shape.indices for use in m.findall(fn, m.Name(name))):
            return None
    else:
        return None
    pairs = shape.pairs
    if mentions(shape.suite, shape.indices):
        return None
    count = counter(shape.suite)
    if count is not None:
        fits = count not in shape.indices and count not in (pairs.seq, pairs.alias) and \
            _bound_before(count, before, fn)
        return _LoopPlan(shape, None, count, False) if fits else None
    leave = _exit(shape.suite) if not pairs.equal else None
    if leave is None:
        return None
    smalls = simple_statements(shape.suite)
    compact = smalls is not None and len(smalls) == 1 and \
        m.matches(smalls[0], m.Return(m.Name("False"))) and after is not None and \
        m.matches(after, m.SimpleStatementLine([m.Return(m.Name("True"))]))
    return _LoopPlan(shape, leave, None, compact)


def _if(test: str, body: cst.BaseSuite | str,
        orelse: cst.If | cst.Else | None = None) -> cst.If:
    suite = cst.IndentedBlock([cst.parse_statement(body)]) if isinstance(body, str) else body
    return cst.If(test=cst.parse_expression(test), body=suite, orelse=orelse)


def _block(*statements: cst.BaseStatement) -> cst.IndentedBlock:
    return cst.IndentedBlock(list(statements))


def _rewrite_loop(plan: _LoopPlan, loop: cst.BaseCompoundStatement
                  ) -> list[cst.BaseStatement]:
    """The loop behind the type tests, each type's fast path ahead of it."""
    pairs, s = plan.shape.pairs, plan.shape.pairs.seq
    kept = loop.with_changes(leading_lines=())
    if plan.count is not None:
        c = plan.count
        chain = _if(f"type({c}) is int and {pairs.is_str()}",
                    f"{c} += sum({pairs.mapped()})\n",
                    _if(f"type({c}) is int and ({pairs.is_sequence()})",
                        f"{c} += len([*filter(None, {pairs.mapped()})])\n",
                        cst.Else(_block(kept))))
        return [chain.with_changes(leading_lines=loop.leading_lines)]
    if plan.compact:
        return [_if(pairs.is_str(), f"return {s} == {s}[::-1]\n").with_changes(
                    leading_lines=loop.leading_lines),
                _if(pairs.is_sequence(), f"return not any({pairs.mapped()})\n"), kept]
    assert plan.leave is not None
    chain = _if(pairs.is_str(), _block(_if(f"{s} != {s}[::-1]", plan.leave)),
                _if(pairs.is_sequence(), _block(_if(f"any({pairs.mapped()})", plan.leave)),
                    cst.Else(_block(kept))))
    return [chain.with_changes(leading_lines=loop.leading_lines)]


def _generator(call: cst.Call) -> tuple[str, Pairs] | None:
    """(aggregate, pairs) for `all(… == … for i in range(h))`, `any(… != …)`,
    `sum(… != … for …)` ("sum") or `sum(1 for … if … != …)` ("count")."""
    if not (call_to(call, "all", 1) or call_to(call, "any", 1) or call_to(call, "sum", 1)):
        return None
    assert isinstance(call.func, cst.Name)
    gen = call.args[0].value
    if not isinstance(gen, cst.GeneratorExp):
        return None
    comp = gen.for_in
    if comp.inner_for_in is not None or comp.asynchronous is not None or \
            not isinstance(comp.target, cst.Name) or len(comp.ifs) > 1:
        return None
    i, aggregate = comp.target.value, call.func.value
    if comp.ifs and aggregate == "sum" and m.matches(gen.elt, m.Integer("1")):
        pairs, aggregate = ranged_pair(comp.ifs[0].test, i, comp.iter), "count"
    else:
        pairs = ranged_pair(gen.elt, i, comp.iter) if not comp.ifs else None
    if pairs is None or (aggregate == "all" and not pairs.equal) or \
            (aggregate == "any" and pairs.equal):
        return None
    return aggregate, pairs


def _rewrite_call(aggregate: str, pairs: Pairs, call: cst.BaseExpression) -> cst.IfExp:
    s, mapped = pairs.seq, pairs.mapped()
    fast = {"all": (f"{s} == {s}[::-1]", f"all({mapped})"),
            "any": (f"{s} != {s}[::-1]", f"any({mapped})"),
            "sum": (f"sum({mapped})", f"sum({mapped})"),
            "count": (f"sum({mapped})", f"len([*filter(None, {mapped})])")}[aggregate]
    inner = cst.IfExp(test=cst.parse_expression(pairs.is_sequence()),
                      body=cst.parse_expression(fast[1]), orelse=call)
    return cst.IfExp(test=cst.parse_expression(pairs.is_str()),
                     body=cst.parse_expression(fast[0]), orelse=inner,
                     lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


def apply(source: str, context: RewriteContext) -> Rewrite | None:
    found = parse_with_parents(source, context.name)
    if found is None:
        return None
    module, fn, parent_of = found
    if not all(is_builtin(module, name) for name in _BUILTINS) or \
            not may_import(module, fn, "operator"):
        return None
    loops: dict[int, _LoopPlan] = {}
    calls: dict[int, tuple[str, Pairs]] = {}

    class Finder(cst.CSTVisitor):
        def visit_FunctionDef(self, node: cst.FunctionDef) -> bool:
            return node is fn  # a nested scope has its own names: parameters, counters

        def visit_ClassDef(self, node: cst.ClassDef) -> bool:
            return False

        def visit_IndentedBlock(self, block: cst.IndentedBlock) -> None:
            body = list(block.body)
            for k, statement in enumerate(body):
                after = body[k + 1] if k + 1 < len(body) else None
                plan = _loop_plan(statement, body[:k], after, fn, parent_of)
                if plan is not None:
                    loops[id(statement)] = plan

        def visit_Call(self, call: cst.Call) -> None:
            hit = _generator(call)
            if hit is not None:
                calls[id(call)] = hit

    fn.visit(Finder())
    if not loops and not calls:
        return None

    class Transform(cst.CSTTransformer):
        def on_leave(self, original: cst.CSTNode, updated: cst.CSTNode
                     ):  # type: ignore[override]
            plan = loops.get(id(original))
            if plan is not None:
                assert isinstance(updated, cst.BaseCompoundStatement)
                return cst.FlattenSentinel(_rewrite_loop(plan, updated))
            hit = calls.get(id(original))
            if hit is not None:
                assert isinstance(updated, cst.BaseExpression)
                return _rewrite_call(*hit, updated)
            return updated

    new_fn = fn.visit(Transform())
    seqs = sorted({p.shape.pairs.seq for p in loops.values()} |
                  {pairs.seq for _, pairs in calls.values()})
    names = ", ".join(f"`{s}`" for s in seqs)
    counted = any(p.count for p in loops.values()) or \
        any(a in ("sum", "count") for a, _ in calls.values())
    what = "counted its mirrored pairs that differ" if counted else \
        "compared it with itself mirrored"
    return Rewrite(with_function(module, fn, new_fn), ("import operator",),
                   f"the code {what} one index at a time over {names}; a str is compared "
                   "with its reverse `s[::-1]` in C, a list or tuple has the same `!=` calls made "
                   "by `map(operator.ne, s[:h], reversed(s))` in C, anything else takes the "
                   "original code")


RULE = Rule(
    name="mirror-compare",
    idea="compare a sequence with its mirror in C (s == s[::-1], or map(operator.ne, s, "
         "reversed(s))) instead of a Python loop over mirrored indices",
    apply=apply,
)
