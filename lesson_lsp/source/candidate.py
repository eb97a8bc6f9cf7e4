"""A proposed replacement for a function: its code at column 0 plus the imports it needs, and the
moves between a function's place in its module and column 0 that never touch a string literal."""

from __future__ import annotations

import hashlib
import io
import re
import tokenize
from dataclasses import dataclass

_BREAK = re.compile(r"\r\n|\r")


@dataclass(frozen=True)
class Candidate:
    """What an agent proposes. `source` defines the function (and any helpers) at column 0."""

    source: str
    imports: tuple[str, ...] = ()
    agent: str = ""
    note: str = ""  # what the agent says it did, or why its answer was unusable
    raw: str = ""  # an unusable answer as it came, for the lesson about it

    @property
    def key(self) -> str:
        """Identity of the code itself, so the same proposal is never measured twice."""
        digest = hashlib.sha256()
        for part in (*sorted(self.imports), self.source.strip() or self.raw):
            digest.update(part.encode("utf-8") + b"\0")
        return digest.hexdigest()[:16]


def lf(text: str) -> str:
    """`text` with every line ending as "\\n" (agents and rules work on these)."""
    return _BREAK.sub("\n", text) if "\r" in text else text


def inside_strings(code: str, first_line_indent: str = "") -> set[int]:
    """0-based numbers of the lines of `code` that begin inside a string literal (the second and
    later lines of a multi-line string): their leading spaces are the string's own text.

    `first_line_indent` is what precedes the first line in its module (code cut at a `def`)."""
    prefix = f"if 1:\n{first_line_indent}" if first_line_indent else ""
    shift = 2 if prefix else 1  # tokenize counts rows from 1
    lines: set[int] = set()
    opened: list[int] = []  # rows where f-strings (3.12+: tokens of their own) begin
    try:
        for tok in tokenize.generate_tokens(io.StringIO(prefix + lf(code)).readline):
            name = tokenize.tok_name[tok.type]
            if name in ("FSTRING_START", "TSTRING_START"):
                opened.append(tok.start[0])
                continue
            if name in ("FSTRING_END", "TSTRING_END") and opened:
                first = opened.pop()
            elif tok.type == tokenize.STRING:
                first = tok.start[0]
            else:
                continue
            lines.update(range(first + 1 - shift, tok.end[0] + 1 - shift))
    except (tokenize.TokenError, SyntaxError, ValueError):
        pass
    return lines


def to_column0(source: str, indent: str) -> str:
    """Function text as extracted (first line cut at the `def`, the rest at `indent`) moved to
    column 0, with "\\n" line endings. Lines inside a string literal are kept as they are."""
    source = lf(source)
    if not indent:
        return source
    kept = inside_strings(source, indent)
    lines = source.split("\n")
    return "\n".join(ln[len(indent):] if i and i not in kept and ln.startswith(indent) else ln
                     for i, ln in enumerate(lines))


def indent_unit(code: str, base: str = "", kept: set[int] | None = None) -> str:
    """The first step of indentation below `base` in `code` ("    ", "\\t", …), or "".
    `kept`: `inside_strings(code, base)` when the caller has it already."""
    if kept is None:
        kept = inside_strings(code, base)
    for i, line in enumerate(lf(code).split("\n")):
        if i == 0 or i in kept or not line.strip() or not line.startswith(base):
            continue
        rest = line[len(base):]
        # spaces and tabs, after any form feed (which resets Python's column count)
        step = rest[:len(rest) - len(rest.lstrip(" \t\x0c"))].rsplit("\x0c", 1)[-1]
        if step:
            return step
    return ""


def shallow_comments(source: str, indent: str) -> set[str]:
    """Comment lines of an extracted function that sit left of its indentation (code commented
    out at column 0): `to_column0` leaves them as they are, and so should `reindent`."""
    return {ln for ln in lf(source).split("\n")[1:]
            if ln.lstrip().startswith("#") and not ln.startswith(indent)} if indent else set()


def reindent(source: str, indent: str, unit: str = "", newline: str = "\n",
             verbatim: set[str] | frozenset[str] = frozenset()) -> str:
    """Code at column 0 moved to `indent`, its indentation steps written as `unit` (the
    module's own: tabs stay tabs), lines joined by `newline`; the first line is left for the
    caller to place. Lines inside a string literal, and the `verbatim` comment lines, are kept
    byte for byte."""
    source = lf(source).strip("\n")
    kept = inside_strings(source)
    own = indent_unit(source, kept=kept)
    out = []
    for i, line in enumerate(source.split("\n")):
        if i in kept or (i and line in verbatim):
            out.append(line)
            continue
        if not line.strip():
            out.append(indent + line if line else "")  # spaces on a blank line stay too
            continue
        body = line.lstrip(" \t")
        lead = line[:len(line) - len(body)]
        if unit and own and unit != own and lead == own * (len(lead) // len(own)):
            lead = unit * (len(lead) // len(own))
        out.append((indent if i else "") + lead + body)
    return newline.join(out)
