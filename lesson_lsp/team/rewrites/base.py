"""What a rewrite rule is, and the libcst plumbing the rules share.

A rule is a small compiler pass: a precise pattern, the preconditions that make it safe, and a
transform that keeps comments and formatting. It refuses (returns None) when in doubt; the harness
still checks whatever it proposes.
"""

from __future__ import annotations

import builtins
import functools
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

import libcst as cst
import libcst.matchers as m
from libcst.metadata import MetadataWrapper, ParentNodeProvider


@dataclass(frozen=True)
class RewriteContext:
    name: str  # the function's own name
    is_method: bool = False


@dataclass(frozen=True)
class Rewrite:
    source: str
    imports: tuple[str, ...] = ()
    summary: str = ""  # what the rule saw and did, in words for the lesson


@dataclass(frozen=True)
class Rule:
    """One rewrite: `apply` returns a Rewrite or None when its preconditions do not hold."""

    name: str
    idea: str  # one sentence: why this is faster, reused in lessons
    apply: Callable[[str, RewriteContext], Rewrite | None] = field(compare=False)


def parse_function(source: str, name: str) -> tuple[cst.Module, cst.FunctionDef] | None:
    """The module of `source` and its top-level function `name`, or None."""
    try:
        module = cst.parse_module(source)
    except cst.ParserSyntaxError:
        return None
    for statement in module.body:
        if isinstance(statement, cst.FunctionDef) and statement.name.value == name:
            return module, statement
    return None


def parents(module: cst.Module) -> tuple[cst.Module, dict[cst.CSTNode, cst.CSTNode]]:
    """The module as libcst resolves metadata on it, and each node's parent."""
    wrapper = MetadataWrapper(module, unsafe_skip_copy=True)
    return wrapper.module, dict(wrapper.resolve(ParentNodeProvider))


def names_in(node: cst.CSTNode, name: str) -> list[cst.Name]:
    """Every `Name` node spelled `name` under `node`."""
    found: list[cst.Name] = []

    class Finder(cst.CSTVisitor):
        def visit_Name(self, n: cst.Name) -> None:
            if n.value == name:
                found.append(n)

    node.visit(Finder())
    return found


def param_names(fn: cst.FunctionDef) -> list[str]:
    p = fn.params
    names = [x.name.value for x in (*p.posonly_params, *p.params, *p.kwonly_params)]
    if isinstance(p.star_arg, cst.Param):
        names.append(p.star_arg.name.value)
    if p.star_kwarg is not None:
        names.append(p.star_kwarg.name.value)
    return names


def fresh_name(module: cst.Module, base: str) -> str:
    """`base`, or `base_2`, … : a name the module does not use yet."""
    used = set(_all_names(module))
    name, i = base, 2
    while name in used:
        name, i = f"{base}_{i}", i + 1
    return name


def _all_names(module: cst.Module) -> list[str]:
    found: list[str] = []

    class Finder(cst.CSTVisitor):
        def visit_Name(self, n: cst.Name) -> None:
            found.append(n.value)

    module.visit(Finder())
    return found


def has_any(node: cst.CSTNode, kinds: tuple[type[cst.CSTNode], ...]) -> bool:
    hit = False

    class Finder(cst.CSTVisitor):
        def on_visit(self, n: cst.CSTNode) -> bool:
            nonlocal hit
            if isinstance(n, kinds):
                hit = True
            return not hit

    node.visit(Finder())
    return hit


Parents = dict[cst.CSTNode, cst.CSTNode]


def parse_with_parents(source: str, name: str
                       ) -> tuple[cst.Module, cst.FunctionDef, Parents] | None:
    """Like `parse_function`, with each node's parent (for rules that look at a name's use)."""
    found = parse_function(source, name)
    if found is None:
        return None
    module, parent_of = parents(found[0])
    fn = next(s for s in module.body if isinstance(s, cst.FunctionDef) and s.name.value == name)
    return module, fn, parent_of


