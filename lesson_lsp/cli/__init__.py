"""The command line: the other front door. `main` parses `lesson-lsp ARGS` and runs one
command's module (`commands`, `hot`, `bench`, `trace`, `compare`), which prints what the engine
found. `serve` hands over to the language server (`lsp/`)."""

from lesson_lsp.cli.main import main

__all__ = ["main"]
