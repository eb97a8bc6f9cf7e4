"""`edits.plan` on real code: every function and method of real packages, three candidates each,
checked byte for byte against the file it came from (invariants 1 and 2 of DESIGN.md).

For every `.py` file under the given folders that `sourcefile.read` accepts, for every function
(`extract.all_functions`) and three candidates — (1) the function itself (`to_column0`), (2) the
same plus `import functools` and `from collections import deque`, (3) `ast.unparse` of its own
ast, as a model would write it — plan with spans extracted in utf-8, utf-16 and utf-32 and check:

- `edits.check(plan)` passes (plan raises otherwise);
- the edits, applied by an applier written here from the LSP spec (lines end at \\n, \\r\\n, \\r;
  columns in the negotiated units; all ranges against the original; same start in array order),
  give `plan.text`, every position on a character boundary and within its line; the three
  encodings plan the same text;
- `plan.text` compiles whenever the file did, and its function (ast, no positions) equals the
  candidate's; every import of the candidate is a top-level import of the new module;
- outside the function only whole new import lines were added: the text before the function,
  apart from them, and the text after it are byte-identical;
- the new import lines sit after a shebang, coding cookie, module docstring, `from __future__` and
  the leading imports, before the first other statement, and inside no statement (never in a
  parenthesised import);
- the written bytes (`SourceFile.encode`) decode back to `plan.text`, keep a BOM if there was
  one, and declare the same encoding; a file with one kind of line ending keeps only that kind.

It also counts (not a failure) how often candidate (1) gives back the original text exactly.
Prints a table: files, functions, candidates planned, failures per check with the first three
examples, and the median / p99 time of one `plan()` call.

    python benchmarks/real_layouts.py                # the stdlib of this Python
    python benchmarks/real_layouts.py DIR [DIR ...]  # e.g. unzipped wheels of PyPI packages
    python benchmarks/real_layouts.py --max-per-file 40 DIR   # a sample of each big file
"""

from __future__ import annotations

import argparse
import ast
import io
import re
import statistics
import sys
import sysconfig
import time
import tokenize
from collections import Counter, defaultdict
from pathlib import Path

from lesson_lsp.source import edits, sourcefile
from lesson_lsp.source.candidate import Candidate, to_column0
from lesson_lsp.source.extract import FunctionSpan, all_functions

ENCODINGS = ("utf-8", "utf-16", "utf-32")
IMPORTS = ("import functools", "from collections import deque")
BREAK = re.compile(r"\r\n|\r|\n")
IMPORT_LINES = re.compile("(?:(?:{})(?:\r\n|\r|\n))*".format(
    "|".join(map(re.escape, IMPORTS))))
COOKIE = re.compile(r"^[ \t\f]*#.*?coding[:=][ \t]*[-\w.]+")
CHECKS = (
    "read", "plan raises", "lsp apply (own)", "position off boundary", "text differs by encoding",
    "compiles", "function ast", "imports present", "outside bytes", "import placement",
    "written bytes", "line endings", "candidate not built",
)


class Report:
    def __init__(self) -> None:
        self.failures: Counter[str] = Counter()
        self.examples: dict[str, list[str]] = defaultdict(list)
        self.info: Counter[str] = Counter()
        self.times: list[float] = []

    def fail(self, check: str, where: str, what: str) -> None:
        self.failures[check] += 1
        if len(self.examples[check]) < 3:
            self.examples[check].append(f"{where}: {what}")


# --- LSP rules, written apart from lesson_lsp.source.positions ------------------------------------

def line_starts(text: str) -> list[int]:
    return [0] + [m.end() for m in BREAK.finditer(text)]


def line_end(text: str, starts: list[int], line: int) -> int:
    """Offset where `line`'s content ends (before its line break)."""
    if line + 1 >= len(starts):
        return len(text)
    return starts[line] + len(BREAK.split(text[starts[line]:starts[line + 1]], 1)[0])


def width(ch: str, encoding: str) -> int:
    if encoding == "utf-8":
        return len(ch.encode("utf-8", "surrogatepass"))
    if encoding == "utf-16":
        return 2 if ord(ch) > 0xFFFF else 1
    return 1


