"""What a per-character step becomes in `char_table`: the fast expression over the string and
the table it reads, built by evaluating the step on all 128 ASCII characters (`table_plan`), or,
for membership in a string known only at run time, the table built from that string where the
loop was (`runtime_plan`). The proofs are in `char_table`'s docstring."""

from __future__ import annotations

from typing import Any

import libcst as cst
import libcst.matchers as m

from lesson_lsp.team.rewrites.char_eval import membership, per_char, table

MAX_BITS = 64
# How many characters a 0/1 table marks: `bytes.translate` maps each byte without a branch,
# and the popcount of the result read as one int counts the ones (deleting or `.count` branch
# on every byte and are several times slower on mixed text). `int.bit_count` needs 3.10.
_ONES = 'int.from_bytes({}.translate({}), "little").bit_count()'


def _is_int(v: Any) -> bool:
    return type(v) in (int, bool)


def table_plan(kind: str, conds: list[cst.BaseExpression], elt: cst.BaseExpression, is_char: Any,
          known: dict[str, Any], module: cst.Module, seq: str) -> tuple[str, str | None] | None:
    """(fast expression with `{T}` for the table's name, table literal or None) for `kind`
    "sum" (ints) or "map" (strs), or None when the expression is not pure or not exact."""
    tests = [per_char(c, is_char, known, module) for c in conds]
    value = per_char(elt, is_char, known, module)
    if value is None or any(t is None for t in tests):
        return None
    truths = [table(t) for t in tests if t is not None]
    if any(k is None for k in truths):
        return None
    kept = [all(k[i] for k in truths if k is not None) for i in range(128)]
    try:
        values = [value(chr(i)) if kept[i] else None for i in range(128)]
    except Exception:  # it raises on some ASCII character: refuse
        return None
    if kind == "map":
        if not all(v is None or type(v) is str for v in values):
            return None
        changed = {i: v for i, v in enumerate(values) if v != chr(i)}
        return (f"{seq}.translate({{T}})", repr(changed)) if changed else (seq, None)
    weights = [0 if v is None else v for v in values]
    if not all(_is_int(w) for w in weights):
        return None
    weights = [int(w) for w in weights]
    if set(weights) <= {0, 1}:  # a count: bytes 1 for the counted characters, 0 elsewhere
        return _ONES.format(f"{seq}.encode()", "{T}"), repr(bytes(weights + [0] * 128))
    base = min(weights)
    rest = [w - base for w in weights]
    if max(rest).bit_length() > MAX_BITS:
        return None
    parts = [(bytes([rest[i] >> b & 1 for i in range(128)] + [0] * 128), 1 << b)
             for b in range(max(rest).bit_length())]
    if base:
        parts.append((bytes([1] * 128 + [0] * 128), base))
    return (f"sum({_ONES.format('e', 't')} * w for e in ({seq}.encode(),) for t, w in {{T}})",
            repr(tuple(parts)))


# The characters of a run-time string `c`, as a `str.translate` table that deletes them.
_DELETE = "dict.fromkeys(map(ord, set({})))"


def runtime_plan(kind: str, conds: list[cst.BaseExpression], elt: cst.BaseExpression, is_char: Any,
             seq: str) -> tuple[str, str] | None:
    """(fast code, c) when the per-character step is membership in a run-time string `c`: a
    filter `F(ch for ch in s if ch [not] in c)` ("map") or a count of `ch [not] in c` ("sum")."""
    if kind == "map" and is_char(elt) and len(conds) == 1:
        found = membership(conds[0], is_char)
    elif kind == "sum" and not conds:
        found = membership(elt, is_char)
    elif kind == "sum" and len(conds) == 1 and m.matches(elt, m.Integer("1")):
        found = membership(conds[0], is_char)
    else:
        return None
    if found is None:
        return None
    c, kept = found
    deleted = _DELETE.format(c)
    if kind == "map":
        keep = f"dict.fromkeys(map(ord, set({seq}).difference({c})))"  # s's others
        return f"{seq}.translate({keep if kept else deleted})", c
    if kept:
        return f"len({seq}) - len({seq}.translate({deleted}))", c
    return f"len({seq}.translate({deleted}))", c
