"""No candidate does more than the original (DESIGN.md, invariant 3).

Every hostile candidate here returns the right answer, faster, and swallows the error its attempt
raised in the sandbox: only the guard's record of what it tried can stop it, and it must be
`unsafe` (never `faster`), with a detail that names the attempt, and the user's files unchanged.
Real sandboxed subprocesses; one baseline per module, shared by the cases.
"""

from __future__ import annotations

import ast
import asyncio
import shutil
from pathlib import Path

import pytest

from lesson_lsp.harness import admission
from lesson_lsp.harness.inputs import InputSpec
from lesson_lsp.harness.verify import Harness, Target, Verdict
from lesson_lsp.source.candidate import Candidate
from lesson_lsp.team.rewrites import RULES
from lesson_lsp.team.rewrites.base import RewriteContext
from lesson_lsp.workspace.config import HarnessConfig
from tests.conftest import EXAMPLES, ROOT, verify

FAST = """
    if n < 2:
        return n
    a, b = 0, 1
    for _ in range(n):
        a, b = b, a + b
    return a
"""


def hostile(attempt: str, imports: str = "import os") -> str:
    """fib, right and fast, after an attempt whose error it swallows."""
    body = "\n        ".join(attempt.splitlines())
    return (f"{imports}\n\nSLOW = {{slow!r}}\nPROJECT = {{project!r}}\n\n\ndef fib(n):\n"
            f"    try:\n        {body}\n    except BaseException:\n        pass\n{FAST}")


CASES = {
    "delete the user's file": (hostile("os.remove(SLOW)"), "delete {slow}"),
    "rewrite the user's file": (hostile("open(SLOW, 'w').write('gone')"), "write {slow}"),
    "write into the project": (hostile("open(PROJECT + '/evil.py', 'x').write('1')"),
                               "write {project}/evil.py"),
    "rename the user's file": (hostile("os.rename(SLOW, SLOW + '.bak')"), "rename {slow}"),
    "subprocess": (hostile("subprocess.run(['true'])", "import subprocess"),
                   "start a process (subprocess.Popen true)"),
    "os.system": (hostile("os.system('true')"), "start a process (os.system true)"),
    "os.fork": (hostile("if os.fork() == 0:\n    os._exit(0)"), "start a process (os.fork)"),
    "socket": (hostile("socket.socket().connect(('127.0.0.1', 9))", "import socket"),
               "open a socket"),
    "os.environ": (hostile("os.environ['PATH']"), "read the environment variable PATH"),
    "os.getenv": (hostile("os.getenv('HOME')"), "read the environment variable HOME"),
    "from os import environ": (hostile("dict(environ)", "from os import environ"),
                               "read the whole environment"),
    "atexit": (hostile("atexit.register(print, 'bye')", "import atexit"),
               "register an atexit handler (print)"),
    "thread": (hostile("threading.Thread(target=int).start()", "import threading"),
               "start a thread (int)"),
    "read a file": (hostile("open(SLOW).read()"), "read {slow}"),
    "signal handler": (hostile("signal.signal(signal.SIGUSR1, signal.SIG_IGN)", "import signal"),
                       "install a signal handler or timer (signal SIGUSR1)"),
    "ctypes": (hostile("ctypes.CDLL('libc.so.6')", "import ctypes"),
               "load a native library (libc.so.6)"),
    # Only after many calls: the check run is clean, the timing runs are not.
    "only when timed": (hostile("fib.calls = getattr(fib, 'calls', 0) + 1\n"
                                "if fib.calls > 20:\n    os.remove(SLOW)"), "delete {slow}"),
    "top-level call": ("import os\n\nos.listdir('.')\n\n\ndef fib(n):\n" + FAST,
                       "refused before it ran: line 3"),
    "top-level default": ("import os\n\n\ndef fib(n, _=os.remove({slow!r})):\n" + FAST,
                          "a default value runs on import"),
}


@pytest.fixture(scope="module")
def fib_project(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Harness]:
    folder = tmp_path_factory.mktemp("hostile")
    shutil.copy(EXAMPLES / "slow.py", folder / "slow.py")
    return folder, harness_for(folder / "slow.py", "fib", "inputs")


def harness_for(path: Path, qualname: str, inputs: str) -> Harness:
    spec = InputSpec(str(path), inputs, f"{inputs}()")
    target = Target(str(path), path.read_text(encoding="utf-8"), qualname, spec,
                    str(path.parent))
    return Harness(target, HarnessConfig(timeout_s=8), samples=3, processes=2)


def judge(harness: Harness, code: str) -> Verdict:
    return asyncio.run(harness.evaluate(Candidate(code)))


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.iterdir()}


@pytest.mark.parametrize("case", CASES)
def test_hostile_candidate_is_unsafe(fib_project: tuple[Path, Harness], case: str) -> None:
    folder, harness = fib_project
    slow = str(folder / "slow.py")
    code, expected = CASES[case]
    before = snapshot(folder)
    verdict = judge(harness, code.format(slow=slow, project=str(folder)))
    assert verdict.verdict == "unsafe", verdict
    assert expected.format(slow=slow, project=str(folder)) in verdict.detail
    assert snapshot(folder) == before


def test_the_same_candidate_without_the_attempt_is_faster(
        fib_project: tuple[Path, Harness]) -> None:
    # The control: what the hostile ones would have been without the guard's record.
    assert judge(fib_project[1], f"def fib(n):\n{FAST}").verdict == "faster"


