"""Process a seeded event log with more-itertools recipes, as a data-munging script does:
windows, chunks, grouping, deduplication, run lengths, splitting and interleaving."""
import hashlib
import random
import sys
import time

import more_itertools as mi

count = int(sys.argv[1]) if len(sys.argv) > 1 else 200000
random.seed(17)
USERS = [f"user{i}" for i in range(300)]
KINDS = ["view", "click", "buy", "login", "logout", "error"]
events = [(i, random.choice(USERS), random.choice(KINDS), random.randint(1, 500))
          for i in range(count)]
started = time.perf_counter()
digest = hashlib.sha256()


def note(*values):
    digest.update(repr(values).encode())


values = [e[3] for e in events]
note(max(sum(w) for w in mi.windowed(values, 20)))
note(sum(1 for a, b in mi.pairwise(values) if b > a))
note([len(c) for c in mi.chunked(events, 1000)][-3:])
note(len(list(mi.unique_everseen(e[1] for e in events))))
note(len(list(mi.unique_justseen(e[2] for e in events))))
note(max(mi.run_length.encode(e[2] for e in events), key=lambda p: p[1]))
buckets = mi.bucket(events, key=lambda e: e[2])
note({kind: sum(1 for _ in buckets[kind]) for kind in KINDS})
note(len(list(mi.split_at(events, lambda e: e[2] == "error"))))
note(len(list(mi.split_before(events, lambda e: e[2] == "login"))))
note(sum(len(g) for g in map(list, mi.consecutive_groups(sorted(set(values))))))
note(list(mi.locate(events, lambda e: e[3] == 500))[:5])
note(sum(1 for _ in mi.interleave_longest(values[::2], values[1::3], values[2::5])))
note(sum(1 for _ in mi.roundrobin(values[::3], values[1::4])))
note(list(mi.collapse([[e[0], [e[3], (e[1],)]] for e in events[:5000]]))[-4:])
note(mi.first_true(events, pred=lambda e: e[3] > 499), mi.ilen(mi.flatten(mi.sliced(values, 7))))
note(sum(1 for _ in mi.distinct_permutations([1, 1, 2, 2, 3, 3, 4])))
note(sum(1 for _ in mi.partitions(range(9))))
note(mi.nth_or_last(mi.batched(values, 64), 10**9))
note(len(list(mi.always_iterable(values))), mi.all_equal(v % 1 for v in values))
note(sorted(mi.map_reduce(events, keyfunc=lambda e: e[1], valuefunc=lambda e: e[3],
                          reducefunc=sum).items())[:10])
note(list(mi.islice_extended(mi.peekable(values))[100:110]))
print("events", len(events))
print("sha256", digest.hexdigest())
print(f"took {time.perf_counter() - started:.3f} s")
