"""Edge inputs derived from the observed calls by type-aware mutation.

A rewrite (an LLM's above all) goes wrong at the edges: is_prime(2), fib(0), the empty list,
n + 1. Observed calls rarely hold those, so each observed argument is moved toward them, one at
a time: ints to 0, 1, 2, -1, n ± 1 and the neighbours of the constants the code compares with;
strings to "", one character, other cases, non-ASCII; collections to empty, one item, reversed,
sorted, with a duplicate, with an item at its own edge. The classic edges come first, since
the caller truncates the list.

Runs inside the sandbox worker (the project's interpreter, Python >= 3.10): standard library
only, pure, deterministic for a given seed. Observed calls are never changed (mutants are deep
copies); an object that cannot be handled (its __repr__ or __eq__ raises) is left as it is or
its mutant skipped, never a reason to raise.
"""

from __future__ import annotations

import ast
import copy
import itertools
import math
import random
import textwrap
from collections.abc import Callable, Iterable, Iterator
from contextlib import suppress
from dataclasses import dataclass
from functools import partial
from typing import Any

from lesson_lsp.harness import composites

Call = tuple[tuple, dict]

BIG = 1_000  # items of a container above which only the cheap structural mutants are made
BIG_TEXT = 10_000  # characters (bytes) of a string likewise
MAX_ITEMS = 200_000  # container items across all mutants: a huge list is not copied fifty times
MAX_CHARS = 2_000_000  # characters (bytes) across all mutants
MAX_SOURCES = 24  # observed calls mutated, spread over the list
MAX_CONSTANTS = 24  # constants of each kind used
ITEM_EDGES = 3  # edge values tried for one item of a collection
DEPTH = 3  # nesting below which items are no longer mutated
NON_ASCII = ("é", "ß", "İ", "😀")  # accents, case changes that change length, astral plane
NON_ASCII_BYTES = (b"\x00", b"\xff", "é".encode())
_SKIP: Any = object()  # a mutant that could not be made
_COLLECTIONS = (list, tuple, set, frozenset, dict)
_CONSTANT_TYPES = (int, float, str, bytes)
_DOCUMENTED = (ast.Module, ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)


# --------------------------------------------------------------------------- constants


def constants(source: str) -> list[int | float | str | bytes]:
    """The literal constants of `source`, in source order, each once: the values the code
    compares with, whose neighbours are where an off-by-one hides. Negative numbers count as
    written (`-1`); bools, None and docstrings are left out."""
    # A method's source is indented; `if True:` also takes one whose strings defeat dedent.
    trees = (_try(partial(ast.parse, t)) for t in (textwrap.dedent(source), "if True:\n" + source))
    tree = next((t for t in trees if t is not _SKIP), None)
    skip: set[int] = set()
    found: list[tuple[int, int, Any]] = []
    for node in ast.walk(tree) if tree else ():
        first = node.body[0] if isinstance(node, _DOCUMENTED) and node.body else None
        if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
            skip.add(id(first.value))  # a docstring (or a bare constant: no comparison)
        if isinstance(node, ast.UnaryOp) and isinstance(node.op, ast.USub) \
                and isinstance(node.operand, ast.Constant):
            skip.add(id(node.operand))
            value: Any = node.operand.value
            if type(value) in (int, float):
                found.append((node.lineno, node.col_offset, -value))
        elif isinstance(node, ast.Constant) and id(node) not in skip \
                and type(node.value) in _CONSTANT_TYPES:
            found.append((node.lineno, node.col_offset, node.value))
    found.sort(key=lambda f: f[:2])
    unique: dict[Any, Any] = {}
    for _, _, value in found:
        unique.setdefault(_key(value), value)
    return list(unique.values())


def _key(value: Any, depth: int = 0) -> Any:
    """Equal for equal mutants, cheap for huge ones (those are told apart by length and ends);
    never calls a project object's __eq__ or __repr__ (its identity stands for it)."""
    kind = type(value)
    if kind in (float, complex):
        return kind, repr(value)  # -0.0 is not 0.0, nan is nan
    if kind in (int, bool, str, bytes, type(None)):
        return kind, value
    if kind is bytearray:
        return kind, bytes(value)
    if depth < 8 and (kind in _COLLECTIONS or isinstance(value, tuple)):
        if kind in (set, frozenset):
            if len(value) > BIG:
                return kind, len(value), id(value)
            return kind, frozenset(_key(x, depth + 1) for x in value)
        items: Any = value.items() if kind is dict else value
        if len(items) > BIG:  # its ends stand for it
            items = [*itertools.islice(items, 3), ..., *itertools.islice(reversed(items), 3)]
        return kind, len(value), tuple(_key(x, depth + 1) for x in items)
    return "id", id(value)


