"""A method that counts each word with list.count."""
import random


class Corpus:
    def __init__(self, words):
        self.words = words

    def repeated(self):
        return sorted({w for w in self.words if self.words.count(w) > 1})


def bench_inputs():
    rng = random.Random(38)
    return [(Corpus([f"w{rng.randrange(4000)}" for _ in range(3000)]),)]


def hidden_inputs():
    return [(Corpus([]),), (Corpus(["a", "b", "a"]),)]
