"""positionEncoding: UTF-16 by default, UTF-8 when the client offers it; an edit after a line of
non-ASCII text lands exactly, in both."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import team
from tests.lsp_client import optimize_in_server

SOURCE = '''"""Unicode before the function: naïve café 𝄞𝄞 — ünïcödé."""
LABEL = "𝄞 héllo wörld 𝄞"; COUNT = 3


def fib(n):  # 𝄞
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


def inputs():
    return [(18,), (20,)]
'''


@pytest.mark.asyncio
@pytest.mark.parametrize("offered", [None, ["utf-8", "utf-16"]])
async def test_edit_lands_exactly_in_the_negotiated_encoding(tmp_path: Path,
                                                             offered: list[str] | None) -> None:
    (tmp_path / "uni.py").write_text(SOURCE, encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(
        '[tool.lesson-lsp]\nrounds = 1\n[tool.lesson-lsp.inputs]\n'
        '"uni.py::fib" = "uni.py::inputs"\n' + team("memoize"), encoding="utf-8")
    encoding = "utf-8" if offered else "utf-16"
    # The cursor on `n` of `fib(n)`, in the negotiated units (after a non-ASCII comment too).
    line = SOURCE.split("\n")[4]
    character = len(line[:8].encode("utf-8")) if encoding == "utf-8" else 8
    summary, new = await optimize_in_server(tmp_path, SOURCE, offered, position=(4, character),
                                            name="uni.py")
    assert summary["applied"]
    assert new.startswith('"""Unicode before the function: naïve café 𝄞𝄞 — ünïcödé."""\n'
                          "import functools\n")
    assert 'LABEL = "𝄞 héllo wörld 𝄞"; COUNT = 3\n' in new
    assert "def fib(n):  # 𝄞\n    @functools.cache\n" in new
    assert new.endswith("def inputs():\n    return [(18,), (20,)]\n")
    namespace: dict = {}
    exec(compile(new, "uni.py", "exec"), namespace)
    assert [namespace["fib"](i) for i in range(10)] == [0, 1, 1, 2, 3, 5, 8, 13, 21, 34]
