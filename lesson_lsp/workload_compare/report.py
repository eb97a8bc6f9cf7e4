"""A comparison as the user reads it: the terminal's report, the editor's one-line message, and
the loud lines that come first when the outputs differ."""

from __future__ import annotations

from lesson_lsp.workload_compare import stats
from lesson_lsp.workload_compare.compare import HOW_LONG, Comparison
from lesson_lsp.workload_compare.outputs import Difference

LISTED = 6  # files named before "and N more"
LINE_WIDTH = 160  # a differing line is cut to this
FEW_RUNS = 5


def seconds(value: float) -> str:
    if value >= 1:
        return f"{value:.3f} s"
    if value >= 1e-3:
        return f"{value * 1e3:.1f} ms"
    return f"{value * 1e6:.0f} µs"


def ratio(value: stats.Ratio) -> str:
    """'1.45× (1.38×–1.52×)'."""
    return f"{value.estimate:.2f}× ({value.low:.2f}×–{value.high:.2f}×)"


def percent(value: float) -> str:
    return f"{value:.0%}" if abs(value) >= 0.095 else f"{value:.1%}"


def _line(text: str | None) -> str:
    if text is None:
        return "(no such line)"
    shown = repr(text)
    return shown if len(shown) <= LINE_WIDTH else shown[:LINE_WIDTH] + "…"


def _where(difference: Difference) -> str:
    at = "" if difference.stream == "exit code" else f" line {difference.line}"
    return f"{difference.stream}{at} (after run {difference.run})"


def alarm(comparison: Comparison) -> list[str]:
    """The output differs: what, where, first and loud."""
    output = comparison.output
    lines = [f"!! THE WORKLOAD'S OUTPUT CHANGED: {output.runs_differing} of {output.runs} "
             "\"after\" runs did not print what \"before\" printed (beyond the lines that vary "
             "between runs of the same code). The edits change what the program does."]
    for difference in output.differences:
        lines += [f"!!   {_where(difference)}:",
                  f"!!     before: {_line(difference.before)}",
                  f"!!     after:  {_line(difference.after)}"]
    return lines


def _files(comparison: Comparison, paths: list[str]) -> str:
    shown = [comparison.relative(p) for p in paths[:LISTED]]
    more = len(paths) - LISTED
    return ", ".join(shown) + (f" and {more} more" if more > 0 else "")


def masked(comparison: Comparison) -> str:
    """'2 lines vary between runs of the same code and were masked (stdout line 3: took ▒ s)'."""
    count = sum(comparison.output.masked.values())
    if not count:
        return "nothing varied between runs of the same code"
    examples = "; ".join(comparison.output.examples)
    noun = "line varies" if count == 1 else "lines vary"
    return f"{count} {noun} between runs of the same code and {'was' if count == 1 else 'were'}" \
        f" masked ({examples})"


def text(comparison: Comparison) -> str:
    """The CLI's report."""
    before_of, output = comparison.before_of, comparison.output
    lines = [*alarm(comparison), ""] if not comparison.identical else []
    runs = f"{comparison.runs} run{'s' if comparison.runs != 1 else ''}"
    lines.append(f"{comparison.describe()}: {runs} per side, interleaved "
                 f"(before, after, …) after one warm-up pair; {comparison.python}")
    changed = before_of.changed
    if changed:
        lines.append(f"before: {before_of.description}; {len(changed)} Python "
                     f"file{'s differ' if len(changed) != 1 else ' differs'} "
                     f"({_files(comparison, changed)})"
                     f", {HOW_LONG}")
    else:
        lines.append(f"before: {before_of.description}; no Python file differs")
    if before_of.not_served:
        lines.append(f"not served (they differ but are not Python modules; both sides read them "
                     f"as they are now): {', '.join(before_of.not_served[:LISTED])}")
    lines += [f"note: {note}" for note in (*before_of.notes, *output.notes)]
    rows = [("", "wall", "cpu"),
            ("before", seconds(comparison.before.median_wall_s),
             seconds(comparison.before.median_cpu_s)),
            ("after", seconds(comparison.after.median_wall_s),
             seconds(comparison.after.median_cpu_s)),
            ("ratio", ratio(comparison.wall), ratio(comparison.cpu))]
    widths = [max(len(row[i]) for row in rows) for i in range(3)]
    lines.append("")
    lines += ["  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()
              for row in rows]
    lines.append(f"(medians of the timed runs; ratio: {stats.METHOD})")
    if comparison.runs < FEW_RUNS:
        lines.append(f"note: with fewer than {FEW_RUNS} runs per side the interval is rough "
                     "(--runs N for more)")
    lines.append(f"\n{saving(comparison)}.")
    if comparison.identical:
        lines.append(f"Output: identical (stdout, stderr, exit code {output.exit_before} on both "
                     f"sides); {masked(comparison)}.")
    else:
        lines.append(f"Output: DIFFERENT (see the top); {masked(comparison)}.")
    return "\n".join(lines)


def saving(comparison: Comparison) -> str:
    """'The workload takes 31% less wall time (27% to 35%)'."""
    wall = comparison.wall
    value = stats.saving(wall.estimate)
    how = f"{percent(value)} less" if value >= 0 else f"{percent(-value)} more"
    interval = f"{percent(stats.saving(wall.low))} to {percent(stats.saving(wall.high))} saved"
    cover = "; the interval covers no change" if wall.covers(1.0) else ""
    return f"The workload takes {how} wall time ({interval}){cover}"


def message(comparison: Comparison) -> str:
    """The editor's one-line result."""
    wall = comparison.wall
    timing = (f"{comparison.describe()}: ratio {ratio(wall)} before/after (95 % interval), "
              f"{seconds(comparison.before.median_wall_s)} → "
              f"{seconds(comparison.after.median_wall_s)}, median of {comparison.runs} runs "
              f"each; before = {comparison.before_of.description}")
    if comparison.identical:
        return f"{timing}. Output identical ({masked(comparison)})."
    first = comparison.output.differences[0]
    return (f"THE WORKLOAD'S OUTPUT CHANGED: {_where(first)}: before {_line(first.before)}, "
            f"after {_line(first.after)}. {timing}.")
