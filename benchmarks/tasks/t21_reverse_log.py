"""Newest-first log text, built by prepending every line."""


def newest_first(lines):
    out = ""
    for line in lines:
        out = line + "\n" + out
    return out


def bench_inputs():
    return [([f"2026-11-28 event {i} ok" for i in range(6000)],)]


def hidden_inputs():
    return [([],), (["a"],), (["a", "", "c"],)]