def outer_loops(fn: cst.FunctionDef) -> list[cst.CSTNode]:
    """The `for`/`while` loops of `fn` that no other loop encloses."""
    loops: list[cst.CSTNode] = []

    class Finder(cst.CSTVisitor):
        def visit_For(self, node: cst.For) -> bool:
            loops.append(node)
            return False

        def visit_While(self, node: cst.While) -> bool:
            loops.append(node)
            return False

    fn.body.visit(Finder())
    return loops


def self_contained_loops(fn: cst.FunctionDef, parent_of: Parents) -> list[cst.CSTNode]:
    """The outermost loops of `fn` that cannot leave the function part way (no `return`,
    `yield` or `try`) and stand in a block, where statements can go before and after them."""
    return [loop for loop in outer_loops(fn)
            if not has_any(loop, (cst.Return, cst.Yield, cst.Try))
            and isinstance(parent_of.get(loop), cst.IndentedBlock)]


def is_len_argument(name: cst.Name, parent_of: dict[cst.CSTNode, cst.CSTNode]) -> bool:
    """`name` is the argument of a call to `len`."""
    arg = parent_of.get(name)
    call = parent_of.get(arg) if isinstance(arg, cst.Arg) else None
    return isinstance(call, cst.Call) and isinstance(call.func, cst.Name) and \
        call.func.value == "len"


def membership_tests(node: cst.CSTNode) -> list[cst.ComparisonTarget]:
    """Every `… in NAME` / `… not in NAME` under `node`."""
    found: list[cst.ComparisonTarget] = []

    class Finder(cst.CSTVisitor):
        def visit_ComparisonTarget(self, target: cst.ComparisonTarget) -> None:
            if isinstance(target.operator, (cst.In, cst.NotIn)) and \
                    isinstance(target.comparator, cst.Name):
                found.append(target)

    node.visit(Finder())
    return found


class AroundStatement(cst.CSTTransformer):
    """Puts statements before and after one statement (the anchor, usually a loop) and tells
    the subclass, through `inside`, whether the node being left lies within it."""

    def __init__(self, anchor: cst.CSTNode, before: Sequence[cst.BaseStatement],
                 after: Sequence[cst.BaseStatement] = ()) -> None:
        super().__init__()
        self.anchor, self.before, self.after = anchor, list(before), list(after)
        self.inside = 0

    def on_visit(self, node: cst.CSTNode) -> bool:
        if node is self.anchor:
            self.inside += 1
        return super().on_visit(node)

    def on_leave(self, original: cst.CSTNode, updated: cst.CSTNode):  # type: ignore[override]
        result = super().on_leave(original, updated)
        if original is self.anchor and isinstance(result, cst.BaseStatement):
            self.inside -= 1
            return cst.FlattenSentinel([*self.before, result, *self.after])
        return result


def is_membership_of(target: cst.ComparisonTarget, name: str) -> bool:
    """`target` is `in NAME` or `not in NAME`."""
    return isinstance(target.operator, (cst.In, cst.NotIn)) and \
        isinstance(target.comparator, cst.Name) and target.comparator.value == name


class SwapMembership(AroundStatement):
    """Builds `set_name = set(name)` before the anchor and turns `x in name` inside it into
    `x in set_name`."""

    def __init__(self, anchor: cst.CSTNode, name: str, set_name: str,
                 build: str = "") -> None:
        super().__init__(anchor, [cst.parse_statement(build or f"{set_name} = set({name})")])
        self.name, self.set_name = name, set_name

    def leave_ComparisonTarget(self, original: cst.ComparisonTarget,
                               updated: cst.ComparisonTarget) -> cst.ComparisonTarget:
        if self.inside and is_membership_of(original, self.name):
            return updated.with_changes(comparator=cst.Name(self.set_name))
        return updated


def with_function(module: cst.Module, old: cst.FunctionDef, new: Any) -> str:
    """The module's code with its top-level function `old` replaced by `new`."""
    return module.with_changes(body=[new if s is old else s for s in module.body]).code


