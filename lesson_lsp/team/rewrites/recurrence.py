"""A linear recurrence (`f(n) = a·f(n-1) + b·f(n-2) + … + k`) → a loop over a sliding window.

    def fib(n):                              def fib(n):
        if n < 2:                                if type(n) is int and n >= 0:
            return n                                 if n < 2:
        return fib(n - 1) + fib(n - 2)                   return (0, 1)[n]
                                                     _a, _b = 0, 1
                                                     for _ in range(2, n + 1):
                                                         _a, _b = _b, _a + _b
                                                     return _b
                                                 if n < 2:          # the original, unchanged
                                                     return n
                                                 return fib(n - 1) + fib(n - 2)

Why it is faster than `memoize`: no call per term, no cache, no recursion depth; each step is
a tuple swap. Why it is the same: the rule proves it before it rewrites. The base cases are
tests of `n` against int literals (`n == 3`, `n < 2`, `n in (0, 1)`, `n in BASE` with a local
dict or tuple literal) returning int-valued expressions of `n` and literals; every such test
has the same truth value for all `n` above the largest literal C, so past C only the
recurrence applies. The rule then runs the original's own guards, in order, on every int from
min(0, smallest literal) up to C + 1 + d (d the order) and fills the table bottom-up: a value
where a guard fires (an int, or "undefined" when the value raises or is not an int), else the
recurrence over earlier defined values. The fast path is taken only for `type(n) is int` and
`n` at or above the lowest point from which every value is defined; there the original
computes the same integers by the same recurrence from the same window, and int arithmetic is
exact in any order (any float literal or coefficient is refused). Every other argument (bools,
floats, negatives outside the table, huge depths aside) runs the original body, kept verbatim
below the fast path, with its comments.

Shapes: recursive calls `f(n - j)` (j ≤ 4) spelled with the function's own name, positional
extra parameters passed on unchanged; the recursive case as a final `return`, an `else`
branch or a conditional expression. Also the bottom-up list form (`R = [ints]`,
`if n < d: return R[n]`, `for _ in range(d, n + 1): R.append(lin. comb. of R[-j]); R.pop(0)`,
`return R[-1]`), whose list holds exactly the same window. Refused: methods, decorated
functions (so `functools.cache` variants: `memoize` already covers those), a name rebound
anywhere, any other statement (prints, global appends, inner helpers), non-linear terms.
"""

from __future__ import annotations

from typing import Any

import libcst as cst

from lesson_lsp.team.rewrites.base import Rewrite, RewriteContext, Rule, parse_function
from lesson_lsp.team.rewrites.bindings import bound_names, fresh_name, is_builtin
from lesson_lsp.team.rewrites.recurrence_list import (
    Linear,
    bottom_up,
    int_literal,
    linear,
    literals,
)

_MAX_ORDER = 4
_MAX_LITERAL = 1000  # past this, building the table at rule time is not worth it
_COMPARE = (cst.Equal, cst.NotEqual, cst.LessThan, cst.LessThanEqual, cst.GreaterThan,
            cst.GreaterThanEqual, cst.In, cst.NotIn)
_UNDEFINED = object()

def _condition(node: cst.BaseExpression, n: str, consts: dict[str, list[int]],
               seen: list[int]) -> bool:
    """A test whose atoms compare `n` with int literals (or test membership in a literal);
    each atom is then constant for all `n` above the largest literal, collected in `seen`."""
    if isinstance(node, cst.BooleanOperation):
        return _condition(node.left, n, consts, seen) and _condition(node.right, n, consts, seen)
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Not):
        return _condition(node.expression, n, consts, seen)
    if not isinstance(node, cst.Comparison):
        return False
    operands = [node.left, *(t.comparator for t in node.comparisons)]
    for target in node.comparisons:
        if not isinstance(target.operator, _COMPARE):
            return False
    for i, operand in enumerate(operands):
        value = int_literal(operand)
        if value is not None:
            seen.append(value)
        elif isinstance(operand, cst.Name) and operand.value == n:
            pass
        elif i > 0 and isinstance(node.comparisons[i - 1].operator, (cst.In, cst.NotIn)):
            values = consts.get(operand.value) if isinstance(operand, cst.Name) \
                else literals(operand)
            if values is None:
                return False
            seen.extend(values)
        else:
            return False
    return True


def _value(node: cst.BaseExpression, n: str, consts: dict[str, list[int]]) -> bool:
    """A base value: int literals, `n`, `+ - *` of those, or a literal / local indexed by `n`."""
    if int_literal(node) is not None or (isinstance(node, cst.Name) and node.value == n):
        return True
    if isinstance(node, cst.BinaryOperation) and \
            isinstance(node.operator, (cst.Add, cst.Subtract, cst.Multiply)):
        return _value(node.left, n, consts) and _value(node.right, n, consts)
    if isinstance(node, cst.Subscript) and len(node.slice) == 1 and \
            isinstance(node.slice[0].slice, cst.Index):
        base = node.value
        known = (isinstance(base, cst.Name) and base.value in consts) or \
            (isinstance(base, (cst.Tuple, cst.List)) and literals(base) is not None)
        return known and _value(node.slice[0].slice.value, n, consts)
    return False


