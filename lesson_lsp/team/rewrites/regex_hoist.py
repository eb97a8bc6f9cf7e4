"""`regex-compile`'s forms for a call that is not in a loop: the function itself is the loop.

A hot function is called many times; `re.search("literal", s)` in it pays `re`'s cache lookup
(a tuple of type, pattern and flags hashed, then a dict probe, behind two Python calls) on every
call, and `re.match(PATTERN, s)` with an already compiled `PATTERN` pays more: a compiled
pattern is never a key of that cache, so each call hashes it (its whole code), misses, raises and
catches KeyError, and only then returns the pattern itself (CPython 3.11 `re._compile`).

**A literal pattern** is compiled once, where the function is defined: at module level before the
function (not for a method: a class attribute can mean something else to its class, an `Enum`
member, a pydantic private attribute). The proof:
`re.F(p, *args)` is `re._compile(p, flags).F(*args)`, `re.compile(p, flags)` builds an equal,
immutable pattern every time, so building it once gives the same matches. The rule compiles the
literal itself and refuses one that does not compile (it would then raise when the module is
imported instead of when the function is called); flags, when given, are `re.NAME` constants
(or `|` of them); `re` is the standard module (nothing in the function binds the name, and the
module imports it plainly or not at all: the rewrite imports it). The new name is the function's
own (`_<function>_re`), so two functions never share one.

**A pattern held in a name** (`re.match(PATTERN, s)`) → `PATTERN.match(s) if type(PATTERN) is
re.Pattern else re.match(PATTERN, s)`: for a compiled pattern and no flags, `re._compile`
returns the pattern itself, so the call is the pattern's own method with the same arguments;
anything else (a string, a subclass of str) takes the original call. `re.Pattern` cannot be
subclassed, so the exact-type test is the `isinstance` test `re` makes. Reading a name twice has
no effect.

Both forms take only calls whose arguments are positional and exactly those the pattern's method
takes in the same order (`sub(p, repl, s)` → `sub(repl, s)`; `findall(p, s)`: a third argument
would be flags for `re`, a start position for the pattern).
"""

from __future__ import annotations

import ast
import re

import libcst as cst
import libcst.matchers as m

from lesson_lsp.team.rewrites.base import Rewrite, RewriteContext, parse_with_parents
from lesson_lsp.team.rewrites.bindings import may_import
from lesson_lsp.team.rewrites.edits import merged_whitespace
from lesson_lsp.team.rewrites.loops import loop_of
from lesson_lsp.team.rewrites.repeats import known_false

# function → positional arguments besides the pattern, and whether flags may follow them
_ARITY = {"match": 1, "search": 1, "fullmatch": 1, "findall": 1, "finditer": 1, "split": 1,
          "sub": 2, "subn": 2}
# the functions whose next positional argument is `flags` (`sub`'s is `count`, `split`'s
# `maxsplit`)
_FLAGS_NEXT = frozenset({"match", "search", "fullmatch", "findall", "finditer"})
_FLAG_NAMES = frozenset({"A", "ASCII", "I", "IGNORECASE", "L", "LOCALE", "M", "MULTILINE",
                         "S", "DOTALL", "U", "UNICODE", "X", "VERBOSE"})
_STRING = m.SimpleString() | m.ConcatenatedString()
_EMPTY = cst.Module([])


def _re_call(call: cst.Call) -> str | None:
    """The `re` function `call` calls, when its arguments are all positional."""
    func = call.func
    if not (isinstance(func, cst.Attribute) and m.matches(func.value, m.Name("re"))):
        return None
    name = func.attr.value
    if name not in _ARITY or any(a.keyword is not None or a.star for a in call.args):
        return None
    return name


def _flag_value(node: cst.BaseExpression) -> int | None:
    """The value of `re.I | re.M …`, or None for anything else."""
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, cst.BitOr):
        left, right = _flag_value(node.left), _flag_value(node.right)
        return None if left is None or right is None else left | right
    if isinstance(node, cst.Attribute) and m.matches(node.value, m.Name("re")) and \
            node.attr.value in _FLAG_NAMES:
        return int(getattr(re, node.attr.value))
    return None


def _compiles(pattern: cst.BaseExpression, flags: int) -> bool:
    """The literal is a str or bytes pattern `re.compile` accepts with these flags."""
    try:
        value = ast.literal_eval(_EMPTY.code_for_node(pattern).strip())
        re.compile(value, flags)
    except (ValueError, SyntaxError, TypeError, re.error, RecursionError, MemoryError):
        return False
    return isinstance(value, (str, bytes))


def _literal_sites(fn: cst.FunctionDef, parent_of: dict[cst.CSTNode, cst.CSTNode]
                   ) -> list[tuple[cst.Call, int]]:
    """The calls `re.F("literal", …)` outside loops, with their flags."""
    sites = []
    for call in m.findall(fn.body, m.Call()):
        assert isinstance(call, cst.Call)
        name = _re_call(call)
        if name is None or not call.args or \
                not m.matches(call.args[0].value, _STRING) or \
                loop_of(call, parent_of, fn) is not None:
            continue
        extra = len(call.args) - 1 - _ARITY[name]
        flags = 0 if extra == 0 else _flag_value(call.args[-1].value) \
            if extra == 1 and name in _FLAGS_NEXT else None
        if flags is None or not _compiles(call.args[0].value, flags):
            continue
        sites.append((call, flags))
    return sites


