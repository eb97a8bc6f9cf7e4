"""A method that adds up word lengths one at a time."""
import random


class Document:
    def __init__(self, words):
        self.words = words

    def char_count(self):
        total = 0
        for word in self.words:
            total += len(word)
        return total


def bench_inputs():
    rng = random.Random(18)
    words = ["".join(rng.choice("abcdef") for _ in range(rng.randrange(1, 9)))
             for _ in range(60000)]
    return [(Document(words),)]


def hidden_inputs():
    return [(Document([]),), (Document(["", "ab", "c"]),)]
