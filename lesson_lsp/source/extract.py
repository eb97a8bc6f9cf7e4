"""Find the Python function at a cursor, a selection or a name, with tree-sitter.

tree-sitter (not `ast`) because it parses files that are half-written: a syntax error elsewhere in
the file must not stop us from optimizing a function that is itself well formed.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache

from tree_sitter import Language, Node, Parser, Tree

try:  # the grammar alone: the package's __init__ also loads importlib.resources (for queries)
    from tree_sitter_python._binding import language as _python_language
except ImportError:  # pragma: no cover (a future layout of the package)
    from tree_sitter_python import language as _python_language

from lesson_lsp.source.positions import (
    UTF16,
    LineIndex,
    byte_to_offset,
    offset_to_byte,
    rows_as_lsp_lines,
)


class ExtractError(Exception):
    """The request does not name a well-formed function; the message says what to do."""


@dataclass(frozen=True)
class FunctionSpan:
    """One function of a document, with its exact place in it.

    Lines are 0-based; columns are in `encoding` units. The range covers the decorators.
    `start_offset`/`end_offset` are the same range as offsets into the module's `str`.
    """

    name: str
    qualname: str
    source: str
    start_line: int
    start_col: int
    end_line: int
    end_col: int
    def_line: int
    start_byte: int
    end_byte: int
    start_offset: int
    end_offset: int
    indent: str
    is_async: bool
    class_name: str | None
    nested: bool
    encoding: str = UTF16
    language: str = "python"

    @property
    def is_method(self) -> bool:
        return self.class_name is not None


@lru_cache(maxsize=1)
def _parser() -> Parser:
    return Parser(Language(_python_language()))


def parse(data: bytes, old: Tree | None = None) -> Tree:
    """The tree of UTF-8 `data`, whose rows are the LSP's lines whatever the line endings
    (`old`: the tree before an edit, already told of it with `Tree.edit`)."""
    data = rows_as_lsp_lines(data)
    return _parser().parse(data) if old is None else _parser().parse(data, old)


def _definition(node: Node) -> Node:
    """The function/class node inside a decorated_definition (or the node itself)."""
    if node.type == "decorated_definition":
        inner = node.child_by_field_name("definition")
        if inner is not None:
            return inner
    return node


def _name(node: Node) -> str:
    name = node.child_by_field_name("name")
    return name.text.decode("utf-8") if name is not None and name.text is not None else "?"


def outer_node(node: Node) -> Node:
    """The node whose range an edit replaces: the decorated_definition when there is one."""
    parent = node.parent
    return parent if parent is not None and parent.type == "decorated_definition" else node


def _qualname(fn: Node) -> tuple[str, str | None, bool]:
    """Python's __qualname__ for `fn`, its enclosing class's qualname and whether it is nested."""
    parts = [_name(fn)]
    class_name: str | None = None
    nested = False
    node = fn.parent
    first_scope = True
    while node is not None:
        if node.type == "class_definition":
            if first_scope:
                class_name = "?"
            parts.append(_name(node))
            first_scope = False
        elif node.type == "function_definition":
            if first_scope:
                nested = True
            parts.append(_name(node) + ".<locals>")
            first_scope = False
        node = node.parent
    qualname = ".".join(reversed(parts))
    if class_name is not None:
        class_name = qualname.rsplit(".", 1)[0]
    return qualname, class_name, nested


def _content_end(node: Node) -> tuple[int, tuple[int, int]]:
    """Where `node`'s code ends: its last token that is not a comment (tree-sitter counts
    trailing comments into a block; `ast`, and a reader, do not)."""
    while node.children:
        code = [c for c in node.children if c.type != "comment"]
        if not code:
            break
        node = code[-1]
    return node.end_byte, (node.end_point[0], node.end_point[1])


def _span(fn: Node, data: bytes, index: LineIndex, encoding: str) -> FunctionSpan:
    outer = outer_node(fn)
    end_byte, _ = _content_end(fn)
    start, end = byte_to_offset(data, outer.start_byte), byte_to_offset(data, end_byte)
    sl, sc = index.position(start, encoding)
    el, ec = index.position(end, encoding)
    line_prefix = index.text[index.starts[sl]:start]
    # Python's indentation is spaces and tabs after any form feed (which resets the column).
    indent = line_prefix.rsplit("\x0c", 1)[-1] if not line_prefix.strip(" \t\x0c") else ""
    qualname, class_name, nested = _qualname(fn)
    is_async = any(child.type == "async" for child in fn.children)
    return FunctionSpan(
        name=_name(fn),
        qualname=qualname,
        source=index.text[start:end],
        start_line=sl,
        start_col=sc,
        end_line=el,
        end_col=ec,
        def_line=fn.start_point[0],
        start_byte=outer.start_byte,
        end_byte=end_byte,
        start_offset=start,
        end_offset=end,
        indent=indent,
        is_async=is_async,
        class_name=class_name,
        nested=nested,
        encoding=encoding,
    )


def _check_parses(fn: Node, span: FunctionSpan) -> None:
    if outer_node(fn).has_error:
        raise ExtractError(
            f"`{span.qualname}` (line {span.def_line + 1}) does not parse: "
            "fix its syntax error first, then try again"
        )


def _innermost_at(root: Node, start: int, end: int) -> tuple[Node | None, Node | None]:
    """The innermost function whose range (with decorators) holds [start, end], and any ERROR
    node met on the way down."""
    found: Node | None = None
    error: Node | None = None
    node = root
    while True:
        nxt = None
        for child in node.children:
            if child.start_byte <= start and end <= child.end_byte:
                nxt = child
                break
        if nxt is None:
            return found, error
        if nxt.type == "ERROR":
            error = nxt
        definition = _definition(nxt)
        if definition.type == "function_definition":
            found = definition
        node = nxt


def function_node_at(root: Node, start: int, end: int) -> Node | None:
    """The innermost function whose range (decorators included) holds bytes [start, end]."""
    return _innermost_at(root, start, end)[0]


def code_end(fn: Node) -> int:
    """The byte where `fn`'s code ends (trailing comments are not its code)."""
    return _content_end(fn)[0]


