"""Encode and decode internationalized domain names with idna (UTS 46 mapping, IDNA 2008
checks), as a URL normalizer or a crawler does."""
import hashlib
import random
import sys
import time

import idna

count = int(sys.argv[1]) if len(sys.argv) > 1 else 6000
random.seed(19)
SCRIPTS = [
    "abcdefghijklmnopqrstuvwxyzäöüßéèàçñ",  # Latin, with what Western European names add
    "абвгдежзийклмнопрстуфхцчшщыэюя",  # Cyrillic
    "αβγδεζηθικλμνξοπρστυφχψω",  # Greek
    "ぁあいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろわをん",
    "中文网络域名测试北京上海广州深圳公司集团",  # Han
    "가나다라마바사아자차카타파하",  # Hangul
]
TLDS = ["com", "org", "de", "рф", "中国", "jp", "xn--p1ai"]


def label():
    letters = random.choice(SCRIPTS)
    word = "".join(random.choice(letters) for _ in range(random.randint(3, 12)))
    if random.random() < 0.3 and letters is SCRIPTS[0]:
        word = word.upper()  # UTS 46 maps case
    return word


names = [".".join([label() for _ in range(random.randint(1, 3))] + [random.choice(TLDS)])
         for _ in range(count)]
started = time.perf_counter()
digest = hashlib.sha256()
failed = 0
for name in names:
    try:
        encoded = idna.encode(name, uts46=True)
        decoded = idna.decode(encoded)
        digest.update(encoded + decoded.encode())
    except idna.IDNAError as exc:
        failed += 1
        digest.update(str(exc).encode())
print("names", len(names), "failed", failed)
print("sha256", digest.hexdigest())
print(f"took {time.perf_counter() - started:.3f} s")
