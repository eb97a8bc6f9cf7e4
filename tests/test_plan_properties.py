"""Generated file layouts × candidates: the text the harness verifies, the bytes the CLI writes and
the server's edit applied by the LSP rules are one and the same, and outside the function and the
import block nothing changes (issue 12, invariants 1 and 2 of DESIGN.md).

A layout draws: line endings (LF, CRLF, CR, or a mix, line by line), a BOM, the indentation step
(4 or 2 spaces, a tab), a header (shebang, coding cookie, docstring, `from __future__`, an import
block with a parenthesised import), whether the function starts right under it, characters
outside the BMP before and inside the function, the kind of function (top level, method,
decorated, holding a nested function, async), a form feed before its `def`, a multi-line string
inside it, code after it, and the final newline. A candidate is the function itself (as a rule
gives it back) or one written afresh with 4-space indentation and LF endings (as a model
answers), with no import, one the module has, or new ones.
"""

from __future__ import annotations

import ast
import asyncio
import re
import tempfile
from dataclasses import dataclass
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from lesson_lsp.harness.inputs import InputSpec
from lesson_lsp.harness.verify import Harness, Target
from lesson_lsp.source import sourcefile
from lesson_lsp.source.candidate import Candidate, to_column0
from lesson_lsp.source.edits import Plan, plan, workspace_edit
from lesson_lsp.source.extract import function_named
from lesson_lsp.source.positions import ENCODINGS
from lesson_lsp.workspace.config import HarnessConfig
from tests.lsp_apply import apply_edits

STRING = '"""\nkept  as is\n  two\n\tthree\n"""'  # a literal whose lines are its own text


@dataclass
class Layout:
    newline: str  # "\n", "\r\n", "\r" or "mixed"
    bom: bool
    unit: str
    header: tuple[str, ...]
    tight: bool  # the function starts right under the header
    astral_before: bool
    kind: str
    astral_inside: bool
    multiline_string: bool
    after: bool
    final_newline: bool
    breaks: tuple[str, ...]  # for "mixed": the ending of each line in turn
    form_feed: bool = False  # a form feed (a page break) at the start of the def's line

    @property
    def qualname(self) -> str:
        return "Box.total" if self.kind == "method" else "total"

    def lines(self) -> tuple[list[str], int]:
        """The module's lines (no endings) and the index of the header's last line + 1."""
        out: list[str] = []
        if "shebang" in self.header:
            out.append("#!/usr/bin/env python3")
        if "cookie" in self.header:
            out.append("# -*- coding: utf-8 -*-")
        if "docstring" in self.header:
            out += ['"""A module', '', 'with a docstring."""']
        if "future" in self.header:
            out.append("from __future__ import annotations")
        if "imports" in self.header:
            out += ["import os", "from collections import (", "    OrderedDict,",
                    "    defaultdict,", ")", "# a comment in the import block", "import sys"]
        header_end = len(out)
        if not self.tight:
            out += [""]
        if self.astral_before:
            out += ['LABEL = "😀 before 𝄞"', ""]
        u = self.unit
        ind = u if self.kind == "method" else ""
        if self.kind == "method":
            out += ["class Box:", f"{u}scale = 1", ""]
        if self.kind == "decorated":
            out.append("@staticmethod.__func__ if False else (lambda f: f)")
        head = "async def" if self.kind == "async" else "def"
        params = "self, xs" if self.kind == "method" else "xs"
        page = "\x0c" if self.form_feed else ""
        note = "  # 😀 inside" if self.astral_inside else ""
        out.append(f"{page}{ind}{head} total({params}):{note}")
        body = ["total = 0", "for x in xs:", f"{u}total += x"]
        if self.kind == "nested":
            body = ["def add(a, b):", f"{u}return a + b", "", "total = 0", "for x in xs:",
                    f"{u}total = add(total, x)"]
        if self.astral_inside:
            body.append('total += len("𝄞😀") - 2')
        out += [f"{ind}{u}{line}" if line else "" for line in body]
        if self.kind == "method":
            out.append("#        total *= 2  (commented out at column 0)")
        if self.multiline_string:
            first, *rest = STRING.split("\n")  # its later lines are the string's own text
            out += [f"{ind}{u}note = {first}", *rest, f"{ind}{u}total += len(note) * 0"]
        out.append(f"{ind}{u}return total")
        if self.after:
            out += ["", "", "def after():", f"{u}return 1"]
        return out, header_end

    def text(self) -> str:
        lines, _ = self.lines()
        if self.newline != "mixed":
            joined = self.newline.join(lines)
        else:
            # An empty line ending in "\n" after one ending in "\r" would make one "\r\n".
            joined = "".join(ln + (self.breaks[i % len(self.breaks)] if ln or self.breaks[
                i % len(self.breaks)] != "\n" else "\r\n")
                for i, ln in enumerate(lines[:-1])) + lines[-1]
        end = self.breaks[0] if self.newline == "mixed" else self.newline
        return joined + (end if self.final_newline else "")


