"""Tracing a workload: which of the project's functions it spends its time in, and calls to
them sampled as it ran (inputs that match real use)."""
