"""Overlapping occurrences of a motif in a DNA string, by slicing."""
import random


def motif_count(dna, motif):
    hits = 0
    for i in range(len(dna) - len(motif) + 1):
        if dna[i:i + len(motif)] == motif:
            hits += 1
    return hits


def bench_inputs():
    rng = random.Random(20)
    return [("".join(rng.choice("ACGT") for _ in range(60000)), "ACGTACGTAC" * 8)]


def hidden_inputs():
    return [("", "A"), ("AAAA", "AA"), ("ACGT", ""), ("AC", "ACGT")]
