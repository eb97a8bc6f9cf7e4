"""Per-character expressions a rule may evaluate itself: checked pure, then run on every ASCII char.

The char-table rule computes a translation table when it runs, by calling the loop's expression
on the 128 ASCII characters. That is only sound when the expression is a function of the
character alone: the same value at the user's place as in the rule's process, with no effect.
So the expression may use only the character, literals, local names bound once to an immutable
literal before it, a few pure builtins (`ord`, `chr`, `int`, …, not rebound anywhere in the
module), operators, and read-only methods of str/int/tuple. Anything else (a user function, a
global, `random`, an attribute, `**`, a lambda, a walrus) is refused before anything runs, and a
literal or repetition that could make a huge value is refused too: evaluation must stay cheap.

One per-character test depends on a run-time string and no table can be computed for it:
`ch in c` / `ch not in c` for a name `c` (`membership`). For an exact `str` c and a character
ch it means "ch is one of c's characters", so the table is built when the code runs, from c
(`bound_before` says c is certainly bound there, so evaluating it early raises nothing new).
"""

from __future__ import annotations

import ast
import builtins
from collections.abc import Callable
from typing import Any

import libcst as cst

from lesson_lsp.team.rewrites.bindings import bound_names, is_builtin, name_nodes, param_names

ASCII = tuple(chr(i) for i in range(128))
CHAR = "__char__"  # the parameter name the checked expression is compiled with

_BUILTINS = frozenset({"ord", "chr", "int", "str", "len", "abs", "bool", "min", "max"})
_METHODS = frozenset({
    "isdigit", "isdecimal", "isnumeric", "isalpha", "isalnum", "isupper", "islower",
    "isspace", "isascii", "isprintable", "isidentifier", "istitle", "upper", "lower",
    "swapcase", "casefold", "title", "capitalize", "find", "rfind", "index", "rindex", "count",
    "startswith", "endswith", "strip", "lstrip", "rstrip",
})
_OPERATORS = (cst.Add, cst.Subtract, cst.Multiply, cst.FloorDivide, cst.Modulo, cst.BitAnd,
              cst.BitOr, cst.BitXor, cst.Divide)  # `/` gives floats, refused where it matters
_IMMUTABLE = (str, int, bool, tuple, frozenset, bytes, type(None))
_BIG = 10_000  # larger integer literals are refused: `c * 10**9` must not run here


def constants(fn: cst.FunctionDef) -> dict[str, tuple[int, Any]]:
    """Local names bound exactly once, at the top level of `fn`, to an immutable literal: each
    with the index of its statement in the body (it is known only after that) and its value."""
    found: dict[str, tuple[int, Any]] = {}
    body = fn.body.body if isinstance(fn.body, cst.IndentedBlock) else ()
    for index, statement in enumerate(body):
        if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1):
            continue
        assign = statement.body[0]
        if not (isinstance(assign, cst.Assign) and len(assign.targets) == 1
                and isinstance(assign.targets[0].target, cst.Name)):
            continue
        try:
            value = ast.literal_eval(cst.Module([]).code_for_node(assign.value).strip())
        except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
            continue
        if _immutable(value):
            found[assign.targets[0].target.value] = (index, value)
    others = set(param_names(fn))  # names bound anywhere else (or deleted) are not constants
    for index, statement in enumerate(body):
        rebinds = bound_names(statement) | _deleted(statement)
        others |= {name for name in rebinds if found.get(name, (-1,))[0] != index}
    return {name: v for name, v in found.items() if name not in others}


def membership(node: cst.CSTNode, is_char: Callable[[cst.CSTNode], bool]
               ) -> tuple[str, bool] | None:
    """(c, True) when `node` is `ch in c`, (c, False) for `ch not in c`: ch the character, c a
    plain name."""
    if not (isinstance(node, cst.Comparison) and len(node.comparisons) == 1
            and is_char(node.left)):
        return None
    target = node.comparisons[0]
    if not (isinstance(target.operator, (cst.In, cst.NotIn))
            and isinstance(target.comparator, cst.Name) and not is_char(target.comparator)):
        return None
    return target.comparator.value, isinstance(target.operator, cst.In)


def bound_before(fn: cst.FunctionDef, name: str, index: int) -> bool:
    """`name` is bound whenever statement `index` of `fn`'s body runs: it is a parameter or a
    simple top-level statement before that one assigns it, and nothing in `fn` deletes it."""
    if name in _deleted(fn.body):
        return False
    if name in param_names(fn):
        return True
    body = fn.body.body if isinstance(fn.body, cst.IndentedBlock) else ()
    return any(isinstance(statement, cst.SimpleStatementLine) and any(
        isinstance(small, cst.Assign) and any(
            isinstance(t.target, cst.Name) and t.target.value == name for t in small.targets)
        for small in statement.body) for statement in body[:max(index, 0)])


