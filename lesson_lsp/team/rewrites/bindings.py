"""Names and bindings: which names code mentions or binds, and which a rewrite may still use."""

from __future__ import annotations

import builtins
import functools

import libcst as cst
import libcst.matchers as m


def name_nodes(node: cst.CSTNode) -> list[cst.Name]:
    """Every `Name` node under `node`, in source order."""
    found: list[cst.Name] = []

    class Finder(cst.CSTVisitor):
        def visit_Name(self, n: cst.Name) -> None:
            found.append(n)

    node.visit(Finder())
    return found


def names_in(node: cst.CSTNode, name: str) -> list[cst.Name]:
    """Every `Name` node spelled `name` under `node`."""
    return [n for n in name_nodes(node) if n.value == name]


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
    used = {n.value for n in name_nodes(module)}
    name, i = base, 2
    while name in used:
        name, i = f"{base}_{i}", i + 1
    return name


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
    return bound_by(module)


@functools.lru_cache(maxsize=32)
def bound_by(node: cst.CSTNode) -> frozenset[str]:
    """`bound_names`, remembered for the trees every rule is given (they share one parse)."""
    return frozenset(bound_names(node))


def imports_plainly(module: cst.Module, name: str) -> bool:
    """`module` has `import name` (no alias) at its top level."""
    plain = m.Import(names=[m.ImportAlias(name=m.Name(name), asname=None)])
    return any(m.matches(small, plain) for statement in module.body
               if isinstance(statement, cst.SimpleStatementLine) for small in statement.body)


def may_import(module: cst.Module, fn: cst.FunctionDef, name: str) -> bool:
    """A rewrite can use the standard module `name` by adding `import name`: nothing in `fn`
    binds the name, and the module either imports it plainly or binds it nowhere."""
    return name not in bound_by(fn) and \
        (imports_plainly(module, name) or name not in bound_by(module))
