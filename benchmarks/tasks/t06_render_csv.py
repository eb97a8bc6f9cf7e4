"""String building with += in a loop."""


def render(rows):
    out = ""
    for row in rows:
        out += ",".join(str(cell) for cell in row)
        out += "\n"
    return out


def bench_inputs():
    return [([[i, i * 2, i * 3] for i in range(20000)],)]


def hidden_inputs():
    return [([],), ([[1], [2, 3]],)]
