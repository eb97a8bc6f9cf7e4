"""A per-character count, sum, map or filter over a string → one table pass in C (`translate`).

    n = sum(c in "aeiou" for c in s)       →  n = (len(s.encode().translate(None, T))
                                                    if type(s) is str and s.isascii() else …)
    "".join(chr(ord(c) + 1) for c in s)    →  s.translate({97: 'b', …})  (same guard)

The loop calls the interpreter for every character; `str.translate` / `bytes.translate` walk
the string once in C with a table. The table is not guessed: the rule evaluates the loop's own
per-character expression on all 128 ASCII characters when it runs, after `char_eval` has
checked that the expression depends on the character alone (literals, constant locals, pure
builtins and str methods; anything else is refused, as is an expression that raises on some
ASCII character). That is the proof: on an ASCII `str` every character is one of those 128, so
the table gives exactly what the loop gives. Counts mark the characters worth 1 with a byte
table and take the popcount of the translated bytes read as one int; integer weights
are summed bit by bit (`Σ w(c) = Σ_b 2^b · #{c: bit b of w(c)}`, exact for ints, floats
refused); maps and filters become a `str.translate` dict (None deletes).
Everything else (non-ASCII text, str subclasses, lists of characters, None) takes the original
code, kept unchanged in the `else` branch, so it behaves and raises exactly as before.

Shapes: `sum(E for c in s [if P])`, `"".join(F for c in s [if P])` (generator or list), and a
`for` loop whose whole body is `[if P:] acc += E` (`acc` an int or str known from its literal
bindings; the loop variable not read after it), over `for c in s` or an index loop
`for i in range(a, len(s), k)` that reads only `s[i]` (then over `s[a::k]`). The tables are
module-level literals, built once at import.

Tables built at run time. When the step is membership in a string known only when the code
runs, `ch in c` / `ch not in c` for a name `c` (a parameter, or a local a top-level statement
assigns before; never deleted, not rebound by the loop or comprehension, not another scope's),
the table is built from c where the loop was, `dict.fromkeys(map(ord, set(c)))`, deleting c's
characters:

    "".join(ch for ch in s if ch not in c)  →  s.translate(D)       D = that table
    "".join(ch for ch in s if ch in c)      →  s.translate(dict.fromkeys(map(ord,
                                                   set(s).difference(c))))
    sum(ch in c for ch in s), `sum(1 for … if ch in c)`, `for ch in s: if ch in c: n += 1`
                                            →  len(s) - len(s.translate(D))   (`not in`: the
                                                                               kept length)

The proof: for an exact `str` c and one character ch, `ch in c` is a substring test of length
one, true exactly when ch is one of c's characters, i.e. when D deletes it (duplicates in c
change nothing; an empty c deletes nothing, and `ch in ""` is False). So the filter keeps what
`translate` keeps, in order, and the count is what it deletes. It is taken only when
`type(s) is str and type(c) is str`: for a list, set or tuple c, `ch in c` compares whole items
(`"a" in ["ab"]` is False), and a str subclass may define its own `__contains__` or
`__iter__`; those take the original. A dict table covers every code point, so non-ASCII text,
astral characters and lone surrogates in s or c need no `isascii` guard. Evaluating c before
the loop raises nothing new, as it is certainly bound there.
"""

from __future__ import annotations

from typing import Any

import libcst as cst
import libcst.matchers as m

from lesson_lsp.team.rewrites.base import Rewrite, RewriteContext, Rule, parse_with_parents
from lesson_lsp.team.rewrites.bindings import (
    bound_names,
    fresh_name,
    is_builtin,
    param_names,
    target_names,
)
from lesson_lsp.team.rewrites.char_eval import bound_before, constants
from lesson_lsp.team.rewrites.char_plans import runtime_plan, table_plan
from lesson_lsp.team.rewrites.loops import read_outside
from lesson_lsp.team.rewrites.repeats import known_false

_INT_OPS = (cst.AddAssign, cst.SubtractAssign, cst.MultiplyAssign, cst.FloorDivideAssign,
            cst.ModuloAssign)

_SCOPES = (cst.FunctionDef, cst.Lambda, cst.ClassDef, cst.ListComp, cst.SetComp, cst.DictComp,
           cst.GeneratorExp)


