"""Where lesson-lsp keeps what outlives a run (the lesson bank, captured calls, derived inputs):
the user's cache directory, one folder per project, so nothing is left in the project itself
(DESIGN.md, invariant 5). `LESSON_LSP_CACHE_DIR` moves the whole cache (tests, CI).
"""

from __future__ import annotations

import hashlib
import os
import re
from pathlib import Path

KEEP_DIR = ".lesson-lsp"  # the only folder ever made in a project, and only when asked for
_GITIGNORE = "# made by lesson-lsp: nothing here belongs in version control\n*\n"


def cache_root() -> Path:
    forced = os.environ.get("LESSON_LSP_CACHE_DIR")
    if forced:
        return Path(forced)
    import platformdirs

    return Path(platformdirs.user_cache_dir("lesson-lsp", appauthor=False))


def project_cache(root: str | Path) -> Path:
    """The cache folder of the project at `root`: its name (readable) and a hash of its path
    (unique). Not created here."""
    resolved = Path(root or ".").resolve()
    tag = hashlib.sha256(str(resolved).encode("utf-8", "surrogatepass")).hexdigest()[:12]
    name = re.sub(r"[^A-Za-z0-9_.-]", "_", resolved.name or "root")[:40]
    return cache_root() / "projects" / f"{name}-{tag}"


def kept_folder(root: str | Path) -> Path:
    """Where `keep_in_project` keeps things (not created here): `<root>/.lesson-lsp/`, or when
    `root` is itself a package folder (it has `__init__.py`), beside the outermost package of
    that chain, so nothing of ours is ever inside a package that may be built and shipped."""
    folder = Path(root or ".").resolve()
    while (folder / "__init__.py").is_file() and folder.parent != folder:
        folder = folder.parent
    return folder / KEEP_DIR


def keep_in_project(root: str | Path) -> Path:
    """`kept_folder(root)`, created with its own .gitignore so nothing kept there is ever
    committed by accident."""
    folder = kept_folder(root)
    folder.mkdir(parents=True, exist_ok=True)
    ignore = folder / ".gitignore"
    if not ignore.exists():
        ignore.write_text(_GITIGNORE, encoding="utf-8")
    return folder
