"""What `index-loop` iterates instead of the indices, and the type guard around it.

The proof that the slices below hold exactly the items the loop reads is in `index_loop`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import libcst as cst
import libcst.matchers as m

from lesson_lsp.team.rewrites.bindings import bound_names, is_builtin, names_in, param_names
from lesson_lsp.team.rewrites.edits import without
from lesson_lsp.team.rewrites.index_range import Stride

# The exact types whose iteration is their indexing and whose slices are copies of the items.
GUARD = "type({}) in (list, str, tuple)"
_GUARD_BUILTINS = ("type", "list", "str", "tuple")


@dataclass(frozen=True)
class Plan:
    """Iterate `stride` of `xs`, one name per offset in `offsets`, instead of index `index`.
    `items` maps each subscript `xs[index + d]` to its d; `item` is the loop's own item name
    when the loop already had one (an `enumerate` filter)."""

    stride: Stride
    index: str
    offsets: tuple[int, ...]
    items: dict[cst.Subscript, int] = field(hash=False)
    item: str = ""

    def builtins(self) -> tuple[str, ...]:
        used: tuple[str, ...] = ("range", "len") if self.items else ("enumerate",)
        used += ("zip",) if len(self.offsets) > 1 else ()
        used += ("reversed",) if self.stride.backward else ()
        return used + _GUARD_BUILTINS

    def names(self, fresh: Callable[[str], str]) -> list[str]:
        """The item names of the new loop, one per offset."""
        xs = self.stride.xs
        if self.item:
            return [self.item]
        if len(self.offsets) == 1:
            return [fresh(f"{xs}_item" if len(xs) > 1 else "item")]
        return [fresh(f"{xs}_{j}") for j in range(len(self.offsets))]


def iterable(plan: Plan) -> str:
    """`xs[a + d : d - b : k]` per offset d (zipped when several; reversed backwards). Forwards,
    only the largest offset's slice needs its stop: zip stops at the shortest."""
    s = plan.stride
    parts = []
    for d in plan.offsets:
        bounded = s.backward or d == plan.offsets[-1]
        parts.append(_slice(s.xs, s.start + d, d - s.tail if bounded and d < s.tail else None,
                            s.step))
    if s.backward:
        parts = [f"reversed({p})" for p in parts]
    return parts[0] if len(parts) == 1 else f"zip({', '.join(parts)})"


def _slice(xs: str, start: int, stop: int | None, step: int) -> str:
    if start == 0 and stop is None and step == 1:
        return xs
    return f"{xs}[{start or ''}:{'' if stop is None else stop}{'' if step == 1 else f':{step}'}]"


def guarded(original: cst.CSTNode, fast: cst.CSTNode, xs: str, bare: bool = True
            ) -> cst.CSTNode:
    """`fast` where `xs` is exactly a list, str or tuple, else `original` unchanged: an
    `if`/`else` around a loop, a conditional expression around a comprehension (in parentheses
    unless `bare`)."""
    test = cst.parse_expression(GUARD.format(xs))
    if isinstance(original, cst.For) and isinstance(fast, cst.For):
        return cst.If(test=test, body=cst.IndentedBlock([fast.with_changes(leading_lines=())]),
                      orelse=cst.Else(cst.IndentedBlock([original.with_changes(leading_lines=())])),
                      leading_lines=original.leading_lines)
    assert isinstance(original, cst.BaseExpression) and isinstance(fast, cst.BaseExpression)
    choice = cst.IfExp(test=test, body=_parenthesized(fast), orelse=_parenthesized(original))
    return choice if bare else _parenthesized(choice)


def _parenthesized(node: cst.BaseExpression) -> cst.BaseExpression:
    if isinstance(node, (cst.ListComp, cst.SetComp, cst.DictComp)) or node.lpar:
        return node
    return node.with_changes(lpar=[cst.LeftParen()], rpar=[cst.RightParen()])


_SEQUENCE = m.List() | m.ListComp() | m.Tuple() | m.SimpleString() | m.ConcatenatedString() | \
    m.Call(func=m.Name("list") | m.Name("tuple") | m.Name("str") | m.Name("sorted"))


def known_sequence(module: cst.Module, fn: cst.FunctionDef, xs: str) -> bool:
    """`xs` is a local of `fn` that only ever holds a new list, str or tuple: every binding is
    `xs = <display, list comprehension, or list/tuple/str/sorted(…)>` (those builtins not
    rebound), and no function or class inside `fn` mentions it (its `xs` could be another
    variable, or bind this one). A str literal can be bytes: those are refused."""
    if xs in param_names(fn) or \
            not all(is_builtin(module, b) for b in ("list", "tuple", "str", "sorted")) or \
            any(names_in(inner, xs) for inner in
                m.findall(fn.body, m.FunctionDef() | m.ClassDef() | m.Lambda())):
        return False
    assigns = [a for a in m.findall(fn.body, m.Assign(targets=[m.AssignTarget(m.Name(xs))]))
               if isinstance(a, cst.Assign) and m.matches(a.value, _SEQUENCE)
               and not _bytes(a.value)]
    if not assigns:
        return False
    rest = without(fn.body, {id(a) for a in assigns})
    return isinstance(rest, cst.CSTNode) and xs not in bound_names(rest) and \
        not m.findall(rest, m.Global() | m.Nonlocal())


def _bytes(node: cst.BaseExpression) -> bool:
    if isinstance(node, cst.SimpleString):
        return "b" in node.prefix.lower()
    if isinstance(node, cst.ConcatenatedString):
        return _bytes(node.left) or _bytes(node.right)
    return False
