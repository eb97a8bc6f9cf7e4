"""What a node is or holds, by its syntax alone: a call, a membership test, a kind of node."""

from __future__ import annotations

import libcst as cst

_EMPTY = cst.Module([])


def spelling(node: cst.CSTNode) -> str:
    """`node`'s code without whitespace: how two spellings of one expression are compared."""
    return "".join(_EMPTY.code_for_node(node).split())


def simple_statements(block: cst.BaseSuite) -> list[cst.BaseSmallStatement] | None:
    """The small statements of a block of simple lines, or None when it holds a compound one."""
    if isinstance(block, cst.SimpleStatementSuite):
        return list(block.body)
    smalls: list[cst.BaseSmallStatement] = []
    for line in block.body if isinstance(block, cst.IndentedBlock) else ():
        if not isinstance(line, cst.SimpleStatementLine):
            return None
        smalls.extend(line.body)
    return smalls


def equality_sides(node: cst.Comparison
                   ) -> list[tuple[cst.BaseExpression, cst.BaseExpression]]:
    """For `a == b` or `a != b` alone: (a, b) and (b, a), each side with the other, for rules
    that look for a shape on either side; [] for any other comparison."""
    if len(node.comparisons) != 1 or \
            not isinstance(node.comparisons[0].operator, (cst.Equal, cst.NotEqual)):
        return []
    other = node.comparisons[0].comparator
    return [(node.left, other), (other, node.left)]


def has_any(node: cst.CSTNode, kinds: tuple[type[cst.CSTNode], ...]) -> bool:
    hit = False

    class Finder(cst.CSTVisitor):
        def on_visit(self, n: cst.CSTNode) -> bool:
            nonlocal hit
            if isinstance(n, kinds):
                hit = True
            return not hit

    node.visit(Finder())
    return hit


def call_to(node: cst.CSTNode, name: str, args: int | None = None) -> bool:
    """`node` is `name(…)` with plain positional arguments (exactly `args` of them if given)."""
    if not (isinstance(node, cst.Call) and isinstance(node.func, cst.Name)
            and node.func.value == name):
        return False
    if any(a.keyword is not None or a.star for a in node.args):
        return False
    return args is None or len(node.args) == args


def is_len_argument(name: cst.Name, parent_of: dict[cst.CSTNode, cst.CSTNode]) -> bool:
    """`name` is the argument of a call to `len`."""
    arg = parent_of.get(name)
    call = parent_of.get(arg) if isinstance(arg, cst.Arg) else None
    return isinstance(call, cst.Call) and isinstance(call.func, cst.Name) and \
        call.func.value == "len"


def membership_tests(node: cst.CSTNode) -> list[cst.ComparisonTarget]:
    """Every `… in NAME` / `… not in NAME` under `node`."""
    found: list[cst.ComparisonTarget] = []

    class Finder(cst.CSTVisitor):
        def visit_ComparisonTarget(self, target: cst.ComparisonTarget) -> None:
            if isinstance(target.operator, (cst.In, cst.NotIn)) and \
                    isinstance(target.comparator, cst.Name):
                found.append(target)

    node.visit(Finder())
    return found


def is_membership_of(target: cst.ComparisonTarget, name: str) -> bool:
    """`target` is `in NAME` or `not in NAME`."""
    return isinstance(target.operator, (cst.In, cst.NotIn)) and \
        isinstance(target.comparator, cst.Name) and target.comparator.value == name


def comp_clauses(comp: cst.GeneratorExp | cst.ListComp | cst.SetComp) -> list[cst.CompFor] | None:
    """A comprehension's `for` clauses, outermost first; None when one is an `async for`."""
    found: list[cst.CompFor] = []
    clause: cst.CompFor | None = comp.for_in
    while clause is not None:
        if clause.asynchronous is not None:
            return None
        found.append(clause)
        clause = clause.inner_for_in
    return found
