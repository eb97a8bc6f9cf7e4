"""A generator expression handed to a consumer that takes every element → a comprehension.

`sum(x.w for x in xs)`, `"".join(s for s in parts)`, `tuple(f(x) for x in xs)`: the consumer
pulls every element, so the generator's laziness buys nothing, and each element costs a resume of
the generator's frame. A list comprehension runs the same loop in one frame (CPython 3.11:
1.3–1.8× on the call, for 10–100 elements). Real hot code does this everywhere (networkx's
degree and weight sums, docutils' and Markdown's joins); the consumers are the builtins and
`str.join`.

The proof, in two parts.

* **Consumers that build a sequence first** — `tuple(g)`, `list(g)`, `sorted(g, …)`, and
  `S.join(g)` on a string literal (or a name this function binds only to string literals): each
  turns its argument into a list before it does anything else (CPython's `PySequence_Tuple`,
  `PySequence_List`, `PySequence_Fast`), so computing the list first with `[… for …]` runs the
  same code in the same order: exactly equivalent, whatever the elements do. `list(g)` becomes
  the comprehension itself; `set(g)` a set comprehension and `dict((k, v) for …)` a dict
  comprehension, which add each element as it comes, as the constructors do (the pair's key, then
  its value, then the insertion). `sorted`'s `key=`/`reverse=` are then evaluated after the
  elements instead of before: they must be names, constants or lambdas (nothing the elements'
  code could change), or only read when the elements only read.
* **Consumers that reduce as they go** — `sum(g[, start])`, `min(g)`, `max(g)` (with `default=`
  and a `key=` that is a builtin or a lambda that only reads): the rewrite computes every element
  before the first addition or comparison instead of between them. That is unobservable when the
  elements, the `if`s and the inner loops' iterables only read (`effects.reads_only`: names,
  items, attributes, operators, builtins and read-only methods), since then nothing the addition
  or comparison does can change an element not yet computed, and numbers' `+`/`<` change
  nothing. The list holds every element for a moment: the first iterable may not be a `range`
  of unknown length (a `range(len(xs))` is as long as `xs`).

Always: the consumer is the builtin (nothing in the module rebinds it), the generator has no
`async for` and no `await`; names bound in the generator stay in the comprehension's own scope,
as they did in the generator's. Which exception a bad input raises first may change for the
reducers (an element's before an addition's); the harness compares exceptions too.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from lesson_lsp.team.rewrites.base import Rewrite, RewriteContext, Rule, parse_function
from lesson_lsp.team.rewrites.bindings import bound_names, is_builtin, param_names
from lesson_lsp.team.rewrites.edits import with_function, without
from lesson_lsp.team.rewrites.effects import reads_only
from lesson_lsp.team.rewrites.shapes import comp_clauses, has_any

_BUILDERS = frozenset({"tuple", "list", "sorted", "set", "dict"})
_REDUCERS = frozenset({"sum", "min", "max"})
_STRING = m.SimpleString() | m.ConcatenatedString()
_KEY_BUILTINS = frozenset({"len", "abs", "str", "int", "float", "repr", "ord", "hash", "type"})
_LONGEST_RANGE = 1_000_000


def _lazy_parts(gen: cst.GeneratorExp, clauses: list[cst.CompFor]) -> list[cst.CSTNode]:
    """What the generator computes as it goes: the element, every `if`, the inner iterables."""
    parts: list[cst.CSTNode] = [gen.elt]
    for i, clause in enumerate(clauses):
        if i:
            parts.append(clause.iter)
        parts.extend(condition.test for condition in clause.ifs)
    return parts


def _bounded(module: cst.Module, iterable: cst.BaseExpression) -> bool:
    """Not a `range` that could be long: a list of it could hold far more than the code had."""
    if not (isinstance(iterable, cst.Call) and isinstance(iterable.func, cst.Name)
            and iterable.func.value == "range"):
        return True
    for arg in iterable.args:
        value = arg.value
        if isinstance(value, cst.Integer) and value.evaluated_value <= _LONGEST_RANGE:
            continue
        if isinstance(value, cst.Call) and isinstance(value.func, cst.Name) and \
                value.func.value == "len" and is_builtin(module, "len"):
            continue
        return False
    return True


def _inert(module: cst.Module, value: cst.BaseExpression, reading: bool) -> bool:
    """A keyword's value the elements' code cannot change: a name, a constant, a lambda without
    defaults; or, when the elements only read, anything that only reads."""
    if isinstance(value, (cst.Name, cst.Integer, cst.Float, cst.SimpleString)):
        return True
    if isinstance(value, cst.Lambda) and \
            all(p.default is None for p in value.params.params):
        return True
    return reading and reads_only(module, value)


def _pure_key(module: cst.Module, value: cst.BaseExpression) -> bool:
    """A `key=` a reducer may call after every element is computed: it only reads."""
    if isinstance(value, cst.Name):
        return value.value in _KEY_BUILTINS and is_builtin(module, value.value)
    if isinstance(value, cst.Lambda):
        return not value.params.kwonly_params and \
            all(p.default is None for p in value.params.params) and \
            reads_only(module, value.body)
    return False


def _string_names(fn: cst.FunctionDef) -> set[str]:
    """Names `fn` binds only by `name = "literal"`, never a parameter."""
    literal = [a for a in m.findall(fn, m.Assign(targets=[m.AssignTarget(m.Name())],
                                                 value=_STRING)) if isinstance(a, cst.Assign)]
    names = {a.targets[0].target.value for a in literal
             if isinstance(a.targets[0].target, cst.Name)}
    rest = without(fn, {id(a) for a in literal})
    others = bound_names(rest) if isinstance(rest, cst.CSTNode) else set()
    return names - others - set(param_names(fn))


def _consumer(module: cst.Module, call: cst.Call, strings: set[str]) -> str | None:
    """What kind of consumer `call` is: "builder", "join", "reducer", or None."""
    func = call.func
    if isinstance(func, cst.Attribute) and func.attr.value == "join" and (
            m.matches(func.value, _STRING) or
            (isinstance(func.value, cst.Name) and func.value.value in strings)):
        return "join"
    if isinstance(func, cst.Name) and is_builtin(module, func.value):
        if func.value in _BUILDERS:
            return "builder"
        if func.value in _REDUCERS:
            return "reducer"
    return None


def _eligible(module: cst.Module, call: cst.Call, kind: str) -> bool:
    gen = call.args[0].value
    assert isinstance(gen, cst.GeneratorExp)
    clauses = comp_clauses(gen)
    if clauses is None or has_any(gen, (cst.Await,)):
        return False
    parts = _lazy_parts(gen, clauses)
    reading = all(reads_only(module, part) for part in parts)
    positional = [a for a in call.args if a.keyword is None]
    keywords = {a.keyword.value: a.value for a in call.args if a.keyword is not None}
    if any(a.star for a in call.args) or positional[0] is not call.args[0]:
        return False
    name = call.func.value if isinstance(call.func, cst.Name) else "join"
    if kind == "join" or name in ("tuple", "list", "set"):
        return len(call.args) == 1
    if name == "dict":
        return len(call.args) == 1 and isinstance(gen.elt, cst.Tuple) and \
            len(gen.elt.elements) == 2 and \
            not any(isinstance(e, cst.StarredElement) for e in gen.elt.elements)
    if name == "sorted":
        return len(positional) == 1 and set(keywords) <= {"key", "reverse"} and \
            all(_inert(module, v, reading) for v in keywords.values())
    # the reducers
    if not reading or not _bounded(module, clauses[0].iter):
        return False
    if name == "sum":
        return not keywords and len(positional) <= 2 and \
            all(reads_only(module, a.value) for a in positional[1:])
    return len(positional) == 1 and set(keywords) <= {"key", "default"} and \
        reads_only(module, keywords.get("default", cst.Name("None"))) and \
        ("key" not in keywords or _pure_key(module, keywords["key"]))


def _list_of(gen: cst.GeneratorExp) -> cst.ListComp:
    """`[…]` in place of the generator, its own parentheses' whitespace kept in the brackets."""
    after = gen.lpar[0].whitespace_after if gen.lpar else cst.SimpleWhitespace("")
    before = gen.rpar[-1].whitespace_before if gen.rpar else cst.SimpleWhitespace("")
    return cst.ListComp(elt=gen.elt, for_in=gen.for_in,
                        lbracket=cst.LeftSquareBracket(whitespace_after=after),
                        rbracket=cst.RightSquareBracket(whitespace_before=before))


