"""Byte offsets of fixed-size records after a header."""


def record_offsets(header, count):
    return [header + 16 * i for i in range(count)]


def bench_inputs():
    return [(128, 200000)]


def hidden_inputs():
    return [(0, 0), (64, 3), (10, -2)]
