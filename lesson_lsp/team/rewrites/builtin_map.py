"""`f(x) for x in xs` with a builtin `f` → `map(f, xs)`.

A comprehension runs interpreted bytecode and a call per item; `map` with a builtin runs the
whole loop in C. The generator form is rewritten only where a consumer takes it at once (`sum`,
`max`, `set`, `"".join`, …), so nobody can tell a map object from a generator. Safe when `f` is
the builtin everywhere in the module (nothing rebinds the name), the comprehension has one
`for` over a plain name target and no `if`, and the element is exactly `f(x)`.

(Mapping `S.__contains__` over items to count membership was tried and dropped: on CPython 3.11
a slot wrapper call costs more than the generator's `in`.)
"""

from __future__ import annotations

import libcst as cst

from lesson_lsp.team.rewrites.base import Rewrite, RewriteContext, Rule, parse_function
from lesson_lsp.team.rewrites.bindings import is_builtin
from lesson_lsp.team.rewrites.edits import with_function
from lesson_lsp.team.rewrites.shapes import call_to

# Builtins that take one argument, have no side effects and may be looked up once.
_PURE = frozenset({"abs", "len", "str", "int", "float", "ord", "chr", "bool", "repr", "bin",
                   "hex", "oct", "sorted", "tuple", "list", "set", "frozenset", "sum", "min",
                   "max", "round", "hash", "complex", "reversed", "type"})
# Consumers that take an iterable at once and never look at its type.
_CONSUMERS = frozenset({"sum", "min", "max", "any", "all", "set", "frozenset", "tuple", "list",
                        "sorted", "dict"})


def _single_for(comp: cst.BaseSimpleComp) -> cst.CompFor | None:
    for_in = comp.for_in
    if for_in.inner_for_in is not None or for_in.ifs or for_in.asynchronous is not None or \
            not isinstance(for_in.target, cst.Name):
        return None
    return for_in


def apply(source: str, context: RewriteContext) -> Rewrite | None:
    found = parse_function(source, context.name)
    if found is None:
        return None
    module, fn = found
    pure = {name for name in _PURE if is_builtin(module, name)}
    consumers = {name for name in _CONSUMERS if is_builtin(module, name)}
    seen: list[str] = []

    def mapped(comp: cst.BaseSimpleComp) -> cst.Call | None:
        for_in = _single_for(comp)
        if for_in is None:
            return None
        assert isinstance(for_in.target, cst.Name)
        x = for_in.target.value
        element = comp.elt
        if isinstance(element, cst.Call) and isinstance(element.func, cst.Name) and \
                element.func.value in pure and call_to(element, element.func.value, 1) and \
                isinstance(element.args[0].value, cst.Name) and element.args[0].value.value == x:
            seen.append(f"`{element.func.value}`")
            return cst.Call(func=cst.Name("map"), args=[
                cst.Arg(cst.Name(element.func.value), comma=_comma()),
                cst.Arg(for_in.iter)])
        return None

    class Transform(cst.CSTTransformer):
        def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
            func = updated.func
            consumer = (isinstance(func, cst.Name) and func.value in consumers) or (
                isinstance(func, cst.Attribute) and func.attr.value == "join"
                and isinstance(func.value, (cst.SimpleString, cst.Name)))
            if not consumer or len(updated.args) != 1 or updated.args[0].keyword is not None \
                    or updated.args[0].star or not isinstance(updated.args[0].value,
                                                               cst.GeneratorExp):
                return updated
            new = mapped(updated.args[0].value)
            if new is None:
                return updated
            return updated.with_changes(args=[cst.Arg(new)])

        def leave_ListComp(self, original: cst.ListComp, updated: cst.ListComp
                           ) -> cst.BaseExpression:
            new = mapped(updated)
            if new is None:
                return updated
            return cst.Call(func=cst.Name("list"), args=[cst.Arg(new)],
                            lpar=updated.lpar, rpar=updated.rpar)

        def leave_SetComp(self, original: cst.SetComp, updated: cst.SetComp
                          ) -> cst.BaseExpression:
            new = mapped(updated)
            if new is None:
                return updated
            return cst.Call(func=cst.Name("set"), args=[cst.Arg(new)],
                            lpar=updated.lpar, rpar=updated.rpar)

    if not is_builtin(module, "map") or not is_builtin(module, "list") or \
            not is_builtin(module, "set"):
        return None
    new_fn = fn.visit(Transform())
    if not seen:
        return None
    return Rewrite(with_function(module, fn, new_fn), (),
                   f"a comprehension called {', '.join(dict.fromkeys(seen))} once per item in "
                   "bytecode; `map` runs the same loop in C")


def _comma() -> cst.Comma:
    return cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))


RULE = Rule(
    name="builtin-map",
    idea="let map run a builtin over every item in C instead of a comprehension calling it",
    apply=apply,
)