def bound_names(node: cst.CSTNode) -> set[str]:
    """Every name that `node` binds somewhere: assignments, loop and `with` targets,
    parameters, `def`/`class`, imports, walrus, `except … as`, `global`/`nonlocal`."""
    found: set[str] = set()

    def targets(target: cst.CSTNode) -> None:
        if isinstance(target, cst.Name):
            found.add(target.value)
        elif isinstance(target, (cst.Tuple, cst.List)):
            for element in target.elements:
                targets(element.value)
        elif isinstance(target, cst.StarredElement):
            targets(target.value)

    class Finder(cst.CSTVisitor):
        def visit_AssignTarget(self, n: cst.AssignTarget) -> None:
            targets(n.target)

        def visit_AugAssign(self, n: cst.AugAssign) -> None:
            targets(n.target)

        def visit_AnnAssign(self, n: cst.AnnAssign) -> None:
            targets(n.target)

        def visit_For(self, n: cst.For) -> None:
            targets(n.target)

        def visit_CompFor(self, n: cst.CompFor) -> None:
            targets(n.target)

        def visit_WithItem(self, n: cst.WithItem) -> None:
            if n.asname is not None:
                targets(n.asname.name)

        def visit_Param(self, n: cst.Param) -> None:
            found.add(n.name.value)

        def visit_FunctionDef(self, n: cst.FunctionDef) -> None:
            found.add(n.name.value)

        def visit_ClassDef(self, n: cst.ClassDef) -> None:
            found.add(n.name.value)

        def visit_NamedExpr(self, n: cst.NamedExpr) -> None:
            targets(n.target)

        def visit_ExceptHandler(self, n: cst.ExceptHandler) -> None:
            if n.name is not None:
                targets(n.name.name)

        def visit_ImportAlias(self, n: cst.ImportAlias) -> None:
            if n.asname is not None:
                targets(n.asname.name)
            elif isinstance(n.name, cst.Name):
                found.add(n.name.value)
            else:  # import a.b binds a
                value: cst.BaseExpression = n.name
                while isinstance(value, cst.Attribute):
                    value = value.value
                targets(value)

        def visit_Global(self, n: cst.Global) -> None:
            found.update(item.name.value for item in n.names)

        def visit_Nonlocal(self, n: cst.Nonlocal) -> None:
            found.update(item.name.value for item in n.names)

    node.visit(Finder())
    return found


def target_names(target: cst.CSTNode) -> set[str]:
    """The names an assignment or loop target binds."""
    found: set[str] = set()

    class Finder(cst.CSTVisitor):
        def visit_Name(self, n: cst.Name) -> None:
            found.add(n.value)

        def visit_Attribute(self, n: cst.Attribute) -> bool:
            return False

        def visit_Subscript(self, n: cst.Subscript) -> bool:
            return False

    target.visit(Finder())
    return found


def is_builtin(module: cst.Module, name: str) -> bool:
    """`name` means the builtin of that name everywhere in `module` (nothing rebinds it)."""
    rebound = _rebound(module)
    return hasattr(builtins, name) and rebound is not None and name not in rebound


@functools.lru_cache(maxsize=16)
def _rebound(module: cst.Module) -> frozenset[str] | None:
    """The names `module` binds, walked once per module however many builtins a rule asks
    about; None when a star import could bind anything."""
    if any(isinstance(small, cst.ImportFrom) and isinstance(small.names, cst.ImportStar)
           for statement in module.body if isinstance(statement, cst.SimpleStatementLine)
           for small in statement.body):
        return None
    return frozenset(bound_names(module))


def call_to(node: cst.CSTNode, name: str, args: int | None = None) -> bool:
    """`node` is `name(…)` with plain positional arguments (exactly `args` of them if given)."""
    if not (isinstance(node, cst.Call) and isinstance(node.func, cst.Name)
            and node.func.value == name):
        return False
    if any(a.keyword is not None or a.star for a in node.args):
        return False
    return args is None or len(node.args) == args


