"""Runs inside the sandbox: describe a value as a JSON tree the parent can compare.

The tree says exactly what the value is, built without calling its `__eq__`: tags keep types
apart (1, 1.0 and True differ), dicts and sets are sorted where Python says order does not
matter, and objects are described by their class and their attributes. Nothing in it depends on
where an object lives: a C object whose repr is its address (an `xml.etree` Element, a sentinel
`object()`) is described by what pickle keeps of it, so two runs of a deterministic function
describe its results alike.
"""

from __future__ import annotations

import json
import math
import re
import types
from typing import Any

_dumps = json.dumps
MAX_DEPTH = 100
GENERATOR_CAP = 10_000
MAX_NODES = 10_000  # containers described per value: objects that share parts (a lexer's
# token-type tree) would otherwise take time exponential in their depth
_ADDRESS = re.compile(r" at 0x[0-9a-fA-F]+")  # `<Element 'div' at 0x7f…>`: where, not what
_SCALARS = (str, int, float, complex, bytes, bytearray)
_PLAIN: dict[type, Any] = {str: str.__str__, int: int.__int__, float: float.__float__}


def encode(value: Any, depth: int = 0, seen: set[int] | None = None,
           budget: list[int] | None = None) -> Any:
    """A JSON tree that says exactly what `value` is, built without calling its `__eq__`.

    Tags keep types apart (1, 1.0 and True differ), dicts and sets are sorted so that order
    does not matter where Python says it does not, and objects are described by their class and
    their attributes. Past MAX_NODES containers the rest is ["more"], alike for the original
    and the candidate, whose values are described in the same order.
    """
    if seen is None:
        seen = set()
    if budget is None:
        budget = [MAX_NODES]
    if depth > MAX_DEPTH:
        return ["deep"]
    kind = type(value)
    if value is None:
        return ["n"]
    if kind is bool:
        return ["b", value]
    if kind is int:
        return ["i", value] if abs(value) < 2**53 else ["I", _digits(value)]
    if kind is float:
        if math.isnan(value):
            return ["f", "nan"]
        if math.isinf(value):
            return ["f", "inf" if value > 0 else "-inf"]
        return ["f", value]
    if kind is str:
        return ["s", value]
    if kind in (bytes, bytearray):
        return [kind.__name__, value.hex()]
    if kind is complex:
        return ["c", encode(value.real), encode(value.imag)]  # floats: no budget needed
    ident = id(value)
    if ident in seen:
        return ["cycle"]
    budget[0] -= 1
    if budget[0] < 0:
        return ["more"]
    seen.add(ident)
    try:
        return _encode_container(value, kind, depth, seen, budget)
    finally:
        seen.discard(ident)


_EXACT = 2**53  # ints a JSON number carries exactly


def _sort_by_key(pairs: list[list[Any]]) -> None:
    """Sort encoded (key, value) pairs by key, alike for the original and the candidate. Keys
    that are all plain ints or all plain strs (the common case) compare as they are; any other
    mix by their JSON text (a large dict argument is encoded several times per call)."""
    tags = {p[0][0] for p in pairs}
    if tags == {"i"} or tags == {"s"}:
        pairs.sort(key=lambda p: p[0][1])
    else:
        pairs.sort(key=lambda p: _dumps(p[0], sort_keys=True))


def _digits(value: int) -> str:
    """A big int's decimal digits, or its hex past the interpreter's digit limit (a number is
    a value, not a conversion error)."""
    try:
        return str(value)
    except ValueError:
        return hex(value)


