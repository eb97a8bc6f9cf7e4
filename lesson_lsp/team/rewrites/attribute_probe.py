"""Exception-driven attribute probes → no exception on the common path.

Raising and catching AttributeError costs about a microsecond (the exception, its message, the
traceback, the handler's match) where a test costs tens of nanoseconds. Two probes recur in real
code:

**A str that is probed for a bytes method.** tabulate's `_isnumber_with_thousands_separator`
(18 % of its workload) starts with

    try:
        string = string.decode()
    except (UnicodeDecodeError, AttributeError):
        pass

and is given a str almost always, so every call raises. The rewrite puts the `try` under
`if type(string) is not str:`. The proof: for an exact `str` (`type(x) is str`, so no subclass
and no instance attributes), `x.M` raises AttributeError when `str` has no attribute `M` (checked
by the rule: `decode`, `read`, …); the lookup is the first thing the statement does (`v = x.M(…)`
or `x.M(…)`: the object, then the attribute, before any argument); every handler of the `try`
only passes and binds no name, and one of them catches AttributeError (by name, `Exception`, or
bare); there is no `else` (it runs only when nothing was raised) and no `finally`. So for a str
the `try` does nothing but raise and catch, and skipping it does the same; anything else, str
subclasses included, runs the `try` as before. `type` and `str` are the builtins.

**An attribute read with a fallback.** `try: v = o.a` / `except AttributeError: v = D` (or
`return o.a` / `return D`) → `v = getattr(o, "a", D)`: `getattr` with a default evaluates `o`,
looks the attribute up, and returns the default exactly when that lookup raises AttributeError
(from the type, a property, `__getattr__`), which is what the handler catches; CPython does it
without creating the exception for plain objects. `o` is a name (nothing else in the statement
can raise AttributeError), `a` one attribute, `D` a constant (evaluated first now: it must not
be able to raise or do anything), the handler is exactly `except AttributeError:` with that one
statement, no `as`, `else` or `finally`; `getattr` and `AttributeError` are the builtins.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from lesson_lsp.team.rewrites.base import (
    Parents,
    Rewrite,
    RewriteContext,
    Rule,
    parse_with_parents,
)
from lesson_lsp.team.rewrites.bindings import is_builtin
from lesson_lsp.team.rewrites.edits import with_comments_of, with_function
from lesson_lsp.team.rewrites.shapes import spelling

_CATCH_ATTRIBUTE = frozenset({"AttributeError", "Exception", "BaseException"})
_CONSTANT = m.Integer() | m.Float() | m.SimpleString() | m.Name("None") | m.Name("True") \
    | m.Name("False") | m.Tuple(elements=[])


def _caught(handler: cst.ExceptHandler, module: cst.Module) -> set[str] | None:
    """The builtin exception names a handler catches ("BaseException" for a bare one), or None
    when it names anything else (whose meaning this rule cannot know)."""
    if handler.type is None:
        return {"BaseException"}
    kinds = handler.type.elements if isinstance(handler.type, cst.Tuple) else \
        [cst.Element(handler.type)]
    names: set[str] = set()
    for kind in kinds:
        if not isinstance(kind, cst.Element) or not isinstance(kind.value, cst.Name) or \
                not is_builtin(module, kind.value.value):
            return None
        names.add(kind.value.value)
    return names


def _only_statement(body: cst.BaseSuite) -> cst.BaseSmallStatement | None:
    if isinstance(body, cst.IndentedBlock) and len(body.body) == 1 and \
            isinstance(body.body[0], cst.SimpleStatementLine) and \
            len(body.body[0].body) == 1:
        return body.body[0].body[0]
    return None


def _probed(statement: cst.BaseSmallStatement) -> tuple[str, str] | None:
    """`v = x.M(…)` or `x.M(…)`: the name `x` and the method `M`."""
    value = statement.value if isinstance(statement, (cst.Assign, cst.Expr)) else None
    if isinstance(value, cst.Call) and isinstance(value.func, cst.Attribute) and \
            isinstance(value.func.value, cst.Name):
        return value.func.value.value, value.func.attr.value
    return None


def _str_probe(node: cst.Try, module: cst.Module, parent_of: Parents) -> str | None:
    """The name a `try` probes for a method str lacks, when skipping it for a str is exact."""
    if node.orelse is not None or node.finalbody is not None or not node.handlers:
        return None
    statement = _only_statement(node.body)
    probed = _probed(statement) if statement is not None else None
    if probed is None or hasattr(str, probed[1]):
        return None
    catches = False
    for handler in node.handlers:
        caught = _caught(handler, module)
        if caught is None or handler.name is not None or \
                not isinstance(_only_statement(handler.body), cst.Pass):
            return None
        catches = catches or bool(caught & _CATCH_ATTRIBUTE)
    name = probed[0]
    block = parent_of.get(node)
    guard = parent_of.get(block) if block is not None else None
    if isinstance(guard, cst.If) and \
            spelling(guard.test) == spelling(_guard(name)):
        return None  # already under the guard
    return name if catches else None


def _guard(name: str) -> cst.BaseExpression:
    return cst.parse_expression(f"type({name}) is not str")


def _fallback(node: cst.Try, module: cst.Module) -> cst.BaseSmallStatement | None:
    """`try: v = o.a except AttributeError: v = D` as one statement with `getattr`."""
    if node.orelse is not None or node.finalbody is not None or len(node.handlers) != 1:
        return None
    handler = node.handlers[0]
    if handler.name is not None or _caught(handler, module) != {"AttributeError"} or \
            not isinstance(handler.type, cst.Name):
        return None
    tried, rescue = _only_statement(node.body), _only_statement(handler.body)
    if tried is None or rescue is None:
        return None
    if isinstance(tried, cst.Return) and isinstance(rescue, cst.Return):
        read, default = tried.value, rescue.value
    elif isinstance(tried, cst.Assign) and isinstance(rescue, cst.Assign) and \
            len(tried.targets) == len(rescue.targets) == 1 and \
            isinstance(tried.targets[0].target, cst.Name) and \
            m.matches(rescue.targets[0].target, m.Name(tried.targets[0].target.value)):
        read, default = tried.value, rescue.value
    else:
        return None
    if not (isinstance(read, cst.Attribute) and isinstance(read.value, cst.Name)) or \
            default is None or not m.matches(default, _CONSTANT):
        return None
    call = cst.Call(func=cst.Name("getattr"), args=[
        cst.Arg(read.value, comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
        cst.Arg(cst.SimpleString(f'"{read.attr.value}"'),
                comma=cst.Comma(whitespace_after=cst.SimpleWhitespace(" "))),
        cst.Arg(default)])
    return tried.with_changes(value=call)


def apply(source: str, context: RewriteContext) -> Rewrite | None:
    found = parse_with_parents(source, context.name)
    if found is None:
        return None
    module, fn, parent_of = found
    if not all(is_builtin(module, n) for n in ("type", "str", "getattr", "AttributeError")):
        return None
    guarded: dict[int, str] = {}
    merged: dict[int, cst.BaseSmallStatement] = {}
    for node in m.findall(fn.body, m.Try()):
        assert isinstance(node, cst.Try)
        if not isinstance(parent_of.get(node), cst.IndentedBlock):
            continue
        name = _str_probe(node, module, parent_of)
        if name is not None:
            guarded[id(node)] = name
            continue
        statement = _fallback(node, module)
        if statement is not None:
            merged[id(node)] = statement
    if not guarded and not merged:
        return None

    class Transform(cst.CSTTransformer):
        def leave_Try(self, original: cst.Try, updated: cst.Try) -> cst.BaseStatement:
            if id(original) in guarded:
                inner = updated.with_changes(leading_lines=[])
                return cst.If(test=_guard(guarded[id(original)]),
                              body=cst.IndentedBlock(body=[inner]),
                              leading_lines=updated.leading_lines)
            if id(original) in merged:
                line = cst.SimpleStatementLine(body=[merged[id(original)]],
                                               leading_lines=updated.leading_lines)
                return with_comments_of([updated], line)
            return updated

    new_fn = fn.visit(Transform())
    parts = []
    if guarded:
        parts.append(f"`{next(iter(guarded.values()))}` was probed for a method str does not "
                     "have, raising and catching AttributeError on every str; the probe now "
                     "runs only for other types")
    if merged:
        parts.append("an attribute read with an AttributeError fallback is one `getattr` "
                     "with a default, which does not raise")
    return Rewrite(with_function(module, fn, new_fn), (), "; ".join(parts))


RULE = Rule(
    name="attribute-probe",
    idea="do not raise and catch AttributeError on the common path: skip a probe for a method "
         "str lacks when the value is a str, and read an attribute with a fallback through "
         "getattr's default",
    apply=apply,
)
