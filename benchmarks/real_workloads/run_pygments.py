"""Highlight source files to HTML and to the terminal with Pygments, as a docs build or a pager
does: standard-library modules of this Python (so the digest depends on its version) and
generated JSON, SQL and shell."""
import difflib
import hashlib
import json
import random
import sys
import textwrap
import time
from pathlib import Path

from pygments import highlight
from pygments.formatters import HtmlFormatter, TerminalFormatter
from pygments.lexers import BashLexer, JsonLexer, PythonLexer, SqlLexer

count = int(sys.argv[1]) if len(sys.argv) > 1 else 2
random.seed(5)
sources = [Path(module.__file__).read_text(encoding="utf-8")
           for module in (difflib, textwrap, json.decoder, random)]
records = [{"id": i, "name": f"user{i}", "score": random.random(), "tags": ["a", "b"][: i % 3],
            "active": i % 2 == 0, "parent": None} for i in range(400)]
documents = [
    (JsonLexer(), json.dumps(records, indent=2)),
    (SqlLexer(), "\n".join(f"SELECT a.id, b.name FROM t{i} a JOIN u b ON a.id = b.id "
                           f"WHERE a.v > {i} AND b.s LIKE 'x%'; -- query {i}" for i in range(300))),
    (BashLexer(), "\n".join(f'for f in "$DIR"/*.{i}; do echo "${{f%.txt}}" | grep -c x >> out; '
                            f"done  # {i}" for i in range(300))),
]
started = time.perf_counter()
digest = hashlib.sha256()
size = 0
html, terminal = HtmlFormatter(linenos="table", cssclass="code"), TerminalFormatter()
for _ in range(count):
    for text in sources:
        for formatter in (html, terminal):
            out = highlight(text, PythonLexer(), formatter)
            digest.update(out.encode())
            size += len(out)
    for lexer, text in documents:
        out = highlight(text, lexer, html)
        digest.update(out.encode())
        size += len(out)
print("characters", size)
print("sha256", digest.hexdigest())
print(f"took {time.perf_counter() - started:.3f} s")