layouts = st.builds(
    Layout,
    newline=st.sampled_from(["\n", "\r\n", "\r", "mixed"]),
    bom=st.booleans(),
    unit=st.sampled_from(["    ", "  ", "\t"]),
    header=st.lists(st.sampled_from(["shebang", "cookie", "docstring", "future", "imports"]),
                    unique=True).map(lambda h: tuple(
                        x for x in ("shebang", "cookie", "docstring", "future", "imports")
                        if x in h)),
    tight=st.booleans(),
    astral_before=st.booleans(),
    kind=st.sampled_from(["top", "method", "decorated", "nested", "async"]),
    astral_inside=st.booleans(),
    multiline_string=st.booleans(),
    after=st.booleans(),
    final_newline=st.booleans(),
    breaks=st.lists(st.sampled_from(["\n", "\r\n", "\r"]), min_size=1, max_size=5).map(tuple),
    form_feed=st.booleans(),
)
IMPORTS = st.sampled_from([(), ("import os",), ("import functools",),
                           ("import functools", "from itertools import accumulate")])


def fresh_candidate(layout: Layout) -> str:
    """The same function as a model would write it: 4 spaces, LF, a string of its own."""
    head = "async def" if layout.kind == "async" else "def"
    params = "self, xs" if layout.kind == "method" else "xs"
    deco = "@staticmethod.__func__ if False else (lambda f: f)\n" \
        if layout.kind == "decorated" else ""
    return (f"{deco}{head} total({params}):\n    text = '''\n  raw\n\tlines\n'''\n"
            "    total = sum(xs) + len(text) * 0\n    if total < 0:\n        return total\n"
            "    return total\n")


def function_statements(text: str, qualname: str) -> list[str]:
    """ast dumps of the statements where the function stands (so helpers count too)."""
    tree = ast.parse(text)
    body = tree.body
    if "." in qualname:
        body = next(n for n in body if isinstance(n, ast.ClassDef)).body
    return [ast.dump(n) for n in body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
            and n.name == "total"]


def check_plan(layout: Layout, source: str, candidate: Candidate, encoding: str) -> Plan:
    span = function_named(source, layout.qualname, encoding)
    result = plan(source, span, candidate)
    # 1. The server's edit, applied by the LSP's rules in this encoding, is the verified text.
    edit = workspace_edit("file:///m.py", 1, result.edits)
    change = edit.document_changes[0]  # type: ignore[index]
    assert apply_edits(source, list(change.edits), encoding) == result.text  # type: ignore[union-attr,arg-type]
    # 2. It compiles, and the function in it is the candidate, string literals included.
    compile(result.text, "m.py", "exec")
    wanted = [ast.dump(n) for n in ast.parse(candidate.source).body
              if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))]
    assert function_statements(result.text, layout.qualname) == wanted
    # 3. Outside the function and the new import lines, not one character changed.
    assert result.text.endswith(source[span.end_offset:])
    present = {"import os"} if "imports" in layout.header else set()
    missing = [i for i in candidate.imports if i not in present]
    prefix = source[:span.start_offset]
    if not missing:
        assert result.text.startswith(prefix)
    else:
        _, header_end = layout.lines()
        found = False
        for nl in ("\n", "\r\n", "\r"):
            block = "".join(i + nl for i in missing)
            for at in [0] + [m.end() for m in re.finditer(r"\r\n|\r|\n", prefix)]:
                if result.text.startswith(prefix[:at] + block + prefix[at:]):
                    found = True
                    # after the header (shebang, cookie, docstring, imports), before the function
                    assert len(re.findall(r"\r\n|\r|\n", prefix[:at])) >= header_end
                    break
            if found:
                break
        assert found, "the import lines are not a block of their own at a line start"
    return result


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(layout=layouts, imports=IMPORTS, fresh=st.booleans(),
       encoding=st.sampled_from(ENCODINGS))