def qualified_name(fn: Node) -> tuple[str, bool]:
    """Python's __qualname__ of `fn`, and whether it is nested in another function."""
    qualname, _, nested = _qualname(fn)
    return qualname, nested


def _first_code_offset(index: LineIndex, line: int) -> int:
    """Text offset of the first non-blank character of `line` (a cursor in indentation means
    that line)."""
    line = max(0, min(line, len(index) - 1))
    text = index.line_text(line)
    return index.starts[line] + (len(text) - len(text.lstrip()))


def function_at(
    source: str,
    line: int,
    character: int,
    end_line: int | None = None,
    end_character: int | None = None,
    encoding: str = UTF16,
) -> FunctionSpan:
    """The innermost function that contains a position, or the whole of a selection."""
    data = source.encode("utf-8", "surrogatepass")
    index = LineIndex(source)
    tree = parse(data)
    start = index.offset(line, character, encoding)
    end = start if end_line is None else index.offset(end_line, end_character or 0, encoding)
    if end < start:
        start, end = end, start
    fn, error = _innermost_at(tree.root_node, offset_to_byte(source, start),
                              offset_to_byte(source, end))
    if fn is None and start == end:
        start = end = offset_to_byte(source, _first_code_offset(index, line))
        fn, error = _innermost_at(tree.root_node, start, end)
    if fn is None:
        where = f"line {line + 1}, column {character + 1}"
        if error is not None or tree.root_node.has_error:
            near = _first_error_line(tree.root_node)
            raise ExtractError(
                f"no well-formed function at {where}: the code does not parse near line "
                f"{near + 1}; fix the syntax error first"
            )
        raise ExtractError(f"no function at {where}: put the cursor inside a `def`")
    span = _span(fn, data, index, encoding)
    _check_parses(fn, span)
    return span


def _first_error_line(root: Node) -> int:
    stack = [root]
    while stack:
        node = stack.pop()
        if node.type == "ERROR" or node.is_missing:
            return int(node.start_point[0])
        stack.extend(reversed([c for c in node.children if c.has_error or c.is_missing]))
    return 0


def _walk_functions(node: Node) -> Iterator[Node]:
    stack = [node]
    while stack:
        current = stack.pop()
        if current.type == "function_definition":
            yield current
        stack.extend(reversed(current.children))


def all_functions(source: str, encoding: str = UTF16) -> list[FunctionSpan]:
    """Every function and method of a module, in source order."""
    data = source.encode("utf-8", "surrogatepass")
    index = LineIndex(source)
    return [_span(fn, data, index, encoding) for fn in _walk_functions(parse(data).root_node)]


def function_named(source: str, qualname: str, encoding: str = UTF16) -> FunctionSpan:
    """The function whose qualified name is `qualname` (``Class.method`` for methods)."""
    data = source.encode("utf-8", "surrogatepass")
    index = LineIndex(source)
    names = []
    for fn in _walk_functions(parse(data).root_node):
        if _name(fn) != qualname.rsplit(".", 1)[-1]:
            names.append(_qualname(fn)[0])
            continue
        span = _span(fn, data, index, encoding)
        if span.qualname == qualname:
            _check_parses(fn, span)
            return span
        names.append(span.qualname)
    hint = ", ".join(names[:8]) + (" …" if len(names) > 8 else "")
    raise ExtractError(
        f"no function named `{qualname}`" + (f" (this file has: {hint})" if names else "")
    )


_TOP_DEFINITIONS = ("function_definition", "class_definition", "decorated_definition",
                    "expression_statement")
_IMPORTS = ("import_statement", "import_from_statement", "future_import_statement")


def module_context(source: str, span: FunctionSpan, limit: int = 4000) -> str:
    """What a reader of the function needs from its module: the imports, and the top-level
    functions, classes and assignments whose names the function uses (not the function)."""
    data = source.encode("utf-8")
    root = parse(data).root_node
    used = {n for n in _identifiers(span.source)}
    parts: list[str] = []
    for child in root.children:
        text = data[child.start_byte:child.end_byte].decode("utf-8", errors="replace")
        if child.type in _IMPORTS:
            parts.append(text)
            continue
        if child.type not in _TOP_DEFINITIONS or child.start_byte == span.start_byte:
            continue
        if child.start_byte <= span.start_byte < child.end_byte:
            continue  # the class that holds the method: its other methods are not context
        names = _defined_names(child)
        if names & used:
            parts.append(text)
    context = "\n\n".join(parts)
    return context if len(context) <= limit else context[:limit] + "\n# …"


def _identifiers(code: str) -> set[str]:
    return set(re.findall(r"[A-Za-z_][A-Za-z0-9_]*", code))


def _defined_names(node: Node) -> set[str]:
    definition = _definition(node)
    if definition.type in ("function_definition", "class_definition"):
        return {_name(definition)}
    if node.type == "expression_statement" and node.children and \
            node.children[0].type == "assignment":
        left = node.children[0].child_by_field_name("left")
        if left is not None and left.text is not None:
            return _identifiers(left.text.decode("utf-8"))
    return set()