class _Budget:
    """What the kept mutants may still hold (container items, characters), and the weights of
    the big observed values, which most mutants share."""

    def __init__(self) -> None:
        self.items, self.chars = MAX_ITEMS, MAX_CHARS
        self.known: dict[int, tuple[Any, int, int]] = {}

    def weight(self, value: Any, depth: int = 0) -> tuple[int, int]:
        if type(value) in (str, bytes, bytearray):
            return 0, len(value)
        if depth > 8 or not isinstance(value, _COLLECTIONS):
            return 0, 0
        if id(value) in self.known:
            return self.known[id(value)][1:]
        parts = itertools.chain(value, value.values()) if isinstance(value, dict) else value
        count = len(value) * (1 + isinstance(value, dict))
        # A huge one is weighed by its first items: walking a million of them each time is
        # what the budget is there to avoid.
        sample = [self.weight(x, depth + 1) for x in itertools.islice(parts, 200)] \
            if count > BIG else [self.weight(x, depth + 1) for x in parts]
        scale = count / max(len(sample), 1)
        items = len(value) + round(scale * sum(w[0] for w in sample))
        chars = round(scale * sum(w[1] for w in sample))
        if len(value) > 64:  # kept alive with its weight, so that its id stays its own
            self.known[id(value)] = (value, items, chars)
        return items, chars

    def take(self, call: Call) -> bool:
        weights = [self.weight(v) for v in (*call[0], *call[1].values())]
        items, chars = sum(w[0] for w in weights), sum(w[1] for w in weights)
        fits = items <= self.items and chars <= self.chars
        if fits:
            self.items, self.chars = self.items - items, self.chars - chars
        return fits


# --------------------------------------------------------------------------- edge values


@dataclass
class _Context:
    given: dict[type, list[Any]]  # the constants given, by kind (int, float, str, bytes)
    bound: int  # magnitude of derived ints not taken from a constant, at most
    pools: dict[Any, list[Any]]  # slot → the values observed there, for borrowing items
    seed: int


def _try(make: Callable[[], Any]) -> Any:
    try:
        return make()
    except Exception:  # unorderable, unhashable: this mutant is not made
        return _SKIP


