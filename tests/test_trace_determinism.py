"""'Not deterministic' only when it is: a value that holds C objects whose repr is their address
(an xml.etree Element, a sentinel `object()`) is described by what it is, so two runs of a
deterministic function on the same input agree (issue 25: Python-Markdown's
`BlockQuoteProcessor.test`, whose receiver holds the parser's `xml.etree` root, was refused
as not deterministic)."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import weakref
import xml.etree.ElementTree as etree
from pathlib import Path

import pytest

from lesson_lsp.harness.compare import Tolerance, outcome_difference
from lesson_lsp.harness.encode import encode

PYTHON = sys.executable
ADDRESS = re.compile(r"0x[0-9a-fA-F]{4,}")


class AtomicString(str):
    """A str subclass, as Python-Markdown marks text not to be processed again."""


class Parser:
    def __init__(self, text: str = "one") -> None:
        self.root = etree.Element("div", {"class": "doc"})
        quote = etree.SubElement(self.root, "blockquote")
        quote.text = AtomicString(text)
        quote.tail = "\n"
        self.seen = object()  # a sentinel
        self.ref = weakref.ref(Parser)
        self.kind = property(lambda s: 1)


def test_objects_with_addresses_in_their_repr_are_described_by_what_they_are() -> None:
    first, second = encode(Parser()), encode(Parser())  # alike, at other addresses
    assert first == second
    assert not ADDRESS.search(json.dumps(first))
    outcome = {"ret": ["b", True], "args": encode([Parser()]), "kwargs": ["d", []]}
    again = {"ret": ["b", True], "args": encode([Parser()]), "kwargs": ["d", []]}
    assert outcome_difference(outcome, again, Tolerance()) is None


def test_what_such_objects_hold_still_counts() -> None:
    assert encode(Parser("one")) != encode(Parser("two"))  # the element's text
    other = Parser()
    other.root.set("class", "other")
    assert encode(Parser()) != encode(other)  # an attribute
    child = Parser()
    etree.SubElement(child.root, "p")
    found = outcome_difference({"ret": encode(Parser())}, {"ret": encode(child)}, Tolerance())
    assert found is not None and "return value" in found
    assert encode(AtomicString("a")) != encode(AtomicString("b"))  # a str subclass's value
    assert encode(AtomicString("a")) != encode("a")


class Keyed:
    def __init__(self, key: int, value: str) -> None:
        self.key, self.value = key, value

    def __hash__(self) -> int:
        return self.key


def test_a_set_cut_at_the_size_limit_is_cut_alike_whatever_its_order() -> None:
    """Objects hashed by identity iterate in another order in each run: a set the encoding's
    size limit cuts inside is cut whole, not after whichever items came first."""
    first, second = Keyed(0, "a"), Keyed(8, "b")  # the same slot: insertion order decides
    one, other = {first, second}, {second, first}
    assert [k.value for k in one] != [k.value for k in other]
    assert encode(one, budget=[2]) == encode(other, budget=[2]) == ["more"]
    assert encode(one) == encode(other) and encode(one) != ["more"]


QUOTE = '''\
"""Block quotes parsed into an xml.etree tree, as Python-Markdown's BlockQuoteProcessor."""
import re
import sys
import xml.etree.ElementTree as etree


def nearing_recursion_limit():
    return sys.getrecursionlimit() - len([1]) < 100


class Parser:
    def __init__(self):
        self.root = etree.Element("div")
        self.seen = object()


class BlockQuote:
    RE = re.compile(r"(^|\\n)[ ]{0,3}>[ ]?(.*)")

    def __init__(self, parser):
        self.parser = parser

    def test(self, block):
        return bool(self.RE.search(block)) and not nearing_recursion_limit()

    def run(self, block):
        quote = etree.SubElement(self.parser.root, "blockquote")
        quote.text = block.lstrip("> ")
        return quote
'''

RUN = '''\
from quote import BlockQuote, Parser

parser = Parser()
processor = BlockQuote(parser)
for i in range(2000):
    block = f"> line {i}" if i % 3 else f"plain {i}"
    if processor.test(block):
        processor.run(block)
print(len(parser.root))
'''


@pytest.mark.slow
def test_a_traced_method_whose_receiver_holds_an_etree_is_checked_not_refused(
        tmp_path: Path) -> None:
    """The whole path: trace the workload, then optimize the method on the calls it made; its
    receiver holds an Element tree and a sentinel, and both runs of the original agree."""
    (tmp_path / "pyproject.toml").write_text("[project]\nname = 'q'\n", encoding="utf-8")
    (tmp_path / "quote.py").write_text(QUOTE, encoding="utf-8")
    (tmp_path / "run.py").write_text(RUN, encoding="utf-8")
    traced = subprocess.run([PYTHON, "-m", "lesson_lsp.cli", "trace", "--json", "--",
                             "python", "run.py"], cwd=tmp_path, capture_output=True, text=True,
                            timeout=120)
    assert traced.returncode == 0, traced.stderr
    captured = {f["qualname"]: f["captured"] for f in json.loads(traced.stdout)["functions"]}
    assert captured["BlockQuote.test"] > 1
    done = subprocess.run([PYTHON, "-m", "lesson_lsp.cli", "optimize",
                           "quote.py::BlockQuote.test", "--json"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=300)
    assert "not deterministic" not in done.stderr
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["original_s"] > 0 and result["inputs_from"].startswith(
        "inputs from the workload")
