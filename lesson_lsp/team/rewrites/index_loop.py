"""A loop that counts indices only to read items → a loop over the items (or slices of them).

    for i in range(len(xs)): … xs[i] …              →  for xs_item in xs: … xs_item …
    sum(xs[i] for i in range(1, len(xs), 2))        →  sum(xs_item for xs_item in xs[1::2])
    for i in range(len(xs) - 1, -1, -1): … xs[i] …  →  for xs_item in reversed(xs): …
    for i in range(len(s) - 2): … s[i], s[i+1], s[i+2] …
                                                    →  for s_0, s_1, s_2 in zip(s, s[1:], s[2:]): …
    for i, x in enumerate(xs): if i % 2 == 1: BODY  →  for x in xs[1::2]: BODY

Indexing costs a range step, index arithmetic and a subscript per use; iterating (slices and
zip run in C) hands each item over directly. Loops and comprehensions (list, set, dict, and a
generator handed straight to a consumer such as `sum`, `any`, `"".join`) are both rewritten.

Proof. For a list, str or tuple `xs` of length n, `xs[p:q:k]` (k ≥ 1, 0 ≤ p) is the items at
the indices `range(p, q', k)` with q' the stop clamped into [0, n] (a negative stop counts from
n), in order, and `reversed(xs)` is the items at `range(n - 1, -1, -1)`. A header
`range(a, len(xs) - b, k)` (integer literals, a ≥ 0, k ≥ 1) reads, through `xs[i + d]`, the
items at `range(a + d, n - b + d, k)`; every such index lies in [0, n) exactly when
a + d ≥ 0 and d ≤ b (else the rule refuses: the original would wrap round or raise), so it is
the slice `xs[a + d : d - b : k]` (stop omitted when d = b), and when n - b + d < 0 both are
empty. All offsets walk the same count of items, so `zip` of the slices yields the tuples the
loop reads, in order; zip stops at its shortest input, so only the slice of the largest offset
needs its stop. `range(len(xs) - c, e, -1)` is `range(e + 1, len(xs) - c + 1)` backwards: the
reversed slices (all with explicit stops, so they are of one length and zip aligns them).
`enumerate(xs)` numbers the items 0 … n-1, and for 0 ≤ r < k the i with i % k == r are exactly
`range(r, n, k)`, so filtering on that alone is iterating `xs[r::k]`.

Safety. `i` is used only in those subscripts (or only in the filter), never rebound, and not
read after the loop; `xs` is a plain name that the loop only reads (no store, no method call)
and nothing it calls can change (only builtins and nested functions that never mention it),
and the loop neither yields nor awaits (someone else could change `xs` in between) nor makes a
function (a closure would read `xs[i]` later, when `xs` may have changed). A slice is
a snapshot taken before the loop; with `xs` unchanged during it, the same items. A generator
expression must be consumed where it is made, or a later change to `xs` would show.
Iterating equals indexing for list, str and tuple only (a dict keyed 0 … n-1 iterates its keys,
a subclass may override `__getitem__` or `__iter__`), so the fast path runs under
`type(xs) in (list, str, tuple)` and the original code stays, unchanged, for everything else;
the guard is left out only when `xs` is a local that only ever holds a list, str or tuple
display, comprehension, or a `list`/`tuple`/`str`/`sorted` result.

Cost. A window builds a tuple per pass and copies its slices up front, which only pays when
most of its items are read on every pass: when fewer than half of the offsets are read outside
an `if` body, an `and`/`or` right side or a conditional branch (ENAMEL he118 reads the
neighbours only next to a vowel), the rule leaves the loop alone.
"""

from __future__ import annotations

from collections.abc import Sequence

import libcst as cst
import libcst.matchers as m

