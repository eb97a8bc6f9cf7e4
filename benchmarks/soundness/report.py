"""The tables of benchmarks/soundness.py: per configuration and kind of candidate, how often the
harness accepted a wrong candidate or refused a correct one; and two saved runs side by side."""

from __future__ import annotations

import statistics
from collections.abc import Iterable
from typing import Any

EQUIVALENT = ("faster", "not-faster")  # the harness found no difference
KINDS = ("expert", "rule", "mutant", "llm")
COLUMNS = ("cands", "wrong", "w_equiv", "w_faster", "correct", "c_incorrect", "c_shown",
           "refused", "median_s")
TITLES = {"cands": "cands", "wrong": "wrong", "w_equiv": "wrong→equiv",
          "w_faster": "wrong→faster", "correct": "correct", "c_incorrect": "correct→incorrect",
          "c_shown": "…shown wrong",
          "refused": "refused", "median_s": "median s"}


def row(config: str, kind: str, results: list[dict[str, Any]]) -> dict[str, Any]:
    """The counts of one configuration and kind. `results`: one verify each, with the
    candidate's `truth`. Refused: the CLI stopped before a verdict (no inputs found)."""
    ran = [r for r in results if r["verdict"] != "refused"]
    wrong = [r for r in ran if r["truth"] == "wrong"]
    correct = [r for r in ran if r["truth"] == "correct"]
    return {
        "config": config, "kind": kind, "cands": len(results), "wrong": len(wrong),
        "w_equiv": sum(r["verdict"] in EQUIVALENT for r in wrong),
        "w_faster": sum(r["verdict"] == "faster" for r in wrong),
        "correct": len(correct),
        # A correct candidate judged incorrect whose failing input, replayed outside
        # lesson_lsp, shows a real difference: the ground truth lacked that input.
        "c_incorrect": sum(r["verdict"] == "incorrect" and not r.get("confirmed")
                           for r in correct),
        "c_shown": sum(r["verdict"] == "incorrect" and bool(r.get("confirmed"))
                       for r in correct),
        "refused": len(results) - len(ran),
        "median_s": round(statistics.median([r["seconds"] for r in ran]), 2) if ran else 0.0,
        "verdicts": _count(r["verdict"] for r in results),
    }


def _count(values: Iterable[str]) -> dict[str, int]:
    found: dict[str, int] = {}
    for value in values:
        found[value] = found.get(value, 0) + 1
    return dict(sorted(found.items()))


def table(results: list[dict[str, Any]], configs: Iterable[str]) -> list[dict[str, Any]]:
    """A row per configuration and kind that has candidates, then one for all kinds."""
    rows = []
    for config in configs:
        mine = [r for r in results if r["config"] == config]
        rows += [row(config, kind, [r for r in mine if r["kind"] == kind])
                 for kind in KINDS if any(r["kind"] == kind for r in mine)]
        rows.append(row(config, "all", mine))
    return rows


def _share(part: int, whole: int) -> str:
    return f"{part} ({100 * part / whole:.0f}%)" if whole else str(part)


def print_table(rows: list[dict[str, Any]]) -> None:
    head = f"{'config':<7} {'kind':<7}" + "".join(f"{TITLES[c]:>18}" for c in COLUMNS)
    print(head)
    for r in rows:
        cells = {**r, "w_equiv": _share(r["w_equiv"], r["wrong"]),
                 "w_faster": _share(r["w_faster"], r["wrong"]),
                 "c_incorrect": _share(r["c_incorrect"], r["correct"])}
        print(f"{r['config']:<7} {r['kind']:<7}" + "".join(f"{cells[c]!s:>18}" for c in COLUMNS))
    print("verdicts:")
    for r in rows:
        print(f"  {r['config']:<7} {r['kind']:<7} {r['verdicts']}")