def operand(node: cst.BaseExpression) -> str:
    """`node`'s code, parenthesised unless it is a name or a number, ready to be an operand."""
    code = cst.Module([]).code_for_node(node.with_changes(lpar=[], rpar=[]))
    return code if isinstance(node, (cst.Name, cst.Integer)) else f"({code})"


def within(node: cst.CSTNode, ancestor: cst.CSTNode, parent_of: Parents) -> bool:
    """`node` is `ancestor` or lies under it."""
    current: cst.CSTNode | None = node
    while current is not None:
        if current is ancestor:
            return True
        current = parent_of.get(current)
    return False


def loop_of(node: cst.CSTNode, parent_of: Parents, stop: cst.CSTNode) -> cst.CSTNode | None:
    """The outermost `for`/`while` around `node`, below `stop`."""
    outer = None
    current = parent_of.get(node)
    while current is not None and current is not stop:
        if isinstance(current, (cst.For, cst.While)):
            outer = current
        current = parent_of.get(current)
    return outer


def reads(node: cst.CSTNode, parent_of: dict[cst.CSTNode, cst.CSTNode]) -> bool:
    """`node` is only read: not assigned, deleted, the object of an attribute (a method call
    could change it), nor subscripted to store into it. Reading an item (`xs[i]`, and what is
    done with that item) reads `xs`."""
    parent = parent_of.get(node)
    if _stored(node, parent):
        return False
    if isinstance(parent, cst.Attribute) and parent.value is node:
        return False
    if isinstance(parent, cst.Subscript) and parent.value is node:
        return not _stored(parent, parent_of.get(parent))
    return True


def _stored(node: cst.CSTNode, parent: cst.CSTNode | None) -> bool:
    return isinstance(parent, (cst.AssignTarget, cst.Del)) or \
        (isinstance(parent, (cst.AugAssign, cst.AnnAssign)) and parent.target is node)


# Builtins that reach variables or attributes by name: nothing they touch can be followed.
UNSAFE_BUILTINS = frozenset({"exec", "eval", "setattr", "delattr", "vars", "globals", "locals"})
_READ_ONLY_BUILTINS = frozenset({"len", "int", "str", "abs", "min", "max", "sum", "sorted",
                                 "any", "all", "isinstance", "bool", "float", "ord", "chr",
                                 "range", "enumerate", "zip", "tuple", "set", "frozenset",
                                 "repr", "hash", "round", "divmod", "pow", "bin", "hex"})


# Methods of str (and of numbers) that only read their object.
_READ_ONLY_METHODS = frozenset({"isalpha", "isdigit", "isalnum", "isspace", "isupper", "islower",
                                "isnumeric", "isdecimal", "lower", "upper", "strip", "lstrip",
                                "rstrip", "startswith", "endswith", "split", "count", "find",
                                "casefold", "bit_length", "is_integer"})


def calls_leave_alone(module: cst.Module, fn: cst.FunctionDef, node: cst.CSTNode,
                      name: str) -> bool:
    """No call under `node` can change the object `name` holds: each is a builtin that is not
    handed `name` (or only reads it), a function nested in `fn` that never mentions it, or a
    read-only string method of one of its items."""
    nested = {s.name.value: s for s in fn.body.body if isinstance(s, cst.FunctionDef)} \
        if isinstance(fn.body, cst.IndentedBlock) else {}
    unshared = unshared_locals(fn)

    class Finder(cst.CSTVisitor):
        ok = True

        def visit_Call(self, call: cst.Call) -> None:
            func = call.func
            if isinstance(func, cst.Name):
                if func.value in nested and not names_in(nested[func.value], name):
                    return
                if is_builtin(module, func.value) and func.value not in UNSAFE_BUILTINS and (
                        func.value in _READ_ONLY_BUILTINS or not any(
                            isinstance(a.value, cst.Name) and a.value.value == name
                            for a in call.args)):
                    return
            elif isinstance(func, cst.Attribute) and func.attr.value in _READ_ONLY_METHODS and \
                    isinstance(func.value, cst.Subscript) and \
                    isinstance(func.value.value, cst.Name) and func.value.value.value == name:
                return  # `xs[i].isalpha()`: a string method of one item
            elif isinstance(func, cst.Attribute) and isinstance(func.value, cst.Name) and \
                    func.value.value in unshared and func.value.value != name and \
                    not any(_hands_on(a, name) for a in call.args):
                return  # `out.append(x)`: a container of this function's own, not `name`
            self.ok = False

    finder = Finder()
    node.visit(finder)
    return finder.ok


