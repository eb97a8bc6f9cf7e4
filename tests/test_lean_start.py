"""What `lesson-lsp serve` loads before it answers `initialize`: pygls and lsprotocol, not the
team, the harness, the LLM client, the rewrite rules or even tree-sitter (benchmarks/
editor_speed.py measures the time; this keeps the imports from creeping back)."""

from __future__ import annotations

import json
import subprocess

from tests.conftest import PYTHON

HEAVY = ("openai", "httpx2", "libcst", "hypothesis", "sqlite3", "tree_sitter",
         "lesson_lsp.team", "lesson_lsp.harness", "lesson_lsp.engine.optimize",
         "lesson_lsp.lsp.optimize_command", "lesson_lsp.cli.commands", "lesson_lsp.tracing",
         "lesson_lsp.workspace.config")


def test_the_server_starts_without_the_team_harness_llm_client_or_parser() -> None:
    code = ("import json, sys; import lesson_lsp.cli, lesson_lsp.lsp.server; "
            "print(json.dumps(sorted(sys.modules)))")
    done = subprocess.run([PYTHON, "-c", code], capture_output=True, text=True, timeout=60,
                          check=True)
    loaded = json.loads(done.stdout)
    assert "pygls.lsp.server" in loaded and "lesson_lsp.lsp.server" in loaded
    heavy = [m for m in loaded if any(m == h or m.startswith(h + ".") for h in HEAVY)]
    assert heavy == []
