"""A static check in the parent, before a candidate runs at all: its module-level code may only
import, define (def, class) and bind literals.

Module-level code runs when the user's module is imported, once, at the user's place: a call
there could do anything before any input reaches the function, and a run that only watches calls
would miss it. What is allowed evaluates nothing of the candidate's own choosing:
- imports (`import x`, `from x import y`), also inside `try: … except ImportError: …`;
- `def` / `async def` / `class`, whose decorators are dotted names or calls of dotted names with
  literal arguments (`functools.cache`, `functools.lru_cache(maxsize=None)`), whose defaults are
  literals or (dotted) names, whose annotations are type expressions, and (for classes) whose
  bases are dotted names and whose body follows these same rules;
- docstrings, `pass`, `...`;
- assignments to plain names of literals (what `ast.literal_eval` accepts), containers of them
  (also `frozenset(...)`, `set(...)`, `tuple(...)`, `object()`), (dotted) names, type
  expressions, and `re.compile(...)` with literal arguments and `re.` flags: compiling a pattern
  once at import is what a regex rewrite would do, and it runs no candidate code.
Decorators, defaults and annotations exactly as the original function has them are allowed
too: they ran at the user's place before (`@app.route("/x")`, `@numba.njit(cache=CACHE)`).
The guard in the worker remains the backstop for what a decorator may do.
"""

from __future__ import annotations

import ast
from collections.abc import Sequence

_CONSTRUCTORS = {"frozenset", "set", "tuple", "list", "dict", "object", "range"}
_STATEMENTS = {"Expr": "an expression (a call?)", "AugAssign": "an augmented assignment",
               "AnnAssign": "an annotated assignment", "Try": "a `try` with `finally`"}
_RULE = "only imports, def, class and assignments of literals may run at the top level"


class _Refused(Exception):
    def __init__(self, node: ast.AST, why: str) -> None:
        super().__init__(why)
        self.line = getattr(node, "lineno", 0)
        self.why = why


def refusal(source: str, imports: Sequence[str] = (), original: str = "") -> str | None:
    """Why the candidate may not run (a sentence naming the line), or None when it may.

    `original` is the function being replaced (at column 0). Code that does not parse is left
    to the harness, which reports the syntax error itself.
    """
    for line in imports:
        try:
            tree = ast.parse(line)
        except SyntaxError:
            return None
        if not all(isinstance(node, (ast.Import, ast.ImportFrom)) for node in tree.body):
            return f"the import line `{line.strip()}` is not only an import: {_RULE}"
    try:
        tree = ast.parse(source)
    except SyntaxError:
        return None
    _drop_as_original(tree, original)
    try:
        _body(tree.body)
    except _Refused as refused:
        lines = source.splitlines()
        text = lines[refused.line - 1].strip() if 0 < refused.line <= len(lines) else ""
        return f"line {refused.line} (`{text[:80]}`): {refused.why}; {_RULE}"
    return None


def _drop_as_original(tree: ast.Module, original: str) -> None:
    """Take out of `tree` the decorators, defaults and annotations that the original function
    evaluates on import as well (the same code, compared as syntax trees)."""
    try:
        before = ast.parse(original) if original else None
    except SyntaxError:
        before = None
    if before is None:
        return
    known = {ast.dump(e) for e in _evaluated(before)}
    placeholder = ast.Constant(None)
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            node.decorator_list = [d for d in node.decorator_list if ast.dump(d) not in known]
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.returns \
                and ast.dump(node.returns) in known:
            node.returns = None
        if isinstance(node, ast.arguments):
            node.defaults = [placeholder if ast.dump(d) in known else d for d in node.defaults]
            node.kw_defaults = [placeholder if d is not None and ast.dump(d) in known else d
                                for d in node.kw_defaults]
        if isinstance(node, ast.arg) and node.annotation is not None and \
                ast.dump(node.annotation) in known:
            node.annotation = None


def _evaluated(tree: ast.Module) -> list[ast.expr]:
    found: list[ast.expr] = []
    for node in ast.walk(tree):
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            found += node.decorator_list
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.returns:
            found.append(node.returns)
        if isinstance(node, ast.arguments):
            found += [*node.defaults, *(d for d in node.kw_defaults if d is not None)]
        if isinstance(node, ast.arg) and node.annotation is not None:
            found.append(node.annotation)
    return found


def _body(statements: list[ast.stmt]) -> None:
    for node in statements:
        _statement(node)


