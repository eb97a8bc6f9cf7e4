"""Differential fuzzing: hypothesis draws inputs like the observed ones, the caller runs the
original and the candidate side by side on each, and a difference is shrunk to a minimal input.

The observed calls say what a function is really called with; a rewrite breaks on inputs near
those (a smaller n, an empty list, another character) more often than on arbitrary ones, so the
strategies are built per argument from the observed values' types, ranges, alphabets and sizes
(type hints, where given, decide the types; the observed values still shape them). Sizes stay
near the observed ones, so that a slow original (trial division, a quadratic loop) still answers
on a typical draw; `widen=k` reaches further out (larger numbers, longer sequences) when the
caller's coverage check says no input ran some of the candidate's lines.

Runs inside the sandbox worker (Python >= 3.10); hypothesis is imported when used.
"""

from __future__ import annotations

import copy
import inspect
import itertools
import math
import time
import types
import typing
from collections import abc
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from hypothesis.strategies import SearchStrategy

Call = tuple[tuple, dict]
Strategy = Any  # a hypothesis SearchStrategy (hypothesis is not imported at module level)

SAMPLE = 200  # observed values (items) looked at per argument
SIZE_CAP = 64  # length of a drawn collection or string at widen=0, at most
WIDE_CAP = 1_000  # likewise at any widening
DEPTH = 4  # nesting below which observed values are reused rather than made up
NON_ASCII = ("é", "ß", "İ", "😀", " ")
_clock = time.perf_counter


class Unavailable(ValueError):
    """No strategy can be built: nothing observed and no type hints to go by."""


@dataclass
class FuzzResult:
    tried: int  # inputs run through `differs`
    found: Call | None  # the minimal (shrunk) call on which the two differ
    detail: str  # what `differs` said about `found`, or a summary of the search
    status: str  # "ok", or "unavailable: <why>"


# --------------------------------------------------------------------------- ranges


def _wider(bound: int | float, widen: int) -> Any:
    """How far one side of a range reaches at `widen=k`: 10**k times past the doubled observed
    magnitude (plus 10, as edges.py bounds its mutants), so that each step is a new decade."""
    if not widen:
        return bound
    reach = (2 * abs(bound) + 10) * 10**widen
    return -reach if bound < 0 else reach


def _sizes(longest: int, widen: int) -> tuple[int, int]:
    """(the usual longest, the longest when widened): up to the observed size, and beyond it
    doubling with each step of widening."""
    usual = min(longest, SIZE_CAP)
    return usual, min((2 * usual + 4) * 2 ** max(widen - 1, 0), WIDE_CAP) if widen else usual


