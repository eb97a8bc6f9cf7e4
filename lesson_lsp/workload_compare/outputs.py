"""Do the two sides' outputs agree? stdout, stderr and the exit code of every "after" run against
the first "before" run, up to what varies between runs of the same code.

What varies is learnt from the "before" runs themselves (there are always at least two): their
lines are split into tokens (numbers, hex, words, spaces, single characters), and a token that
differs between two of them at the same place of the same line is masked there (a time, an
address, a seed); a line whose tokens do not line up is masked whole, and where the number of
lines itself varies, that stretch may vary in length. Masked lines are counted and shown, never
silently dropped; any other difference is one.
"""

from __future__ import annotations

import difflib
import re
from dataclasses import dataclass, field
from typing import Any

TOKEN = re.compile(r"0[xX][0-9a-fA-F]+|\d+(?:[.,:]\d+)*(?:[eE][-+]?\d+)?|[^\W\d]\w*|\s+|.",
                   re.UNICODE)
SHOWN = 5  # differing lines shown
VARYING = "▒"
STREAMS = ("stdout", "stderr")


@dataclass(frozen=True)
class Output:
    """What one run printed and how it ended."""

    stdout: bytes
    stderr: bytes
    exit_code: int

    def stream(self, name: str) -> list[str]:
        data = self.stdout if name == "stdout" else self.stderr
        return data.decode("utf-8", "surrogateescape").split("\n")


@dataclass
class Mask:
    """One stream's lines (of the reference run) that vary between runs of the same code."""

    tokens: dict[int, frozenset[int] | None] = field(default_factory=dict)  # None: whole line
    elastic: set[int] = field(default_factory=set)  # where the number of lines varies

    def vary(self, line: int, positions: frozenset[int] | None) -> None:
        known = self.tokens.get(line, frozenset())
        self.tokens[line] = None if known is None or positions is None else known | positions

    def allows(self, line: int, reference: str, other: str) -> bool:
        if line not in self.tokens:
            return False
        positions = self.tokens[line]
        if positions is None:
            return True
        ours, theirs = TOKEN.findall(reference), TOKEN.findall(other)
        return len(ours) == len(theirs) and all(
            a == b or i in positions for i, (a, b) in enumerate(zip(ours, theirs)))

    def shown(self, line: int, reference: str) -> str:
        """The line with what varies as ▒."""
        positions = self.tokens.get(line)
        if positions is None:
            return VARYING * 3
        return "".join(VARYING if i in positions else token
                       for i, token in enumerate(TOKEN.findall(reference)))


def _varying_tokens(a: str, b: str) -> frozenset[int] | None:
    ours, theirs = TOKEN.findall(a), TOKEN.findall(b)
    if len(ours) != len(theirs):
        return None
    return frozenset(i for i, (x, y) in enumerate(zip(ours, theirs)) if x != y)


def _blocks(reference: list[str], other: list[str]) -> list[tuple[str, int, int, int, int]]:
    """The differing stretches: line by line when the counts agree (the common case, and
    linear), else difflib's alignment."""
    if len(reference) == len(other):
        return [("replace", i, i + 1, i, i + 1)
                for i, (a, b) in enumerate(zip(reference, other)) if a != b]
    matcher = difflib.SequenceMatcher(None, reference, other, autojunk=False)
    return [op for op in matcher.get_opcodes() if op[0] != "equal"]


def learn(reference: list[str], other: list[str], mask: Mask) -> None:
    """Mask what differs between two runs of the same code."""
    for _, i1, i2, j1, j2 in _blocks(reference, other):
        if i2 - i1 == j2 - j1:
            for k in range(i2 - i1):
                mask.vary(i1 + k, _varying_tokens(reference[i1 + k], other[j1 + k]))
            continue
        for k in range(i1, i2):
            mask.vary(k, None)
        mask.elastic.update(range(i1, i2 + 1))


@dataclass(frozen=True)
class Difference:
    stream: str  # "stdout", "stderr" or "exit code"
    line: int  # 1-based, in the "before" run (in the "after" one for an added line; 0: exit code)
    before: str | None  # None: no such line on this side
    after: str | None
    run: int  # which "after" run (1-based, in order)

    def as_json(self) -> dict[str, Any]:
        return {"stream": self.stream, "line": self.line, "before": self.before,
                "after": self.after, "run": self.run}


def _differences(name: str, reference: list[str], other: list[str], mask: Mask,
                 run: int) -> list[Difference]:
    found = []
    for _, i1, i2, j1, j2 in _blocks(reference, other):
        if i2 - i1 == j2 - j1:
            for k in range(i2 - i1):
                ours, theirs = reference[i1 + k], other[j1 + k]
                if not mask.allows(i1 + k, ours, theirs):
                    found.append(Difference(name, i1 + k + 1, ours, theirs, run))
            continue
        if all(k in mask.elastic for k in range(i1, i2 + 1)):
            continue
        for k in range(max(i2 - i1, j2 - j1)):
            a = reference[i1 + k] if i1 + k < i2 else None
            b = other[j1 + k] if j1 + k < j2 else None
            found.append(Difference(name, i1 + k + 1 if a is not None else j1 + k + 1, a, b,
                                    run))
    return found


@dataclass
class Agreement:
    """The verdict on the outputs."""

    identical: bool
    differences: list[Difference]  # the first SHOWN
    runs_differing: int  # "after" runs with a difference
    runs: int
    masked: dict[str, int]  # per stream: lines that vary between runs of the same code
    examples: list[str]  # a few masked lines, what varies as ▒
    exit_before: int
    exit_after: int
    notes: list[str]

    def as_json(self) -> dict[str, Any]:
        return {"identical": self.identical,
                "differences": [d.as_json() for d in self.differences],
                "runs_differing": self.runs_differing, "runs": self.runs,
                "masked_lines": self.masked, "masked_examples": self.examples,
                "exit_codes": {"before": self.exit_before, "after": self.exit_after},
                "notes": self.notes}


def check(before: list[Output], after: list[Output]) -> Agreement:
    """Every "after" output against the first "before" one, masked by what varies among the
    "before" outputs (at least two)."""
    reference = before[0]
    masks = {name: Mask() for name in STREAMS}
    lines = {name: reference.stream(name) for name in STREAMS}
    for other in before[1:]:
        for name in STREAMS:
            learn(lines[name], other.stream(name), masks[name])
    notes = []
    codes = sorted({o.exit_code for o in before})
    if len(codes) > 1:
        notes.append(f"the \"before\" runs ended with different exit codes ({codes}): the "
                     "workload does not always end the same way")
    found: list[Difference] = []
    differing = 0
    for run, output in enumerate(after, 1):
        here = []
        if output.exit_code not in codes:
            here.append(Difference("exit code", 0, str(reference.exit_code),
                                   str(output.exit_code), run))
        for name in STREAMS:
            here += _differences(name, lines[name], output.stream(name), masks[name], run)
        if here:
            differing += 1
            if not found:
                found = here[:SHOWN]
    examples = [f"{name} line {line + 1}: {masks[name].shown(line, lines[name][line])}"
                for name in STREAMS for line in sorted(masks[name].tokens)][:3]
    return Agreement(not found, found, differing, len(after),
                     {name: len(masks[name].tokens) for name in STREAMS}, examples,
                     reference.exit_code, after[0].exit_code if after else reference.exit_code,
                     notes)
