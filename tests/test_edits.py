"""edits.plan on modules that once broke it, and the check that guards what the server sends."""

from __future__ import annotations

import dataclasses

import pytest

from lesson_lsp.source.candidate import Candidate, to_column0
from lesson_lsp.source.edits import PlanError, check, plan
from lesson_lsp.source.extract import function_named

# CPython compiles this; tree-sitter makes the whole module one ERROR node (found in the
# stdlib's test_compile.py by benchmarks/real_layouts.py).
TREE_SITTER_GIVES_UP = '''#!/usr/bin/env python3
# -*- coding: utf-8 -*-
"""Doc."""
from __future__ import annotations
import  os


def f(xs):
    return sorted(xs)[0]


class T:
    def m(self):
        def g():
            (bar.
        baz)
        return g
'''


def planned(source: str, qualname: str, imports: tuple[str, ...]) -> str:
    span = function_named(source, qualname)
    return plan(source, span, Candidate(to_column0(span.source, span.indent), imports)).text


def test_imports_follow_the_header_even_where_tree_sitter_gives_up() -> None:
    text = planned(TREE_SITTER_GIVES_UP, "f", ("import functools", "import os"))
    assert text.startswith('#!/usr/bin/env python3\n# -*- coding: utf-8 -*-\n"""Doc."""\n'
                           "from __future__ import annotations\nimport  os\nimport functools\n"
                           "\n\ndef f(xs):")
    compile(text, "m.py", "exec")


def test_a_form_feed_before_a_def_is_not_indentation() -> None:
    source = "x = 1\n\x0cdef f():\n    if x:\n        return 1\n\nclass A:\n\x0c    def g(self):" \
             "\n        return 2\n"
    assert planned(source, "f", ()) == source
    assert planned(source, "A.g", ()) == source


def test_a_plan_whose_edits_do_not_give_its_text_is_refused() -> None:
    source = "def f(xs):\n    return sorted(xs)[0]\n"
    span = function_named(source, "f")
    good = plan(source, span, Candidate("def f(xs):\n    return min(xs)\n"))
    check(good)
    with pytest.raises(PlanError):
        check(dataclasses.replace(good, text=good.text.replace("min", "max")))
    short = dataclasses.replace(good.edits[0], end_col=good.edits[0].end_col - 1)
    with pytest.raises(PlanError):  # a range one unit short: the file would end in "]]"
        check(dataclasses.replace(good, edits=(short,)))
