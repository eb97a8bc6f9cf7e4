"""A while loop over tokens that asks len() on every pass."""
import random


def count_words_before_stop(tokens, stop):
    i = 0
    words = 0
    while i < len(tokens):
        if tokens[i] == stop:
            break
        if tokens[i].isalpha():
            words += 1
        i += 1
    return words


def bench_inputs():
    rng = random.Random(30)
    return [([rng.choice(["ab", "12", "cd", "!"]) for _ in range(200000)], "STOP")]


def hidden_inputs():
    return [([], "x"), (["a", "1", "x", "b"], "x")]
