"""How untrusted code runs: a fresh subprocess in its own temp dir and process group, with rlimits,
a scrubbed environment, output caps, a timeout, and results on a private pipe.

OS isolation, strongest available, detected once per process:
- "bwrap": bubblewrap, unprivileged namespaces: no network, the whole filesystem read-only except
  the run's temp dir, its own PID namespace (everything dies with it);
- "unshare": util-linux `unshare` with a user namespace: no network only;
- "none": no OS isolation.
The worker adds an audit-hook guard (writes outside its temp dir, processes, sockets) in every
case. `LESSON_LSP_ISOLATION=none|unshare|bwrap` forces a level (for debugging and tests).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import lesson_lsp

OUTPUT_CAP = 64 * 1024
RESULT_CAP = 256 * 1024 * 1024
_KEEP_ENV = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "SYSTEMROOT", "OPENBLAS_CORETYPE",
             "OPENBLAS_L2_SIZE")
GUARDS = "rlimits + audit-hook guard"


@dataclass(frozen=True)
class Isolation:
    level: str  # "bwrap", "unshare" or "none"

    def describe(self) -> str:
        return {
            "bwrap": f"bubblewrap (no network, read-only filesystem) + {GUARDS}",
            "unshare": f"unshare (no network) + {GUARDS}",
        }.get(self.level, f"subprocess + {GUARDS} (no OS sandbox found: install bubblewrap)")

    def wrap(self, argv: list[str], workdir: str) -> list[str]:
        if self.level == "bwrap":
            return ["bwrap", "--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc",
                    "--bind", workdir, workdir, "--unshare-net", "--unshare-pid",
                    "--unshare-ipc", "--die-with-parent", "--new-session", "--chdir", workdir,
                    "--", *argv]
        if self.level == "unshare":
            return ["unshare", "--user", "--map-root-user", "--net", "--", *argv]
        return argv


def _works(argv: list[str]) -> bool:
    try:
        return subprocess.run(argv, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL, timeout=10).returncode == 0
    except (OSError, subprocess.SubprocessError):
        return False


@functools.cache
def isolation() -> Isolation:
    """The strongest isolation this machine allows, found by trying it once."""
    forced = os.environ.get("LESSON_LSP_ISOLATION", "")
    if forced in ("none", "unshare", "bwrap"):
        return Isolation(forced)
    if not sys.platform.startswith("linux"):
        return Isolation("none")
    probe = tempfile.mkdtemp(prefix="lesson-lsp-probe-")
    try:
        for level in ("bwrap", "unshare"):
            tool = shutil.which(level)
            if tool and _works(Isolation(level).wrap([sys.executable, "-c", "pass"], probe)):
                return Isolation(level)
    finally:
        shutil.rmtree(probe, ignore_errors=True)
    return Isolation("none")


@dataclass
class SandboxResult:
    """What came back from one sandboxed run."""

    status: str  # "ok" (the worker answered), "timeout", "crashed"
    payload: dict[str, Any] | None
    returncode: int | None
    stdout: str
    stderr: str
    wall_s: float
    workdir: str = ""

    @property
    def detail(self) -> str:
        if self.status == "timeout":
            return "timed out"
        if self.payload is None:
            tail = self.stderr.strip().splitlines()[-1:] or [""]
            code = self.returncode
            why = f"killed by signal {-code}" if code is not None and code < 0 else f"exit {code}"
            return f"the process died without an answer ({why}) {tail[0]}".strip()
        return str(self.payload.get("detail", ""))


def _worker_path(workdir: str) -> str:
    """A folder holding only lesson_lsp (a link to this copy), for PYTHONPATH: the project's
    interpreter must find the worker but none of lesson-lsp's own dependencies, which could
    shadow the project's."""
    folder = os.path.join(workdir, ".lesson-lsp-lib")
    os.mkdir(folder)
    os.symlink(str(Path(lesson_lsp.__file__).resolve().parent), os.path.join(folder, "lesson_lsp"))
    return folder


