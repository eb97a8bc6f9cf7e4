"""Edit distance by dynamic programming (no rule applies)."""
import random


def edit_distance(a, b):
    prev = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        cur = [i]
        for j, cb in enumerate(b, 1):
            cur.append(min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (ca != cb)))
        prev = cur
    return prev[-1]


def bench_inputs():
    rng = random.Random(37)
    return [("".join(rng.choice("abc") for _ in range(300)),
             "".join(rng.choice("abc") for _ in range(300)))]


def hidden_inputs():
    return [("", ""), ("kitten", "sitting"), ("a", "")]
