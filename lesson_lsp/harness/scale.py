"""Larger inputs derived from the observed ones, for timing a function whose inputs are tiny.

Inputs found in doctests or captured from tests are often a few calls of microseconds each: at
that size a change that matters at scale (a set in place of a list, one pass in place of two)
is lost in the cost of the call itself. When the original takes less than `TINY_CALL_S` a call
on the inputs it is timed on, the harness grows the collections in those calls' arguments ×10,
×100, … (`FACTORS`) and keeps the grown calls on which the original returns, twice alike, within
`CALL_CAP_S`; those are then timed, and every call (observed and derived) is checked.

Runs inside the sandbox worker (the project's interpreter, Python >= 3.10): standard library
only. `grow` is pure; `derive` takes the way to run the original as an argument.
"""

from __future__ import annotations

import base64
import pickle
import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lesson_lsp.harness.timing import format_seconds

# Below this time per call (the original's median time per pass over the inputs it is timed
# on, divided by their number) the call's own overhead hides what happens at scale: derive.
TINY_CALL_S = 20e-6
FACTORS = (10, 100, 1000, 10_000)
CALL_CAP_S = 0.05  # a derived call slower than this is dropped, and its source grows no more
PASS_CAP_S = 0.1  # all kept derived calls together: one timing pass stays short
MAX_ITEMS = 100_000  # elements of one grown list, tuple, set or dict
MAX_CHARS = 1_000_000  # characters (bytes) of one grown string
MAX_SOURCES = 8  # observed calls grown from
MAX_DERIVED = 24
_SCALARS = (int, float, str, bytes, bool, type(None))
_clock = time.perf_counter

Call = tuple[tuple, dict]


# --------------------------------------------------------------------------- growing


class _Maker:
    """Makes new values like the observed `values` of one kind; unknown objects are reused."""

    def __init__(self, grower: _Grower, values: list[Any]) -> None:
        self.rng, self.values, self.kind = grower.rng, values, type(values[0])
        kind = self.kind
        self.parts: list[_Maker | None] = []
        if kind is int:
            lo, hi = min(values), max(values)
            # The range widens with the size, so the share of repeated values stays near the
            # observed one (a membership test on distinct values is what grows quadratically).
            self.bounds = (lo, lo + (hi - lo + 1) * grower.factor - 1)
        elif kind is float:
            self.bounds = (min(values), max(values))
            digits = [_decimals(v) for v in values]
            self.digits = None if None in digits else max(d for d in digits if d is not None)
        elif kind in (str, bytes):
            self.alphabet: Any = kind().join(values)
            self.lengths = [len(v) for v in values]
        elif issubclass(kind, tuple) and (kind is tuple or hasattr(kind, "_make")):
            width = len(values[0])
            rows = [v for v in values if len(v) == width]
            self.parts = [grower.maker([row[i] for row in rows]) for i in range(width)]
        elif kind in (list, set, frozenset):
            self.parts = [grower.maker([x for v in values for x in v])]
        elif kind is dict:
            self.parts = [grower.maker([k for v in values for k in v]),
                          grower.maker([x for v in values for x in v.values()])]

    def make(self) -> Any:
        rng, kind = self.rng, self.kind
        if kind is bool or kind is type(None):
            return rng.choice(self.values)
        if kind is int:
            return rng.randint(*self.bounds)
        if kind is float:
            value = rng.uniform(*self.bounds)
            return round(value, self.digits) if self.digits is not None else value
        if kind in (str, bytes):
            size = rng.choice(self.lengths)
            if not self.alphabet:
                return kind()
            if kind is str:
                return "".join(rng.choices(self.alphabet, k=size))
            return bytes(rng.choices(self.alphabet, k=size))
        if issubclass(kind, tuple) and self.parts:
            items = [part.make() if part else None for part in self.parts]
            return tuple(items) if kind is tuple else kind._make(items)  # type: ignore[attr-defined]
        if kind in (list, set, frozenset, dict):
            size = len(rng.choice(self.values))
            first = self.parts[0]
            if first is None:
                return kind()
            if kind is list:
                return [first.make() for _ in range(size)]
            if kind is dict:
                second = self.parts[1]
                keys = _distinct(first, size, set())
                return {k: second.make() if second else None for k in keys}
            return kind(_distinct(first, size, set()))
        return rng.choice(self.values)  # an object we cannot make: the observed one, shared

    def lengthen(self, value: Any) -> Any:
        """A string (bytes) one character longer: the way out when short ones are used up."""
        if self.kind is str and self.alphabet:
            return value + self.rng.choice(self.alphabet)
        if self.kind is bytes and self.alphabet:
            return value + bytes([self.rng.choice(self.alphabet)])
        return value


class _Mix:
    """Values of several kinds, in the observed proportions."""

    def __init__(self, makers: list[_Maker], weights: list[int], rng: random.Random) -> None:
        self.makers, self.weights, self.rng = makers, weights, rng

    def make(self) -> Any:
        return self.rng.choices(self.makers, self.weights)[0].make()

    def lengthen(self, value: Any) -> Any:
        for maker in self.makers:
            if maker.kind is type(value):
                return maker.lengthen(value)
        return value


