"""Inside the sandbox: import the target module under its real name (`pkg.sub.mod`), with the
editor's text or a candidate's final module text served in place of its file by an import hook
(DESIGN.md, invariant 4). Standard library only.
"""

from __future__ import annotations

import importlib
import importlib.util
import linecache
import os
import sys
import types
from typing import Any

from lesson_lsp.harness import guard


class EditorText:
    """Serves one module's text (the editor's, or a candidate's final text) in place of its file,
    under the module's real name: the rest of its package is imported from disk as usual, so
    relative imports work and objects made elsewhere are instances of its own classes.

    Compiling is ours (a syntax error makes CPython read the file for its message); executing
    is the actor's. linecache holds the text, so tracebacks, warnings and `inspect` show the
    code that runs, without reading the user's file."""

    def __init__(self, name: str, path: str, text: str, actor: str) -> None:
        self.name, self.path, self.actor = name, path, actor
        self.text = text[1:] if text.startswith("\ufeff") else text  # as Python reads a BOM

    def find_spec(self, fullname: str, path: Any = None, target: Any = None) -> Any:
        return self.spec() if fullname == self.name else None

    def spec(self) -> Any:
        package = os.path.basename(self.path) == "__init__.py"
        return importlib.util.spec_from_file_location(
            self.name, self.path, loader=self,  # type: ignore[arg-type]
            submodule_search_locations=[os.path.dirname(self.path)] if package else None)

    def create_module(self, spec: Any) -> None:
        return None

    def exec_module(self, module: types.ModuleType) -> None:
        code = compile(self.text, self.path, "exec")
        linecache.cache[self.path] = (len(self.text), None, self.text.splitlines(True), self.path)
        with guard.acting(self.actor):
            exec(code, module.__dict__)


def load_module(job: dict[str, Any], text: str | None = None,
                actor: str = "original") -> types.ModuleType:
    """Import the target module under its real name (`pkg.sub.mod`), its text being `text`
    (the candidate's final module text) or the editor's: exactly the text that would be
    written, nothing spliced in afterwards.

    A second load (the candidate next to the original) imports a fresh module that takes over
    the name, so the candidate's recursion and helpers resolve to its own copy. Both go through
    the import system alike, so what the module's own top level does while it is imported is
    judged the same way for both (guard.py exempts what happens during imports)."""
    for entry in reversed(job.get("sys_path", [])):
        if entry not in sys.path:
            sys.path.insert(0, entry)
    name = job["module_name"]
    loader = EditorText(name, job["module_path"],
                        job["module_source"] if text is None else text, actor)
    # Already there: the original of a pair, or a name the worker itself has imported (a
    # script called `json.py`); whoever holds the old module keeps it.
    sys.modules.pop(name, None)
    sys.meta_path.insert(0, loader)
    try:
        return importlib.import_module(name)
    finally:
        sys.meta_path.remove(loader)
