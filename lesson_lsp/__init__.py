"""lesson-lsp: make a slow Python function faster with a team that learns lessons."""

__version__ = "0.1.0"