def _spread(values: Any, count: int = SAMPLE) -> list[Any]:
    """Up to `count` of `values`, spread over them (a huge list is not walked)."""
    if isinstance(values, (list, tuple)):
        return list(values[:: max(1, len(values) // count)][:count])
    return list(itertools.islice(values, count))


def _copied(value: Any) -> Any:
    try:
        return copy.deepcopy(value)
    except Exception:
        return value


# --------------------------------------------------------------------------- strategies


def _numbers(kind: type, values: list[Any], widen: int) -> Strategy:
    from hypothesis import strategies as st

    finite = [v for v in values if kind is int or math.isfinite(v)]
    lo, hi = min([*finite, kind(-3)]), max([*finite, kind(3)])
    far_lo, far_hi = _wider(lo, widen), _wider(hi, widen)
    if kind is int:
        draw: list[Strategy] = [st.integers(lo, hi)]
        special = [0, 1, -1, 2, lo, hi, *values[:16]]
        if widen:
            draw.append(st.integers(far_lo, far_hi))
            special += [far_lo, far_hi, far_hi // 2]
    else:
        draw = [st.floats(lo, hi, allow_nan=False, allow_infinity=False)]
        special = [0.0, -0.0, 1.0, -1.0, math.nan, math.inf, -math.inf, *values[:16]]
        if widen:
            draw.append(st.floats(far_lo, far_hi, allow_nan=False, allow_infinity=False))
            special += [far_lo, far_hi]
    # Told apart by value, floats by repr (-0.0 is not 0.0, nan is nan; a huge int has none).
    unique = list({(type(v), v if type(v) is int else repr(v)): v for v in special}.values())
    return st.one_of(*draw, st.sampled_from(unique))


def _texts(kind: type, values: list[Any], widen: int) -> Strategy:
    from hypothesis import strategies as st

    usual, longest = _sizes(max((len(v) for v in values), default=3), widen)
    joined = kind().join(v[:1000] for v in values)
    if kind is str:
        alphabet: list[Any] = sorted(set(joined)) or ["a", "b"]
        alphabet += [c for c in NON_ASCII if c not in alphabet]
    else:
        alphabet = sorted(set(joined) | {0, 255, ord("a")})
    chars = st.sampled_from(alphabet)

    def made(size: int, least: int = 0) -> Strategy:
        drawn = st.lists(chars, min_size=least, max_size=size)
        return drawn.map("".join) if kind is str else drawn.map(kind)

    parts = [made(usual)]
    if longest > usual:
        parts.append(made(longest, usual + 1))
    seen = [v for v in values if len(v) <= 1000][:16]
    return st.one_of(*parts, *([st.sampled_from(seen)] if seen else []))


def _items(values: list[Any]) -> list[Any]:
    """A sample of the items of observed collections (a dict's keys)."""
    return [x for v in _spread(values, 50) for x in _spread(v, max(4, SAMPLE // 50))]


def _sized(make: Callable[..., Strategy], longest: int, widen: int, *args: Any) -> Strategy:
    """Collections up to the observed size and, when widened, beyond it."""
    from hypothesis import strategies as st

    usual, far = _sizes(longest, widen)
    parts = [make(*args, max_size=usual)]
    if far > usual:
        parts.append(make(*args, min_size=usual + 1, max_size=far))
    return st.one_of(*parts)


def _of_kind(kind: type, values: list[Any], widen: int, depth: int,
             inner: list[Strategy] | None = None) -> Strategy:
    """Values of one kind like the observed `values` (which may be none, for a hint);
    `inner`: the element (key and value, field) strategies a hint gave."""
    from hypothesis import strategies as st

    longest = max((len(v) for v in values if hasattr(v, "__len__")), default=3)
    if kind is bool:
        return st.booleans()
    if kind is type(None):
        return st.none()
    if kind in (int, float):
        return _numbers(kind, values, widen)
    if kind in (str, bytes, bytearray):
        return _texts(kind, values, widen)
    if depth >= DEPTH or (kind not in (list, set, frozenset, dict) and not issubclass(kind, tuple)):
        if not values:
            return st.from_type(kind)
        return st.sampled_from(values[:16]).map(_copied)  # an object we cannot make up
    if kind is dict:
        keys, items = inner or (_observed(_items(values), widen, depth + 1),
                                _observed(_items([v.values() for v in values]), widen, depth + 1))
        return _sized(st.dictionaries, longest, widen, keys, items)
    widths = {len(v) for v in values}
    if issubclass(kind, tuple) and values and (hasattr(kind, "_make") or (
            len(widths) == 1 and 0 < min(widths) <= 10 and inner is None)):
        width = min(widths)  # a record: field by field
        fields = [_observed([v[i] for v in _spread(values)], widen, depth + 1)
                  for i in range(width)]
        drawn = st.tuples(*fields)
        return drawn.map(typing.cast(Any, kind)._make) if hasattr(kind, "_make") else drawn
    element = inner[0] if inner else _observed(_items(values), widen, depth + 1)
    make: Any = {list: st.lists, set: st.sets, frozenset: st.frozensets}.get(kind, st.lists)
    drawn = _sized(make, longest, widen, element)
    return drawn.map(tuple) if kind is tuple else drawn


def _observed(values: list[Any], widen: int, depth: int) -> Strategy:
    """Values like the observed ones, a kind at a time; small ints when none was observed."""
    from hypothesis import strategies as st

    kinds: dict[type, list[Any]] = {}
    for value in _spread(values):
        kinds.setdefault(type(value), []).append(value)
    if not kinds:
        return st.integers(-3, 3)
    return st.one_of(*(_of_kind(k, vs, widen, depth) for k, vs in kinds.items()))


_ABSTRACT = {abc.Sequence: list, abc.Iterable: list, abc.Collection: list, abc.Mapping: dict,
             abc.Set: set}  # what a parameter hinted so is given


def _fits(value: Any, hint: Any) -> bool:
    try:
        return isinstance(value, typing.get_origin(hint) or hint)
    except TypeError:
        return False


def _hinted(hint: Any, values: list[Any], widen: int, depth: int) -> Strategy:
    """Values of the hinted type, shaped by the observed values that fit it."""
    from hypothesis import strategies as st

    origin, args = typing.get_origin(hint), typing.get_args(hint)
    if origin is typing.Union or origin is getattr(types, "UnionType", None):
        return st.one_of(*(_hinted(a, [v for v in values if _fits(v, a)], widen, depth)
                           for a in args))
    if hint is None or hint is type(None):
        return st.none()
    if hint is typing.Any or not isinstance(origin or hint, type):
        return _observed(values, widen, depth)
    kind = _ABSTRACT.get(origin or hint, origin or hint)
    own = [v for v in _spread(values) if isinstance(v, kind)]
    if kind in (list, set, frozenset) and args:
        return _of_kind(kind, own, widen, depth, [_hinted(args[0], _items(own), widen, depth)])
    if kind is dict and len(args) == 2:
        keys = _hinted(args[0], _items(own), widen, depth + 1)
        items = _hinted(args[1], _items([v.values() for v in own]), widen, depth + 1)
        return _of_kind(dict, own, widen, depth, [keys, items])
    if kind is tuple and len(args) == 2 and args[1] is Ellipsis:
        element = _hinted(args[0], _items(own), widen, depth + 1)
        return _of_kind(tuple, own, widen, depth, [element])
    if kind is tuple and args:
        fields = [_hinted(a, [v[i] for v in own if len(v) == len(args)], widen, depth + 1)
                  for i, a in enumerate(args)]
        return st.tuples(*fields)
    if own or kind in (int, float, str, bytes, bytearray, bool, list, set, frozenset, dict,
                       tuple):
        return _of_kind(kind, [v for v in own if type(v) is kind] or own, widen, depth)
    return st.from_type(hint)


# --------------------------------------------------------------------------- calls


def _from_hints(params: list[inspect.Parameter], hints: dict[str, Any],
                widen: int) -> Strategy:
    """Calls made from the type hints alone (nothing was observed)."""
    from hypothesis import strategies as st

    if not params:  # no signature: the hints in order, by position
        return st.tuples(st.tuples(*(_hinted(h, [], widen, 0) for h in hints.values())),
                         st.just({}))
    args: list[Strategy] = []
    kwargs: dict[str, Strategy] = {}
    by_name = False  # after a positional parameter left to its default
    for p in params:
        if p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD):
            continue
        if p.name not in hints:
            if p.default is p.empty:
                raise Unavailable(f"no observed calls and no type hint for {p.name}")
            by_name = True
        elif p.kind == p.KEYWORD_ONLY or (by_name and p.kind == p.POSITIONAL_OR_KEYWORD):
            kwargs[p.name] = _hinted(hints[p.name], [], widen, 0)
        elif not by_name:
            args.append(_hinted(hints[p.name], [], widen, 0))
    return st.tuples(st.tuples(*args), st.fixed_dictionaries(kwargs))


def strategy(calls: list[Call], hints: dict[str, Any] | None = None,
             signature: inspect.Signature | None = None,
             widen: int = 0) -> SearchStrategy[Call]:
    """Calls like the observed ones: per shape of call (how many positional arguments, which
    keywords), per argument, values like those observed there (or of its hinted type)."""
    from hypothesis import strategies as st

    hints = {k: v for k, v in (hints or {}).items() if k != "return"}
    params = list(signature.parameters.values()) if signature else []
    positional = [p.name for p in params if p.kind in (p.POSITIONAL_ONLY,
                                                         p.POSITIONAL_OR_KEYWORD)]
    star = next((p.name for p in params if p.kind == p.VAR_POSITIONAL), "")
    stars = next((p.name for p in params if p.kind == p.VAR_KEYWORD), "")

    def argument(name: str, values: list[Any]) -> Strategy:
        hint = hints.get(name)
        return _observed(values, widen, 0) if hint is None else _hinted(hint, values, widen, 0)

    shapes: dict[tuple[int, tuple[str, ...]], list[Call]] = {}
    for call in calls:
        shapes.setdefault((len(call[0]), tuple(sorted(call[1]))), []).append(call)
    drawn = []
    for (width, keys), group in sorted(shapes.items(), key=lambda s: -len(s[1])):
        group = _spread(group)
        names = [positional[i] if i < len(positional) else star for i in range(width)]
        args = st.tuples(*(argument(names[i], [c[0][i] for c in group]) for i in range(width)))
        kwargs = st.fixed_dictionaries({k: argument(k if k in positional or k in hints else
                                                    stars, [c[1][k] for c in group])
                                        for k in keys})
        drawn.append(st.tuples(args, kwargs))
    if not drawn and not hints:
        raise Unavailable("no observed calls and no type hints")
    return st.one_of(*drawn) if drawn else _from_hints(params, hints, widen)


# --------------------------------------------------------------------------- searching


class _Stop(BaseException):
    """Ends hypothesis's run when the time is up: not an Exception, so hypothesis does not take
    it for a failure to shrink, and lets it through."""


class _Differs(Exception):
    """A difference, for hypothesis to shrink."""


def search(differs: Callable[[Call], str | None], calls: list[Call],
           hints: dict[str, Any] | None = None, signature: inspect.Signature | None = None,
           budget_s: float = 1.0, widen: int = 0, seed: int = 0,
           max_examples: int = 2000) -> FuzzResult:
    """Draw calls until `differs` describes a difference or `budget_s` is spent, then let
    hypothesis shrink the difference (for at most another `budget_s`) to a minimal call.
    Never raises: what stopped the search is in `status`."""
    started = _clock()
    try:
        import hypothesis
        from hypothesis import HealthCheck, Phase, Verbosity, given, settings
    except Exception as exc:
        return FuzzResult(0, None, "", f"unavailable: hypothesis cannot be imported ({exc})")
    try:
        drawn = strategy(calls, hints, signature, widen)
    except Exception as exc:
        return FuzzResult(0, None, "", f"unavailable: {exc}")
    tried, errors = 0, []
    found: list[tuple[Call, str]] = []  # the last failing call is the smallest yet
    until = [started + budget_s]

    def body(call: Call) -> None:
        nonlocal tried
        now = _clock()
        if now > until[0]:
            raise _Stop
        kept = _copied(call)
        tried += 1
        try:
            why = differs(call)
        except Exception as exc:  # the caller's bug: the input counts as unusable
            errors.append(f"{type(exc).__name__}: {exc}")
            why = None
        if why:
            if not found:
                until[0] = now + budget_s  # time to shrink
            found[:] = [(kept, why)]
            raise _Differs(why)

    test = hypothesis.seed(seed)(settings(
        database=None, derandomize=True, deadline=None, max_examples=max_examples,
        phases=(Phase.generate, Phase.shrink), suppress_health_check=list(HealthCheck),
        verbosity=Verbosity.quiet, report_multiple_bugs=False, print_blob=False,
    )(given(drawn)(body)))
    failed = ""
    try:
        test()
    except KeyboardInterrupt:
        raise
    except (_Stop, _Differs):
        pass
    except BaseException as exc:  # flaky (`differs` changed its mind), a strategy that failed
        failed = f"{type(exc).__name__}: {exc}".splitlines()[0]
    if found:
        return FuzzResult(tried, found[-1][0], found[-1][1], "ok")
    summary = f"{tried} inputs in {_clock() - started:.1f} s"
    if errors:
        summary += f" ({len(errors)} raised in differs, first: {errors[0]})"
    if failed and not tried:
        return FuzzResult(0, None, summary, f"unavailable: hypothesis failed ({failed})")
    return FuzzResult(tried, None, summary + (f"; stopped by {failed}" if failed else ""), "ok")
