"""A palindrome check written index by index, over long DNA-like strings."""
import random


def is_mirrored(sequence):
    for i in range(len(sequence) // 2):
        if sequence[i] != sequence[-1 - i]:
            return False
    return True


def bench_inputs():
    rng = random.Random(46)
    half = "".join(rng.choices("ACGT", k=20000))
    return [(half + half[::-1],), (half + "A" + half[::-1],)]


def hidden_inputs():
    return [("",), ("A",), ("AC",), ("ACA",), ("ACGA",), (["A", "C", "A"],)]