def test_plan_edits_and_bytes_agree(tmp_path_factory, layout: Layout, imports: tuple[str, ...],
                                    fresh: bool, encoding: str) -> None:
    source = layout.text()
    span = function_named(source, layout.qualname, encoding)
    code = fresh_candidate(layout) if fresh else to_column0(span.source, span.indent)
    candidate = Candidate(code, imports)
    result = check_plan(layout, source, candidate, encoding)
    # 4. Line endings: a file with one kind keeps only that kind.
    if layout.newline != "mixed":
        assert set(re.findall(r"\r\n|\r|\n", result.text)) <= {layout.newline}
    # 5. The CLI's bytes: the file written and read back is the verified text, BOM kept.
    path = tmp_path_factory.mktemp("cli") / "m.py"
    raw = (b"\xef\xbb\xbf" if layout.bom else b"") + source.encode("utf-8")
    path.write_bytes(raw)
    file = sourcefile.read(path)
    assert file.text == source
    written = file.write(result.text)
    assert written.startswith(b"\xef\xbb\xbf") == layout.bom
    assert sourcefile.read(path).text == result.text
    # 6. The same candidate planned again is the same text (one path, no drift), and the
    # function handed back as it was, with no import, leaves the file as it was.
    if not fresh:
        assert plan(source, span, candidate).text == result.text
        if not imports and layout.newline != "mixed":
            assert plan(source, span, Candidate(code)).text == source


GEN = ("import m\n\ndef inputs():\n    xs = [list(range(n)) for n in (0, 3, 50)]\n"
       "    return [((m.Box(), x) if hasattr(m, 'Box') else (x,)) for x in xs]\n")


@settings(max_examples=30, deadline=None, suppress_health_check=[
    HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(layout=layouts.filter(lambda lay: lay.kind != "async"), imports=IMPORTS,
       fresh=st.booleans())
@pytest.mark.slow
def test_the_harness_loads_exactly_the_planned_text(tmp_path: Path, layout: Layout,
                                                    imports: tuple[str, ...],
                                                    fresh: bool) -> None:
    source = layout.text()
    span = function_named(source, layout.qualname)
    code = fresh_candidate(layout) if fresh else to_column0(span.source, span.indent)
    candidate = Candidate(code, imports)
    folder = Path(tempfile.mkdtemp(dir=tmp_path))
    (folder / "m.py").write_bytes((b"\xef\xbb\xbf" if layout.bom else b"") + source.encode())
    (folder / "gen.py").write_text(GEN, encoding="utf-8")
    spec = InputSpec(str(folder / "gen.py"), "inputs", "gen.py::inputs")
    harness = Harness(Target(str(folder / "m.py"), sourcefile.read(folder / "m.py").text,
                             layout.qualname, spec, str(folder), span),
                      HarnessConfig(timeout_s=20, edge_inputs=0, fuzz_s=0, concolic_s=0))
    # The worker reports the digest of what it loaded; check() refuses any other text.
    assert asyncio.run(harness.check(candidate)) is None
    assert harness.plan(candidate).text == plan(source, span, candidate).text