def _decimals(value: float) -> int | None:
    text = repr(value)
    if "e" in text or "n" in text:  # 1e-07, inf, nan: no rounding
        return None
    return min(len(text.partition(".")[2]), 6)


def _distinct(maker: Any, count: int, seen: set[Any]) -> list[Any]:
    """Up to `count` new values not in `seen` (fewer when the kind has no more to give)."""
    out: list[Any] = []
    misses = 0
    stretch = False  # short strings are used up: make longer ones
    try:
        while len(out) < count and misses < 200:
            value = maker.make()
            for _ in range(8 if stretch else 0):
                if value not in seen:
                    break
                value = maker.lengthen(value)
            if value not in seen:
                seen.add(value)
                out.append(value)
                misses = 0
            else:
                misses += 1
                stretch = stretch or misses >= 20
    except TypeError:  # unhashable: distinctness cannot be asked for
        pass
    return out


class _Grower:
    """Grows one argument by `factor`, drawing from `rng`."""

    def __init__(self, factor: int, rng: random.Random) -> None:
        self.factor, self.rng = factor, rng

    def maker(self, pool: list[Any]) -> Any:
        if not pool:
            return None
        kinds: dict[type, list[Any]] = {}
        for value in pool:
            kinds.setdefault(type(value), []).append(value)
        makers = [_Maker(self, values) for values in kinds.values()]
        if len(makers) == 1:
            return makers[0]
        return _Mix(makers, [len(v) for v in kinds.values()], self.rng)

    def grow(self, value: Any) -> Any:
        kind = type(value)
        if kind in (str, bytes, bytearray):
            return value * max(1, min(self.factor, MAX_CHARS // max(len(value), 1)))
        if kind not in (list, tuple, set, frozenset, dict) or not value:
            return value
        size = min(len(value) * self.factor, MAX_ITEMS)
        if kind is dict:
            values = self.maker(list(value.values()))
            keys = _distinct(self.maker(list(value)), size - len(value), set(value))
            return {**value, **{k: values.make() for k in keys}}
        items = list(value)
        make = self.maker(items)
        if kind in (set, frozenset):
            return kind(items + _distinct(make, size - len(items), set(items)))
        if _all_distinct(items):  # as far as the kind allows (two bools are all there are)
            items += _distinct(make, size - len(items), set(items))
        items += [make.make() for _ in range(size - len(items))]
        order = _order(value)
        if order:
            items.sort(reverse=order < 0)
        return kind(items)


def _all_distinct(items: list[Any]) -> bool:
    """Observed items all different (and plain): the grown ones are kept different too."""
    plain = all(type(x) in _SCALARS or type(x) is tuple for x in items)
    try:
        return plain and len(items) > 1 and len(set(items)) == len(items)
    except TypeError:
        return False


def _order(items: Any) -> int:
    """1 when the observed scalars ascend, -1 when they descend, else 0: kept when grown."""
    if len(items) < 2 or len({type(x) for x in items}) != 1 or type(items[0]) not in (
            int, float, str, bytes):
        return 0
    pairs = list(zip(items, items[1:]))
    if all(a <= b for a, b in pairs):
        return 1
    if all(a >= b for a, b in pairs):
        return -1
    return 0


def grow(value: Any, factor: int, rng: random.Random) -> Any:
    """`value` with its outermost collection `factor` times larger (capped at MAX_ITEMS).

    Lists and tuples get new elements made like the observed ones (ints from a range that
    widens with the size, floats within the observed range, strings of the observed lengths and
    characters, records field by field, nested collections of the observed sizes); sets and
    dict keys stay distinct, as do list elements that were all distinct; sorted stays sorted.
    Strings and bytes are repeated, so a palindrome stays one and brackets stay balanced.
    Other objects are left as they are, shared rather than copied.
    """
    return _Grower(factor, rng).grow(value)


def size(value: Any) -> int:
    """What grows: the length of a collection or string, 0 for anything else."""
    return len(value) if type(value) in (list, tuple, set, frozenset, dict, str, bytes,
                                         bytearray) else 0


def grow_call(call: Call, factor: int, seed: str) -> Call:
    """Every argument of a call grown by `factor`; the same call for the same seed."""
    rng = random.Random(seed)
    args, kwargs = call
    return (tuple(grow(a, factor, rng) for a in args),
            {k: grow(v, factor, rng) for k, v in kwargs.items()})


def call_size(call: Call) -> int:
    args, kwargs = call
    return sum(size(a) for a in args) + sum(size(v) for v in kwargs.values())


# --------------------------------------------------------------------------- keeping


@dataclass(frozen=True)
class Trial:
    """One run of the original on a derived call."""

    raised: str  # the exception's name, "" when it returned
    seconds: float
    fingerprint: str  # the encoded result and arguments afterwards: equal runs, equal text


@dataclass
class Derivation:
    """The derived calls kept, and why others were dropped."""

    calls: list[Call] = field(default_factory=list)
    factors: list[int] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)  # what grew: "lists", "strings", …
    sources: int = 0  # observed calls grown from
    dropped: dict[str, int] = field(default_factory=dict)  # reason → derived calls

    def payload(self) -> dict[str, Any]:
        """For the parent, as JSON: the calls pickled (base64), the rest as it is."""
        data = pickle.dumps(self.calls)
        return {"pickle_b64": base64.b64encode(data).decode("ascii"), "kept": len(self.calls),
                "factors": self.factors, "kinds": self.kinds, "sources": self.sources,
                "dropped": self.dropped}


_KIND_NAMES: dict[type, str] = {
    list: "lists", tuple: "tuples", set: "sets", frozenset: "sets", dict: "dicts",
    str: "strings", bytes: "bytes", bytearray: "bytes"}


def _spread(count: int, most: int) -> list[int]:
    if count <= most:
        return list(range(count))
    return sorted({round(i * (count - 1) / (most - 1)) for i in range(most)})


def derive(calls: list[Call], run: Callable[[Call], Trial], deadline: float) -> Derivation:
    """Grow each observed call ×10, ×100, …, level by level, and keep a grown call when the
    original returns on it (not raises), gives the same result twice, takes at most CALL_CAP_S
    and the kept ones together stay within PASS_CAP_S. A source stops growing at its first
    dropped call, or when it no longer grows."""
    found = Derivation()
    sources = [i for i in _spread(len(calls), MAX_SOURCES) if call_size(calls[i])]
    found.sources = len(sources)
    last = {i: call_size(calls[i]) for i in sources}
    total = 0.0

    def drop(index: int, reason: str) -> None:
        sources.remove(index)
        found.dropped[reason] = found.dropped.get(reason, 0) + 1

    for factor in FACTORS:
        for index in list(sources):
            if _clock() > deadline or len(found.calls) >= MAX_DERIVED:
                return found
            grown = grow_call(calls[index], factor, f"{index}:{factor}")
            if call_size(grown) <= last[index]:
                sources.remove(index)  # capped: as large as it gets
                continue
            last[index] = call_size(grown)
            try:
                pickle.dumps(grown)
            except Exception:
                drop(index, "unpicklable")
                continue
            first = run(grown)
            if first.raised:
                drop(index, "raised")
                continue
            if first.seconds > CALL_CAP_S:
                drop(index, "slow")
                continue
            second = run(grown)
            if second.raised or second.fingerprint != first.fingerprint:
                drop(index, "unstable")
                continue
            seconds = min(first.seconds, second.seconds)
            if total + seconds > PASS_CAP_S:
                drop(index, "slow")
                continue
            total += seconds
            found.calls.append(grown)
            found.factors.append(factor)
            for arg in (*calls[index][0], *calls[index][1].values()):
                name = _KIND_NAMES.get(type(arg))
                if name and size(arg) and name not in found.kinds:
                    found.kinds.append(name)
    return found


# --------------------------------------------------------------------------- telling


_REASONS = {"raised": "the original raised on them", "slow": f"they took over "
            f"{format_seconds(CALL_CAP_S)} a call", "unstable": "the original gave different "
            "results on them", "unpicklable": "their arguments cannot be pickled",
            "timeout": "deriving them ran out of time", "failed": "deriving them failed"}


AS_CALLED = "as the workload called it"


def describe(shown: int, per_call_s: float, found: dict[str, Any] | None,
             origin: str = "") -> str:
    """What the timing is based on, for the user: the derived calls, or why there are none.

    `shown`: the observed calls timed so far; `per_call_s`: the original's time a call on them;
    `found`: the scale job's payload (None when no derivation was tried); `origin`, when not
    empty, says why none was tried (a named generator, type hints)."""
    took = format_seconds(per_call_s)
    if origin == AS_CALLED:  # real sizes: small or not, they are what matters
        return f"timed on {shown} input{'s' * (shown != 1)} {origin} ({took} a call)"
    if per_call_s >= TINY_CALL_S:
        return f"timed on {shown} input{'s' * (shown != 1)} ({took} a call)"
    if found and found.get("kept"):
        factors = sorted(set(found["factors"]))
        grown = f"×{factors[0]}" + (f" to ×{factors[-1]}" if len(factors) > 1 else "")
        kinds = " and ".join(found["kinds"]) or "arguments"
        ones = "ones" if found["sources"] != 1 else "one"
        return (f"timed on {found['kept']} inputs derived from the {found['sources']} observed "
                f"{ones} ({kinds} grown {grown}): the observed {ones} take"
                f"{'s' * (ones == 'one')} {took} a call, too little to measure")
    tiny = f"timed on {shown} tiny input{'s' * (shown != 1)} ({took} a call"
    if origin:
        return f"{tiny}, {origin}): a gain at scale may not show"
    why = "nothing in their arguments grows"
    if found and found.get("dropped"):
        reason = max(found["dropped"], key=found["dropped"].get)
        why = _REASONS.get(reason, reason)
    elif found and found.get("error"):
        why = _REASONS.get(found["error"], found["error"])
    return f"{tiny}): a gain at scale may not show; no larger inputs could be derived ({why})"