def _hands_on(arg: cst.Arg, name: str) -> bool:
    """The argument is `name` itself, or a lambda that could reach it later."""
    return (isinstance(arg.value, cst.Name) and arg.value.value == name) or \
        any(names_in(closure, name) for closure in m.findall(arg, m.Lambda()))


_EMPTY = m.List([]) | m.Dict([]) | m.Call(func=m.Name("list") | m.Name("dict") | m.Name("set"),
                                            args=[])


@functools.lru_cache(maxsize=16)
def unshared_locals(fn: cst.FunctionDef) -> frozenset[str]:
    """Names of `fn` that only ever hold an empty container made right there and are used only
    as the object of a method call or a subscript, in `len`, or returned: no other name can hold
    the same object, so calling their methods cannot change anything else the function reads."""
    wrapped, parent_of = parents(cst.Module(body=[fn]))
    function = wrapped.body[0]
    candidates: dict[str, bool] = {}
    for assign in m.findall(function, m.Assign(targets=[m.AssignTarget(m.Name())])):
        assert isinstance(assign, cst.Assign) and isinstance(assign.targets[0].target, cst.Name)
        name = assign.targets[0].target.value
        candidates[name] = candidates.get(name, True) and m.matches(assign.value, _EMPTY)

    def held(use: cst.Name) -> bool:
        parent = parent_of.get(use)
        return isinstance(parent, (cst.AssignTarget, cst.Return)) or is_len_argument(
            use, parent_of) or \
            (isinstance(parent, (cst.Attribute, cst.Subscript)) and parent.value is use)

    unshared = {name for name, empty in candidates.items()
                if empty and all(held(use) for use in names_in(function, name))}
    rebound = {"list", "dict", "set"} & bound_names(function)
    return frozenset() if rebound else frozenset(unshared)


def read_outside(loop: cst.For, fn: cst.FunctionDef, parent_of: Parents) -> bool:
    """A variable of `loop` may be read outside it: its last value would be seen. Uses that a
    later `for` rebinds first (its target, or anywhere in its body) do not count."""
    names = target_names(loop.target)
    for name in names:
        for use in names_in(fn.body, name):
            current: cst.CSTNode | None = use
            while current is not None and current is not loop:
                parent = parent_of.get(current)
                if isinstance(parent, cst.For) and current is not parent.iter and \
                        name in target_names(parent.target):
                    break  # a later loop rebinds it first
                current = parent
            if current is None:
                return True
    return False


_ARITHMETIC = (cst.Add, cst.Subtract, cst.Multiply, cst.FloorDivide)


def pure_arithmetic(node: cst.BaseExpression) -> bool:
    """Names, integers and + - * // of them: for numbers, reading it twice gives the same value
    and does nothing else."""
    if isinstance(node, (cst.Name, cst.Integer)):
        return True
    if isinstance(node, cst.UnaryOperation) and isinstance(node.operator, cst.Minus):
        return pure_arithmetic(node.expression)
    if isinstance(node, cst.BinaryOperation) and isinstance(node.operator, _ARITHMETIC):
        return pure_arithmetic(node.left) and pure_arithmetic(node.right)
    return False


