"""`re.search("pattern", s)` inside a loop → the pattern compiled once before the loop.

Every module-level `re` call looks the pattern up in `re`'s cache (hashing the pattern string
and flags) before matching; for short subjects that lookup is much of the cost. Compiling once
and calling the pattern's method skips it. Safe when the pattern is a string literal, the call
passes exactly the arguments the compiled method takes positionally (no flags, no counts), and
`re` is the standard module, imported as such.

Outside loops, `regex_hoist` compiles a literal once where the function is defined, and calls a
pattern held in a name through its own method when it is compiled (its docstring has the proof).
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from lesson_lsp.team.rewrites import regex_hoist
from lesson_lsp.team.rewrites.base import (
    Rewrite,
    RewriteContext,
    Rule,
    first_form,
    parse_with_parents,
)
from lesson_lsp.team.rewrites.bindings import fresh_name, may_import
from lesson_lsp.team.rewrites.edits import AroundStatement
from lesson_lsp.team.rewrites.loops import loop_of

# function → how many positional arguments it takes besides the pattern, without flags
_ARITY = {"match": 1, "search": 1, "fullmatch": 1, "findall": 1, "finditer": 1, "split": 1,
          "sub": 2, "subn": 2}



def apply(source: str, context: RewriteContext) -> Rewrite | None:
    found = parse_with_parents(source, context.name)
    if found is None:
        return None
    module, fn, parent_of = found
    if not may_import(module, fn, "re"):
        return None
    for call in m.findall(fn.body, m.Call(func=m.Attribute(value=m.Name("re")))):
        assert isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)
        name = call.func.attr.value
        if name not in _ARITY or len(call.args) != 1 + _ARITY[name] or \
                any(a.keyword is not None or a.star for a in call.args):
            continue
        pattern = call.args[0].value
        if not isinstance(pattern, (cst.SimpleString, cst.ConcatenatedString)):
            continue
        loop = loop_of(call, parent_of, fn)
        if loop is None or not isinstance(parent_of.get(loop), cst.IndentedBlock):
            continue
        compiled = fresh_name(module, "pattern")
        return _rewrite(module, loop, pattern, compiled)
    return None


def _rewrite(module: cst.Module, loop: cst.CSTNode, pattern: cst.BaseExpression,
             compiled: str) -> Rewrite:
    class Transform(AroundStatement):
        def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
            if self.inside and isinstance(original.func, cst.Attribute) and \
                    m.matches(original.func.value, m.Name("re")) and \
                    original.func.attr.value in _ARITY and \
                    len(original.args) == 1 + _ARITY[original.func.attr.value] and \
                    original.args[0].value.deep_equals(pattern) and \
                    all(a.keyword is None and not a.star for a in original.args):
                return regex_hoist.without_pattern(
                    updated, cst.Attribute(value=cst.Name(compiled), attr=original.func.attr),
                    len(updated.args))
            return updated

    code = cst.Module([]).code_for_node(pattern)
    before = [cst.parse_statement(f"{compiled} = re.compile({code})")]
    new_module = module.visit(Transform(loop, before))
    return Rewrite(new_module.code, ("import re",),
                   f"`re` looked the pattern {code} up in its cache on every pass of the loop; "
                   f"it is compiled once before the loop as `{compiled}`")


RULE = Rule(
    name="regex-compile",
    idea="compile a regular expression once (before the loop, or where the function is "
         "defined) instead of passing the pattern to re on every pass or call, and call a "
         "compiled pattern's own method instead of handing it to re",
    apply=first_form(apply, regex_hoist.apply_literal, regex_hoist.apply_compiled),
)
