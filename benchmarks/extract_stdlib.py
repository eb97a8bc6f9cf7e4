"""Extraction against `ast` on every .py file of the standard library: count, mismatches, time.

    python benchmarks/extract_stdlib.py
"""

from __future__ import annotations

import ast
import sysconfig
import time
from pathlib import Path

from lesson_lsp.source.extract import all_functions


def main() -> None:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    files = functions = mismatches = skipped = 0
    elapsed = 0.0
    for path in sorted(stdlib.rglob("*.py")):
        if "site-packages" in path.parts:
            continue
        try:
            source = path.read_text(encoding="utf-8")
            tree = ast.parse(source)
        except (SyntaxError, UnicodeDecodeError, ValueError):
            skipped += 1
            continue
        expected = sorted((n.name, n.lineno, n.end_lineno) for n in ast.walk(tree)
                          if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef)))
        started = time.perf_counter()
        spans = all_functions(source)
        elapsed += time.perf_counter() - started
        ours = sorted((s.name, s.def_line + 1, s.end_line + 1) for s in spans)
        files += 1
        functions += len(expected)
        if ours != expected:
            mismatches += 1
            print(f"mismatch: {path.relative_to(stdlib)}")
    print(f"files {files}  (skipped, not Python 3 syntax: {skipped})")
    print(f"functions {functions}  files disagreeing with ast: {mismatches}")
    print(f"time per extracted function: {elapsed / max(functions, 1) * 1e6:.1f} µs "
          f"(parse + walk, whole file)")


if __name__ == "__main__":
    main()