def imports_plainly(module: cst.Module, name: str) -> bool:
    """`module` has `import name` (no alias) at its top level."""
    plain = m.Import(names=[m.ImportAlias(name=m.Name(name), asname=None)])
    return any(m.matches(small, plain) for statement in module.body
               if isinstance(statement, cst.SimpleStatementLine) for small in statement.body)


def may_import(module: cst.Module, fn: cst.FunctionDef, name: str) -> bool:
    """A rewrite can use the standard module `name` by adding `import name`: nothing in `fn`
    binds the name, and the module either imports it plainly or binds it nowhere."""
    return name not in bound_names(fn) and \
        (imports_plainly(module, name) or name not in bound_names(module))


_PURE_NODES = (cst.Name, cst.Integer, cst.Float, cst.SimpleString, cst.ConcatenatedString,
               cst.Comparison, cst.ComparisonTarget, cst.BooleanOperation, cst.BinaryOperation,
               cst.UnaryOperation, cst.Tuple, cst.Element, cst.Subscript, cst.SubscriptElement,
               cst.Index, cst.Slice, cst.Attribute, cst.Arg, cst.IfExp, cst.LeftParen,
               cst.RightParen, cst.Comma, cst.Colon, cst.Dot, cst.SimpleWhitespace, cst.Comment,
               cst.EmptyLine, cst.TrailingWhitespace, cst.Newline, cst.ParenthesizedWhitespace,
               cst.BaseBinaryOp, cst.BaseBooleanOp, cst.BaseCompOp, cst.BaseUnaryOp)


def side_effect_free(module: cst.Module, node: cst.CSTNode) -> bool:
    """`node` only reads: names, constants, operators, items, attributes, and calls of builtins
    or string methods that only read. Evaluating it fewer times changes nothing but which
    exception a bad input raises."""

    class Finder(cst.CSTVisitor):
        ok = True

        def on_visit(self, n: cst.CSTNode) -> bool:
            if isinstance(n, cst.Call):
                func = n.func
                if isinstance(func, cst.Name) and func.value in _READ_ONLY_BUILTINS and \
                        is_builtin(module, func.value):
                    return self.ok
                if isinstance(func, cst.Attribute) and func.attr.value in _READ_ONLY_METHODS:
                    func.value.visit(self)
                    for arg in n.args:
                        arg.visit(self)
                    return False
                self.ok = False
            elif not isinstance(n, _PURE_NODES):
                self.ok = False
            return self.ok

    finder = Finder()
    node.visit(finder)
    return finder.ok


def without(node: cst.CSTNode, drop: set[int]) -> object:
    """`node` with the statements whose ids are in `drop` removed (what is left, or a removal
    sentinel when `node` itself goes): for asking what the rest of a loop does."""

    class Remove(cst.CSTTransformer):
        def on_leave(self, original: cst.CSTNode, updated: cst.CSTNode):  # type: ignore[override]
            if id(original) in drop:
                return cst.RemoveFromParent()
            return updated

    return node.visit(Remove())


def _comment_values(node: cst.CSTNode) -> list[str]:
    found: list[str] = []

    class Finder(cst.CSTVisitor):
        def visit_Comment(self, comment: cst.Comment) -> None:
            found.append(comment.value)

    node.visit(Finder())
    return found


Statement = TypeVar("Statement", cst.SimpleStatementLine, cst.BaseCompoundStatement)


def with_comments_of(old: Sequence[cst.CSTNode], new: Statement) -> Statement:
    """`new` with every comment of the `old` statements it replaces that it does not hold
    already, as lines of their own above it: folding statements together must not drop what
    the user wrote about them."""
    have = Counter(_comment_values(new))
    missing: list[cst.EmptyLine] = []
    for node in old:
        for value in _comment_values(node):
            if have[value]:
                have[value] -= 1
            else:
                missing.append(cst.EmptyLine(comment=cst.Comment(value)))
    if not missing:
        return new
    return new.with_changes(leading_lines=[*new.leading_lines, *missing])