def print_accepted(results: list[dict[str, Any]]) -> None:
    """The wrong candidates the harness judged equivalent, with where the ground truth
    shows them wrong; then the correct ones it called incorrect."""
    accepted = [r for r in results if r["truth"] == "wrong" and r["verdict"] in EQUIVALENT]
    print(f"\nwrong but accepted: {len(accepted)}")
    for r in accepted:
        first = r.get("first", {})
        print(f"  [{r['config']}] {r['task']} {r['kind']} {r['verdict']}: {r['origin']}\n"
              f"      differs ({first.get('why', '?')}, {first.get('label', '?')} input) on "
              f"{first.get('input', '?')[:160]}\n"
              f"      expected {first.get('expected', '?')[:120]}; got "
              f"{first.get('actual', '?')[:120]}")
    refused = [r for r in results if r["truth"] == "correct" and r["verdict"] == "incorrect"]
    print(f"\ncorrect by the ground truth but judged incorrect: {len(refused)} (replayed outside "
          f"lesson_lsp: {sum(bool(r.get('confirmed')) for r in refused)} differ there, "
          f"{sum(r.get('confirmed') is False for r in refused)} do not)")
    for r in refused:
        state = {True: "a real difference", False: "NO difference: a false alarm",
                 None: "not replayed"}[r.get("confirmed")]
        print(f"  [{r['config']}] {r['task']} {r['kind']}: {r['origin']}: {r['detail'][:160]}\n"
              f"      on {r.get('failing_input', '?')[:100]}: {state}; {r.get('replay', '')[:200]}")


def print_diff(before: dict[str, Any], after: dict[str, Any]) -> None:
    """Two saved runs (`--json`) side by side: per configuration and kind, each count before →
    after; then the candidates whose outcome changed for the worse."""
    def label(run: dict[str, Any]) -> str:
        return run["lesson_lsp"].get("commit") or run["lesson_lsp"]["path"]

    print(f"before: {label(before)}   after: {label(after)}")
    truths = {c["key"]: c for c in after["candidates"]}
    moved = [r for r in before["results"]
             if r["key"] in truths and truths[r["key"]]["truth"] != r["truth"]]
    if moved:  # a ground-truth input near its time cap may be kept in one run only
        print(f"(the ground truth differs between the runs for {len(moved)} results: both "
              "tables use the after run's)")
    rescored = [{**r, **{k: truths[r["key"]][k] for k in ("truth", "first")}}
                if r["key"] in truths else r for r in before["results"]]
    configs = list(dict.fromkeys(r["config"] for r in after["results"]))
    print(f"{'config':<7} {'kind':<7}" + "".join(f"{TITLES[c]:>18}" for c in COLUMNS))
    old = {(r["config"], r["kind"]): r for r in table(rescored, configs)}
    for r in table(after["results"], configs):
        o = old.get((r["config"], r["kind"]), {})
        cells = "".join(f"{str(o.get(c, '-')) + ' → ' + str(r[c]):>18}" for c in COLUMNS)
        print(f"{r['config']:<7} {r['kind']:<7}{cells}")
    was = {(v["key"], v["config"]): v for v in rescored}
    newly = [v for v in after["results"] if v["truth"] == "correct" and v["verdict"] ==
             "incorrect" and was.get((v["key"], v["config"]), {}).get("verdict") != "incorrect"]
    worse = [v for v in newly if not v.get("confirmed")]
    print(f"\ncorrect, newly judged incorrect: {len(worse)} (and {len(newly) - len(worse)} "
          "whose failing input, replayed outside lesson_lsp, shows a real difference)")
    for v in worse:
        print(f"  [{v['config']}] {v['task']} {v['kind']}: {v['origin']}: {v['detail'][:160]}")
    fixed = [v for v in after["results"] if v["truth"] == "wrong" and v["verdict"] not in
             EQUIVALENT and was.get((v["key"], v["config"]), {}).get("verdict") in EQUIVALENT]
    print(f"wrong, accepted before and caught after: {len(fixed)}")
