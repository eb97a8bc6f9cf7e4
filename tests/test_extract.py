"""extract.py: the function at a cursor, a selection or a name, with exact positions."""

from __future__ import annotations

import ast
import sysconfig
from pathlib import Path

import pytest

from lesson_lsp.source.extract import ExtractError, all_functions, function_at, function_named
from lesson_lsp.source.positions import UTF8, UTF16, UTF32

SOURCE = '''"""Module doc: naïve café 𝄞."""
import os

@decorator
@other(1)
def top(x):
    def inner(y):
        return y + 1
    return inner(x)

class Outer:
    class Inner:
        async def method(self):
            return 1

    @staticmethod
    def helper():  # é
        return 2

x = 1
'''


def test_kinds_and_qualnames() -> None:
    spans = {s.qualname: s for s in all_functions(SOURCE)}
    assert set(spans) == {"top", "top.<locals>.inner", "Outer.Inner.method", "Outer.helper"}
    assert spans["top"].start_line == 3 and spans["top"].def_line == 5
    assert spans["top"].source.startswith("@decorator\n@other(1)\ndef top(x):")
    assert spans["top.<locals>.inner"].nested
    assert spans["Outer.Inner.method"].is_async
    assert spans["Outer.Inner.method"].class_name == "Outer.Inner"
    assert spans["Outer.helper"].is_method and spans["Outer.helper"].indent == "    "


def test_cursor_picks_innermost_function() -> None:
    assert function_at(SOURCE, 7, 10).qualname == "top.<locals>.inner"
    assert function_at(SOURCE, 8, 4).qualname == "top"
    assert function_at(SOURCE, 3, 2).qualname == "top"  # on a decorator
    assert function_at(SOURCE, 12, 0).qualname == "Outer.Inner.method"  # in the indentation


def test_selection_needs_a_function_holding_all_of_it() -> None:
    assert function_at(SOURCE, 6, 4, 8, 10).qualname == "top"
    with pytest.raises(ExtractError):
        function_at(SOURCE, 5, 0, 12, 0)


def test_cursor_outside_any_function_is_a_clear_error() -> None:
    with pytest.raises(ExtractError, match="no function at line 20"):
        function_at(SOURCE, 19, 2)


def test_unparsable_function_is_a_clear_error() -> None:
    broken = "def ok():\n    return 1\n\ndef bad(:\n    return (\n"
    assert function_at(broken, 1, 4).qualname == "ok"  # the rest of the file does not matter
    with pytest.raises(ExtractError, match="does not parse"):
        function_at(broken, 4, 6)


@pytest.mark.parametrize(("encoding", "col"), [(UTF8, 11), (UTF16, 8), (UTF32, 7)])
def test_columns_after_non_ascii_text(encoding: str, col: int) -> None:
    # "x = 'é𝄞'; " is 11 bytes, 8 UTF-16 units and 7 code points before `def`... as a one-liner
    source = "x = 'é𝄞'; \ndef f():\n    return 'é𝄞'\n"
    span = function_at(source, 2, col, encoding=encoding)
    assert span.qualname == "f"
    line = source.split("\n")[2]
    expected = {UTF8: len(line.encode()), UTF16: len(line.encode("utf-16-le")) // 2,
                UTF32: len(line)}[encoding]
    assert (span.end_line, span.end_col) == (2, expected)


def test_function_named_lists_what_exists() -> None:
    assert function_named(SOURCE, "Outer.helper").def_line == 16
    with pytest.raises(ExtractError, match="this file has: top"):
        function_named(SOURCE, "missing")


def _ast_functions(source: str) -> list[tuple[str, int, int]]:
    tree = ast.parse(source)
    found = [(n.name, n.lineno, n.end_lineno or 0) for n in ast.walk(tree)
             if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    return sorted(found, key=lambda t: (t[1], t[0]))


def test_agrees_with_ast_on_a_stdlib_sample() -> None:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    names = ["argparse.py", "functools.py", "dataclasses.py", "json/decoder.py", "typing.py",
             "asyncio/tasks.py", "collections/__init__.py", "inspect.py"]
    checked = 0
    for name in names:
        source = (stdlib / name).read_text(encoding="utf-8")
        ours = sorted(((s.name, s.def_line + 1, s.end_line + 1) for s in all_functions(source)),
                      key=lambda t: (t[1], t[0]))
        assert ours == _ast_functions(source), name
        checked += len(ours)
    assert checked > 500