def _code(node: cst.CSTNode) -> str:
    return cst.Module([]).code_for_node(node)


def _returned(block: cst.BaseSuite | cst.SimpleStatementLine) -> cst.BaseExpression | None:
    """The value of a block that is exactly one `return VALUE`."""
    statements = block.body if isinstance(block, cst.IndentedBlock) else [block]
    if len(statements) != 1 or not isinstance(statements[0], (cst.SimpleStatementLine,
                                                               cst.SimpleStatementSuite)):
        return None
    small = statements[0].body
    if len(small) == 1 and isinstance(small[0], cst.Return) and small[0].value is not None:
        return small[0].value
    return None


def _cases(statements: list[Any], guards: list[tuple[Any, Any]]) -> cst.BaseExpression | None:
    """Walks guard `if`s (with `elif`/`else`) and conditional expressions in order, appending
    (test, value) to `guards`; returns the final recursive expression, or None."""
    for i, statement in enumerate(statements):
        last = i == len(statements) - 1
        if isinstance(statement, cst.If):
            value = _returned(statement.body)
            if value is None:
                return None
            guards.append((statement.test, value))
            orelse = statement.orelse
            if orelse is None:
                continue
            rest = [orelse] if isinstance(orelse, cst.If) else list(orelse.body.body)
            return _cases(rest, guards) if last else None
        if isinstance(statement, cst.SimpleStatementLine) and last:
            value = _returned(statement)
            while isinstance(value, cst.IfExp):
                guards.append((value.test, value.body))
                value = value.orelse
            return value
        return None
    return None


def _table(guards: list[tuple[str, str]], consts: dict[str, Any], n: str,
           step: Linear, called: set[int], lo: int, top: int) -> tuple[list[Any], list[bool]]:
    """The original's value at every int in [lo, top): its guards in order (the checked test
    and value code evaluated with only `n` and the literal locals), else the recurrence."""
    values: list[Any] = []
    fired: list[bool] = []
    for x in range(lo, top):
        scope = {**consts, n: x, "__builtins__": {}}
        value: Any = None
        for test, expr in guards:
            if eval(test, scope):
                try:
                    value = eval(expr, scope)
                except Exception:
                    value = _UNDEFINED
                if type(value) is not int:
                    value = _UNDEFINED
                break
        fired.append(value is not None)
        if value is None:
            earlier = [values[x - j - lo] if x - j >= lo else _UNDEFINED for j in called]
            value = _UNDEFINED if _UNDEFINED in earlier else \
                sum(c * values[x - j - lo] for j, c in step[0].items()) + step[1]
        values.append(value)
    return values, fired


def _fast_path(module: cst.Module, n: str, low: int, table: list[int], step: Linear,
               order: int) -> list[cst.BaseStatement]:
    """`if type(n) is int and n >= low:` the table below `low + len(table)`, a window above.

    The window is d locals and each step overwrites the oldest with the new value, so the
    roles rotate and d steps bring them back: the loop runs d steps per iteration, with no
    tuple built or unpacked, and the remaining steps return as soon as they reach `n`."""
    window = [fresh_name(module, f"_{chr(ord('a') + i)}") for i in range(order)]
    top = low + len(table)

    def update(s: int) -> str:  # step s writes window[s]; window[(s - j) % d] is j back
        terms = [f"{c} * {window[(s - j) % order]}" if c != 1 else window[(s - j) % order]
                 for j, c in sorted(step[0].items()) if c]
        terms += [str(step[1])] if step[1] or not terms else []
        return f"{window[s]} = " + " + ".join(terms).replace("+ -", "- ")

    index = n if low == 0 else f"{n} - {low}"
    start = ", ".join(str(v) for v in table[-order:])
    loop, rest = fresh_name(module, "_step"), fresh_name(module, "_rest")
    rounds, steps = (loop, "") if order == 1 else (fresh_name(module, "_rounds"), rest)
    lines = [f"if type({n}) is int and {n} >= {low}:",
             f"    if {n} < {top}:",
             f"        return {tuple(table)!r}[{index}]",
             f"    {', '.join(window)} = {start}"]
    if order == 1:
        lines += [f"    for {loop} in range({top}, {n} + 1):", f"        {update(0)}",
                  f"    return {window[0]}"]
    else:
        lines += [f"    {rounds}, {steps} = divmod({n} - {top - 1}, {order})",
                  f"    for {loop} in range({rounds}):",
                  *(f"        {update(s)}" for s in range(order)),
                  f"    if not {steps}:",
                  f"        return {window[-1]}"]
        for s in range(order - 1):
            lines += [f"    {update(s)}", f"    if {steps} == {s + 1}:",
                      f"        return {window[s]}"]
        lines[-2:] = [f"    return {window[order - 2]}"]  # the last remainder is d - 1
    return [cst.parse_statement("\n".join(lines) + "\n")]


