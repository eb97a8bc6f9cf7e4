"""`x in d.keys()` → `x in d`, and `for k in d.keys()` → `for k in d`.

Both ask the mapping directly; going through `.keys()` adds a method call and a view object on
every test. Safe for dicts, where the two are the same lookup; a mapping whose `keys()` and
`__contains__` disagree would be caught by the harness. The mapping is a name or an attribute of
one (`self._data`, Markdown's `Registry.__contains__`), read once in both forms.
"""

from __future__ import annotations

import libcst as cst
import libcst.matchers as m

from lesson_lsp.team.rewrites.base import Rewrite, RewriteContext, Rule, parse_function
from lesson_lsp.team.rewrites.edits import with_function
from lesson_lsp.team.rewrites.shapes import spelling

# a name, or a chain of attributes of one (`self._data`: read once either way)
_HOLDER = m.Name() | m.Attribute(value=m.Name() | m.Attribute(value=m.Name()))
_KEYS = m.Call(func=m.Attribute(value=_HOLDER, attr=m.Name("keys")), args=[])


def apply(source: str, context: RewriteContext) -> Rewrite | None:
    found = parse_function(source, context.name)
    if found is None:
        return None
    module, fn = found
    seen: list[str] = []

    def mapping(call: cst.BaseExpression) -> cst.BaseExpression:
        assert isinstance(call, cst.Call) and isinstance(call.func, cst.Attribute)
        seen.append(spelling(call.func.value))
        return call.func.value

    class Transform(cst.CSTTransformer):
        def leave_ComparisonTarget(self, original: cst.ComparisonTarget,
                                   updated: cst.ComparisonTarget) -> cst.ComparisonTarget:
            if isinstance(updated.operator, (cst.In, cst.NotIn)) and \
                    m.matches(updated.comparator, _KEYS):
                return updated.with_changes(comparator=mapping(updated.comparator))
            return updated

        def leave_For(self, original: cst.For, updated: cst.For) -> cst.For:
            if m.matches(updated.iter, _KEYS):
                return updated.with_changes(iter=mapping(updated.iter))
            return updated

        def leave_CompFor(self, original: cst.CompFor, updated: cst.CompFor) -> cst.CompFor:
            if m.matches(updated.iter, _KEYS):
                return updated.with_changes(iter=mapping(updated.iter))
            return updated

    new_fn = fn.visit(Transform())
    if not seen:
        return None
    return Rewrite(with_function(module, fn, new_fn), (),
                   f"`{seen[0]}.keys()` built a view only to search or walk it; the mapping "
                   "itself answers the same")


RULE = Rule(
    name="keys-membership",
    idea="search or walk a dict directly instead of through d.keys()",
    apply=apply,
)