def _display(call: cst.Call, gen: cst.GeneratorExp) -> cst.BaseExpression:
    """`list(g)`, `set(g)`, `dict(g)` → the comprehension itself, in the call's place."""
    assert isinstance(call.func, cst.Name)
    after = call.whitespace_before_args
    before = call.args[0].whitespace_after_arg
    if call.func.value == "list":
        return cst.ListComp(elt=gen.elt, for_in=gen.for_in, lpar=call.lpar, rpar=call.rpar,
                            lbracket=cst.LeftSquareBracket(whitespace_after=after),
                            rbracket=cst.RightSquareBracket(whitespace_before=before))
    if call.func.value == "set":
        return cst.SetComp(elt=gen.elt, for_in=gen.for_in, lpar=call.lpar, rpar=call.rpar,
                           lbrace=cst.LeftCurlyBrace(whitespace_after=after),
                           rbrace=cst.RightCurlyBrace(whitespace_before=before))
    assert isinstance(gen.elt, cst.Tuple)
    key, value = (e.value for e in gen.elt.elements)
    return cst.DictComp(key=key, value=value, for_in=gen.for_in, lpar=call.lpar,
                        rpar=call.rpar, lbrace=cst.LeftCurlyBrace(whitespace_after=after),
                        rbrace=cst.RightCurlyBrace(whitespace_before=before))


def apply(source: str, context: RewriteContext) -> Rewrite | None:
    found = parse_function(source, context.name)
    if found is None:
        return None
    module, fn = found
    strings = _string_names(fn)
    seen: list[str] = []

    class Transform(cst.CSTTransformer):
        def leave_Call(self, original: cst.Call, updated: cst.Call) -> cst.BaseExpression:
            if not original.args or not isinstance(original.args[0].value, cst.GeneratorExp):
                return updated
            kind = _consumer(module, original, strings)
            if kind is None or not _eligible(module, original, kind) or \
                    not isinstance(updated.args[0].value, cst.GeneratorExp):
                return updated
            gen = updated.args[0].value
            name = original.func.value if isinstance(original.func, cst.Name) else "str.join"
            seen.append(name)
            if name in ("list", "set", "dict"):
                return _display(updated, gen)
            return updated.with_changes(
                args=[updated.args[0].with_changes(value=_list_of(gen)), *updated.args[1:]])

    new_fn = fn.visit(Transform())
    if not seen:
        return None
    names = ", ".join(f"`{n}`" for n in dict.fromkeys(seen))
    return Rewrite(with_function(module, fn, new_fn), (),
                   f"{names} took every element of a generator expression, resuming its frame "
                   "once per element; a comprehension computes the same elements in one loop")


RULE = Rule(
    name="eager-comprehension",
    idea="give a consumer that takes every element (sum, join, tuple, sorted, min, max) a "
         "comprehension instead of a generator expression, which pays a frame resume per "
         "element for a laziness nobody uses",
    apply=apply,
)
