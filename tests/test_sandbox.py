"""The OS layer of the sandbox, without the worker's audit hook: what each level really stops."""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest

from lesson_lsp.harness import sandbox
from lesson_lsp.harness.sandbox import Isolation

ESCAPE = """
import socket, sys
try:
    socket.create_connection(("127.0.0.1", int(sys.argv[2])), timeout=2).close()
    print("network: open")
except OSError:
    print("network: closed")
try:
    open(sys.argv[1], "a").write("tampered")
    print("files: writable")
except OSError:
    print("files: read-only")
"""


def run_escape(level: str, tmp_path: Path) -> str:
    victim = tmp_path / "victim.txt"
    victim.write_text("safe")
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    workdir = tempfile.mkdtemp()
    try:
        argv = Isolation(level).wrap(
            [sys.executable, "-c", ESCAPE, str(victim), str(listener.getsockname()[1])], workdir)
        done = subprocess.run(argv, capture_output=True, text=True, timeout=30)
        return done.stdout + done.stderr
    finally:
        listener.close()
        shutil.rmtree(workdir, ignore_errors=True)


def test_detects_the_strongest_level_available() -> None:
    level = sandbox.isolation().level
    if shutil.which("bwrap"):
        assert level == "bwrap"
    assert level in ("bwrap", "unshare", "none")
    assert sandbox.isolation().describe()


def test_no_isolation_lets_everything_through(tmp_path: Path) -> None:
    # The control: the escape script really does escape when nothing stops it.
    out = run_escape("none", tmp_path)
    assert "network: open" in out and "files: writable" in out


@pytest.mark.skipif(not shutil.which("bwrap"), reason="bubblewrap is not installed")
def test_bwrap_closes_network_and_filesystem(tmp_path: Path) -> None:
    out = run_escape("bwrap", tmp_path)
    assert "network: closed" in out and "files: read-only" in out
    assert (tmp_path / "victim.txt").read_text() == "safe"


def test_unshare_closes_network_where_user_namespaces_exist(tmp_path: Path) -> None:
    probe = subprocess.run(["unshare", "--user", "--map-root-user", "--net", "true"],
                           capture_output=True)
    if probe.returncode != 0:
        pytest.skip("no unprivileged user namespaces here")
    assert "network: closed" in run_escape("unshare", tmp_path)


def test_a_timeout_kills_every_process_of_the_run() -> None:
    # A worker that never answers: after the timeout nothing of the run is left, not even
    # its temp dir.
    job = {"mode": "check", "module_path": "/nonexistent.py", "module_name": "x",
           "module_source": "import time\ntime.sleep(300)\n", "qualname": "f", "inputs": {}}
    result = asyncio.run(sandbox.run(job, timeout_s=1.5, memory_mb=512))
    assert result.status == "timeout"
    assert result.workdir and not Path(result.workdir).exists()
    leftover = subprocess.run(["pgrep", "-f", result.workdir], capture_output=True)
    assert leftover.stdout.strip() == b""


@pytest.fixture
def runs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    """A temp root for this test's sandbox runs, so that counting workers counts only its own
    (other runs on the machine, such as another test session, are not ours to see)."""
    root = tmp_path / "runs"
    root.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(root))
    return str(root)


def _workers(root: str) -> int:
    done = subprocess.run(["pgrep", "-f", root], capture_output=True)
    return len(done.stdout.split())


@pytest.mark.parametrize("delay", [0.0, 0.0005, 0.001, 0.002, 0.004, 0.008, 0.016, 0.05])
def test_a_cancel_at_any_moment_ends_the_run_and_leaves_no_process(delay: float,
                                                                   runs: str) -> None:
    # Cancelled while the process is being spawned, or just after: the run ends at once and
    # whatever was started is killed. (CPython's own clean-up for a cancel during the spawn
    # could wait forever, about one time in fifty: hence the repetitions.)
    job = {"mode": "check", "module_path": "/nonexistent.py", "module_name": "x",
           "module_source": "import time\ntime.sleep(300)\n", "qualname": "f", "inputs": {}}

    async def cancel_after() -> None:
        task = asyncio.ensure_future(sandbox.run(job, timeout_s=60, memory_mb=512))
        await asyncio.sleep(delay)
        task.cancel()
        done, _ = await asyncio.wait({task}, timeout=5)
        assert done, f"a run cancelled {delay * 1000:.1f} ms after its start did not end"
        assert task.cancelled()

    for _ in range(6):
        asyncio.run(cancel_after())
        deadline = time.monotonic() + 1.0
        while _workers(runs) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert _workers(runs) == 0, f"a worker outlived a cancel {delay * 1000:.1f} ms in"


ORPHAN = """
import asyncio, sys
from lesson_lsp.harness import sandbox
job = {"mode": "check", "module_path": "/nonexistent.py", "module_name": "x",
       "module_source": "import time\\ntime.sleep(300)\\n", "qualname": "f", "inputs": {}}
async def main():
    task = asyncio.ensure_future(sandbox.run(job, timeout_s=120, memory_mb=512))
    await asyncio.sleep(1.0)
    print("running", flush=True)
    await task
asyncio.run(main())
"""


def test_a_run_dies_with_the_process_that_started_it(runs: str) -> None:
    # kill -9 of the server (or CLI) must not leave untrusted code running on its own.
    parent = subprocess.Popen([sys.executable, "-c", ORPHAN], stdout=subprocess.PIPE, text=True,
                              env={**os.environ, "TMPDIR": runs})
    try:
        assert parent.stdout is not None and parent.stdout.readline().strip() == "running"
        assert _workers(runs) > 0
        parent.kill()
        parent.wait(10)
        deadline = time.monotonic() + 1.0
        while _workers(runs) and time.monotonic() < deadline:
            time.sleep(0.01)
        assert _workers(runs) == 0, "the run outlived the process that started it"
    finally:
        parent.kill()


def test_a_worker_exits_when_its_lifeline_closes(tmp_path: Path) -> None:
    # The lifeline reaches the worker even where no signal does (a process in its own session
    # and PID namespace, orphaned): closing the server's end makes it exit by itself.
    job = {"mode": "check", "module_path": "/nonexistent.py", "module_name": "x",
           "module_source": "import time\ntime.sleep(300)\n", "qualname": "f", "inputs": {},
           "workdir": str(tmp_path)}
    (tmp_path / "job.json").write_text(json.dumps(job))
    result_read, result_write = os.pipe()
    life_read, life_write = os.pipe()
    worker = subprocess.Popen(
        [sys.executable, "-m", "lesson_lsp.harness.worker", str(tmp_path / "job.json"),
         str(result_write), str(life_read)], pass_fds=(result_write, life_read),
        start_new_session=True, cwd=tmp_path)
    try:
        os.close(result_write)
        os.close(life_read)
        time.sleep(1.0)
        assert worker.poll() is None  # it is busy with the job
        closed = time.monotonic()
        os.close(life_write)
        worker.wait(5)
        assert time.monotonic() - closed < 1.0
        assert worker.returncode != 0  # it left without an answer
        assert os.read(result_read, 10) == b""
    finally:
        worker.kill()
        os.close(result_read)
