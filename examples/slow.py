"""A bundled example: a slow recursive function and the inputs to measure it on."""


def fib(n):
    """The n-th Fibonacci number, by naive recursion."""
    if n < 2:
        return n
    return fib(n - 1) + fib(n - 2)


def count_common(xs, ys):
    """How many items of xs also appear in ys."""
    count = 0
    for x in xs:
        if x in ys:
            count += 1
    return count


def inputs():
    return [(20,), (22,), (24,)]


def common_inputs():
    import random

    return [(random.sample(range(20000), 3000), random.sample(range(20000), 3000))]


def already_fast(xs):
    """Nothing to gain here: the builtin does the work."""
    return sum(xs)


def fast_inputs():
    return [(list(range(1000)),), (list(range(5000)),)]


class Grid:
    def __init__(self, rows):
        self.rows = rows

    def total(self, wanted):
        """Sum of the cells whose value is in `wanted`."""
        found = 0
        for row in self.rows:
            for cell in row:
                if cell in wanted:
                    found += cell
        return found


def grid_inputs():
    import random

    rows = [[random.randrange(5000) for _ in range(60)] for _ in range(60)]
    return [(Grid(rows), random.sample(range(5000), 1500))]
