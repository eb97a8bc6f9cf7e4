"""The parts of benchmarks/soundness.py: the corpus, the ground truth, the mutants, the tables."""