def _encode_container(value: Any, kind: type, depth: int, seen: set[int],
                      budget: list[int]) -> Any:
    def sub(v: Any) -> Any:
        # Plain ints and strs inline (what encode gives them): large containers of them are
        # common arguments, encoded before and after every call.
        kind = type(v)
        if kind is str:
            return ["s", v]
        if kind is int and -_EXACT < v < _EXACT:
            return ["i", v]
        return encode(v, depth + 1, seen, budget)

    if isinstance(value, (list, tuple)):
        iterate: Any = list.__iter__ if isinstance(value, list) else tuple.__iter__
        items = [sub(v) for v in iterate(value)]
        tag = "l" if isinstance(value, list) else "t"
        if kind not in (list, tuple):
            return ["o", _type_name(kind), [tag, items], _attrs(value, sub)]
        return [tag, items]
    if isinstance(value, dict):
        pairs = [[sub(k), sub(v)] for k, v in dict.items(value)]
        _sort_by_key(pairs)
        if kind is dict:
            return ["d", pairs]
        return ["o", _type_name(kind), ["d", pairs], _attrs(value, sub)]
    if isinstance(value, _SCALARS):  # a subclass (markdown's AtomicString): its value counts
        base = next(k for k in _SCALARS if isinstance(value, k))
        plain = _PLAIN.get(base, base)(value)  # the base's own: not an overridden __str__
        return ["o", _type_name(kind), sub(plain), _attrs(value, sub)]
    if isinstance(value, (set, frozenset)):
        items = [sub(v) for v in value]
        if budget[0] < 0:  # cut inside: which items were cut would depend on the set's order
            return ["more"]  # (objects hashed by identity iterate in another order each run)
        items.sort(key=lambda p: _dumps(p, sort_keys=True))
        return ["set" if isinstance(value, set) else "frozenset", items]
    if isinstance(value, types.GeneratorType) or (
        hasattr(value, "__next__") and hasattr(value, "__iter__")
        and not hasattr(value, "__dict__")
    ):
        consumed = []
        for i, item in enumerate(value):
            if i >= GENERATOR_CAP:
                consumed.append(["more"])
                break
            consumed.append(sub(item))
        return ["gen", consumed]
    module = getattr(kind, "__module__", "")
    if module == "numpy" and hasattr(value, "tolist") and hasattr(value, "dtype"):
        return ["np", str(value.dtype), list(getattr(value, "shape", ())), sub(value.tolist())]
    if hasattr(value, "__dict__") or hasattr(kind, "__slots__"):
        return ["o", _type_name(kind), None, _attrs(value, sub)]
    if isinstance(value, (type, types.FunctionType, types.BuiltinFunctionType)):
        return ["fn", getattr(value, "__qualname__", "?")]
    text = repr(value)
    if _ADDRESS.search(text):
        # A C object whose repr says where it lives (an xml.etree Element, a sentinel): two runs
        # would always differ. Described by what pickle would keep of it, else its repr without
        # the address.
        reduced = _reduced(value, kind, sub)
        if reduced is not None:
            return reduced
        text = _ADDRESS.sub(" at 0x…", text)
    return ["r", _type_name(kind), text[:2000]]


def _reduced(value: Any, kind: type, sub: Any) -> Any:
    """An object as its `__reduce_ex__` rebuilds it (arguments, state, items), or None."""
    try:
        reduced = value.__reduce_ex__(4)
        if not isinstance(reduced, tuple) or len(reduced) < 2:
            return None
        parts = [*reduced[1:], None, None, None][:4]
        args, state = list(parts[0] or ()), parts[1]
        if args and args[0] is kind:  # copyreg.__newobj__(cls, *args)
            args = args[1:]
        items = list(parts[2]) if parts[2] is not None else []
        pairs = [list(pair) for pair in parts[3]] if parts[3] is not None else []
    except Exception:
        return None
    if isinstance(state, dict) and all(isinstance(k, str) for k in state):
        attrs = [[k, sub(v)] for k, v in sorted(state.items())]
    else:
        attrs = [] if state is None else [["state", sub(state)]]
    return ["o", _type_name(kind), ["reduce", sub(args), sub(items), sub(pairs)], attrs]


def _type_name(kind: type) -> str:
    return f"{kind.__module__}.{kind.__qualname__}"


def _attrs(value: Any, sub: Any) -> Any:
    state: dict[str, Any] = {}
    try:
        state.update(object.__getattribute__(value, "__dict__"))
    except AttributeError:
        pass
    for klass in type(value).__mro__:
        for slot in getattr(klass, "__slots__", ()) or ():
            if isinstance(slot, str) and slot not in ("__dict__", "__weakref__"):
                try:
                    state[slot] = object.__getattribute__(value, slot)
                except AttributeError:
                    pass
    return [[k, sub(v)] for k, v in sorted(state.items())]
