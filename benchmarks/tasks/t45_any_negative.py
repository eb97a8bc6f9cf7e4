"""Validation that builds every answer before asking any(): the first bad row decides."""
import random


def has_negative_balance(accounts):
    return any([balance < 0 for account in accounts for balance in account])


def bench_inputs():
    rng = random.Random(45)
    accounts = [[rng.randint(0, 1000) for _ in range(20)] for _ in range(5000)]
    accounts[40][3] = -5
    return [(accounts,)]


def hidden_inputs():
    return [([],), ([[1, 2], []],), ([[0], [-1]],), ([[3], [2, -2, 1]],)]