def _immutable(value: object) -> bool:
    if isinstance(value, (tuple, frozenset)):
        return all(_immutable(v) for v in value)
    return isinstance(value, _IMMUTABLE)


def _deleted(node: cst.CSTNode) -> set[str]:
    names: set[str] = set()

    class Finder(cst.CSTVisitor):
        def visit_Del(self, n: cst.Del) -> None:
            names.update(x.value for x in name_nodes(n.target))

    node.visit(Finder())
    return names


class _Impure(Exception):
    pass


def per_char(expr: cst.BaseExpression, is_char: Callable[[cst.CSTNode], bool],
             known: dict[str, Any], module: cst.Module) -> Callable[[str], Any] | None:
    """`expr` as a function of one character, or None when it is not provably pure.

    `is_char` says which nodes stand for the character (`c`, or `s[i]` in an index loop);
    `known` are the constant names it may read, with their values."""
    multiplies = 0

    def check(node: cst.CSTNode) -> cst.BaseExpression:
        nonlocal multiplies
        if is_char(node):
            return cst.Name(CHAR)
        if isinstance(node, cst.Name):
            if node.value in ("True", "False", "None") or node.value in known:
                return node
            raise _Impure
        if isinstance(node, cst.Integer):
            if abs(int(node.evaluated_value)) > _BIG:
                raise _Impure
            return node
        if isinstance(node, cst.SimpleString):
            return node
        if isinstance(node, cst.ConcatenatedString):  # an f-string part would run code
            return node.with_changes(left=check(node.left), right=check(node.right))
        if isinstance(node, cst.Comparison):
            return node.with_changes(left=check(node.left), comparisons=[
                t.with_changes(comparator=check(t.comparator)) for t in node.comparisons])
        if isinstance(node, cst.BooleanOperation):
            return node.with_changes(left=check(node.left), right=check(node.right))
        if isinstance(node, cst.UnaryOperation):
            return node.with_changes(expression=check(node.expression))
        if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, _OPERATORS):
            multiplies += isinstance(node.operator, cst.Multiply)
            if multiplies > 1:
                raise _Impure  # repeated repetition could build a huge string
            return node.with_changes(left=check(node.left), right=check(node.right))
        if isinstance(node, cst.IfExp):
            return node.with_changes(test=check(node.test), body=check(node.body),
                                     orelse=check(node.orelse))
        if isinstance(node, (cst.Tuple, cst.List, cst.Set)):
            return node.with_changes(elements=[
                e.with_changes(value=check(e.value)) if isinstance(e, cst.Element) else _no()
                for e in node.elements])
        if isinstance(node, cst.Subscript) and all(
                isinstance(e.slice, cst.Index) and e.slice.star is None for e in node.slice):
            return node.with_changes(value=check(node.value), slice=[
                e.with_changes(slice=e.slice.with_changes(value=check(e.slice.value)))
                for e in node.slice if isinstance(e.slice, cst.Index)])
        if isinstance(node, cst.Call) and not any(a.keyword or a.star for a in node.args):
            args = [a.with_changes(value=check(a.value)) for a in node.args]
            func = node.func
            if isinstance(func, cst.Name) and func.value in _BUILTINS and \
                    is_builtin(module, func.value):
                return node.with_changes(args=args)
            if isinstance(func, cst.Attribute) and func.attr.value in _METHODS:
                return node.with_changes(func=func.with_changes(value=check(func.value)),
                                         args=args)
        raise _Impure

    try:
        checked = check(expr)
    except _Impure:
        return None
    code = cst.Module([]).code_for_node(checked.with_changes(lpar=[], rpar=[]))
    names = {name: value for name, value in known.items()}
    names["__builtins__"] = {name: getattr(builtins, name) for name in _BUILTINS}
    function = eval(f"lambda {CHAR}: ({code})", names)  # checked pure above
    return function  # type: ignore[no-any-return]


def _no() -> cst.BaseElement:
    raise _Impure


def table(function: Callable[[str], Any]) -> list[Any] | None:
    """The function's value on each ASCII character, or None when it raises on any."""
    try:
        return [function(ch) for ch in ASCII]
    except Exception:  # the original raises there too: refuse
        return None
