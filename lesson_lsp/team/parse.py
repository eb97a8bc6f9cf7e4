"""Turn a model's answer into a candidate: find the code, the function, its imports and helpers.

Models answer in every shape: fenced or not, with prose around, several blocks, a whole module
with a demo at the bottom, the method inside its class, or the function under another name.
Whatever cannot be used becomes a `ParseError` whose message feeds the "error" lesson.
(`ast` is right here: this is the model's text, not the user's file.)
"""

from __future__ import annotations

import ast
import re
import textwrap

_FENCE = re.compile(r"```[ \t]*([A-Za-z0-9_+-]*)[^\n]*\n(.*?)(?:```|\Z)", re.S)
_CODE_START = re.compile(r"^(?:def |async def |class |import |from |@)", re.M)


class ParseError(Exception):
    """The answer holds no usable definition of the function."""


def code_blocks(text: str) -> list[str]:
    """Fenced blocks (python ones first), else the answer from its first line of code."""
    blocks = [(lang.lower(), body) for lang, body in _FENCE.findall(text)]
    if blocks:
        python = [b for lang, b in blocks if lang in ("python", "py", "python3", "")]
        return python or [b for _, b in blocks]
    start = _CODE_START.search(text)
    return [text[start.start():]] if start else []


def _parse(block: str) -> tuple[str, ast.Module] | None:
    """The block (cut before trailing prose if need be) and its syntax tree, or None."""
    lines = textwrap.dedent(block).splitlines()
    for end in range(len(lines), 0, -1):
        text = "\n".join(lines[:end]) + "\n"
        try:
            return text, ast.parse(text)
        except (SyntaxError, ValueError):
            continue
    return None


def _segment(source: str, node: ast.AST) -> str:
    """The lines of `node` (decorators included), moved to column 0."""
    decorators = getattr(node, "decorator_list", [])
    first = min([d.lineno for d in decorators] + [node.lineno])  # type: ignore[attr-defined]
    lines = source.splitlines()[first - 1:node.end_lineno]  # type: ignore[attr-defined]
    return textwrap.dedent("\n".join(lines))


def _rename(source: str, old: str, new: str) -> str:
    return re.sub(rf"\b{re.escape(old)}\b", new, source)


def extract(answer: str, name: str) -> tuple[str, tuple[str, ...]]:
    """(code at column 0 defining `name` and its helpers, import lines) from a model's answer."""
    blocks = code_blocks(answer)
    if not blocks:
        raise ParseError("the answer holds no code")
    parsed = [found for b in blocks if (found := _parse(b)) is not None]
    if not parsed:
        raise ParseError("the code in the answer does not parse")
    functions = (ast.FunctionDef, ast.AsyncFunctionDef)

    def defines(module: ast.Module) -> bool:
        return any(isinstance(n, functions) and n.name == name for n in module.body) or any(
            isinstance(n, ast.ClassDef) and any(isinstance(m, functions) and m.name == name
                                                for m in n.body) for n in module.body)

    chosen = next(((b, m) for b, m in parsed if defines(m)), None)
    if chosen is None:
        # One function under another name: the model renamed it.
        for block, module in parsed:
            defs = [n for n in module.body if isinstance(n, functions)]
            if len(defs) == 1:
                renamed = _parse(_rename(block, defs[0].name, name))
                if renamed is not None:
                    chosen = renamed
                    break
    if chosen is None:
        raise ParseError(f"the answer does not define `{name}`")
    source, module = chosen
    imports: list[str] = []
    kept: list[str] = []
    for node in module.body:
        if isinstance(node, (ast.Import, ast.ImportFrom)):
            imports.append(_segment(source, node))
        elif isinstance(node, functions):
            kept.append(_segment(source, node))
        elif isinstance(node, ast.ClassDef):
            method = next((m for m in node.body if isinstance(m, functions) and m.name == name),
                          None)
            if method is not None:
                kept.append(_segment(source, method))
            else:
                kept.append(_segment(source, node))  # a helper class
        elif isinstance(node, (ast.Assign, ast.AnnAssign)) and not _is_main_guard(node):
            kept.append(_segment(source, node))  # a module-level constant or table
        # Demo code (prints, asserts, `if __name__ == "__main__":`) is dropped.
    if not any(re.match(rf"(?:@.*\n)*(?:async )?def {re.escape(name)}\b", k) for k in kept):
        raise ParseError(f"the answer does not define `{name}`")
    return "\n\n\n".join(kept) + "\n", tuple(dict.fromkeys(imports))


def _is_main_guard(node: ast.AST) -> bool:
    return isinstance(node, ast.If) and "__main__" in ast.dump(node.test)