def scrubbed_env(workdir: str) -> dict[str, str]:
    """Only what Python needs: no API keys, tokens or user configuration reach the candidate."""
    env = {key: os.environ[key] for key in _KEEP_ENV if key in os.environ}
    env.update(
        HOME=workdir,
        TMPDIR=workdir,
        PYTHONPATH=_worker_path(workdir),
        PYTHONHASHSEED="0",
        PYTHONDONTWRITEBYTECODE="1",
        PYTHONIOENCODING="utf-8",
        PYTHONNOUSERSITE="1",
        OMP_NUM_THREADS="1",
        OPENBLAS_NUM_THREADS="1",
        MKL_NUM_THREADS="1",
    )
    return env


def _load_prctl() -> Any:
    """libc's prctl, looked up once in the parent (the forked child must only call it)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):
        return None


_PRCTL = _load_prctl()
_PR_SET_PDEATHSIG = 1


def _limits(cpu_s: int, memory_mb: int) -> Any:
    parent = os.getpid()

    def apply() -> None:
        import resource

        # If the server dies (crash, kill -9), the kernel kills the run too, instead of leaving
        # untrusted code running with nobody to stop it.
        if _PRCTL is not None:
            _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
            if os.getppid() != parent:  # the parent died before prctl took effect
                os._exit(1)

        def cap(which: int, value: int) -> None:
            with contextlib.suppress(ValueError, OSError):
                _, hard = resource.getrlimit(which)
                if hard != resource.RLIM_INFINITY:
                    value = min(value, hard)
                resource.setrlimit(which, (value, value))

        cap(resource.RLIMIT_CPU, cpu_s)
        cap(resource.RLIMIT_AS, memory_mb * 1024 * 1024)
        cap(resource.RLIMIT_FSIZE, 64 * 1024 * 1024)
        cap(resource.RLIMIT_NOFILE, 256)
        cap(resource.RLIMIT_CORE, 0)
        if hasattr(resource, "RLIMIT_NPROC"):
            cap(resource.RLIMIT_NPROC, 64)

    return apply


async def _drain(stream: asyncio.StreamReader | None, cap: int) -> bytes:
    """Read a stream to its end, keeping only the first `cap` bytes so a flood cannot hurt us."""
    if stream is None:
        return b""
    kept = bytearray()
    while True:
        chunk = await stream.read(65536)
        if not chunk:
            return bytes(kept)
        if len(kept) < cap:
            kept.extend(chunk[: cap - len(kept)])


def _kill_group(pid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, signal.SIGKILL)


async def _lines(reader: asyncio.StreamReader, on_line: Callable[[str], None]) -> None:
    """Hand each line the worker reports (progress) to `on_line`, as it comes."""
    while True:
        line = await reader.readline()
        if not line:
            return
        with contextlib.suppress(Exception):
            on_line(line.decode("utf-8", "replace").rstrip("\n"))


async def run(job: dict[str, Any], *, timeout_s: float, memory_mb: int, python: str = "",
              on_line: Callable[[str], None] | None = None) -> SandboxResult:
    """Run one worker job with `python` (the project's interpreter; default lesson-lsp's own);
    never raises for anything the code under test does. `on_line` gets the progress lines the
    worker writes to its report pipe (`job["report_fd"]`)."""
    workdir = tempfile.mkdtemp(prefix="lesson-lsp-")
    report_read, report_write = os.pipe() if on_line is not None else (-1, -1)
    job = {**job, "workdir": workdir, "report_fd": report_write}
    job_path = os.path.join(workdir, "job.json")
    with open(job_path, "w", encoding="utf-8") as handle:
        json.dump(job, handle)
    read_fd, write_fd = os.pipe()
    # The lifeline: the worker holds its read end and exits when it sees EOF, that is when we
    # close our end (every way out of this function) or die. It reaches the worker even where a
    # signal cannot: a bubblewrap killed while still setting up its sandbox can leave the
    # sandboxed process running in its own session and PID namespace.
    life_read, life_write = os.pipe()
    loop = asyncio.get_running_loop()
    started = time.perf_counter()
    proc: asyncio.subprocess.Process | None = None
    try:
        argv = [python or sys.executable, "-m", "lesson_lsp.harness.worker", job_path,
                str(write_fd), str(life_read)]
        spawn = asyncio.ensure_future(asyncio.create_subprocess_exec(
            *isolation().wrap(argv, workdir),
            cwd=workdir,
            env=scrubbed_env(workdir),
            stdin=asyncio.subprocess.DEVNULL,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            pass_fds=tuple(fd for fd in (write_fd, life_read, report_write) if fd >= 0),
            start_new_session=True,
            preexec_fn=_limits(int(timeout_s) + 2, memory_mb),
        ))
        try:
            proc = await asyncio.shield(spawn)
        except asyncio.CancelledError:
            # Cancelled while the process starts: CPython 3.11's own clean-up for this case can
            # wait forever for the child's exit (seen here: 1 cancel in ~50 at 0.5 ms after the
            # start). Let the start finish instead — milliseconds — and kill it in `finally`.
            while not spawn.done():
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await asyncio.shield(spawn)
            if not spawn.cancelled() and spawn.exception() is None:
                proc = spawn.result()
            raise
        os.close(write_fd)
        write_fd = -1
        os.close(life_read)
        life_read = -1
        watcher: asyncio.ReadTransport | None = None
        if on_line is not None:
            os.close(report_write)
            report_write = -1
            lines = asyncio.StreamReader()
            watcher, _ = await loop.connect_read_pipe(
                lambda: asyncio.StreamReaderProtocol(lines),
                os.fdopen(report_read, "rb", buffering=0))
            report_read = -1
            progress = asyncio.ensure_future(_lines(lines, on_line))
        reader = asyncio.StreamReader(limit=RESULT_CAP)
        transport, _ = await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), os.fdopen(read_fd, "rb", buffering=0)
        )
        read_fd = -1
        try:
            gathered = asyncio.gather(
                _drain(reader, RESULT_CAP),
                _drain(proc.stdout, OUTPUT_CAP),
                _drain(proc.stderr, OUTPUT_CAP),
                proc.wait(),
            )
            # On a cancel, gather ends with CancelledError set as its exception; read it so
            # that asyncio does not log it as "never retrieved".
            gathered.add_done_callback(lambda f: f.cancelled() or f.exception())
            try:
                raw, out, err, _ = await asyncio.wait_for(gathered, timeout_s)
            except asyncio.TimeoutError:
                _kill_group(proc.pid)
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(proc.wait(), 5)
                return SandboxResult("timeout", None, proc.returncode, "", "",
                                     time.perf_counter() - started, workdir)
        finally:
            transport.close()
            if watcher is not None:
                watcher.close()
                progress.cancel()
        wall = time.perf_counter() - started
        payload: dict[str, Any] | None = None
        if raw:
            try:
                decoded = json.loads(raw)
                payload = decoded if isinstance(decoded, dict) else None
            except ValueError:
                payload = None
        status = "ok" if payload is not None else "crashed"
        return SandboxResult(status, payload, proc.returncode, out.decode("utf-8", "replace"),
                             err.decode("utf-8", "replace"), wall, workdir)
    finally:
        os.close(life_write)
        if proc is not None:
            _kill_group(proc.pid)
            if proc.returncode is None:
                with contextlib.suppress(Exception):
                    proc.kill()
                    await asyncio.wait_for(proc.wait(), 2)
        for fd in (read_fd, write_fd, life_read, report_read, report_write):
            if fd >= 0:
                with contextlib.suppress(OSError):
                    os.close(fd)
        shutil.rmtree(workdir, ignore_errors=True)