def apply_literal(source: str, context: RewriteContext) -> Rewrite | None:
    found = parse_with_parents(source, context.name)
    if found is None:
        return None
    module, fn, parent_of = found
    if context.is_method or not may_import(module, fn, "re"):
        return None
    sites = _literal_sites(fn, parent_of)
    if not sites:
        return None
    base = f"_{context.name.lstrip('_')}_re"
    names: dict[str, str] = {}  # pattern and flags, spelled → the name compiled once
    statements: list[cst.BaseStatement] = []
    for call, flags in sites:
        key = _EMPTY.code_for_node(call.args[0].value) + (
            f", {_EMPTY.code_for_node(call.args[-1].value)}" if flags else "")
        if key not in names:
            names[key] = base if not names else f"{base}_{len(names) + 1}"
            statements.append(cst.parse_statement(f"{names[key]} = re.compile({key})"))
    by_call = {id(call): names[_EMPTY.code_for_node(call.args[0].value) + (
        f", {_EMPTY.code_for_node(call.args[-1].value)}" if flags else "")]
        for call, flags in sites}

    class Transform(cst.CSTTransformer):
        def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
            name = by_call.get(id(original))
            if name is None:
                return updated
            assert isinstance(updated.func, cst.Attribute)
            method = updated.func.attr.value
            return without_pattern(updated, cst.Attribute(cst.Name(name), updated.func.attr),
                                   1 + _ARITY[method])

    new_fn = fn.visit(Transform())
    assert isinstance(new_fn, cst.FunctionDef)
    new_fn = new_fn.with_changes(leading_lines=[cst.EmptyLine(), cst.EmptyLine(),
                                                *fn.leading_lines])
    body: list[cst.CSTNode] = []
    for statement in module.body:
        body.extend([*statements, new_fn] if statement is fn else [statement])
    return Rewrite(module.with_changes(body=body).code, ("import re",),
                   f"`re` looked {len(names)} pattern(s) up in its cache on every call of "
                   f"`{context.name}`; they are compiled once when the module is imported as "
                   f"{', '.join(f'`{n}`' for n in names.values())}")


def without_pattern(call: cst.Call, func: cst.BaseExpression, keep: int) -> cst.Call:
    """`call` as a call of `func` without its first argument (the pattern) and its arguments
    from `keep` on (the flags), every comment around them kept."""
    args = list(call.args)
    dropped = [args[0].whitespace_after_arg] + (
        [args[0].comma.whitespace_before, args[0].comma.whitespace_after]
        if isinstance(args[0].comma, cst.Comma) else [])
    kept = args[1:keep]
    if keep < len(args):  # the flags go: the last argument kept ends the call
        spaces = [kept[-1].whitespace_after_arg]
        for arg in [kept[-1], *args[keep:]]:
            if arg is not kept[-1]:
                spaces.append(arg.whitespace_after_arg)
            if isinstance(arg.comma, cst.Comma):
                spaces += [arg.comma.whitespace_before, arg.comma.whitespace_after]
        kept[-1] = kept[-1].with_changes(comma=cst.MaybeSentinel.DEFAULT,
                                         whitespace_after_arg=merged_whitespace(*spaces))
    return call.with_changes(
        func=func, args=kept,
        whitespace_before_args=merged_whitespace(call.whitespace_before_args, *dropped))


def _guard(name: str) -> cst.BaseExpression:
    return cst.parse_expression(f"type({name}) is re.Pattern")


def apply_compiled(source: str, context: RewriteContext) -> Rewrite | None:
    found = parse_with_parents(source, context.name)
    if found is None:
        return None
    module, fn, parent_of = found
    if not may_import(module, fn, "re"):
        return None
    sites: set[int] = set()
    for call in m.findall(fn.body, m.Call()):
        assert isinstance(call, cst.Call)
        name = _re_call(call)
        if name is None or len(call.args) != 1 + _ARITY[name] or \
                not isinstance(call.args[0].value, cst.Name) or \
                known_false(call, _guard(call.args[0].value.value), parent_of):
            continue
        sites.add(id(call))
    if not sites:
        return None
    seen: list[str] = []

    class Transform(cst.CSTTransformer):
        def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
            if id(original) not in sites:
                return updated
            assert isinstance(updated.func, cst.Attribute) and \
                isinstance(updated.args[0].value, cst.Name)
            pattern = updated.args[0].value.value
            seen.append(pattern)
            fast = without_pattern(updated, cst.Attribute(cst.Name(pattern), updated.func.attr),
                                   len(updated.args)).with_changes(lpar=[], rpar=[])
            plain = updated.with_changes(lpar=[], rpar=[])
            alone = isinstance(parent_of.get(original), (cst.Arg, cst.Return, cst.Assign))
            return cst.IfExp(test=_guard(pattern), body=fast, orelse=plain,
                             lpar=[] if alone else [cst.LeftParen()],
                             rpar=[] if alone else [cst.RightParen()])

    new_module = module.visit(Transform())
    names = ", ".join(f"`{n}`" for n in dict.fromkeys(seen))
    return Rewrite(new_module.code, ("import re",),
                   f"`re` was handed the compiled pattern {names} and looked it up in its "
                   "cache on every call (a miss, a KeyError raised and caught, then the pattern "
                   "itself); the pattern's own method is called when it is compiled")

