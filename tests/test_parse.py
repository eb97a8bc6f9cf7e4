"""Answers from models in every shape → a candidate, or a ParseError that becomes a lesson."""

from __future__ import annotations

import pytest

from lesson_lsp.team.parse import ParseError, extract


def test_fenced_with_prose_helpers_imports_and_demo() -> None:
    answer = ("Sure! Here it is:\n```python\nimport functools\n\nLIMIT = 3\n\n"
              "@functools.cache\ndef helper(n):\n    return n\n\ndef fib(n):\n"
              "    return helper(n)\n\nprint(fib(3))\nif __name__ == '__main__':\n"
              "    fib(1)\n```\nThis is faster.")
    source, imports = extract(answer, "fib")
    assert imports == ("import functools",)
    assert "LIMIT = 3" in source and "@functools.cache\ndef helper" in source
    assert "print(" not in source and "__main__" not in source


def test_unfenced_with_trailing_prose() -> None:
    answer = "def fib(n):\n    a, b = 0, 1\n    for _ in range(n):\n        a, b = b, a + b\n" \
             "    return a\nThis is linear instead of exponential."
    source, _ = extract(answer, "fib")
    assert source.startswith("def fib(n):") and "linear" not in source


def test_method_inside_its_class_is_taken_out() -> None:
    answer = ("```python\nclass Grid:\n    @staticmethod\n    def total(rows):\n"
              "        return sum(map(sum, rows))\n```")
    source, _ = extract(answer, "total")
    assert source == "@staticmethod\ndef total(rows):\n    return sum(map(sum, rows))\n"


def test_wrong_name_is_renamed_with_its_recursion() -> None:
    answer = "```py\ndef fast_fib(n):\n    return fast_fib(n - 1) if n else 0\n```"
    source, _ = extract(answer, "fib")
    assert source == "def fib(n):\n    return fib(n - 1) if n else 0\n"


def test_several_blocks_pick_the_one_that_defines_the_function() -> None:
    answer = "```text\nnot code\n```\n```python\nx = 1\n```\n```python\ndef fib(n):\n    " \
             "return n\n```"
    assert extract(answer, "fib")[0] == "def fib(n):\n    return n\n"


@pytest.mark.parametrize(("answer", "message"), [
    ("I cannot help with that.", "no code"),
    ("```python\ndef fib(n)\n    return 1\n```", "does not parse"),
    ("```python\ndef a():\n    pass\n\ndef b():\n    pass\n```", "does not define `fib`"),
    ("```python\n\n```", "does not define `fib`"),
])
def test_unusable_answers(answer: str, message: str) -> None:
    with pytest.raises(ParseError, match=message):
        extract(answer, "fib")


def test_a_block_cut_short_and_renamed() -> None:
    # Parses only without its broken last line, and names the function differently.
    answer = "```python\ndef other(n):\n    return other(n - 1) if n else 0\n    def\n```"
    assert extract(answer, "fib")[0] == "def fib(n):\n    return fib(n - 1) if n else 0\n"
