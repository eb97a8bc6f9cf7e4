"""The best k-day window of daily sales (integer cents), summing each window afresh."""
import random


def best_window(sales, k):
    if k <= 0 or k > len(sales):
        return None
    best_start, best_total = 0, sum(sales[:k])
    for start in range(1, len(sales) - k + 1):
        total = sum(sales[start:start + k])
        if total > best_total:
            best_start, best_total = start, total
    return best_start, best_total


def bench_inputs():
    rng = random.Random(42)
    return [([rng.randint(0, 50_000) for _ in range(6000)], 400)]


def hidden_inputs():
    return [([], 1), ([5], 1), ([1, 9, -3, 7, 7], 2), ([2, 2, 2], 3), ([4, 1], 0),
            ([3, -1, 4, -1, 5], 5)]
