"""Trap: the sequence is a list of tokens, not a string; lists have no startswith."""
import random


def phrase_count(tokens, phrase):
    n = 0
    for i in range(len(tokens) - len(phrase) + 1):
        if tokens[i:i + len(phrase)] == phrase:
            n += 1
    return n


def bench_inputs():
    rng = random.Random(40)
    return [([rng.choice(["the", "cat", "sat"]) for _ in range(60000)], ["the", "cat"])]


def hidden_inputs():
    return [([], ["a"]), (["a", "a"], ["a"]), (["a"], [])]
