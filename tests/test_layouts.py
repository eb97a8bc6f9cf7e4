"""What ships is what was verified, on the file layouts that once broke it (issue 12), through
both front doors: `lesson-lsp optimize --apply` (the bytes on disk) and `lesson-lsp serve` (the
WorkspaceEdit applied by the LSP's rules). The memoize rule adds `import functools`, so every
case also places an import.

1. a function where imports go (line 1; right under an import); 2. a shebang and a coding
cookie; 3. CRLF line endings (a blank line inside the function); 4. characters outside the BMP
on the function's lines; 5. a UTF-8 BOM.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path

import pytest
from lsprotocol import types as lsp

from lesson_lsp.source import sourcefile
from tests.conftest import PYTHON
from tests.lsp_client import optimize_in_server

FIB = "def fib(n):\n    if n < 2:\n        return n\n\n    return fib(n - 1) + fib(n - 2)\n"
EMOJI = ('def fib(n):  # 🐍 memo\n    if n < 2:\n        return n + len("🐍🐍") - 2\n'
         '    return fib(n - 1) + fib(n - 2) + len("🐍") - 1\n')
CASES: dict[str, bytes] = {
    "line1": FIB.encode(),
    "under-import": ("import os\n" + FIB + "\nHOME = os.sep\n").encode(),
    "shebang-cookie": ("#!/usr/bin/env python3\n# -*- coding: utf-8 -*-\n" + FIB).encode(),
    "crlf": ('"""Doc."""\n' + FIB).replace("\n", "\r\n").encode(),
    "emoji": ('LABEL = "🐍 before"\n\n' + EMOJI).encode(),
    "bom": b"\xef\xbb\xbf" + ("import os\n\n" + FIB).encode(),
}
PYPROJECT = ('[tool.lesson-lsp]\nrounds = 1\n\n[[tool.lesson-lsp.team]]\nname = "memoize"\n'
             'kind = "rewrite"\n\n[tool.lesson-lsp.harness]\ntimeout_s = 20\n\n'
             '[tool.lesson-lsp.inputs]\n"mod.py::fib" = "gen.py::inputs"\n')


def sha(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def make_project(tmp_path: Path, data: bytes) -> Path:
    (tmp_path / "mod.py").write_bytes(data)
    (tmp_path / "gen.py").write_text("def inputs():\n    return [(16,), (18,), (20,), (12,)]\n",
                                     encoding="utf-8")
    (tmp_path / "pyproject.toml").write_text(PYPROJECT, encoding="utf-8")
    return tmp_path / "mod.py"


def check_layout(name: str, before: bytes, after: bytes) -> None:
    """The case's own promise: what it had is still there, byte for byte."""
    if name == "line1":
        assert after.startswith(b"import functools\ndef fib(n):\n")
    if name == "under-import":
        assert after.startswith(b"import os\nimport functools\ndef fib(n):\n")
        assert after.endswith(b"\nHOME = os.sep\n")
    if name == "shebang-cookie":
        assert after.startswith(b"#!/usr/bin/env python3\n# -*- coding: utf-8 -*-\n"
                                b"import functools\n")
    if name == "crlf":
        assert after.count(b"\n") == after.count(b"\r\n") and b"\r\n\r\n" in after
    if name == "emoji":
        assert after.startswith('import functools\nLABEL = "🐍 before"\n'.encode())
        assert 'fib(n - 2) + len("🐍") - 1\n'.encode() in after
        assert after.endswith(b"\n") and "🐍 memo\n".encode() in after
    if name == "bom":
        assert after.startswith(b"\xef\xbb\xbfimport os\nimport functools\n")
    assert after != before


def runs_like_fib(path: Path) -> None:
    done = subprocess.run([PYTHON, "-c", "import mod; print([mod.fib(i) for i in range(12)], "
                           "mod.fib(80))"], cwd=path.parent, capture_output=True, text=True,
                          timeout=60)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("] ")[1].strip() == "23416728348467685"


# Every layout, every negotiated encoding: the crlf, bom and emoji cases in the main step, the
# rest (13 s each) in CI's second step.
MAIN_LAYOUTS = {"crlf", "bom", "emoji"}


@pytest.mark.parametrize("name", [
    name if name in MAIN_LAYOUTS else pytest.param(name, marks=pytest.mark.slow)
    for name in sorted(CASES)])
def test_cli_writes_exactly_the_verified_text(tmp_path: Path, name: str) -> None:
    path = make_project(tmp_path, CASES[name])
    done = subprocess.run([PYTHON, "-m", "lesson_lsp.cli", "optimize", "mod.py::fib", "--apply",
                           "--json"], cwd=tmp_path, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["improved"] and result["applied"], (result["headline"], result["candidates"])
    written = path.read_bytes()
    check_layout(name, CASES[name], written)
    # The bytes on disk decode to exactly the module text the harness loaded and checked.
    assert sha(sourcefile.read(path).text) == result["text_sha256"]
    runs_like_fib(path)


@pytest.mark.asyncio
@pytest.mark.parametrize(("name", "encoding"), [
    pytest.param("line1", "utf-16", marks=pytest.mark.slow),
    ("under-import", "utf-8"), pytest.param("shebang-cookie", "utf-16", marks=pytest.mark.slow),
    ("crlf", "utf-16"), pytest.param("emoji", None, marks=pytest.mark.slow),
    ("emoji", "utf-16"), pytest.param("emoji", "utf-8", marks=pytest.mark.slow),
    ("emoji", "utf-32")])
async def test_server_edit_gives_exactly_the_verified_text(tmp_path: Path, name: str,
                                                           encoding: str | None) -> None:
    path = make_project(tmp_path, CASES[name])
    text = sourcefile.read(path).text  # as an editor holds it: decoded, no BOM
    summary, edited = await optimize_in_server(tmp_path, text,
                                               [encoding] if encoding else None)
    assert summary["improved"] and summary["applied"], summary
    assert sha(edited) == summary["text_sha256"]
    check_layout(name, CASES[name], edited.encode())
    path.write_bytes(edited.encode())
    runs_like_fib(path)


@pytest.mark.asyncio
async def test_typing_after_a_form_feed_lands_where_the_editor_put_it(tmp_path: Path) -> None:
    # Editors break lines at \n, \r\n and \r only; a form feed or U+2028 is text on its line.
    text = 'PAGE = 1\x0c  # page break\nSEP = "a\u2028b"\n\n' + FIB
    path = make_project(tmp_path, text.encode())
    typed = lsp.TextEdit(range=lsp.Range(start=lsp.Position(3, 11), end=lsp.Position(3, 11)),
                         new_text="  # typed")
    summary, edited = await optimize_in_server(tmp_path, text, ["utf-16"], typed)
    assert summary["applied"] and sha(edited) == summary["text_sha256"]
    assert edited.startswith('import functools\nPAGE = 1\x0c  # page break\nSEP = "a\u2028b"\n'
                             '\ndef fib(n):  # typed\n')
    path.write_text(edited, encoding="utf-8")
    runs_like_fib(path)