def _split_docstring(body: list[Any]) -> tuple[list[Any], list[Any]]:
    if body and isinstance(body[0], cst.SimpleStatementLine) and len(body[0].body) == 1 and \
            isinstance(body[0].body[0], cst.Expr) and \
            isinstance(body[0].body[0].value, (cst.SimpleString, cst.ConcatenatedString)):
        return body[:1], body[1:]
    return [], body


def _recursive(fn: cst.FunctionDef, name: str, statements: list[Any],
               params: list[str]) -> tuple[str, list[tuple[str, str]], dict[str, Any],
                                           Linear, set[int], list[int]] | None:
    """The proof obligations of the recursive shape, or None."""
    n, extras = params[0], params[1:]
    consts: dict[str, list[int]] = {}
    values: dict[str, Any] = {}
    while statements and isinstance(statements[0], cst.SimpleStatementLine) and \
            len(statements[0].body) == 1 and isinstance(statements[0].body[0], cst.Assign):
        assign = statements[0].body[0]
        target = assign.targets[0].target if len(assign.targets) == 1 else None
        found = literals(assign.value)
        if not isinstance(target, cst.Name) or found is None or target.value in params or \
                target.value in consts:
            return None
        consts[target.value] = found
        values[target.value] = eval(_code(assign.value), {"__builtins__": {}})
        statements = statements[1:]
    guards: list[tuple[Any, Any]] = []
    expr = _cases(statements, guards)
    if expr is None:
        return None

    def term(node: cst.CSTNode) -> int | None:
        if not (isinstance(node, cst.Call) and isinstance(node.func, cst.Name) and
                node.func.value == name and len(node.args) == 1 + len(extras)):
            return None
        if any(a.keyword is not None or a.star for a in node.args):
            return None
        if [a.value.value if isinstance(a.value, cst.Name) else None
                for a in node.args[1:]] != extras:
            return None
        arg = node.args[0].value
        if isinstance(arg, cst.BinaryOperation) and isinstance(arg.operator, cst.Subtract) \
                and isinstance(arg.left, cst.Name) and arg.left.value == n:
            j = int_literal(arg.right)
            return j if j is not None and 1 <= j <= _MAX_ORDER else None
        return None

    called: set[int] = set()
    step = linear(expr, term, called)
    seen: list[int] = []
    if step is None or not called or not guards or any(
            not _condition(t, n, consts, seen) or not _value(v, n, consts) for t, v in guards):
        return None
    seen += [v for vs in consts.values() for v in vs]
    return n, [(_code(t), _code(v)) for t, v in guards], values, step, called, seen


def apply(source: str, context: RewriteContext) -> Rewrite | None:
    found = parse_function(source, context.name)
    if found is None or context.is_method:
        return None
    module, fn = found
    p = fn.params
    if fn.decorators or fn.asynchronous is not None or p.star_kwarg is not None or \
            isinstance(p.star_arg, cst.Param) or p.kwonly_params or p.posonly_params or \
            not p.params or not isinstance(fn.body, cst.IndentedBlock):
        return None
    params = [q.name.value for q in p.params]
    name = context.name
    others = [s for s in module.body if s is not fn]
    if any(name in bound_names(s) for s in others) or name in bound_names(fn.body) or \
            name in params or any(b in params or b in bound_names(fn.body) or
                                  not is_builtin(module, b) for b in ("type", "int", "range")):
        return None
    docstring, statements = _split_docstring(list(fn.body.body))
    proof = _recursive(fn, name, statements, params) or bottom_up(statements, params)
    if proof is None:
        return None
    n, guards, consts, step, called, seen = proof
    if max(map(abs, seen), default=0) > _MAX_LITERAL:
        return None
    order = max(called)
    lo = min([0, *seen])
    top = max([0, *seen]) + 1 + order
    table, fired = _table(guards, consts, n, step, called, lo, top)
    if fired[-1]:
        return None  # a guard holds for every large n: not a recurrence there
    low = top
    while low > lo and table[low - 1 - lo] is not _UNDEFINED:
        low -= 1
    high = low + order  # the table must hold a whole window, and no guard fire past it
    while high < top and any(fired[high - lo:]):
        high += 1
    if high > top:
        return None
    fast = _fast_path(module, n, low, table[low - lo:high - lo], step, order)
    new = fn.with_changes(body=fn.body.with_changes(body=[*docstring, *fast, *statements]))
    return Rewrite(
        module.with_changes(body=[new if s is fn else s for s in module.body]).code,
        (),
        f"`{name}` follows a linear recurrence of order {order}; for int arguments from "
        f"{low} up it is computed bottom-up over a sliding window of {order} values",
    )


RULE = Rule(
    name="linear-recurrence",
    idea="compute a linear recurrence bottom-up over a sliding window instead of recursing",
    apply=apply,
)
