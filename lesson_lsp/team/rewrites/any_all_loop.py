"""`return any(E for x in xs if C)` / `if all(…):` / `flag = any(…)` → a `for` loop that leaves
at the first element that decides.

`any`/`all` over a generator expression resume the generator's frame once per element and call
back into C for each; a plain loop with an early `return`/`break` does the same tests inline
(CPython 3.11: 2–2.7× on the statement, at 1 to 100 elements). Real hot code asks this
constantly (sqlparse's `imt` and `Token.match`, attrs' and Jinja's validators).

The proof: `any(g)` takes the generator's elements in order, tests each with `bool`, and stops at
the first true one (True), else returns False; `all` stops at the first false one. The loop
computes the same elements in the same order (`for` clauses nested, each `if` tested before what
follows it, as `and` does, then the element), tests the element's truth the same way, and leaves
at the same element, so everything the elements' code does happens exactly as before. What the
generator's own scope changes:

* its loop variables become the function's: a name used anywhere else in the function is renamed
  in the loop (a fresh name), so nothing outside sees it; a generator with a lambda or nested
  comprehension of its own that binds the same name is refused;
* the first iterable is evaluated first in both; the others inside the loop, as in the generator.

Where the call stands: the whole value of a `return` (`return any(…)`, `return not all(…)`),
nested `for` clauses allowed, since `return` leaves them all; the whole test of an `if` (not
an `elif`) or the whole value of `name = …` with one `for` clause, through `for … else` and a
flag (`break` leaves that one loop; the `else` sets the flag when no element decided, so the flag
or name is assigned once, after the loop, as the call's result was). The statement stands alone
on its line, in a block. `any`/`all` are the builtins; no `async for`, no `await`.
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
    fresh_name,
    is_builtin,
    target_names,
)
from lesson_lsp.team.rewrites.edits import with_comments_of, with_function
from lesson_lsp.team.rewrites.shapes import call_to, comp_clauses, has_any

_EMPTY = cst.Module([])
_PLAIN = (cst.Name, cst.Attribute, cst.Call, cst.Subscript, cst.Comparison, cst.Integer,
          cst.SimpleString, cst.BinaryOperation)


def _code(node: cst.BaseExpression, loose: tuple[type[cst.CSTNode], ...] = _PLAIN) -> str:
    """`node`'s code, ready to stand as an operand of `and`/`not`: in parentheses unless it is
    of a kind that binds tighter, and always when it spans lines."""
    code = _EMPTY.code_for_node(node).strip()
    if node.lpar or (isinstance(node, loose) and "\n" not in code):
        return code
    return f"({code})"


def _call(expression: cst.BaseExpression, module: cst.Module
          ) -> tuple[str, bool, cst.GeneratorExp] | None:
    """`any(g)`, `all(g)`, `not any(g)`, `not all(g)`: which, whether negated, the generator."""
    negated = False
    if isinstance(expression, cst.UnaryOperation) and isinstance(expression.operator, cst.Not):
        negated, expression = True, expression.expression
    for which in ("any", "all"):
        if call_to(expression, which, 1) and is_builtin(module, which):
            assert isinstance(expression, cst.Call)
            gen = expression.args[0].value
            if isinstance(gen, cst.GeneratorExp):
                return which, negated, gen
    return None


def _clauses(gen: cst.GeneratorExp) -> list[cst.CompFor] | None:
    """Its `for` clauses, when none is async and nothing in it awaits."""
    return None if has_any(gen, (cst.Await,)) else comp_clauses(gen)


class _Rename(cst.CSTTransformer):
    """Every `Name` of `renames` to its new spelling; attributes and keywords kept."""

    def __init__(self, renames: dict[str, str]) -> None:
        super().__init__()
        self.renames = renames

    def leave_Name(self, original: cst.Name, updated: cst.Name) -> cst.Name:
        return updated.with_changes(value=self.renames.get(updated.value, updated.value))

    def leave_Attribute(self, original: cst.Attribute, updated: cst.Attribute
                        ) -> cst.Attribute:
        return updated.with_changes(attr=original.attr)

    def leave_Arg(self, original: cst.Arg, updated: cst.Arg) -> cst.Arg:
        return updated.with_changes(keyword=original.keyword)


def _uses(node: cst.CSTNode, name: str) -> int:
    """How many times `node` mentions the variable `name` (not an attribute or keyword)."""
    count = 0

    class Finder(cst.CSTVisitor):
        def visit_Name(self, n: cst.Name) -> None:
            nonlocal count
            count += n.value == name

        def visit_Attribute(self, n: cst.Attribute) -> bool:
            n.value.visit(self)
            return False

        def visit_Arg(self, n: cst.Arg) -> bool:
            n.value.visit(self)
            return False

    node.visit(Finder())
    return count


def _fresh(module: cst.Module, base: str, taken: set[str]) -> str:
    """`base`, `base_2`, … : unused by the module and by this rewrite so far."""
    name = fresh_name(module, base)
    i = 2
    while name in taken:
        name, i = fresh_name(module, f"{base}_{i}"), i + 1
    taken.add(name)
    return name


def _renamed(gen: cst.GeneratorExp, clauses: list[cst.CompFor], fn: cst.FunctionDef,
             module: cst.Module, taken: set[str]) -> cst.GeneratorExp | None:
    """The generator with each loop variable the function uses elsewhere renamed; None when
    a scope inside the generator binds one of them too."""
    variables: set[str] = set()
    for clause in clauses:
        variables |= target_names(clause.target)
    renames: dict[str, str] = {}
    for name in sorted(variables):
        elsewhere = _uses(fn, name) - _uses(gen, name)
        if elsewhere == 0 and name not in taken:
            taken.add(name)
            continue
        inner = [n for n in m.findall(gen, m.Lambda() | m.ListComp() | m.SetComp()
                                      | m.DictComp() | m.GeneratorExp()) if n is not gen]
        if any(name in bound_names(n) for n in inner):
            return None
        renames[name] = _fresh(module, name, taken)
    if not renames:
        return gen
    renamed = gen.visit(_Rename(renames))
    assert isinstance(renamed, cst.GeneratorExp)
    return renamed


def _loop(gen: cst.GeneratorExp, test: str, leave: list[str], indent: str = "    ") -> str:
    """The nested `for`s of `gen`, each clause's `if`s and `test` joined with `and`, then
    `leave` under them."""
    lines: list[str] = []
    depth = 0
    conditions: list[str] = []
    clause: cst.CompFor | None = gen.for_in
    while clause is not None:
        if conditions:
            lines.append(indent * depth + f"if {' and '.join(conditions)}:")
            depth, conditions = depth + 1, []
        target = _EMPTY.code_for_node(clause.target).strip()
        lines.append(indent * depth + f"for {target} in {_code(clause.iter)}:")
        depth += 1
        conditions = [_code(c.test, (*_PLAIN, cst.UnaryOperation)) for c in clause.ifs]
        clause = clause.inner_for_in
    lines.append(indent * depth + f"if {' and '.join([*conditions, test])}:")
    lines.extend(indent * (depth + 1) + line for line in leave)
    return "\n".join(lines)


def _element_test(gen: cst.GeneratorExp, which: str) -> str:
    if which == "any":
        return _code(gen.elt, (*_PLAIN, cst.UnaryOperation))
    return f"not {_code(gen.elt, (*_PLAIN, cst.UnaryOperation))}"


def _site(line: cst.SimpleStatementLine | cst.If, module: cst.Module, parent_of: Parents
          ) -> tuple[str, bool, cst.GeneratorExp, str] | None:
    """A statement this rule rewrites: which call, negated, its generator, and the form."""
    if not isinstance(parent_of.get(line), cst.IndentedBlock):
        return None
    if isinstance(line, cst.If):
        found = _call(line.test, module)
        return None if found is None else (*found, "if")
    if len(line.body) != 1:
        return None
    small = line.body[0]
    if isinstance(small, cst.Return) and small.value is not None:
        found = _call(small.value, module)
        return None if found is None else (*found, "return")
    if isinstance(small, cst.Assign) and len(small.targets) == 1 and \
            isinstance(small.targets[0].target, cst.Name):
        found = _call(small.value, module)
        return None if found is None else (*found, "assign")
    return None


def apply(source: str, context: RewriteContext) -> Rewrite | None:
    """Every site at once; a site that the rewrite itself brings into statement position (an
    `all(…)` that was the element of an outer `all`, now an `if` test) in the same proposal,
    so that the rule never meets its own output again."""
    rewrite = _once(source, context)
    for _ in range(4):
        if rewrite is None:
            break
        again = _once(rewrite.source, context)
        if again is None:
            break
        rewrite = Rewrite(again.source, (), rewrite.summary)
    return rewrite


def _once(source: str, context: RewriteContext) -> Rewrite | None:
    found = parse_with_parents(source, context.name)
    if found is None:
        return None
    module, fn, parent_of = found
    taken: set[str] = set()
    plans: dict[int, list[cst.BaseStatement]] = {}
    tests: dict[int, cst.BaseExpression] = {}  # an `if`'s new test: its flag
    seen: list[str] = []
    for line in m.findall(fn.body, m.SimpleStatementLine() | m.If()):
        assert isinstance(line, (cst.SimpleStatementLine, cst.If))
        site = _site(line, module, parent_of)
        if site is None:
            continue
        which, negated, gen, form = site
        clauses = _clauses(gen)
        if clauses is None or (form != "return" and len(clauses) > 1):
            continue
        if form == "assign":
            assert isinstance(line, cst.SimpleStatementLine)
            small = line.body[0]
            assert isinstance(small, cst.Assign) and isinstance(small.targets[0].target, cst.Name)
            flag = small.targets[0].target.value
            if any(flag in target_names(c.target) for c in clauses):
                continue
        else:
            flag = _fresh(module, "found" if which == "any" else "holds", taken)
        new_gen = _renamed(gen, clauses, fn, module, taken)
        if new_gen is None:
            continue
        taken.add(flag)
        hit = which == "any"  # the value when an element decides
        test = _element_test(new_gen, which)
        if form == "return":
            result = hit != negated
            code = _loop(new_gen, test, [f"return {result}"]) + f"\nreturn {not result}\n"
        else:
            value = hit != negated if form == "assign" else hit
            code = _loop(new_gen, test, [f"{flag} = {value}", "break"]) + \
                f"\nelse:\n    {flag} = {not value}\n"
        statements: list[cst.BaseStatement] = list(cst.parse_module(code).body)
        if isinstance(line, cst.If):
            tests[id(line)] = cst.parse_expression(f"not {flag}" if negated else flag)
        first = statements[0]
        assert isinstance(first, cst.For)
        commented = [line.test] if isinstance(line, cst.If) else [line]
        statements[0] = with_comments_of(commented, first.with_changes(
            leading_lines=line.leading_lines))
        plans[id(line)] = statements
        seen.append(f"{'not ' if negated else ''}{which}(…) in a{'n' if form == 'if' else ''} "
                    f"`{form}`")
    if not plans:
        return None

    class Transform(cst.CSTTransformer):
        def on_leave(self, original: cst.CSTNode, updated: cst.CSTNode
                     ):  # type: ignore[no-untyped-def]
            replaced = plans.get(id(original))
            if replaced is None:
                return updated
            if isinstance(updated, cst.If):  # its body may hold a rewritten site too
                kept = updated.with_changes(test=tests[id(original)], leading_lines=[])
                return cst.FlattenSentinel([*replaced, kept])
            return cst.FlattenSentinel(replaced)

    new_fn = fn.visit(Transform())
    return Rewrite(with_function(module, fn, new_fn), (),
                   f"{seen[0]} resumed a generator's frame for every element; a `for` loop "
                   "tests the same elements inline and leaves at the first that decides")


RULE = Rule(
    name="any-all-loop",
    idea="write any()/all() over a generator as a for loop that returns or breaks at the "
         "first element that decides, instead of resuming a generator frame per element",
    apply=apply,
)
