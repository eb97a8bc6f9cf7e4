"""`m = max(m, x)` → `if x > m: m = x` (and `min` with `<`).

A running maximum kept with the builtin pays a global lookup and a C call with an argument
tuple on every pass; one comparison does the same work. The rewrite reproduces `max`'s exact
choice: `max(a, b)` keeps `a` unless `b > a`, so `max(m, x)` becomes `if x > m: m = x` and
`max(x, m)` becomes `if not m > x: m = x` (equal or unordered values, NaN included, pick the
same object). Safe when both arguments are plain names (each evaluated once either way), there
is no `key`/`default`, and `max`/`min` are the builtins.
"""

from __future__ import annotations

import libcst as cst

from lesson_lsp.team.rewrites.base import Rewrite, RewriteContext, Rule, parse_function
from lesson_lsp.team.rewrites.bindings import is_builtin
from lesson_lsp.team.rewrites.edits import with_function
from lesson_lsp.team.rewrites.shapes import call_to

_OPERATOR = {"max": ">", "min": "<"}


def _running(statement: cst.SimpleStatementLine, allowed: set[str]) -> cst.If | None:
    if len(statement.body) != 1 or not isinstance(statement.body[0], cst.Assign):
        return None
    assign = statement.body[0]
    if len(assign.targets) != 1 or not isinstance(assign.targets[0].target, cst.Name):
        return None
    m = assign.targets[0].target.value
    call = assign.value
    if not isinstance(call, cst.Call) or not isinstance(call.func, cst.Name) or \
            call.func.value not in allowed or not call_to(call, call.func.value, 2):
        return None
    a, b = (arg.value for arg in call.args)
    if not (isinstance(a, cst.Name) and isinstance(b, cst.Name)) or a.value == b.value:
        return None
    op = _OPERATOR[call.func.value]
    if a.value == m:
        test = f"{b.value} {op} {m}"
        x = b.value
    elif b.value == m:
        test = f"not {m} {op} {a.value}"
        x = a.value
    else:
        return None
    new = cst.parse_statement(f"if {test}:\n    {m} = {x}\n")
    assert isinstance(new, cst.If)
    return new.with_changes(leading_lines=statement.leading_lines)


def apply(source: str, context: RewriteContext) -> Rewrite | None:
    found = parse_function(source, context.name)
    if found is None:
        return None
    module, fn = found
    allowed = {name for name in _OPERATOR if is_builtin(module, name)}
    changed: list[str] = []

    class Transform(cst.CSTTransformer):
        def leave_SimpleStatementLine(self, original: cst.SimpleStatementLine,
                                      updated: cst.SimpleStatementLine
                                      ) -> cst.BaseStatement:
            new = _running(updated, allowed)
            if new is None:
                return updated
            changed.append(cst.Module([]).code_for_node(updated.body[0]).strip())
            comment = updated.trailing_whitespace
            if comment.comment is not None:  # keep it on the `if` line
                new = new.with_changes(body=new.body.with_changes(header=comment))
            return new

    new_fn = fn.visit(Transform())
    if not changed:
        return None
    return Rewrite(with_function(module, fn, new_fn), (),
                   f"`{changed[0]}` called a builtin on every pass to keep a running extreme; "
                   "one comparison does the same")


RULE = Rule(
    name="minmax-compare",
    idea="keep a running max/min with one comparison instead of calling max()/min() per item",
    apply=apply,
)