def to_offset(text: str, starts: list[int], line: int, col: int, encoding: str
              ) -> tuple[int, bool]:
    """The offset of an LSP position, and whether it was exact (on a boundary, in the line)."""
    if line >= len(starts):
        return len(text), False
    at, end, units = starts[line], line_end(text, starts, line), 0
    while at < end and units < col:
        units += width(text[at], encoding)
        at += 1
    return at, units == col


def lsp_apply(text: str, changes: tuple[edits.TextEdit, ...], encoding: str
              ) -> tuple[str, bool]:
    starts = line_starts(text)
    spans, exact = [], True
    for n, e in enumerate(changes):
        a, ok_a = to_offset(text, starts, e.start_line, e.start_col, encoding)
        b, ok_b = to_offset(text, starts, e.end_line, e.end_col, encoding)
        exact = exact and ok_a and ok_b
        spans.append((a, n, b, e.new_text))
    out, at = [], 0
    for a, _, b, new in sorted(spans):
        if a < at:
            raise ValueError("overlapping edits")
        out += [text[at:a], new]
        at = b
    return "".join(out) + text[at:], exact


# --- positions of ast nodes --------------------------------------------------------------

def ast_offset(text: str, starts: list[int], lineno: int, col_byte: int) -> int:
    start = starts[lineno - 1]
    line = text[start:line_end(text, starts, lineno - 1)]
    return start + len(line.encode("utf-8", "surrogatepass")[:col_byte].decode(
        "utf-8", "surrogatepass"))


def stmt_start(text: str, starts: list[int], node: ast.stmt) -> int:
    """Offset of a statement's first character (the `@` of its first decorator)."""
    first = min([node, *getattr(node, "decorator_list", [])],
                key=lambda n: (n.lineno, n.col_offset))
    at = ast_offset(text, starts, first.lineno, first.col_offset)
    if first is not node:
        at = text.rindex("@", 0, at)
    return at


def functions_by_def_line(tree: ast.AST) -> dict[int, ast.AST]:
    return {n.lineno: n for n in ast.walk(tree)
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}


def functions_by_first_line(tree: ast.AST) -> dict[int, ast.AST]:
    """Functions by the line of their first decorator, or of their `def`."""
    return {min([n.lineno] + [d.lineno for d in n.decorator_list]): n for n in ast.walk(tree)
            if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))}


def import_bounds(text: str, tree: ast.Module, before: int) -> tuple[int, int, list]:
    """(lowest, highest) offset where new import lines may go for a function starting at
    `before`, and the top-level statements as (start, end) offsets."""
    starts = line_starts(text)
    low = 0
    for line in range(min(2, len(starts))):
        content = text[starts[line]:line_end(text, starts, line)]
        if (line == 0 and content.startswith("#!")) or COOKIE.match(content):
            low = starts[line + 1] if line + 1 < len(starts) else len(text)
    ranges, leading, high = [], True, None
    for i, node in enumerate(tree.body):
        a = stmt_start(text, starts, node)
        b = ast_offset(text, starts, node.end_lineno, node.end_col_offset)
        ranges.append((a, b))
        is_doc = i == 0 and isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant) \
            and isinstance(node.value.value, str)
        if leading and b <= before and (is_doc or isinstance(node, (ast.Import, ast.ImportFrom))):
            low = max(low, b)
        elif leading:
            leading = False
            high = starts[BREAK.split(text[:a]).__len__() - 1]
    return low, min(high if high is not None else before, before), ranges


# --- one file ----------------------------------------------------------------------------

def endings(text: str) -> set[str]:
    return {m.group() for m in BREAK.finditer(text)}


def candidates(span: FunctionSpan, node: ast.AST | None) -> list[tuple[str, Candidate]]:
    own = to_column0(span.source, span.indent)
    out = [("as is", Candidate(own)), ("+imports", Candidate(own, IMPORTS))]
    if node is not None:
        out.append(("unparse", Candidate(ast.unparse(node) + "\n")))
    return out


