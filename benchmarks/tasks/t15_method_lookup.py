"""A method with membership tests on an argument list."""
import random


class Inventory:
    def __init__(self, items):
        self.items = items

    def missing(self, wanted):
        return [w for w in wanted if w not in self.items]


def bench_inputs():
    rng = random.Random(15)
    inv = Inventory(rng.sample(range(40000), 5000))
    return [(inv, rng.sample(range(40000), 3000))]


def hidden_inputs():
    return [(Inventory([]), [1]), (Inventory([1, 2]), [2, 3])]