def _ints(n: int, ctx: _Context) -> Iterator[Any]:
    yield from (0, 1, 2, -1, n - 1, n + 1, *composites.near(n))
    for c in ctx.given[int]:
        yield from (c, c - 1, c + 1)
    yield from (v for v in (-n, n // 2, 2 * n, 3, -2) if abs(v) <= ctx.bound)


def _floats(x: float, ctx: _Context) -> Iterator[Any]:
    yield from (0.0, 1.0, -1.0, math.nan, math.inf, -math.inf, -0.0)
    finite = math.isfinite(x)
    yield from (x - 1, x + 1, -x) if finite else ()
    for c in ctx.given[float]:
        yield from (c, math.nextafter(c, -math.inf), math.nextafter(c, math.inf))
    yield from (v for i in ctx.given[int] if abs(i) < 2**53 for v in (float(i), i - 0.5))
    yield from (x / 2,) if finite else ()


def _texts(s: Any, ctx: _Context) -> Iterator[Any]:
    kind = type(s)
    yield from (s[:0], s[:1])
    if len(s) > BIG_TEXT:
        yield from (s[:2], s[:BIG_TEXT])
        return
    given = [kind(c) for c in ctx.given[str if kind is str else bytes]]
    yield from given  # separators and keys the code looks for
    yield from (s.upper(), s[:-1], s[1:], s[:len(s) // 2], s[::-1])
    middle = len(s) // 2
    for char in NON_ASCII if kind is str else NON_ASCII_BYTES:
        yield s[:middle] + char + s[middle:]
    yield from (s[:1] + s, s.lower(), s.swapcase())
    yield from (s + c for c in given if s)
    space = " " if kind is str else b" "
    yield space + s + space


def _item_edges(item: Any, ctx: _Context, depth: int) -> Iterator[Any]:
    edges = (e for e in _edges(item, ctx, None, depth + 1) if e is not _SKIP)
    return itertools.islice(edges, ITEM_EDGES)


def _items_at(kind: type, items: list[Any], index: int, ctx: _Context,
              depth: int) -> Iterator[Any]:
    """`items` with the one at `index` replaced by each of its first edge values."""
    make: Callable[[list[Any]], Any] = getattr(kind, "_make", kind)
    for edge in _item_edges(items[index], ctx, depth):
        yield _try(partial(make, [*items[:index], edge, *items[index + 1:]]))


def _borrowed(value: Any, ctx: _Context, slot: Any) -> Iterator[Any]:
    """Items of the same slot's other observed collections that this one lacks."""
    own = {_key(x) for x in value}
    others = [v for v in ctx.pools.get(slot, ()) if v is not value and type(v) is type(value)]
    for other in others[:3]:
        yield from itertools.islice((x for x in other if _key(x) not in own), 1)


def _sequences(value: Any, ctx: _Context, slot: Any, depth: int) -> Iterator[Any]:
    kind, n = type(value), len(value)
    yield from (kind(), kind(value[:1]))
    yield from (kind(value[:2]),) if n > 2 else ()
    if n > BIG:
        yield kind(value[:BIG])
        return
    items = list(value)
    rng = random.Random(f"{ctx.seed}:{slot}:{n}")
    yield kind(items[::-1]) if n >= 2 else _SKIP
    yield kind([copy.deepcopy(items[0]), *items]) if n else _SKIP
    yield _try(lambda: kind(sorted(items))) if n >= 2 else _SKIP
    yield from _items_at(kind, items, 0, ctx, depth) if n else ()
    yield from (kind(items[:-1]), kind(items[1:])) if n >= 2 else ()
    for item in _borrowed(value, ctx, slot):
        yield kind([*items, item])
        at = rng.randrange(max(n, 1))
        yield kind([*items[:at], item, *items[at + 1:]])
    for index in sorted({n - 1, n // 2} - {0}) if n > 1 else ():
        yield from _items_at(kind, items, index, ctx, depth)
    yield from (kind([e]) for e in _item_edges(items[0], ctx, depth)) if n else ()
    yield kind(items[:n // 2]) if n > 3 else _SKIP
    yield kind(rng.sample(items, n)) if n >= 3 else _SKIP
    yield kind([*items, copy.deepcopy(items[-1])]) if n else _SKIP


def _sets(value: Any, ctx: _Context, slot: Any, depth: int) -> Iterator[Any]:
    kind: type = type(value)
    n = len(value)
    # In an order that does not depend on string hashing, where it can be had.
    items = _try(partial(sorted, value, key=repr)) if n <= BIG else _SKIP
    items = list(itertools.islice(value, BIG)) if items is _SKIP else items
    yield from (kind(), kind(items[:1]))
    yield from (kind(items[:2]),) if n > 2 else ()
    if n > BIG:
        return
    yield from (kind([*items, item]) for item in _borrowed(value, ctx, slot))
    if n:
        yield kind(items[1:])
        for edge in _item_edges(items[0], ctx, depth):
            yield _try(partial(kind, [*items, edge]))


def _dicts(value: dict, ctx: _Context, slot: Any, depth: int) -> Iterator[Any]:
    pairs = list(itertools.islice(value.items(), 3))
    yield from ({}, dict(pairs[:1]))
    if len(value) > BIG:
        yield dict(pairs[:2])
        return
    for key, _ in pairs:
        yield {k: v for k, v in value.items() if k is not key}
    if pairs:
        first_key, first_value = pairs[0]
        yield from ({**value, first_key: e} for e in _item_edges(first_value, ctx, depth))
        added = [t for t in ctx.given[str][:4] if type(first_key) is str and t not in value]
        for key in [*added, *_borrowed(value, ctx, slot)]:
            yield {**value, key: copy.deepcopy(first_value)}


def _edges(value: Any, ctx: _Context, slot: Any, depth: int = 0) -> Iterator[Any]:
    """The edge values of one argument (or item), likeliest to expose a bug first."""
    kind = type(value)
    if kind is bool:
        return iter([not value])
    if kind in (int, float, str, bytes, bytearray):
        return {int: _ints, float: _floats}.get(kind, _texts)(value, ctx)
    if depth >= DEPTH:
        return iter(())
    if isinstance(value, tuple) and (depth or hasattr(kind, "_make")):
        # A record (a named tuple, a pair in a list): same width, a field at a time.
        fields = [_items_at(kind, list(value), i, ctx, depth) for i in range(min(len(value), 8))]
        return itertools.chain.from_iterable(itertools.zip_longest(*fields, fillvalue=_SKIP))
    build = _BUILDERS.get(kind)
    return build(value, ctx, slot, depth) if build else iter(())  # None, project objects: kept


_BUILDERS: dict[type, Callable[[Any, _Context, Any, int], Iterator[Any]]] = {
    list: _sequences, tuple: _sequences, set: _sets, frozenset: _sets, dict: _dicts}


def _smallest(value: Any, one: bool) -> Any:
    kind = type(value)
    if kind in (int, float, bool):
        return kind(one)
    if kind in (str, bytes, bytearray, list, tuple):
        return value[:int(one)]
    if kind in (set, frozenset, dict):
        return kind(itertools.islice(value.items() if kind is dict else value, int(one)))
    return value


# --------------------------------------------------------------------------- mutants


def _slots(call: Call) -> list[int | str]:
    """Where an argument is: its position, or its keyword."""
    return [*range(len(call[0])), *call[1]]


def _get(call: Call, slot: int | str) -> Any:
    return call[1][slot] if isinstance(slot, str) else call[0][slot]


def _with(call: Call, slot: int | str, value: Any) -> Call:
    args, kwargs = call
    if isinstance(slot, str):
        return args, {**kwargs, slot: value}
    return (*args[:slot], value, *args[slot + 1:]), dict(kwargs)


def _context(calls: list[Call], given: Iterable[object], seed: int) -> _Context:
    pools: dict[Any, list[Any]] = {}
    for call in calls[:64]:
        for slot in _slots(call):
            pools.setdefault(slot, []).append(_get(call, slot))
    largest, stack, seen = 0, [v for c in calls for v in (*c[0], *c[1].values())], 0
    with suppress(Exception):  # a project's collection that cannot be walked ends the walk
        while stack and seen < 100_000:  # the largest int observed, in a sample of huge calls
            value, seen = stack.pop(), seen + 1
            if type(value) is int:
                largest = max(largest, abs(value))
            elif isinstance(value, _COLLECTIONS):
                stack.extend(itertools.islice(value.values() if type(value) is dict else value,
                                              BIG))
    short = [c for c in given if not isinstance(c, (str, bytes)) or len(c) <= 100]
    kinds: dict[type, list[Any]] = {
        k: [c for c in short if type(c) is k][:MAX_CONSTANTS] for k in _CONSTANT_TYPES}
    return _Context(kinds, 2 * largest + 10, pools, seed)


def _replacing(source: Call, slot: int | str, values: Iterator[Any]) -> Iterator[Any]:
    for value in values:
        yield _SKIP if value is _SKIP else _with(source, slot, value)


def _streams(source: Call, ctx: _Context) -> list[Iterator[Any]]:
    """One stream of mutant calls per argument, and one of all arguments at their smallest
    (after each argument's first edge)."""
    slots = _slots(source)
    streams = [_replacing(source, s, _edges(_get(source, s), ctx, s)) for s in slots]
    if len(slots) > 1:
        streams.append(iter([_SKIP, *((tuple(_smallest(a, one) for a in source[0]), {
            k: _smallest(v, one) for k, v in source[1].items()}) for one in (False, True))]))
    return streams


def mutants(calls: list[Call], constants: Iterable[object] = (), limit: int = 200,
            seed: int = 0) -> list[Call]:
    """Calls like the observed ones with one argument moved to an edge (and, for calls of
    several arguments, a few with all at their smallest), likeliest to expose a bug first.
    None equals an observed call; all are deep copies; their containers and strings together
    stay within MAX_ITEMS and MAX_CHARS."""
    distinct: dict[Any, Call] = {}
    for call in calls:
        try:
            distinct.setdefault(_key(call), call)
        except Exception:  # an object that cannot be told apart: not mutated
            continue
    sources = list(distinct.values())
    if len(sources) > MAX_SOURCES:  # spread over the list
        step = (len(sources) - 1) / (MAX_SOURCES - 1)
        sources = [sources[round(i * step)] for i in range(MAX_SOURCES)]
    ctx = _context(calls, constants, seed)
    per_source = [_streams(source, ctx) for source in sources]
    seen, budget, out = set(distinct), _Budget(), list[Call]()
    round_ = 0
    while len(out) < limit and any(per_source):
        # Diagonally: in round r, source i gives its (r - i)-th edge of every argument, so the
        # first calls go deeper first and every call gets its classic edges early.
        for streams in per_source[: round_ + 1]:
            for stream in list(streams):
                try:
                    call = next(stream)
                    key = None if call is _SKIP else _key(call)
                    if key is None or key in seen:
                        continue
                    seen.add(key)
                    if budget.take(call):
                        out.append(copy.deepcopy(call))
                except Exception:  # exhausted, or an object that cannot be compared or copied
                    streams.remove(stream)
                if len(out) >= limit:
                    return out
        round_ += 1
    return out