def _statement(node: ast.stmt) -> None:
    if isinstance(node, (ast.Import, ast.ImportFrom, ast.Pass)):
        return
    if isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant):
        return  # a docstring or `...`
    if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
        _decorators(node.decorator_list)
        _arguments(node.args)
        if node.returns is not None:
            _annotation(node.returns)
        return
    if isinstance(node, ast.ClassDef):
        _decorators(node.decorator_list)
        for base in node.bases:
            _type(base, "a class base")
        for keyword in node.keywords:
            _type(keyword.value, "a class keyword")
        _body(node.body)
        return
    if isinstance(node, ast.Assign):
        for target in node.targets:
            _target(target)
        _value(node.value)
        return
    if isinstance(node, ast.AnnAssign):
        _target(node.target)
        _annotation(node.annotation)
        if node.value is not None:
            _value(node.value)
        return
    if isinstance(node, ast.Try) and not node.finalbody:
        _body(node.body + node.orelse)
        for handler in node.handlers:
            if handler.type is not None:
                _type(handler.type, "an exception type")
            _body(handler.body)
        return
    kind = type(node).__name__
    what = _STATEMENTS.get(kind, f"a `{kind.lower()}` statement")
    raise _Refused(node, f"{what} at the top level runs on import")


def _target(node: ast.expr) -> None:
    if isinstance(node, ast.Name):
        return
    if isinstance(node, (ast.Tuple, ast.List)):
        for element in node.elts:
            _target(element)
        return
    raise _Refused(node, "only plain names may be assigned (this changes another object)")


def _literal(node: ast.expr) -> bool:
    try:
        ast.literal_eval(node)
    except (ValueError, TypeError, SyntaxError, MemoryError, RecursionError):
        return False
    return True


def _dotted(node: ast.expr) -> bool:
    while isinstance(node, ast.Attribute):
        node = node.value
    return isinstance(node, ast.Name)


def _value(node: ast.expr) -> None:
    """The right-hand side of a module-level assignment."""
    if _literal(node) or _dotted(node):
        return
    if isinstance(node, (ast.Tuple, ast.List, ast.Set)):
        for element in node.elts:
            _value(element)
        return
    if isinstance(node, ast.Dict):
        for part in [*node.keys, *node.values]:
            if part is not None:
                _value(part)
        return
    if isinstance(node, ast.Call) and not node.keywords and \
            isinstance(node.func, ast.Name) and node.func.id in _CONSTRUCTORS:
        for arg in node.args:
            _value(arg)
        return
    if isinstance(node, ast.Call) and ast.unparse(node.func) == "re.compile" and \
            all(_literal(a) or _flags(a) for a in node.args) and \
            all(_literal(k.value) or _flags(k.value) for k in node.keywords):
        return
    try:
        _type(node, "")
        return
    except _Refused:
        pass
    raise _Refused(node, "the value is not a literal, so computing it runs code on import")


def _flags(node: ast.expr) -> bool:
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        return _flags(node.left) and _flags(node.right)
    return isinstance(node, ast.Attribute) and ast.unparse(node.value) == "re"


def _decorators(decorators: list[ast.expr]) -> None:
    for node in decorators:
        if _dotted(node):
            continue
        if isinstance(node, ast.Call) and _dotted(node.func) and \
                all(_literal(a) for a in node.args) and \
                all(k.arg is not None and _literal(k.value) for k in node.keywords):
            continue
        raise _Refused(node, "a decorator may only be a dotted name or a call of one with "
                             "literal arguments")


def _arguments(args: ast.arguments) -> None:
    for default in [*args.defaults, *(d for d in args.kw_defaults if d is not None)]:
        if not (_literal(default) or _dotted(default)):
            raise _Refused(default, "a default value runs on import: it may only be a "
                                    "literal or a name")
    for arg in [*args.posonlyargs, *args.args, *args.kwonlyargs, args.vararg, args.kwarg]:
        if arg is not None and arg.annotation is not None:
            _annotation(arg.annotation)


def _annotation(node: ast.expr) -> None:
    _type(node, "an annotation")


def _type(node: ast.expr, what: str) -> None:
    """A type expression: names, subscripts, `|`, string and None constants, lists of them."""
    if isinstance(node, ast.Constant) or _dotted(node):
        return
    if isinstance(node, ast.Subscript):
        _type(node.value, what)
        _type(node.slice, what)
        return
    if isinstance(node, (ast.Tuple, ast.List)):
        for element in node.elts:
            _type(element, what)
        return
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitOr):
        _type(node.left, what)
        _type(node.right, what)
        return
    raise _Refused(node, f"{what} runs code on import: it may only be a type expression")
