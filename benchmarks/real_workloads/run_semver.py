"""Parse, sort, match and bump semantic versions with semver, as a dependency resolver or a
release tool does."""
import hashlib
import random
import sys
import time

import semver
from semver import Version

count = int(sys.argv[1]) if len(sys.argv) > 1 else 12000
random.seed(29)


def version():
    text = f"{random.randint(0, 12)}.{random.randint(0, 30)}.{random.randint(0, 99)}"
    if random.random() < 0.3:
        text += f"-{random.choice(['alpha', 'beta', 'rc'])}.{random.randint(0, 9)}"
    if random.random() < 0.1:
        text += f"+build.{random.randint(0, 999)}"
    return text


texts = [version() for _ in range(count)]
constraints = [">=1.2.0", "<3.0.0", "==2.10.5", "!=0.0.1", ">5.0.0", "<=11.30.99"]
started = time.perf_counter()
digest = hashlib.sha256()
parsed = [Version.parse(t) for t in texts]
ordered = sorted(parsed)
digest.update(repr([str(v) for v in ordered[::50]]).encode())
digest.update(repr(max(texts, key=Version.parse)).encode())
matching = [sum(v.match(c) for v in parsed) for c in constraints]
digest.update(repr(matching).encode())
bumped = [str(v.bump_patch().bump_prerelease()) for v in parsed[:3000]]
digest.update(repr(bumped[-20:]).encode())
nexts = [str(v.next_version(part=("major", "minor", "patch", "prerelease")[i % 4]))
         for i, v in enumerate(parsed[:3000])]
digest.update(repr(nexts[-20:]).encode())
digest.update(repr(sum(semver.compare(a, b) for a, b in zip(texts, texts[1:]))).encode())
digest.update(repr(sorted(v.to_dict()["major"] for v in parsed[:2000])[-5:]).encode())
digest.update(repr([v.finalize_version().replace(build=None) == v for v in parsed[:2000]]
                   .count(True)).encode())
print("versions", len(texts), "matching", matching)
print("sha256", digest.hexdigest())
print(f"took {time.perf_counter() - started:.3f} s")