from lesson_lsp.team.rewrites.base import (
    Parents,
    Rewrite,
    RewriteContext,
    Rule,
    parse_with_parents,
)
from lesson_lsp.team.rewrites.bindings import bound_names, fresh_name, is_builtin, names_in
from lesson_lsp.team.rewrites.edits import with_comments_of
from lesson_lsp.team.rewrites.effects import calls_leave_alone, reads
from lesson_lsp.team.rewrites.index_items import (
    GUARD,
    Plan,
    guarded,
    iterable,
    known_sequence,
)
from lesson_lsp.team.rewrites.index_range import Stride, offset, range_stride, residue
from lesson_lsp.team.rewrites.loops import read_outside
from lesson_lsp.team.rewrites.repeats import known_false
from lesson_lsp.team.rewrites.shapes import call_to, has_any

_COMPREHENSIONS = (cst.ListComp, cst.SetComp, cst.DictComp, cst.GeneratorExp)
# Builtins that consume a generator handed to them before they return.
_CONSUMERS = frozenset({"sum", "any", "all", "min", "max", "list", "tuple", "set", "frozenset",
                        "sorted", "dict"})


def apply(source: str, context: RewriteContext) -> Rewrite | None:
    found = parse_with_parents(source, context.name)
    if found is None:
        return None
    module, fn, parent_of = found
    for site in m.findall(fn.body, m.For() | m.ListComp() | m.SetComp() | m.DictComp() |
                          m.GeneratorExp()):
        plan = _plan(module, fn, site, parent_of)
        if plan is None:
            continue
        replacement = _replace(module, fn, site, plan, _bare(parent_of.get(site)))
        if replacement is None:
            continue
        return Rewrite(_swap(module, site, replacement), (), _summary(plan))
    return None


def _plan(module: cst.Module, fn: cst.FunctionDef, site: cst.CSTNode,
          parent_of: Parents) -> Plan | None:
    """What to iterate instead of the indices, when every precondition holds."""
    header = _header(site)
    if header is None:
        return None
    target, iter_, scope = header
    if isinstance(site, cst.GeneratorExp) and not _consumed_at_once(module, site, parent_of):
        return None
    plan = _by_index(target, iter_, scope, parent_of) if call_to(iter_, "range") else \
        _by_filter(site, target, iter_, scope)
    if plan is None or not all(is_builtin(module, b) for b in plan.builtins()):
        return None
    xs, i = plan.stride.xs, plan.index
    guard = cst.parse_expression(GUARD.format(xs))
    if known_false(site, guard, parent_of):
        return None
    if i == xs or plan.item in (xs, i) or \
            any(n in bound_names(part) for part in scope for n in (xs, i)):
        return None
    if isinstance(site, cst.For) and read_outside(site, fn, parent_of):
        return None
    if len(plan.offsets) > 1 and 2 * _read_every_pass(plan, site, parent_of) < len(plan.offsets):
        return None  # a window pays a tuple per pass: worth it only if most items are read
    if any(has_any(part, (cst.Yield, cst.Await, cst.Lambda, cst.FunctionDef, cst.ClassDef))
           for part in scope) or \
            not all(reads(u, parent_of) for part in scope for u in names_in(part, xs)) or \
            not all(calls_leave_alone(module, fn, part, xs) for part in scope):
        return None
    return plan


def _read_every_pass(plan: Plan, site: cst.CSTNode, parent_of: Parents) -> int:
    """How many offsets have a subscript that every pass evaluates: not under an `if` body,
    the right of `and`/`or`, a branch of `… if … else …`, a comprehension's element or later
    test when it has tests, an inner loop's body or a function."""
    always: set[int] = set()
    for sub, d in plan.items.items():
        child: cst.CSTNode = sub
        current = parent_of.get(sub)
        ok = True
        while ok and current is not None and child is not site:
            if isinstance(current, (cst.If, cst.While, cst.IfExp)):
                ok = child is current.test
            elif isinstance(current, cst.BooleanOperation):
                ok = child is current.left
            elif isinstance(current, (cst.Lambda, cst.FunctionDef)):
                ok = False
            elif isinstance(current, cst.For) and current is not site:
                ok = child is current.iter
            elif isinstance(current, cst.CompFor) and current.ifs:
                ok = child is current.ifs[0]
            elif isinstance(current, _COMPREHENSIONS) and current is site:
                ok = child is current.for_in or not current.for_in.ifs
            child, current = current, parent_of.get(current)
        if ok:
            always.add(d)
    return len(always)


