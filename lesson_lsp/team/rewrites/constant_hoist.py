"""A dict, set or list of constants built on every call and only read → built once, where the
function is defined.

`types = {type(None): 0, bool: 1, int: 2, …}` at the top of a function called 100,000 times
(tabulate's `_more_generic`, 8 % of its workload) builds the same table on every call; CPython
folds constant tuples, never a dict, set or list display held in a name. The rewrite builds it
once, at module level beside the function, and the function's statement becomes
`types = _more_generic_types`, so the name stays a fast local and the rest of the function is
untouched (3.4× on `_more_generic`). A table holding a call (`type(None)`) is built at the first
call instead (`global _f_types` / `if _f_types is None: _f_types = {…}`), since only literals and
names may run at import. Methods are left alone: a class attribute can mean something
else to its class (an `Enum` member, a pydantic private attribute).

The proof. The display's parts are constants that evaluate the same at import as at every call:
literals, `None`/`True`/`False`, builtins that nothing in the module rebinds (`int`, `str`,
`type(None)`), negative numbers and tuples of these. Every value the container can hand out is
immutable, so no caller can change what it gets. The function only reads the name: its one
binding is this statement (no other assignment, loop target, `del`, `global`/`nonlocal`, not a
parameter, no nested scope binding it), and every use is an item read (`t[k]`, not stored or
deleted), membership (`k in t`), iteration (`for k in t`, comprehensions), a read-only method
(`get`, `keys`, `values`, `items`, `index`, `count`, `copy`) or the argument of a builtin that only
reads it and keeps nothing (`len`, `sorted`, `list`, `max`, `any`, …; not `id`, not `is`). So the
container itself never leaves the function and never changes: one built at import is equal, in
everything the function can observe, to one built by each call. The new name is the function's
own (`_<function>_<name>`).
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
from lesson_lsp.team.rewrites.bindings import (
    bound_names,
    is_builtin,
    name_nodes,
    names_in,
    param_names,
)
from lesson_lsp.team.rewrites.edits import without

_READ_METHODS = frozenset({"get", "keys", "values", "items", "index", "count", "copy"})
_READ_BUILTINS = frozenset({"len", "sorted", "list", "tuple", "set", "frozenset", "dict", "max",
                            "min", "sum", "any", "all", "enumerate", "zip", "reversed", "iter",
                            "str", "repr", "bool"})
_NAMED_CONSTANTS = frozenset({"None", "True", "False"})


def _constant(module: cst.Module, node: cst.BaseExpression) -> bool:
    """An immutable value that evaluates the same at import and at every call."""
    if isinstance(node, (cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString)):
        return True
    if isinstance(node, cst.ConcatenatedString):
        return _constant(module, node.left) and _constant(module, node.right)
    if isinstance(node, cst.Name):
        return node.value in _NAMED_CONSTANTS or is_builtin(module, node.value)
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        return isinstance(node.expression, (cst.Integer, cst.Float))
    if isinstance(node, cst.Tuple):
        return all(isinstance(e, cst.Element) and _constant(module, e.value)
                   for e in node.elements)
    return m.matches(node, m.Call(func=m.Name("type"), args=[m.Arg(m.Name("None"))])) and \
        is_builtin(module, "type")


def _importable(node: cst.CSTNode) -> bool:
    """Literals, names and displays of them: what the harness lets a candidate run on import
    (a call such as `type(None)` is not; such a table is built at the first call instead)."""
    return not m.findall(node, m.Call())


def _display(module: cst.Module, value: cst.BaseExpression) -> bool:
    """A dict, set or list display of constants (a tuple of constants is folded already)."""
    if isinstance(value, cst.Dict):
        return bool(value.elements) and all(
            isinstance(e, cst.DictElement) and _constant(module, e.key)
            and _constant(module, e.value) for e in value.elements)
    if isinstance(value, (cst.Set, cst.List)):
        return bool(value.elements) and all(
            isinstance(e, cst.Element) and _constant(module, e.value) for e in value.elements)
    return False


def _read(use: cst.Name, module: cst.Module, parent_of: Parents) -> bool:
    """`use` only reads the container and hands nothing of it out but its items."""
    parent = parent_of.get(use)
    if isinstance(parent, cst.Subscript) and parent.value is use:
        above = parent_of.get(parent)
        stored = isinstance(above, (cst.AssignTarget, cst.Del)) or (
            isinstance(above, (cst.AugAssign, cst.AnnAssign)) and above.target is parent)
        return not stored
    if isinstance(parent, cst.Attribute) and parent.value is use:
        call = parent_of.get(parent)
        return parent.attr.value in _READ_METHODS and isinstance(call, cst.Call) and \
            call.func is parent
    if isinstance(parent, cst.ComparisonTarget):
        return parent.comparator is use and isinstance(parent.operator, (cst.In, cst.NotIn))
    if isinstance(parent, (cst.For, cst.CompFor)):
        return parent.iter is use
    if isinstance(parent, cst.Arg) and parent.value is use and not parent.star and \
            parent.keyword is None:
        call = parent_of.get(parent)
        return isinstance(call, cst.Call) and isinstance(call.func, cst.Name) and \
            call.func.value in _READ_BUILTINS and is_builtin(module, call.func.value)
    return False


def _label(name: cst.Name, parent_of: Parents) -> bool:
    """`name` is not a variable: an attribute's name or a keyword argument's."""
    parent = parent_of.get(name)
    return (isinstance(parent, cst.Attribute) and parent.attr is name) or \
        (isinstance(parent, cst.Arg) and parent.keyword is name)


def _tables(module: cst.Module, fn: cst.FunctionDef, parent_of: Parents
            ) -> list[tuple[cst.SimpleStatementLine, str]]:
    """The top-level statements `name = display` of `fn` this rule can build once."""
    found = []
    body = fn.body.body if isinstance(fn.body, cst.IndentedBlock) else ()
    for line in body:
        if not (isinstance(line, cst.SimpleStatementLine) and len(line.body) == 1):
            continue
        assign = line.body[0]
        if not (isinstance(assign, cst.Assign) and len(assign.targets) == 1
                and isinstance(assign.targets[0].target, cst.Name)
                and _display(module, assign.value)):
            continue
        name = assign.targets[0].target.value
        rest = without(fn, {id(line)})
        if not isinstance(rest, cst.FunctionDef) or name in bound_names(rest.body) or \
                name in param_names(fn):
            continue
        uses = [n for n in names_in(fn.body, name) if n is not assign.targets[0].target
                and not _label(n, parent_of)]
        if uses and all(_read(use, module, parent_of) for use in uses):
            found.append((line, name))
    return found


def apply(source: str, context: RewriteContext) -> Rewrite | None:
    found = parse_with_parents(source, context.name)
    if found is None:
        return None
    module, fn, parent_of = found
    if context.is_method:
        return None
    tables = _tables(module, fn, parent_of)
    if not tables:
        return None
    base = context.name.lstrip("_")
    moved: dict[int, tuple[str, bool]] = {}  # statement → the new name, built lazily
    statements: list[cst.BaseStatement] = []
    taken = {n.value for n in name_nodes(module)}
    for line, name in tables:
        new = f"_{base}_{name}"
        while new in taken:
            new += "_"
        taken.add(new)
        assign = line.body[0]
        assert isinstance(assign, cst.Assign)
        lazy = not _importable(assign.value)
        moved[id(line)] = (new, lazy)
        if lazy:
            statements.append(cst.parse_statement(f"{new} = None"))
        else:
            statements.append(line.with_changes(
                body=[assign.with_changes(targets=[cst.AssignTarget(cst.Name(new))])]))

    class Transform(cst.CSTTransformer):
        def leave_SimpleStatementLine(self, original: cst.SimpleStatementLine,
                                      updated: cst.SimpleStatementLine
                                      ) -> cst.BaseStatement | cst.FlattenSentinel[
                                          cst.BaseStatement]:
            if id(original) not in moved:
                return updated
            new, lazy = moved[id(original)]
            assign = updated.body[0]
            assert isinstance(assign, cst.Assign)
            read = updated.with_changes(body=[assign.with_changes(value=cst.Name(new))],
                                        trailing_whitespace=cst.TrailingWhitespace(),
                                        leading_lines=[])
            if not lazy:
                return read
            built = updated.with_changes(
                body=[assign.with_changes(targets=[cst.AssignTarget(cst.Name(new))])],
                leading_lines=[])
            first = cst.parse_statement(f"global {new}")
            assert isinstance(first, cst.SimpleStatementLine)
            return cst.FlattenSentinel([
                first.with_changes(leading_lines=updated.leading_lines),
                cst.If(test=cst.parse_expression(f"{new} is None"),
                       body=cst.IndentedBlock(body=[built])),
                read])

    new_fn = fn.visit(Transform())
    assert isinstance(new_fn, cst.FunctionDef)
    new_fn = new_fn.with_changes(leading_lines=[cst.EmptyLine(), cst.EmptyLine(),
                                                *fn.leading_lines])
    body: list[cst.CSTNode] = []
    for statement in module.body:
        body.extend([*statements, new_fn] if statement is fn else [statement])
    names = ", ".join(f"`{name}`" for _, name in tables)
    return Rewrite(module.with_changes(body=body).code, (),
                   f"{names} held a table of constants rebuilt on every call and only read; "
                   "it is built once at module level and the function reads that one")


RULE = Rule(
    name="constant-hoist",
    idea="build a dict/set/list of constants that the function only reads once, where the "
         "function is defined, instead of on every call",
    apply=apply,
)
