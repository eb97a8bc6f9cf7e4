"""Length of the longest word, by a generator of len() calls."""
import random


def longest_word(text):
    words = text.split()
    if not words:
        return 0
    return max(len(w) for w in words)


def bench_inputs():
    rng = random.Random(28)
    return [(" ".join("x" * rng.randrange(1, 12) for _ in range(150000)),)]


def hidden_inputs():
    return [("",), ("a bb  ccc",)]
