"""`try: d[k] += 1` / `except KeyError: d[k] = 1` → `if k in d: … else: …`.

Raising and catching an exception costs far more than a hash lookup: when misses are common
(every new key of a counting loop is one), the `try` pays it on each. Asking `k in d` first
costs one extra lookup on a hit and no exception on a miss. Safe when `d` is a plain dict made in
this function (`{}`, `dict()`, a dict display; never a parameter, so no `__missing__`), the `try`
holds one statement that reads `d[k]` first (`d[k] op= v`, `x = d[k]`, `d[k].append(v)`/`add`/
`extend`), nothing else in it can raise KeyError (`k` and `v` only read names and constants,
no subscripts), and the one handler is a bare `except KeyError:`.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from lesson_lsp.team.rewrites.base import Rewrite, RewriteContext, Rule, parse_function
from lesson_lsp.team.rewrites.bindings import bound_names, is_builtin, param_names
from lesson_lsp.team.rewrites.edits import operand, with_comments_of, with_function, without
from lesson_lsp.team.rewrites.effects import side_effect_free

_DICT = m.Dict() | m.DictComp() | m.Call(func=m.Name("dict"), args=[])
_FILLERS = frozenset({"append", "add", "extend"})


def _plain_dicts(module: cst.Module, fn: cst.FunctionDef) -> set[str]:
    """Names that `fn` binds only to dicts it makes itself."""
    makes = [a for a in m.findall(fn, m.Assign(targets=[m.AssignTarget(m.Name())], value=_DICT))
             if isinstance(a, cst.Assign)]
    if any(m.matches(a.value, m.Call()) for a in makes) and not is_builtin(module, "dict"):
        return set()
    named = {a.targets[0].target.value for a in makes
             if isinstance(a.targets[0].target, cst.Name)}
    rest = without(fn, {id(statement) for statement in m.findall(
        fn, m.SimpleStatementLine(body=[m.MatchIfTrue(lambda s: any(s is a for a in makes))]))})
    others = bound_names(rest) if isinstance(rest, cst.CSTNode) else set()
    return named - others - set(param_names(fn))


def _harmless(module: cst.Module, node: cst.CSTNode) -> bool:
    """Only reads, and cannot raise KeyError (no subscripts)."""
    return side_effect_free(module, node) and not m.findall(node, m.Subscript())


def _lookup(statement: cst.BaseSmallStatement, dicts: set[str]
            ) -> tuple[cst.Subscript, list[cst.CSTNode]] | None:
    """The `d[k]` the statement reads first, and the other parts that must be harmless."""
    if isinstance(statement, cst.AugAssign):
        return (statement.target, [statement.value]) \
            if isinstance(statement.target, cst.Subscript) else None
    if isinstance(statement, cst.Assign) and len(statement.targets) == 1 and \
            isinstance(statement.targets[0].target, cst.Name) and \
            isinstance(statement.value, cst.Subscript) and \
            statement.targets[0].target.value not in dicts:
        return statement.value, []
    if isinstance(statement, cst.Expr) and isinstance(statement.value, cst.Call) and \
            isinstance(statement.value.func, cst.Attribute) and \
            statement.value.func.attr.value in _FILLERS and \
            isinstance(statement.value.func.value, cst.Subscript):
        return statement.value.func.value, list(statement.value.args)
    return None


def _check(module: cst.Module, node: cst.Try, dicts: set[str]
           ) -> tuple[str, cst.BaseExpression] | None:
    """The dict and key of a `try` this rule can turn into a membership test."""
    if len(node.handlers) != 1 or node.orelse is not None or node.finalbody is not None:
        return None
    handler = node.handlers[0]
    if handler.name is not None or handler.type is None or \
            not m.matches(handler.type, m.Name("KeyError")) or \
            not isinstance(node.body, cst.IndentedBlock) or len(node.body.body) != 1:
        return None
    line = node.body.body[0]
    if not isinstance(line, cst.SimpleStatementLine) or len(line.body) != 1:
        return None
    found = _lookup(line.body[0], dicts)
    if found is None:
        return None
    lookup, others = found
    indexes = [element.slice for element in lookup.slice]
    if not (isinstance(lookup.value, cst.Name) and lookup.value.value in dicts
            and all(isinstance(index, cst.Index) and index.star is None for index in indexes)):
        return None
    values = [index.value for index in indexes if isinstance(index, cst.Index)]
    key = values[0] if len(values) == 1 else \
        cst.Tuple([cst.Element(value) for value in values])  # `d[a, b]` is `d[(a, b)]`
    if not all(_harmless(module, part) for part in [key, *others]):
        return None
    return lookup.value.value, key


def apply(source: str, context: RewriteContext) -> Rewrite | None:
    found = parse_function(source, context.name)
    if found is None:
        return None
    module, fn = found
    dicts = _plain_dicts(module, fn)
    if not dicts:
        return None
    seen: list[str] = []

    class Transform(cst.CSTTransformer):
        def leave_Try(self, original: cst.Try, updated: cst.Try) -> cst.BaseStatement:
            hit = _check(module, original, dicts)
            if hit is None:
                return updated
            name, key = hit
            seen.append(name)
            handler = updated.handlers[0]
            only_pass = m.matches(handler.body, m.IndentedBlock(
                body=[m.SimpleStatementLine(body=[m.Pass()])]))
            return with_comments_of([updated], cst.If(
                test=cst.parse_expression(f"{operand(key)} in {name}"),
                body=updated.body,
                orelse=None if only_pass else cst.Else(body=handler.body,
                                                       leading_lines=handler.leading_lines),
                leading_lines=updated.leading_lines))

    new_fn = fn.visit(Transform())
    if not seen:
        return None
    return Rewrite(with_function(module, fn, new_fn), (),
                   f"a missing key of `{seen[0]}` raised and caught KeyError, which costs far "
                   f"more than asking `key in {seen[0]}` first")


RULE = Rule(
    name="key-check",
    idea="test `key in dict` instead of letting a missing key raise KeyError and catching it",
    apply=apply,
)