def _header(site: cst.CSTNode) -> tuple[cst.BaseAssignTargetExpression, cst.BaseExpression,
                                        list[cst.CSTNode]] | None:
    """(target, iterable, the code that runs per item) of a plain loop or one-`for`
    comprehension."""
    if isinstance(site, cst.For):
        if site.orelse is not None or site.asynchronous is not None:
            return None
        return site.target, site.iter, [site.body]
    assert isinstance(site, _COMPREHENSIONS)
    f = site.for_in
    if f.asynchronous is not None:
        return None
    elements: list[cst.CSTNode] = [site.key, site.value] if isinstance(site, cst.DictComp) \
        else [site.elt]
    inner: list[cst.CSTNode] = [] if f.inner_for_in is None else [f.inner_for_in]
    return f.target, f.iter, [*elements, *f.ifs, *inner]


def _consumed_at_once(module: cst.Module, site: cst.GeneratorExp, parent_of: Parents) -> bool:
    """The generator is the one argument of a consumer (`sum(…)`, `"".join(…)`, …): it is
    run to its end, or to the consumer's answer, before anything else can change `xs`."""
    arg = parent_of.get(site)
    call = parent_of.get(arg) if isinstance(arg, cst.Arg) else None
    if not isinstance(call, cst.Call) or len(call.args) != 1 or call.args[0] is not arg:
        return False
    func = call.func
    return (isinstance(func, cst.Name) and func.value in _CONSUMERS and
            is_builtin(module, func.value)) or \
        (isinstance(func, cst.Attribute) and func.attr.value == "join" and
         isinstance(func.value, cst.SimpleString))


def _by_index(target: cst.BaseAssignTargetExpression, iter_: cst.BaseExpression,
              scope: list[cst.CSTNode], parent_of: Parents) -> Plan | None:
    """`for i in range(…)` whose every use of `i` is a read `xs[i + d]` in bounds."""
    stride = range_stride(iter_)
    if stride is None or not isinstance(target, cst.Name):
        return None
    i, xs = target.value, stride.xs
    items: dict[cst.Subscript, int] = {}
    for part in scope:
        for sub in m.findall(part, m.Subscript(value=m.Name(xs))):
            assert isinstance(sub, cst.Subscript)
            if len(sub.slice) == 1 and isinstance(sub.slice[0].slice, cst.Index):
                d = offset(sub.slice[0].slice.value, i, xs)
                if d is not None:
                    items[sub] = d
    covered = {id(n) for sub in items for n in names_in(sub.slice[0], i)}
    uses = [u for part in scope for u in names_in(part, i)]
    if not uses or any(id(u) not in covered for u in uses) or \
            not all(reads(sub, parent_of) for sub in items):
        return None
    offsets = sorted(set(items.values()))
    if offsets[0] < -stride.start or offsets[-1] > stride.tail:
        return None  # some index would wrap round or run past the end
    return Plan(stride, i, tuple(offsets), items)


def _by_filter(site: cst.CSTNode, target: cst.BaseAssignTargetExpression,
               iter_: cst.BaseExpression, scope: list[cst.CSTNode]) -> Plan | None:
    """`for i, x in enumerate(xs)` whose first test is `i % k == r` and that uses `i`
    nowhere else."""
    if not (call_to(iter_, "enumerate", 1) and isinstance(target, cst.Tuple)
            and m.matches(target, m.Tuple([m.Element(m.Name()), m.Element(m.Name())]))):
        return None
    assert isinstance(iter_, cst.Call)
    xs = iter_.args[0].value
    i, x = (e.value for e in target.elements)
    assert isinstance(i, cst.Name) and isinstance(x, cst.Name)
    if not isinstance(xs, cst.Name) or i.value == x.value:
        return None
    test = _first_test(site)
    found = residue(test, i.value) if test is not None else None
    if found is None or test is None or len(names_in(test, i.value)) != 1:
        return None
    uses = [u for part in scope for u in names_in(part, i.value)]
    if len(uses) != 1:
        return None  # `i` is read somewhere besides the filter
    r, k = found
    return Plan(Stride(xs.value, r, 0, k), i.value, (0,), {}, item=x.value)