def _comprehension(node: cst.BaseExpression) -> tuple[str, cst.BaseExpression,
                                                        list[cst.BaseExpression], str] | None:
    """(c, element, conditions, s) for `E for c in s if …` (generator or list)."""
    if not isinstance(node, (cst.GeneratorExp, cst.ListComp)):
        return None
    f = node.for_in
    if f.inner_for_in is not None or f.asynchronous is not None or \
            not isinstance(f.target, cst.Name) or not isinstance(f.iter, cst.Name):
        return None
    return f.target.value, node.elt, [i.test for i in f.ifs], f.iter.value


def _accumulator(fn: cst.FunctionDef, n: str, own: cst.AugAssign) -> str | None:
    """"int" or "str" when every binding of `n` in `fn` keeps it one (literal assignments,
    int-literal updates, str `+=`), else None."""
    kinds: set[str] = set()
    ok = n not in param_names(fn)

    class Finder(cst.CSTVisitor):
        def on_visit(self, node: cst.CSTNode) -> bool:
            nonlocal ok
            if isinstance(node, cst.AssignTarget) and n in target_names(node.target):
                parent_value = assigned.get(id(node))
                if not isinstance(node.target, cst.Name) or parent_value is None:
                    ok = False
                elif isinstance(parent_value, cst.Integer):
                    kinds.add("int")
                elif isinstance(parent_value, cst.SimpleString) and \
                        isinstance(parent_value.evaluated_value, str):
                    kinds.add("str")
                else:
                    ok = False
            elif isinstance(node, cst.AugAssign) and n in target_names(node.target) and \
                    node is not own:
                if isinstance(node.operator, _INT_OPS) and isinstance(node.value, cst.Integer):
                    kinds.add("int?")
                elif isinstance(node.operator, cst.AddAssign):
                    kinds.add("str?")
                else:
                    ok = False
            elif isinstance(node, (cst.For, cst.CompFor)) and n in target_names(node.target):
                ok = False
            elif isinstance(node, (cst.NamedExpr, cst.WithItem, cst.AnnAssign, cst.Global,
                                   cst.Nonlocal, cst.ExceptHandler, cst.Import, cst.ImportFrom,
                                   cst.FunctionDef, cst.ClassDef, cst.Lambda, cst.Del)) and \
                    n in _mentioned(node):
                ok = False
            return ok

    assigned: dict[int, cst.BaseExpression] = {}

    class Values(cst.CSTVisitor):
        def visit_Assign(self, node: cst.Assign) -> None:
            for target in node.targets:
                assigned[id(target)] = node.value

    fn.body.visit(Values())
    fn.body.visit(Finder())
    if not ok:
        return None
    if kinds <= {"int", "int?"} and "int" in kinds:
        return "int"
    if kinds <= {"str", "str?", "int?"} and "str" in kinds and "int?" not in kinds:
        return "str"
    return None


def _mentioned(node: cst.CSTNode) -> set[str]:
    names: set[str] = set()

    class Finder(cst.CSTVisitor):
        def visit_Name(self, name: cst.Name) -> None:
            names.add(name.value)

    node.visit(Finder())
    return names


def _index_loop(loop: cst.For) -> tuple[str, str, Any] | None:
    """(s, sequence code, is_char) for `for i in range(a, len(s), k)` (literal a ≥ 0, k ≥ 1)."""
    if not (isinstance(loop.target, cst.Name) and isinstance(loop.iter, cst.Call)
            and m.matches(loop.iter.func, m.Name("range")) and 1 <= len(loop.iter.args) <= 3
            and not any(a.keyword or a.star for a in loop.iter.args)):
        return None
    args = [a.value for a in loop.iter.args]
    start, step = (args[0] if len(args) > 1 else None), (args[2] if len(args) > 2 else None)
    length = args[1] if len(args) > 1 else args[0]
    if not (m.matches(length, m.Call(func=m.Name("len"), args=[m.Arg(m.Name())]))):
        return None
    assert isinstance(length, cst.Call) and isinstance(length.args[0].value, cst.Name)
    s, i = length.args[0].value.value, loop.target.value
    numbers = [x for x in (start, step) if x is not None]
    if not all(isinstance(x, cst.Integer) for x in numbers):
        return None
    a = int(start.evaluated_value) if isinstance(start, cst.Integer) else 0
    k = int(step.evaluated_value) if isinstance(step, cst.Integer) else 1
    if k < 1:
        return None
    seq = s if (a, k) == (0, 1) else f"{s}[{a or ''}:{'' if k == 1 else f':{k}'}]"
    seq = seq.replace("[:]", "")
    item = m.Subscript(value=m.Name(s), slice=[m.SubscriptElement(m.Index(m.Name(i)))])
    return s, seq, lambda node: m.matches(node, item)


