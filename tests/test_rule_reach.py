"""benchmarks/rule_reach.py's scan on a tiny package made here (no download): a function a rule
rewrites is counted as reached, one no rule touches is not, tests and methods are found as the
real corpus needs, and a rule that raises is counted apart instead of stopping the scan."""

from __future__ import annotations

import ast
import sys
from pathlib import Path
from types import ModuleType

import pytest

from lesson_lsp.team.rewrites import RULES, Rewrite, RewriteContext, Rule

BENCHMARKS = Path(__file__).resolve().parent.parent / "benchmarks"

MODULE = '''"""A tiny module."""


def total(xs):
    s = 0
    for x in xs:
        s += x
    return s


def plain(a, b):
    return a + b


class Box:
    @property
    def size(self):
        return 1

    def plain_too(self, other):
        return other
'''


@pytest.fixture
def rule_reach(monkeypatch: pytest.MonkeyPatch) -> ModuleType:
    """The benchmark module, imported as the script imports its sibling real_projects."""
    monkeypatch.syspath_prepend(str(BENCHMARKS))
    monkeypatch.delitem(sys.modules, "rule_reach", raising=False)
    import rule_reach

    return rule_reach


def _package(root: Path) -> None:
    (root / "src" / "tiny").mkdir(parents=True)
    (root / "src" / "tiny" / "__init__.py").write_text(MODULE, encoding="utf-8")
    (root / "src" / "tiny" / "tests").mkdir()
    (root / "src" / "tiny" / "tests" / "test_tiny.py").write_text(
        "def test_total():\n    s = 0\n    for x in [1]:\n        s += x\n    assert s\n",
        encoding="utf-8")


def test_counts(tmp_path: Path, rule_reach: ModuleType) -> None:
    _package(tmp_path)
    report = rule_reach.Report([rule.name for rule in RULES])
    rule_reach.scan("tiny", tmp_path, ["src/tiny"], report)
    names = [f.name for f in report.functions]
    assert names == ["tiny.total", "tiny.plain", "tiny.Box.size", "tiny.Box.plain_too"]
    assert [f.is_method for f in report.functions] == [False, False, True, True]
    assert [f.name for f in report.reached()] == ["tiny.total"]
    assert [f.name for f in report.hits("sum-accumulate")] == ["tiny.total"]
    assert report.crashes == []
    assert report.unparsed == []


def test_crash_is_counted(tmp_path: Path, rule_reach: ModuleType) -> None:
    _package(tmp_path)

    def explode(source: str, context: RewriteContext) -> Rewrite | None:
        if context.name == "plain":
            raise ValueError("boom")
        return Rewrite(source) if context.is_method else None

    report = rule_reach.Report(["explode"])
    rule_reach.scan("tiny", tmp_path, ["src/tiny"], report, [Rule("explode", "", explode)])
    assert [(c.function, c.rule) for c in report.crashes] == [("tiny.plain", "explode")]
    assert "ValueError: boom" in report.crashes[0].error
    assert [f.name for f in report.hits("explode")] == ["tiny.Box.size", "tiny.Box.plain_too"]


def test_method_source_at_column0(rule_reach: ModuleType) -> None:
    """Decorators are part of the source, and the body comes out at column 0."""
    tree = ast.parse(MODULE)
    lines = [line + "\n" for line in MODULE.split("\n")]
    found = {q: node for q, node, _ in rule_reach.functions_of(tree)}
    source, indent = rule_reach.function_source(lines, found["Box.size"])
    assert indent == "    "
    assert rule_reach.TO_COLUMN0(source, indent) == \
        "@property\ndef size(self):\n    return 1"


def test_diff(rule_reach: ModuleType, capsys: pytest.CaptureFixture[str]) -> None:
    """--diff: counts per rule side by side (a rule missing from a run shows "-"), and the
    functions reached in only one of the runs."""
    def run(commit: str, rules: list[str], reached: dict[str, list[str]]) -> dict[str, object]:
        return {"lesson_lsp": {"path": "/x", "commit": commit}, "rules": rules,
                "counts": {r: sum(r in p for p in reached.values()) for r in rules},
                "total": {"reached": sum(1 for p in reached.values() if p), "functions": 3,
                          "crashes": 0},
                "functions": [{"name": n, "proposed": p} for n, p in reached.items()]}

    before = run("aaa", ["memoize"], {"a.f": ["memoize"], "a.g": [], "a.h": []})
    after = run("bbb", ["memoize", "new-rule"],
                {"a.f": [], "a.g": ["new-rule"], "a.h": ["memoize", "new-rule"]})
    rule_reach.print_diff(before, after)
    out = capsys.readouterr().out
    table = out.split("\n\n")[0].splitlines()[1:]
    rows = {line.split()[0]: line.split()[1:] for line in table}
    assert rows["memoize"] == ["1", "1"]
    assert rows["new-rule"] == ["-", "2"]
    assert rows["reached"] == ["1", "2"]
    assert "reached only after: 2\n  a.g\n  a.h" in out
    assert "reached only before: 1\n  a.f" in out
