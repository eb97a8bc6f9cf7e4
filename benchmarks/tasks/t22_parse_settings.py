"""key = value lines parsed with re called on a pattern string each time."""
import re


def parse_settings(lines):
    out = {}
    for line in lines:
        m = re.match(r"\s*([A-Za-z_]\w*)\s*=\s*(.*?)\s*$", line)
        if m:
            out[m.group(1)] = m.group(2)
    return out


def bench_inputs():
    return [([f"key{i} = value {i}" if i % 7 else "# comment" for i in range(20000)],)]


def hidden_inputs():
    return [([],), (["a=1", " b = two ", "=x", "c="],)]