def apply(source: str, context: RewriteContext) -> Rewrite | None:
    found = parse_with_parents(source, context.name)
    if found is None:
        return None
    module, fn, parent_of = found
    if not all(is_builtin(module, name) for name in ("type", "str", "len", "sum")):
        return None
    consts = constants(fn)
    body = list(fn.body.body) if isinstance(fn.body, cst.IndentedBlock) else []
    tables: list[cst.BaseStatement] = []
    seen: list[str] = []
    live: list[str] = []  # the run-time strings tables are built from

    def top_index(node: cst.CSTNode) -> int:
        """The index in `fn`'s body of the top-level statement holding `node`."""
        current = node
        while parent_of.get(current) is not fn.body and current in parent_of:
            current = parent_of[current]
        return next((i for i, s in enumerate(body) if s is current), -1)

    def known_at(node: cst.CSTNode) -> dict[str, Any]:
        index = top_index(node)
        return {name: v for name, (at, v) in consts.items() if at < index}

    def run_time(plan: tuple[str, str] | None, s: str, node: cst.CSTNode, avoid: set[str]
                 ) -> tuple[tuple[str, None], cst.BaseExpression] | None:
        """`_runtime`'s plan with its guard, when `c` is `fn`'s own name, bound before `node`
        runs and not rebound by it (nor one of `avoid`), and the builtins it calls are."""
        if plan is None or plan[1] in avoid | bound_names(node) or not all(
                is_builtin(module, b) for b in ("dict", "map", "ord", "set")):
            return None
        current = parent_of.get(node)
        while current is not None and current is not fn:
            if isinstance(current, _SCOPES):
                return None  # `c` may be another scope's
            current = parent_of.get(current)
        test = cst.parse_expression(f"type({s}) is str and type({plan[1]}) is str")
        if current is None or not bound_before(fn, plan[1], top_index(node)) or \
                known_false(node, test, parent_of):
            return None
        live.append(plan[1])
        return (plan[0], None), test

    def fast(plan: tuple[str, str | None], s: str) -> cst.BaseExpression:
        code, literal = plan
        name = ""
        if literal is not None:
            name = fresh_name(module, f"_{context.name.upper()}_TABLE_{len(tables) + 1}")
            tables.append(cst.parse_statement(f"{name} = {literal}\n"))
        seen.append(s)
        return cst.parse_expression(code.replace("{T}", name))

    def usable(plan: tuple[str, str | None] | None) -> tuple[str, str | None] | None:
        # A table goes beside the function; beside a method it would land in the class body,
        # where the method cannot see it as a bare name: a method takes run-time tables only.
        return None if plan is not None and plan[1] is not None and context.is_method else plan

    def guard(s: str) -> cst.BaseExpression:
        return cst.parse_expression(f"type({s}) is str and {s}.isascii()")

    class Transform(cst.CSTTransformer):
        def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
            if len(original.args) != 1 or original.args[0].keyword or original.args[0].star:
                return updated
            comp = _comprehension(original.args[0].value)
            if comp is None:
                return updated
            if m.matches(original.func, m.Name("sum")):
                kind = "sum"
            elif isinstance(original.func, cst.Attribute) and original.func.attr.value == "join" \
                    and isinstance(original.func.value, cst.SimpleString) \
                    and original.func.value.evaluated_value == "":
                kind = "map"
            else:
                return updated
            c, elt, conds, s = comp
            is_char = lambda node: m.matches(node, m.Name(c))  # noqa: E731
            plan = usable(table_plan(kind, conds, elt, is_char, known_at(original), module, s))
            test = guard(s)
            if known_false(original, test, parent_of):  # the original this rule kept
                return updated
            if plan is None:
                dynamic = run_time(runtime_plan(kind, conds, elt, is_char, s), s,
                                   original.args[0].value, {s})
                if dynamic is None:
                    return updated
                plan, test = dynamic
            return cst.IfExp(test=test, body=fast(plan, s), orelse=updated,
                             lpar=[cst.LeftParen()], rpar=[cst.RightParen()])

        def leave_For(self, original: cst.For, updated: cst.For) -> cst.BaseStatement:
            shape = _loop(original)
            if shape is None or read_outside(original, fn, parent_of):
                return updated
            aug, conds = shape
            assert isinstance(aug.target, cst.Name)
            kind = _accumulator(fn, aug.target.value, aug)
            if isinstance(original.iter, cst.Name) and isinstance(original.target, cst.Name):
                s = seq = original.iter.value
                c = original.target.value
                is_char: Any = lambda node: m.matches(node, m.Name(c))  # noqa: E731
            else:
                index = _index_loop(original)
                if index is None or not is_builtin(module, "range"):
                    return updated
                s, seq, is_char = index
            if kind is None or aug.target.value == s or known_false(original, guard(s),
                                                                    parent_of):
                return updated
            step = "sum" if kind == "int" else "map"
            plan = usable(table_plan(step, conds, aug.value, is_char, known_at(original), module,
                                     seq))
            test = guard(s)
            if plan is None:
                avoid = {s, aug.target.value} | target_names(original.target)
                dynamic = run_time(runtime_plan(step, conds, aug.value, is_char, seq), s,
                                   original, avoid)
                if dynamic is None:
                    return updated
                plan, test = dynamic
            statement = cst.SimpleStatementLine([cst.AugAssign(
                target=aug.target, operator=cst.AddAssign(), value=fast(plan, s))])
            return cst.If(test=test, body=cst.IndentedBlock([statement]),
                          orelse=cst.Else(cst.IndentedBlock([updated.with_changes(
                              leading_lines=())])),
                          leading_lines=original.leading_lines)

    new_fn = fn.visit(Transform())
    if not seen:
        return None
    new_body: list[Any] = []
    for statement in module.body:
        new_body += [*tables, new_fn] if statement is fn else [statement]
    if len(live) == len(seen):
        how = (f"it tests membership in `{live[0]}`, so the table deleting `{live[0]}`'s "
               "characters is built when the code runs and `s.translate` makes one C pass over "
               "any `str` (Unicode too) when both are exact strings; other inputs still take "
               "the loop")
    else:
        how = ("the rule evaluated that step on all 128 ASCII characters once and made it a "
               "table, so an ASCII string is processed in one C pass (`translate`), other "
               "inputs still take the loop")
    return Rewrite(module.with_changes(body=new_body).code, (),
                   f"a Python-level step ran for every character of `{seen[0]}`; {how}")


def _loop(loop: cst.For) -> tuple[cst.AugAssign, list[cst.BaseExpression]] | None:
    """(acc += E, conditions) when that, under at most one `if` without else, is the body."""
    if loop.orelse is not None or loop.asynchronous is not None or \
            not isinstance(loop.body, cst.IndentedBlock) or len(loop.body.body) != 1:
        return None
    statement, conds = loop.body.body[0], []
    if isinstance(statement, cst.If) and statement.orelse is None and \
            isinstance(statement.body, cst.IndentedBlock) and len(statement.body.body) == 1:
        conds, statement = [statement.test], statement.body.body[0]
    if not (isinstance(statement, cst.SimpleStatementLine) and len(statement.body) == 1):
        return None
    aug = statement.body[0]
    if not (isinstance(aug, cst.AugAssign) and isinstance(aug.operator, cst.AddAssign)
            and isinstance(aug.target, cst.Name)
            and aug.target.value not in target_names(loop.target)):
        return None
    return aug, conds


RULE = Rule(
    name="char-table",
    idea="turn a per-character count, sum, map or filter over an ASCII string into one "
         "str.translate pass in C with a table computed once, instead of a Python step per "
         "character",
    apply=apply,
)