def check_file(path: Path, report: Report, max_per_file: int) -> tuple[int, int]:
    """Check every function of one file; return (functions, candidates planned)."""
    try:
        file = sourcefile.read(path)
    except sourcefile.SourceFileError as exc:
        report.info["files not read (sourcefile refuses)"] += 1
        if len(report.examples["read"]) < 3:
            report.examples["read"].append(str(exc)[:160])
        return 0, 0
    source = file.text
    try:
        tree = ast.parse(source)
        compile(tree, str(path), "exec", dont_inherit=True)
        compiled = True
    except (SyntaxError, ValueError):
        tree, compiled = None, False
        report.info["files that do not compile (byte checks only)"] += 1
    starts = line_starts(source)
    by_line = functions_by_def_line(tree) if tree is not None else {}
    kinds = endings(source)
    per_encoding = {enc: all_functions(source, enc) for enc in ENCODINGS}
    spans = per_encoding["utf-16"]
    step = max(1, -(-len(spans) // max_per_file)) if max_per_file else 1
    planned = 0
    for index in range(0, len(spans), step):
        span = spans[index]
        where = f"{path}::{span.qualname} (line {span.def_line + 1})"
        node = by_line.get(span.def_line + 1)
        if tree is not None and node is None:
            report.fail("function ast", where, "no ast function on the span's def line")
        try:
            cands = candidates(span, node)
            built = [(label, c, ast.parse(c.source).body[0] if compiled else None)
                     for label, c in cands]
        except (SyntaxError, ValueError, RecursionError) as exc:
            report.fail("candidate not built", where, f"{type(exc).__name__}: {exc}"[:160])
            continue
        for label, cand, cand_node in built:
            planned += 1
            at = f"{where} [{label}]"
            texts = {}
            for enc in ENCODINGS:
                espan = per_encoding[enc][index]
                started = time.perf_counter()
                try:
                    result = edits.plan(source, espan, cand)
                except Exception as exc:
                    report.fail("plan raises", f"{at} {enc}", f"{type(exc).__name__}: {exc}")
                    continue
                finally:
                    report.times.append(time.perf_counter() - started)
                texts[enc] = result.text
                try:
                    applied, exact = lsp_apply(source, result.edits, enc)
                except ValueError as exc:
                    applied, exact = str(exc), True
                if applied != result.text:
                    report.fail("lsp apply (own)", f"{at} {enc}",
                                first_difference(result.text, applied))
                if not exact:
                    report.fail("position off boundary", f"{at} {enc}",
                                repr(result.edits)[:160])
            if len(set(texts.values())) > 1:
                report.fail("text differs by encoding", at, ", ".join(texts))
            if texts:
                text = texts.get("utf-16") or next(iter(texts.values()))
                check_text(report, at, file, source, starts, tree, kinds, span, cand,
                           cand_node, text, compiled)
    return len(spans), planned


def first_difference(a: str, b: str, names: tuple[str, str] = ("planned", "got")) -> str:
    n = next((i for i, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    return (f"at {n}: {names[0]} {a[max(0, n - 20):n + 30]!r} vs {names[1]} "
            f"{b[max(0, n - 20):n + 30]!r}")


def check_text(report: Report, at: str, file: sourcefile.SourceFile, source: str,
               starts: list[int], tree: ast.Module | None, kinds: set[str],
               span: FunctionSpan, cand: Candidate, cand_node: ast.AST | None, text: str,
               compiled: bool) -> None:
    start, end = span.start_offset, span.end_offset
    # outside bytes: text == source[:p] + I + source[p:start] + F + source[end:]
    tail, names = source[end:], ("source", "plan")
    inserted, p = "", None
    if not text.endswith(tail):
        report.fail("outside bytes", at, "the text after the function changed")
    elif cand.imports:
        common = next((i for i, (x, y) in enumerate(zip(source[:start], text)) if x != y),
                      start)
        line = BREAK.split(source[:common]).__len__() - 1
        for q in (starts[k] for k in range(line, max(-1, line - len(IMPORTS) - 2), -1)):
            m = IMPORT_LINES.match(text, q)
            if m and text.startswith(source[q:start], m.end()):
                p, inserted = q, m.group()
                break
        if p is None:
            diff = first_difference(source[:start], text[:start], names)
            report.fail("outside bytes", at, "text before the function differs apart from "
                        f"whole import lines: {diff}")
    elif not text.startswith(source[:start]):
        report.fail("outside bytes", at, first_difference(source[:start], text[:start], names))
    if text == source and not cand.imports and cand.source == to_column0(span.source,
                                                                        span.indent):
        report.info["candidate (1) gives the original text back"] += 1
    elif not cand.imports and cand.source == to_column0(span.source, span.indent):
        report.info["candidate (1) changes the function's text (not a failure)"] += 1
        if report.info["candidate (1) changes the function's text (not a failure)"] <= 3:
            report.examples["identity (info)"].append(
                f"{at}: {first_difference(source, text, ('source', 'plan'))}")
    if inserted and tree is not None:
        low, high, ranges = import_bounds(source, tree, start)
        inside = [r for r in ranges if r[0] < p < r[1]]
        if not low <= p <= high or inside:
            report.fail("import placement", at, f"inserted at offset {p} (line "
                        f"{BREAK.split(source[:p]).__len__()}), allowed {low}..{high}"
                        + (", inside a statement" if inside else ""))
    # compiles; the function equals the candidate; imports present
    if compiled:
        try:
            new_tree = ast.parse(text)
            compile(new_tree, "<plan>", "exec", dont_inherit=True)
        except (SyntaxError, ValueError) as exc:
            report.fail("compiles", at, f"{type(exc).__name__}: {exc}")
            new_tree = None
        if new_tree is not None and (p is not None or not cand.imports):
            first_line = len(line_starts(text[:start + len(inserted)]))
            node = functions_by_first_line(new_tree).get(first_line)
            if node is None or ast.dump(node) != ast.dump(cand_node):
                report.fail("function ast", at, "the function in plan.text is not the "
                            "candidate" + (" (no def there)" if node is None else ""))
        if new_tree is not None:
            top = {ast.dump(n) for n in new_tree.body if isinstance(n, (ast.Import,
                                                                       ast.ImportFrom))}
            missing = [i for i in cand.imports if ast.dump(ast.parse(i).body[0]) not in top]
            if missing:
                report.fail("imports present", at, f"missing {missing}")
    # written bytes
    try:
        data = file.encode(text)
        body = data[3:] if file.bom else data
        codec, _ = tokenize.detect_encoding(io.BytesIO(data).readline)
        codec = "utf-8" if codec == "utf-8-sig" else codec
        if body.decode(file.encoding) != text or data.startswith(b"\xef\xbb\xbf") != file.bom \
                or codec != file.encoding:
            report.fail("written bytes", at, f"bom {file.bom}, encoding {file.encoding} "
                        f"vs detected {codec}")
    except (sourcefile.SourceFileError, UnicodeError, SyntaxError) as exc:
        report.fail("written bytes", at, str(exc)[:160])
    if len(kinds) == 1 and endings(text) != kinds:
        report.fail("line endings", at, f"{sorted(kinds)} became {sorted(endings(text))}")


def python_files(root: Path) -> list[Path]:
    if root.is_file():
        return [root]
    return sorted(p for p in root.rglob("*.py")
                  if "site-packages" not in p.relative_to(root).parts)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="*", type=Path,
                        default=[Path(sysconfig.get_paths()["stdlib"])])
    parser.add_argument("--max-per-file", type=int, default=0,
                        help="check at most this many functions per file, evenly spread")
    args = parser.parse_args()
    sys.setrecursionlimit(10000)
    report = Report()
    total = Counter()
    for folder in args.folders:
        for path in python_files(folder):
            functions, planned = check_file(path, report, args.max_per_file)
            total["files"] += 1
            total["functions"] += functions
            total["candidates planned"] += planned
    for key in ("files", "functions", "candidates planned"):
        print(f"{key:<48} {total[key]:>9}")
    print(f"{'plan() calls (x3 encodings)':<48} {len(report.times):>9}")
    for key, count in sorted(report.info.items()):
        print(f"{key:<48} {count:>9}")
    print()
    print(f"{'check':<28} {'failures':>9}")
    for check in CHECKS:
        count = report.failures[check]
        if check == "read":
            count = report.info.get("files not read (sourcefile refuses)", 0)
        print(f"{check:<28} {count:>9}")
        for example in report.examples.get(check, []):
            print(f"    {example[:400]}")
    for example in report.examples.get("identity (info)", []):
        print(f"    identity (info) {example[:400]}")
    if report.times:
        ordered = sorted(report.times)
        p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
        print(f"\nplan() median {statistics.median(ordered) * 1e3:.2f} ms, "
              f"p99 {p99 * 1e3:.2f} ms, max {ordered[-1] * 1e3:.1f} ms")


if __name__ == "__main__":
    main()
