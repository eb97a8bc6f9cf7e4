"""The harness's verdicts on a candidate, by name: what banks, messages and hovers print, without
loading the harness."""

FASTER, NOT_FASTER, INCORRECT, ERROR, TIMEOUT = (
    "faster", "not-faster", "incorrect", "error", "timeout")
UNSAFE = "unsafe"
