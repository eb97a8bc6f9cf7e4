"""Analyse seeded sales records with toolz, in the functional style its users write: pipe,
curried maps and filters, groupby, reduceby, merge_with, nested get_in/update_in, joins."""
import hashlib
import random
import sys
import time
from operator import add

import toolz
from toolz import curried as c

count = int(sys.argv[1]) if len(sys.argv) > 1 else 150000
random.seed(23)
REGIONS = ["north", "south", "east", "west"]
PRODUCTS = [f"p{i}" for i in range(120)]
records = [{"id": i, "region": random.choice(REGIONS), "product": random.choice(PRODUCTS),
            "amount": random.randint(1, 1000), "meta": {"rep": f"r{random.randint(0, 40)}",
                                                        "tags": {"promo": i % 7 == 0}}}
           for i in range(count)]
prices = [{"product": p, "price": 1 + i % 17} for i, p in enumerate(PRODUCTS)]
started = time.perf_counter()
digest = hashlib.sha256()


def note(*values):
    digest.update(repr(values).encode())


note(toolz.pipe(records, c.filter(lambda r: r["amount"] > 500), c.map(c.get("amount")), sum))
by_region = toolz.groupby("region", records)
note({k: len(v) for k, v in sorted(by_region.items())})
note(sorted(toolz.reduceby("product", lambda acc, r: acc + r["amount"], records, 0).items())[:5])
note(sorted(toolz.countby(lambda r: r["meta"]["rep"], records).items())[:5])
note(sorted(toolz.frequencies(r["product"] for r in records).items())[:5])
note(toolz.merge_with(sum, *({r["region"]: r["amount"]} for r in records[:20000])))
note(sum(toolz.get_in(["meta", "tags", "promo"], r, False) for r in records))
updated = [toolz.update_in(r, ["meta", "rep"], str.upper) for r in records[:20000]]
note(updated[-1]["meta"])
note(toolz.assoc_in(records[0], ["meta", "tags", "seen"], True)["meta"])
joined = toolz.join("product", prices, "product", records[:20000])
note(sum(p["price"] * r["amount"] for p, r in joined))
note(list(toolz.take(3, toolz.unique(records, key=lambda r: r["product"]))))
note([len(w) for w in toolz.take(5, toolz.sliding_window(4, records))])
note(sum(1 for _ in toolz.partition_all(64, records)))
note(toolz.topk(5, records, key="amount"))
note(toolz.valmap(len, toolz.keyfilter(lambda k: k != "east", by_region)))
note(toolz.reduce(add, toolz.pluck("amount", records)))
note(toolz.pipe(records, c.pluck("product"), c.frequencies, c.valfilter(lambda n: n > 500),
                len))
note(toolz.compose(sorted, set, c.map(c.get_in(["meta", "rep"])))(records)[:5])
note(sorted(toolz.merge(*({r["product"]: r["id"]} for r in records[:30000])).items())[:5])
print("records", len(records))
print("sha256", digest.hexdigest())
print(f"took {time.perf_counter() - started:.3f} s")
