"""Build HTML pages from reStructuredText with docutils, as a documentation build does."""
import hashlib
import random
import sys
import time

from docutils.core import publish_string

count = int(sys.argv[1]) if len(sys.argv) > 1 else 40
random.seed(13)
WORDS = ("the of and to in is that for it as with was on be by this are from at or an which "
         "node parser writer directive role section table literal reference target document "
         "transform setting option value element attribute").split()


def sentence(words=12):
    text = " ".join(random.choice(WORDS) for _ in range(random.randint(words // 2, words)))
    marks = random.random()
    if marks < 0.2:
        text += f" with *emphasis* and **strong {random.choice(WORDS)}**"
    elif marks < 0.35:
        text += f" see `{random.choice(WORDS)} <https://example.org/{random.randint(1, 99)}>`_"
    elif marks < 0.5:
        text += f" calls ``{random.choice(WORDS)}_{random.randint(0, 9)}()`` here"
    elif marks < 0.55:
        text += f" [#f{random.randint(1, 2)}]_"
    return text[0].upper() + text[1:] + "."


def paragraph():
    return " ".join(sentence() for _ in range(random.randint(2, 6)))


def page(number):
    title = f"Page {number}: {sentence(4)}"
    parts = [title, "=" * len(title), "", ".. contents::", "", paragraph(), ""]
    for section in range(random.randint(3, 6)):
        heading = f"{section}. {sentence(4)}"
        parts += [heading, "-" * len(heading), ""]
        for _ in range(random.randint(2, 5)):
            kind = random.random()
            if kind < 0.35:
                parts += [paragraph(), ""]
            elif kind < 0.5:
                for _ in range(random.randint(3, 7)):
                    parts += [f"* {sentence(8)}"]
                parts += [""]
            elif kind < 0.6:
                parts += ["::", ""] + [f"    value_{i} = compute({i})" for i in range(5)] + [""]
            elif kind < 0.75:
                rows = [(random.choice(WORDS), str(random.randint(0, 999))) for _ in range(6)]
                parts += ["=========== =====", "name        count", "=========== ====="]
                parts += [f"{name:<11} {value}" for name, value in rows]
                parts += ["=========== =====", ""]
            elif kind < 0.85:
                parts += [f".. note:: {sentence()}", "", f"   {sentence()}", ""]
            else:
                for _ in range(3):
                    parts += [f":{random.choice(WORDS)}: {sentence(5)}"]
                parts += [""]
    parts += [".. [#f1] " + sentence(6), ".. [#f2] " + sentence(6), ""]
    return "\n".join(parts)


pages = [page(n) for n in range(count)]
settings = {"report_level": 5, "halt_level": 5, "_disable_config": True,
            "embed_stylesheet": False, "stylesheet_path": "", "output_encoding": "utf-8"}
started = time.perf_counter()
digest = hashlib.sha256()
size = 0
for text in pages:
    html = publish_string(text, writer_name="html5", settings_overrides=settings)
    digest.update(html)
    size += len(html)
print("pages", len(pages), "bytes", size)
print("sha256", digest.hexdigest())
print(f"took {time.perf_counter() - started:.3f} s")