@pytest.mark.parametrize("code", [
    "import functools\n\n\n@functools.cache\ndef _go(k):\n    return k if k < 2 else "
    "_go(k - 1) + _go(k - 2)\n\n\ndef fib(n):\n    return _go(n)\n",
    f"def fib(n):\n    import bisect\n    assert bisect.bisect([1, 2], 1) == 1\n{FAST}",
    f"import collections\n\nLIMIT: int = 10\n\n\ndef fib(n):\n"
    f"    collections.deque()\n{FAST}",
])
def test_honest_candidates_are_not_unsafe(fib_project: tuple[Path, Harness], code: str) -> None:
    assert judge(fib_project[1], code).verdict == "faster"


READER = '''import os

DATA = os.path.join(os.path.dirname(os.path.abspath(__file__)), "data.txt")


def total(n):
    scale = int(os.environ.get("LESSON_SCALE", "3"))
    with open(DATA) as handle:
        k = int(handle.read())
    s = 0
    for i in range(n):
        s += i * k * scale
    return s


def inputs():
    return [(20000,), (40000,)]
'''

SAME_READS = '''import os


def total(n):
    scale = int(os.environ.get("LESSON_SCALE", "3"))
    with open(DATA) as handle:
        k = int(handle.read())
    m = max(n, 0)
    return k * scale * (m * (m - 1) // 2)
'''


def test_reads_the_original_does_too_are_judged_normally(tmp_path: Path) -> None:
    (tmp_path / "reader.py").write_text(READER, encoding="utf-8")
    (tmp_path / "data.txt").write_text("7", encoding="utf-8")
    harness = harness_for(tmp_path / "reader.py", "total", "inputs")
    assert judge(harness, SAME_READS).verdict in ("faster", "not-faster")
    # One read more than the original (another variable) is unsafe again.
    more = SAME_READS.replace('    scale = ', '    os.environ.get("USER")\n    scale = ')
    verdict = judge(harness, more)
    assert verdict.verdict == "unsafe" and "variable USER" in verdict.detail


def test_the_cli_reports_unsafe(project: Path) -> None:
    slow = project / "slow.py"
    before = slow.read_bytes()
    result = verify(project, CASES["delete the user's file"][0].format(
        slow=str(slow), project=str(project)))
    assert result["verdict"] == "unsafe"
    assert result["detail"] == f"it tried to delete {slow}; the original does not"
    assert slow.read_bytes() == before


# --------------------------------------------------------------------------- admission, no runs


@pytest.mark.parametrize(("code", "line"), [
    ("import os\n\nos.remove('x')\n\n\ndef f():\n    pass\n", 3),
    ("def f(x=print(1)):\n    pass\n", 1),
    ("@register(lambda: 0)\ndef f():\n    pass\n", 1),
    ("class A:\n    print(1)\n", 2),
    ("import os\nos.environ['X'] = '1'\n", 2),
    ("x = [i for i in range(3)]\n", 1),
    ("def f(x: print(1)):\n    pass\n", 1),
    ("for i in range(3):\n    pass\n", 1),
    ("try:\n    import numba\nfinally:\n    pass\n", 1),
])
def test_admission_refuses_top_level_code(code: str, line: int) -> None:
    why = admission.refusal(code)
    assert why is not None and why.startswith(f"line {line} ")


@pytest.mark.parametrize("code", [
    "import functools\n\n\n@functools.lru_cache(maxsize=None)\ndef f(n, *, k=3, g=len):\n"
    "    return n\n",
    "import re\n\n_WORD = re.compile(r'\\w+', re.I | re.M)\nN: int = -1\nS = frozenset({1, 2})\n",
    "class A(Base, metaclass=Meta):\n    '''doc'''\n    x: int\n    y = (1, 2)\n\n"
    "    @property\n    def g(self, a: list[int] | None = None) -> 'A':\n        ...\n",
    "try:\n    import numba\nexcept ImportError:\n    numba = None\n",
    "def f(n):\n    return n\n",
])
def test_admission_allows_imports_definitions_and_literals(code: str) -> None:
    assert admission.refusal(code) is None


def test_admission_checks_the_import_lines_too() -> None:
    assert admission.refusal("def f():\n    pass\n", ["import os; os.system('ls')"])
    assert admission.refusal("def f():\n    pass\n", ["import os", "from re import sub"]) is None


def test_admission_allows_what_the_original_evaluates_on_import() -> None:
    original = ('@app.route("/x", methods=METHODS)\n'
                'def f(xs: make_type(), key=make_key()) -> make_type():\n    return xs\n')
    same = original.replace("return xs", "return list(xs)")
    assert admission.refusal(same, (), original) is None
    # Without the original, or with a decorator or default of its own, it is refused.
    assert admission.refusal(same) is not None
    assert admission.refusal("@register(REGISTRY)\n" + same, (), original) is not None
    assert admission.refusal(same.replace("make_key()", "make_key(1)"), (), original)


@pytest.mark.slow
def test_no_rewrite_rule_output_is_refused() -> None:
    # Every rule on every function of the bundled examples and benchmark tasks.
    sources = [EXAMPLES / "slow.py", *sorted((ROOT / "benchmarks" / "tasks").glob("*.py"))]
    outputs = 0
    for path in sources:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in tree.body:
            if not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)):
                continue
            text = ast.get_source_segment(path.read_text(encoding="utf-8"), node) or ""
            for rule in RULES:
                out = rule.apply(text, RewriteContext(node.name))
                if out is not None:
                    outputs += 1
                    assert admission.refusal(out.source, out.imports) is None, (rule.name, path)
    assert outputs >= 20
