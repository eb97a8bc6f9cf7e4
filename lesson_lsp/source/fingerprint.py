"""The identity of a function's code, whitespace aside: the bank keys lessons by it and a trace
marks its records with it. Its own module so that the server computes it without the team."""

from __future__ import annotations

import hashlib


def fingerprint(source: str) -> str:
    """Identity of a function's code (at column 0), whitespace aside."""
    return hashlib.sha256(" ".join(source.split()).encode("utf-8")).hexdigest()[:16]