def _first_test(site: cst.CSTNode) -> cst.BaseExpression | None:
    """The filter every item passes first: a loop's one `if` (no `else`), a comprehension's
    first `if`."""
    if isinstance(site, cst.For):
        body = site.body.body if isinstance(site.body, cst.IndentedBlock) else ()
        if len(body) == 1 and isinstance(body[0], cst.If) and body[0].orelse is None:
            return body[0].test
        return None
    assert isinstance(site, _COMPREHENSIONS)
    return site.for_in.ifs[0].test if site.for_in.ifs else None


def _replace(module: cst.Module, fn: cst.FunctionDef, site: cst.CSTNode,
             plan: Plan, bare: bool) -> cst.CSTNode | None:
    """The fast loop or comprehension, guarded by the type of `xs` unless it is known."""
    names = plan.names(lambda base: fresh_name(module, base))
    fast_iter = cst.parse_expression(iterable(plan))
    fast_target = cst.parse_expression(", ".join(names))

    class Substitute(cst.CSTTransformer):
        def leave_Subscript(self, original: cst.Subscript, updated: cst.Subscript
                            ) -> cst.BaseExpression:
            if original in plan.items:
                name = names[plan.offsets.index(plan.items[original])]
                return cst.Name(name, lpar=updated.lpar, rpar=updated.rpar)
            return updated

    fast = site.visit(Substitute())
    skip_guard = known_sequence(module, fn, plan.stride.xs)
    if isinstance(fast, cst.For):
        assert isinstance(site, cst.For)
        fast = fast.with_changes(target=fast_target, iter=fast_iter)
        if not plan.items:  # the enumerate filter: its body is what the `if` ran
            block = fast.body
            assert isinstance(block, cst.IndentedBlock) and isinstance(block.body[0], cst.If)
            inner = block.body[0].body
            fast = fast.with_changes(body=inner.with_changes(header=block.header))
        fast = with_comments_of([site], fast) if skip_guard else fast
        return fast if skip_guard else guarded(site, fast, plan.stride.xs)
    if not isinstance(fast, _COMPREHENSIONS):
        return None
    ifs: Sequence[cst.CompIf] = fast.for_in.ifs[0 if plan.items else 1:]
    fast = fast.with_changes(for_in=fast.for_in.with_changes(
        target=fast_target, iter=fast_iter, ifs=ifs))
    return fast if skip_guard else guarded(site, fast, plan.stride.xs, bare)


def _bare(parent: cst.CSTNode | None) -> bool:
    """A conditional expression needs no parentheses of its own in `parent`."""
    return isinstance(parent, (cst.Arg, cst.Assign, cst.AugAssign, cst.AnnAssign, cst.Return))


def _swap(module: cst.Module, site: cst.CSTNode, replacement: cst.CSTNode) -> str:
    class Swap(cst.CSTTransformer):
        def on_leave(self, original: cst.CSTNode, updated: cst.CSTNode):  # type: ignore[override]
            return replacement if original is site else updated

    return module.visit(Swap()).code


def _summary(plan: Plan) -> str:
    xs, i, s = plan.stride.xs, plan.index, plan.stride
    if not plan.items:
        return (f"the loop numbered the items of `{xs}` only to keep those with "
                f"`{i} % {s.step} == {s.start}`; iterating `{iterable(plan)}` takes exactly "
                "those, without the counter and the test")
    reads_ = ", ".join(f"`{xs}[{i}{d:+d}]`" if d else f"`{xs}[{i}]`" for d in plan.offsets)
    return (f"the loop counted `{i}` only to read {reads_}; iterating `{iterable(plan)}` hands "
            "each item over without the index arithmetic and subscript")


RULE = Rule(
    name="index-loop",
    idea="iterate over the items (or slices of them, zipped) instead of indexing with "
         "range(len(...))",
    apply=apply,
)
