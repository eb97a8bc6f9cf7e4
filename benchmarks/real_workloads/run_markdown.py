"""Render a generated documentation site with Python-Markdown, as a static-site build does."""
import hashlib
import random
import sys
import time

import markdown

count = int(sys.argv[1]) if len(sys.argv) > 1 else 60
random.seed(3)
WORDS = ("the of and to in is that for it as with was on be by this are from at or an which "
         "parser render output extension block inline token list table code header footnote "
         "document site page link image option value default setting module function").split()


def sentence(words=12):
    text = " ".join(random.choice(WORDS) for _ in range(random.randint(words // 2, words)))
    marks = random.random()
    if marks < 0.2:
        text += f" with *emphasis* and **strong {random.choice(WORDS)}**"
    elif marks < 0.35:
        text += f" see [{random.choice(WORDS)}](https://example.org/{random.randint(1, 99)}.html)"
    elif marks < 0.5:
        text += f" calls `{random.choice(WORDS)}_{random.randint(0, 9)}()` here"
    elif marks < 0.55:
        text += f"[^{random.randint(1, 3)}]"
    return text[0].upper() + text[1:] + "."


def paragraph():
    return " ".join(sentence() for _ in range(random.randint(2, 6)))


def page(number):
    parts = [f"# Page {number}: {sentence(5)}\n", "[TOC]\n", paragraph()]
    for section in range(random.randint(3, 7)):
        parts.append(f"## {sentence(4)} {{: #s{number}-{section} }}")
        for _ in range(random.randint(2, 5)):
            kind = random.random()
            if kind < 0.35:
                parts.append(paragraph())
            elif kind < 0.5:
                parts.append("\n".join(f"{'*' if random.random() < 0.5 else '1.'} {sentence(8)}"
                                       for _ in range(random.randint(3, 8))))
            elif kind < 0.6:
                parts.append("\n".join(f"> {sentence()}" for _ in range(random.randint(1, 4))))
            elif kind < 0.7:
                body = "\n".join(f"    value_{i} = compute({i}, '{random.choice(WORDS)}')"
                                 for i in range(random.randint(2, 8)))
                parts.append(f"```python\ndef f():\n{body}\n```")
            elif kind < 0.8:
                rows = "\n".join(f"| {random.choice(WORDS)} | {random.randint(0, 999)} | "
                                 f"{sentence(4)} |" for _ in range(random.randint(3, 10)))
                parts.append(f"| name | count | note |\n| --- | ---: | --- |\n{rows}")
            elif kind < 0.9:
                parts.append(f"{random.choice(WORDS)}\n:   {sentence()}\n\n"
                             f"{random.choice(WORDS)}\n:   {sentence()}")
            else:
                parts.append(f"*[HTML]: Hyper Text Markup Language\n\n{paragraph()} HTML.")
    parts.append("\n".join(f"[^{i}]: {sentence(6)}" for i in range(1, 4)))
    return "\n\n".join(parts) + "\n"


pages = [page(n) for n in range(count)]
started = time.perf_counter()
# "extra" and the short names need the package's entry points; the modules do not
EXTENSIONS = ("abbr", "attr_list", "def_list", "fenced_code", "footnotes", "md_in_html", "tables",
              "toc", "sane_lists", "smarty")
md = markdown.Markdown(extensions=[f"markdown.extensions.{name}" for name in EXTENSIONS])
digest = hashlib.sha256()
size = 0
for text in pages:
    html = md.reset().convert(text)
    digest.update(html.encode())
    size += len(html)
print("pages", len(pages), "characters", size)
print("sha256", digest.hexdigest())
print(f"took {time.perf_counter() - started:.3f} s")
