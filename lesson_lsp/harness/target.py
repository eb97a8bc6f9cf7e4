"""The function under optimization, as the harness sees it: its module's text and import name,
its inputs, and the Python that runs it."""

from __future__ import annotations

import functools
from dataclasses import dataclass

from lesson_lsp.harness.inputs import InputSpec
from lesson_lsp.source.extract import ExtractError, FunctionSpan, function_named
from lesson_lsp.workspace.project import ModuleLocation, locate


class HarnessError(Exception):
    """The original itself cannot be measured (bad inputs, it always raises, …)."""


@dataclass(frozen=True)
class Target:
    """The function under optimization, as the harness sees it."""

    path: str
    source: str  # the module's text as the editor has it (may be unsaved)
    qualname: str
    inputs: InputSpec
    root: str = ""
    span: FunctionSpan | None = None  # where the function is in `source` (found when not given)
    python: str = ""  # the project's interpreter; empty: lesson-lsp's own

    @functools.cached_property
    def location(self) -> ModuleLocation:
        """The module's import name and the sys.path entry that finds it."""
        return locate(self.path, self.root)

    @property
    def module_name(self) -> str:
        return self.location.name

    @property
    def sys_path(self) -> list[str]:
        found = [self.location.search_path]
        return [*found, self.root] if self.root and self.root not in found else found

    def function(self) -> FunctionSpan:
        if self.span is not None:
            return self.span
        try:
            return function_named(self.source, self.qualname)
        except ExtractError as exc:
            raise HarnessError(str(exc)) from exc
