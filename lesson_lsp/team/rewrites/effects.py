"""Effects and purity: whether evaluating code, or what it calls, can change what a rule reads."""

from __future__ import annotations

import functools

import libcst as cst
import libcst.matchers as m

from lesson_lsp.team.rewrites.base import parents
from lesson_lsp.team.rewrites.bindings import bound_names, is_builtin, names_in
from lesson_lsp.team.rewrites.shapes import is_len_argument


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


# Methods that only read their object, by the name every mapping and sequence gives them.
_READ_ONLY_CONTAINER_METHODS = frozenset({"get", "items", "values", "keys", "index", "count"})
_READ_ONLY_MORE_BUILTINS = frozenset({"getattr", "hasattr", "type", "id", "callable", "list",
                                      "dict", "reversed", "issubclass", "format", "oct",
                                      "complex"})
_COMPREHENSION_NODES = (cst.ListComp, cst.SetComp, cst.GeneratorExp, cst.DictComp, cst.CompFor,
                        cst.CompIf, cst.List, cst.Set, cst.Dict, cst.DictElement,
                        cst.StarredElement, cst.Imaginary, cst.FormattedString,
                        cst.FormattedStringText, cst.FormattedStringExpression,
                        cst.ConcatenatedString, cst.SimpleString, cst.Ellipsis,
                        # brackets and `=` (`side_effect_free` leaves them out, so refuses items)
                        cst.LeftSquareBracket, cst.RightSquareBracket, cst.LeftCurlyBrace,
                        cst.RightCurlyBrace, cst.AssignEqual)


def reads_only(module: cst.Module, node: cst.CSTNode) -> bool:
    """Like `side_effect_free`, and also what real code reads with: a mapping's `get`/`items`/
    `values`/`keys`, a sequence's `index`/`count`, nested comprehensions and displays, f-strings,
    and a few more builtins that only look (`getattr`, `type`, `reversed`…). No walrus, no
    lambda, no `await`/`yield`: evaluating it changes no variable and nothing a builtin or these
    methods can reach."""

    class Finder(cst.CSTVisitor):
        ok = True

        def on_visit(self, n: cst.CSTNode) -> bool:
            if isinstance(n, cst.Call):
                func = n.func
                if isinstance(func, cst.Name) and is_builtin(module, func.value) and \
                        func.value not in UNSAFE_BUILTINS and (
                            func.value in _READ_ONLY_BUILTINS
                            or func.value in _READ_ONLY_MORE_BUILTINS):
                    return self.ok
                if isinstance(func, cst.Attribute) and (
                        func.attr.value in _READ_ONLY_METHODS
                        or func.attr.value in _READ_ONLY_CONTAINER_METHODS):
                    func.value.visit(self)
                    for arg in n.args:
                        arg.visit(self)
                    return False
                self.ok = False
            elif isinstance(n, cst.CompFor) and n.asynchronous is not None:
                self.ok = False
            elif not isinstance(n, (*_PURE_NODES, *_COMPREHENSION_NODES)):
                self.ok = False
            return self.ok

    finder = Finder()
    node.visit(finder)
    return finder.ok
