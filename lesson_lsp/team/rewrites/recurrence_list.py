"""Linear combinations, literal tables, and the bottom-up list form of a linear recurrence.

The `linear-recurrence` rule (in `recurrence`) reads a recursive case as Σ c_j·term_j + k with
int coefficients; this module holds that reader and recognises the iterative form too:

    R = [0, 0, 2, 0]
    if n < 4:
        return R[n]
    for _ in range(4, n + 1):
        R.append(R[-1] + R[-2] + R[-3] + R[-4])
        R.pop(0)                   # optional; without it `R[i - j]` and `return R[n]` work too
    return R[-1]

Why it is the same recurrence: R starts with d = len(R) values and the loop starts at d, so
at the start of iteration i the list ends with the values at i-d … i-1 (with no `pop`, its
length is i, so `R[i - j]` is `R[-j]`); the appended value is the recurrence at i, and after
the last iteration R[-1] (and, with no `pop`, R[n]) is the value at n. For n < d the guard
returns the literal table. So it is handed to the same proof as the recursive form: the guard
`n < d` with value `R[n]`, then the recurrence. Anything else in the loop is refused.
"""

from __future__ import annotations

from typing import Any

import libcst as cst

Linear = tuple[dict[int, int], int]  # coefficient of each term j, and the constant
def int_literal(node: cst.BaseExpression) -> int | None:
    """An int literal, maybe negated."""
    if isinstance(node, cst.Integer):
        return int(node.evaluated_value)
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        inner = int_literal(node.expression)
        return None if inner is None else -inner
    return None


def linear(node: cst.BaseExpression, term: Any, called: set[int]) -> Linear | None:
    """`node` as Σ c_j·term_j + k with int c_j and k; `term(node)` says which j a node is."""
    constant = int_literal(node)
    if constant is not None:
        return {}, constant
    j = term(node)
    if j is not None:
        called.add(j)
        return {j: 1}, 0
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        inner = linear(node.expression, term, called)
        return None if inner is None else ({k: -c for k, c in inner[0].items()}, -inner[1])
    if not isinstance(node, cst.BinaryOperation):
        return None
    left, right = linear(node.left, term, called), linear(node.right, term, called)
    if left is None or right is None:
        return None
    if isinstance(node.operator, (cst.Add, cst.Subtract)):
        sign = 1 if isinstance(node.operator, cst.Add) else -1
        coefficients = dict(left[0])
        for k, c in right[0].items():
            coefficients[k] = coefficients.get(k, 0) + sign * c
        return coefficients, left[1] + sign * right[1]
    if isinstance(node.operator, cst.Multiply):
        if left[0] and right[0]:
            return None  # f(n-1) * f(n-2): not linear
        scale, other = (left[1], right) if not left[0] else (right[1], left)
        return {k: scale * c for k, c in other[0].items()}, scale * other[1]
    return None


def literals(node: cst.CSTNode) -> list[int] | None:
    """The ints of a tuple/list/set/dict literal of int literals (dict: keys and values)."""
    if isinstance(node, (cst.Tuple, cst.List, cst.Set)):
        found = [int_literal(e.value) for e in node.elements if isinstance(e, cst.Element)]
        ok = len(found) == len(node.elements) and None not in found
        return [v for v in found if v is not None] if ok else None
    if isinstance(node, cst.Dict):
        pairs = [(int_literal(e.key), int_literal(e.value)) for e in node.elements
                 if isinstance(e, cst.DictElement)]
        flat = [v for pair in pairs for v in pair]
        if len(pairs) != len(node.elements) or None in flat:
            return None
        return [v for v in flat if v is not None]
    return None


def _code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)


def _small(statement: Any) -> Any:
    """The one small statement of a simple line, or None."""
    if isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1:
        return statement.body[0]
    return None


def _method_call(statement: Any, target: str, method: str) -> cst.Call | None:
    expr = _small(statement)
    call = expr.value if isinstance(expr, cst.Expr) else None
    if isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute) and \
            isinstance(call.func.value, cst.Name) and call.func.value.value == target and \
            call.func.attr.value == method and len(call.args) == 1 and \
            call.args[0].keyword is None and not call.args[0].star:
        return call
    return None


def _is_name(node: Any, name: str) -> bool:
    return isinstance(node, cst.Name) and node.value == name


def bottom_up(statements: list[Any], params: list[str]
              ) -> tuple[str, list[tuple[str, str]], dict[str, Any], Linear, set[int],
                         list[int]] | None:
    """The list form above as (n, guards, literal locals, step, terms used, literals seen)."""
    if len(statements) != 4 or len(params) != 1:
        return None
    n = params[0]
    first, guard, loop, last = statements
    assign = _small(first)
    if not isinstance(assign, cst.Assign) or len(assign.targets) != 1 or \
            not isinstance(assign.targets[0].target, cst.Name) or \
            not isinstance(assign.value, cst.List):
        return None
    name = assign.targets[0].target.value
    values = literals(assign.value)
    order = len(values or ())
    if values is None or not 1 <= order <= 4 or name == n:
        return None
    # the guard: `if n < d: return R[n]`
    if not isinstance(guard, cst.If) or guard.orelse is not None or \
            _code(guard.test) not in (f"{n} < {order}", f"{n} <= {order - 1}"):
        return None
    body = guard.body.body if isinstance(guard.body, cst.IndentedBlock) else [guard.body]
    returned = _small(body[0]) if len(body) == 1 else None
    if not isinstance(returned, cst.Return) or returned.value is None or \
            _code(returned.value) != f"{name}[{n}]":
        return None
    # the loop: `for i in range(d, n + 1): R.append(…)` [`R.pop(0)`]
    if not isinstance(loop, cst.For) or loop.orelse is not None or \
            not isinstance(loop.target, cst.Name) or \
            _code(loop.iter) != f"range({order}, {n} + 1)" or \
            not isinstance(loop.body, cst.IndentedBlock) or loop.target.value in (n, name):
        return None
    index = loop.target.value
    steps = list(loop.body.body)
    append = _method_call(steps[0], name, "append") if steps else None
    pops = len(steps) == 2 and (call := _method_call(steps[1], name, "pop")) is not None and \
        int_literal(call.args[0].value) == 0
    if append is None or len(steps) != 1 + pops:
        return None

    def term(node: cst.CSTNode) -> int | None:
        if not (isinstance(node, cst.Subscript) and _is_name(node.value, name) and
                len(node.slice) == 1 and isinstance(node.slice[0].slice, cst.Index)):
            return None
        at = node.slice[0].slice.value
        back = int_literal(at)
        j = -back if back is not None else None
        if j is None and not pops and isinstance(at, cst.BinaryOperation) and \
                isinstance(at.operator, cst.Subtract) and _is_name(at.left, index):
            j = int_literal(at.right)
        return j if j is not None and 1 <= j <= order else None

    called: set[int] = set()
    step = linear(append.args[0].value, term, called)
    result = _small(last)
    if step is None or not called or not isinstance(result, cst.Return) or \
            result.value is None or \
            _code(result.value) not in ({f"{name}[-1]"} | ({f"{name}[{n}]"} if not pops
                                                           else set())):
        return None
    return n, [(f"{n} < {order}", f"{name}[{n}]")], {name: list(values)}, step, called, \
        [order, *values]
