"""Values for the ground truth of benchmarks/soundness.py, standard library only (gt_worker.py
imports it in its subprocess): outcomes encoded and compared as the harness compares them, and
the inputs derived from a task's own (doctest calls, edge values, cut-down copies).
"""

from __future__ import annotations

import ast
import contextlib
import doctest
import math
import random
import types
from typing import Any

# --- outcomes -----------------------------------------------------------------------------------

def encode(value: Any, depth: int = 0) -> Any:
    """A plain tree that says exactly what `value` is: tags keep 1, 1.0 and True apart, dicts
    and sets compare without order (as the harness does)."""
    if depth > 60:
        return ("deep",)
    kind = type(value)
    if value is None or kind in (bool, int, str, bytes):
        return (kind.__name__, value)
    if kind is float:
        return ("float", "nan" if math.isnan(value) else value)
    if kind in (list, tuple):
        return (kind.__name__, tuple(encode(v, depth + 1) for v in value))
    if kind is dict:
        pairs = sorted(((encode(k, depth + 1), encode(v, depth + 1)) for k, v in value.items()),
                       key=repr)
        return ("dict", tuple(pairs))
    if kind in (set, frozenset):
        return (kind.__name__, tuple(sorted((encode(v, depth + 1) for v in value), key=repr)))
    if kind is complex:
        return ("complex", encode(value.real), encode(value.imag))
    if isinstance(value, types.GeneratorType):
        return ("gen", tuple(encode(v, depth + 1) for _, v in zip(range(10_000), value)))
    state = getattr(value, "__dict__", None)
    if isinstance(state, dict):
        return ("obj", kind.__qualname__, encode(dict(state), depth + 1))
    return ("repr", kind.__qualname__, repr(value)[:2000])


def same(a: Any, b: Any) -> bool:
    """Equal trees, floats within the harness's tolerance (rel 1e-9, abs 1e-12)."""
    if isinstance(a, float) and isinstance(b, float):
        return a == b or math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, tuple) and isinstance(b, tuple):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    return type(a) is type(b) and a == b


def show(outcome: Any, arguments: bool = False) -> str:
    """What one call did, for the report (with the arguments afterwards when they differ)."""
    if outcome[0] == "exc":
        return f"raises {outcome[1]}"
    text = f"returns {_plain(outcome[1])}"
    return (text + f", arguments after: {_plain(outcome[2])}" if arguments else text)[:300]


def _plain(tree: Any) -> str:
    """An encoded value as Python-like text, for the report."""
    tag = tree[0]
    if tag in ("list", "tuple", "set", "frozenset", "gen"):
        items = [_plain(v) for v in tree[1][:12]] + (["…"] if len(tree[1]) > 12 else [])
        inner = ", ".join(items) + ("," if tag == "tuple" and len(items) == 1 else "")
        return {"list": "[{}]", "tuple": "({})"}.get(tag, tag + "{{{}}}").format(inner)
    if tag == "dict":
        return "{" + ", ".join(f"{_plain(k)}: {_plain(v)}" for k, v in tree[1][:12]) + "}"
    if tag in ("obj", "repr", "complex", "deep"):
        return f"<{tag} {tree[1:2]}>"
    return repr(tree[1])


def why(expected: Any, actual: Any) -> str:
    """Which part differs: the exception, the return value, or the arguments afterwards."""
    if expected[0] != actual[0] or expected[0] == "exc":
        return "exception"
    return "return value" if not same(expected[1], actual[1]) else "arguments after the call"


# --- derived inputs -----------------------------------------------------------------------------

def doctest_calls(source: str, qualname: str) -> list[tuple[Any, ...]]:
    """Argument tuples of the docstring examples that call the function with literals."""
    node: Any = ast.parse(source)
    for part in qualname.split("."):
        node = next((n for n in node.body if getattr(n, "name", None) == part), None)
        if node is None:
            return []
    doc = ast.get_docstring(node) or ""
    found = []
    name = qualname.rsplit(".", 1)[-1]
    for example in doctest.DocTestParser().get_examples(doc):
        try:
            tree = ast.parse(example.source, mode="eval")
            call_ = tree.body
            if isinstance(call_, ast.Call) and getattr(call_.func, "id", None) == name \
                    and not call_.keywords:
                found.append(tuple(ast.literal_eval(a) for a in call_.args))
        except (SyntaxError, ValueError, TypeError):
            continue
    return found


def edge_values(value: Any, depth: int = 0) -> list[Any]:
    """Small values of the same type as `value`, around the usual edge cases."""
    kind = type(value)
    if kind is bool:
        return [True, False]
    if kind is int:
        return [*range(-3, 13), 15, 16, 20, 25, 50, 100, value + 1, value - 1, -value]
    if kind is float:
        return [0.0, 1.0, -1.0, 0.5, -0.5, 2.0, 1e-9, 2.5, -value]
    if kind is str:
        chars = sorted(set(value))[:4]
        return ["", " ", "a", "A", "aa", "ab", "ba", "aba", "abc", "Ab", "1", "10", "a b",
                *chars, "".join(chars), value[:1], value[:2], value[:3], value[::-1],
                value + value[:1]]
    if kind in (list, tuple) and depth < 2:
        items = list(value)
        inner = edge_values(items[0], depth + 1)[:6] if items else []
        shapes: list[list[Any]] = [[], items[:1], items[:2], items[:3], items[::-1],
                                   items[1:], items[:1] * 2, *([x] for x in inner),
                                   *([x, x] for x in inner[:3]), inner[:3], inner[:3][::-1]]
        with contextlib.suppress(TypeError):
            shapes.append(sorted(items))
        return [kind(s) for s in shapes]
    if kind is dict:
        return [{}, dict(list(value.items())[:1])]
    return []


def shrink(value: Any, size: int, rng: random.Random) -> Any:
    """A sequence cut to `size` items (a random run of them, order kept), other values as
    they are: small inputs with the shape and the values of a large one."""
    if type(value) in (list, tuple, str) and len(value) > size:
        start = rng.randrange(len(value) - size + 1)
        return value[start:start + size]
    if type(value) is dict and len(value) > size:
        return dict(list(value.items())[:size])
    return value


def shrunk(samples: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Every sample at several small sizes, twice each from different places."""
    rng = random.Random("soundness-shrunk")
    found = [tuple(shrink(v, size, rng) for v in sample)
             for sample in samples for size in (0, 1, 2, 3, 4, 5, 7, 10, 16, 30) for _ in (0, 1)]
    return [args for args in found if args not in samples]


def edge_inputs(samples: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """Each argument of a few samples in turn replaced by its edge values; and all arguments at
    once, the k-th edge value of each."""
    found = []
    for sample in samples[:4]:
        per_arg = [edge_values(v) for v in sample]
        for i, values in enumerate(per_arg):
            found += [(*sample[:i], v, *sample[i + 1:]) for v in values]
        if all(per_arg):
            for k in range(max(map(len, per_arg))):
                found.append(tuple(vs[min(k, len(vs) - 1)] for vs in per_arg))
    return found
