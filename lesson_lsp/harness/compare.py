"""Is a candidate equivalent to the original? Decided here, in the parent, on the encoded trees the
workers sent (see `worker.encode`), never by calling anything the candidate defined.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Tolerance:
    rel: float = 1e-9
    abs: float = 1e-12


def _floats_equal(a: Any, b: Any, tol: Tolerance) -> bool:
    if a == b:
        return True
    if isinstance(a, str) or isinstance(b, str):  # "nan", "inf", "-inf"
        return False
    return math.isclose(a, b, rel_tol=tol.rel, abs_tol=tol.abs)


def difference(expected: Any, actual: Any, tol: Tolerance, path: str = "") -> str | None:
    """None when equal; else where and how the two encoded values differ."""
    if not isinstance(expected, list) or not isinstance(actual, list) or not expected:
        return None if expected == actual else f"{path or 'value'}: differs"
    tag = expected[0]
    if actual[:1] != [tag]:
        return f"{path or 'value'}: expected {show(expected)}, got {show(actual)}"
    if tag == "f":
        if _floats_equal(expected[1], actual[1], tol):
            return None
        return f"{path or 'value'}: expected {show(expected)}, got {show(actual)}"
    if tag in ("l", "t", "set", "frozenset", "gen"):
        exp_items, act_items = expected[1], actual[1]
        if len(exp_items) != len(act_items):
            return (
                f"{path or 'value'}: expected {len(exp_items)} items, got {len(act_items)} "
                f"({show(expected)} vs {show(actual)})"
            )
        for i, (e, a) in enumerate(zip(exp_items, act_items)):
            found = difference(e, a, tol, f"{path}[{i}]")
            if found:
                return found
        return None
    if tag == "d":
        exp_pairs, act_pairs = expected[1], actual[1]
        if len(exp_pairs) != len(act_pairs):
            return f"{path or 'value'}: expected {show(expected)}, got {show(actual)}"
        for (ek, ev), (ak, av) in zip(exp_pairs, act_pairs):
            if difference(ek, ak, tol):
                return (
                    f"{path or 'value'}: keys differ: expected {show(expected)}, got {show(actual)}"
                )
            found = difference(ev, av, tol, f"{path}[{show(ek)}]")
            if found:
                return found
        return None
    if tag == "c":
        return difference(["t", expected[1:]], ["t", actual[1:]], tol, path)
    if tag == "o":
        if expected[1] != actual[1]:
            return f"{path or 'value'}: expected a {expected[1]}, got a {actual[1]}"
        found = difference(expected[2], actual[2], tol, path)
        if found:
            return found
        exp_attrs, act_attrs = dict(map(tuple, expected[3])), dict(map(tuple, actual[3]))
        if set(exp_attrs) != set(act_attrs):
            return f"{path or 'value'}: attributes {sorted(exp_attrs)} vs {sorted(act_attrs)}"
        for name, value in exp_attrs.items():
            found = difference(value, act_attrs[name], tol, f"{path}.{name}")
            if found:
                return found
        return None
    if tag == "np":
        if expected[1:3] != actual[1:3]:
            return f"{path or 'value'}: array dtype/shape {expected[1:3]} vs {actual[1:3]}"
        return difference(expected[3], actual[3], tol, path)
    if expected == actual:
        return None
    return f"{path or 'value'}: expected {show(expected)}, got {show(actual)}"


def outcome_difference(
    expected: dict[str, Any], actual: dict[str, Any], tol: Tolerance, output: bool = False
) -> str | None:
    """Compare one call: the exception or the return value, then every argument afterwards."""
    if "exc" in expected or "exc" in actual:
        if "exc" not in actual:
            return (
                f"expected {expected['exc'][0]}: {expected['exc'][1]}, got a return value "
                f"{show(actual.get('ret'))}"
            )
        if "exc" not in expected:
            return (
                f"expected {show(expected.get('ret'))}, got {actual['exc'][0]}: {actual['exc'][1]}"
            )
        if expected["exc"][0] != actual["exc"][0]:
            return f"expected {expected['exc'][0]}, got {actual['exc'][0]}: {actual['exc'][1]}"
    else:
        if expected.get("made") != actual.get("made"):
            # A sync candidate for an `async def` (or the reverse) returns the same value to
            # the check, which awaits it, but breaks every caller that awaits it.
            return (f"the original returns {_made(expected)}, the candidate "
                    f"{_made(actual)}")
        found = difference(expected["ret"], actual["ret"], tol, "return value")
        if found:
            return found
    found = difference(expected["args"], actual["args"], tol, "arguments after the call")
    if found:
        return found
    if output and expected.get("out", "") != actual.get("out", ""):
        return (f"printed output differs: expected {expected.get('out', '')[:80]!r}, "
                f"got {actual.get('out', '')[:80]!r}")
    return difference(expected.get("kwargs"), actual.get("kwargs"), tol, "keyword arguments after")


def _made(outcome: dict[str, Any]) -> str:
    made = outcome.get("made")
    return {"coroutine": "a coroutine (it is awaited)",
            "asyncgen": "an async generator (it is iterated with async for)"}.get(
        str(made), f"a plain value ({show(outcome.get('ret'), 40)})")


def describe(outcome: dict[str, Any], limit: int = 300) -> str:
    """What one call did: its return value, or the exception it raised."""
    if "exc" in outcome:
        kind, message = outcome["exc"]
        return f"{kind}: {message}"[:limit]
    return show(outcome.get("ret"), limit)


def show(value: Any, limit: int = 120) -> str:
    """An encoded value as Python-like text, shortened for messages and prompts."""
    text = _show(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _show(value: Any) -> str:
    if not isinstance(value, list) or not value:
        return repr(value)
    tag = value[0]
    if tag == "n":
        return "None"
    if tag in ("b", "i"):
        return repr(value[1])
    if tag == "I":
        return value[1]
    if tag == "f":
        return value[1] if isinstance(value[1], str) else repr(value[1])
    if tag == "s":
        return repr(value[1])
    if tag in ("bytes", "bytearray"):
        return f"{tag}.fromhex({value[1][:40]!r})"
    if tag == "l":
        return (
            "["
            + ", ".join(_show(v) for v in value[1][:20])
            + (", …]" if len(value[1]) > 20 else "]")
        )
    if tag == "t":
        inner = ", ".join(_show(v) for v in value[1][:20])
        return "(" + inner + ("," if len(value[1]) == 1 else "") + ")"
    if tag in ("set", "frozenset"):
        return "{" + ", ".join(_show(v) for v in value[1][:20]) + "}"
    if tag == "d":
        return "{" + ", ".join(f"{_show(k)}: {_show(v)}" for k, v in value[1][:20]) + "}"
    if tag == "gen":
        return "<generator yielding " + _show(["l", value[1]]) + ">"
    if tag == "o":
        return f"<{value[1]} object>"
    if tag == "r":
        return value[2]
    return str(value[1:])
