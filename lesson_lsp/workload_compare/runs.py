"""One run of one side: the agent started in the user's folder and environment, in a process
group of its own, its output captured to files; its wall time (from start to exit, as the user
waits for it) and its CPU time (the rusage of the process and the children it waited for).

A run ends when its process ends; whatever it left running in its group is then killed, so no
process of the comparison outlives it. The time limit, `cancel()` (from another thread: the
language server's cancel) and an interrupt of this process (Ctrl-C, SIGTERM turned into one by
the CLI) stop the group: SIGINT, then SIGKILL after GRACE_S.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from lesson_lsp.workload_compare.outputs import Output

AGENT = "lesson_lsp.workload_compare.agent"
GRACE_S = 1.0
HELD = {signal.SIGINT, signal.SIGTERM}  # while a run starts


class Cancelled(Exception):
    """The comparison was cancelled."""


@dataclass(frozen=True)
class Run:
    side: str  # "before" | "after"
    wall_s: float
    cpu_s: float
    output: Output
    timed_out: bool


def _signal_group(pgid: int, signum: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signum)


class Runner:
    """Starts the runs one after another; thread-safe `cancel()`."""

    def __init__(self, python: str, cwd: Path, env: dict[str, str], timeout_s: float) -> None:
        self.python, self.cwd, self.env, self.timeout_s = python, cwd, env, timeout_s
        self._lock = threading.Lock()
        self._running: int | None = None  # the process group of the run under way
        self._cancelled = threading.Event()
        self._expired = False

    @property
    def cancelled(self) -> bool:
        return self._cancelled.is_set()

    def cancel(self) -> None:
        """Stop the run under way (if any) and start no other."""
        self._cancelled.set()
        self._stop()

    def _stop(self) -> None:
        """SIGINT to the group under way, SIGKILL after GRACE_S unless it ended (never after it
        was reaped: its number may belong to another process by then)."""
        with self._lock:
            group = self._running
            if group is None:
                return
            _signal_group(group, signal.SIGINT)

        def kill() -> None:
            with self._lock:
                if self._running == group:
                    _signal_group(group, signal.SIGKILL)

        timer = threading.Timer(GRACE_S, kill)
        timer.daemon = True
        timer.start()

    def _expire(self) -> None:
        self._expired = True
        self._stop()

    def run(self, side: str, job_file: Path, folder: Path, tag: str) -> Run:
        if self.cancelled:
            raise Cancelled
        out_path, err_path = folder / f"{tag}.stdout", folder / f"{tag}.stderr"
        with open(out_path, "wb") as out, open(err_path, "wb") as err:
            self._expired = False
            started = time.perf_counter()
            # Until the run is in the hands of `_reap`, an interrupt would orphan it: it waits.
            previous = signal.pthread_sigmask(signal.SIG_BLOCK, HELD)
            try:
                process = subprocess.Popen(
                    [self.python, "-m", AGENT, str(job_file)], cwd=self.cwd, env=self.env,
                    stdin=subprocess.DEVNULL, stdout=out, stderr=err, start_new_session=True)
            except BaseException:
                signal.pthread_sigmask(signal.SIG_SETMASK, previous)
                raise
            with self._lock:
                self._running = process.pid
            status, usage = self._reap(process.pid, previous)
            wall = time.perf_counter() - started
        process.returncode = os.waitstatus_to_exitcode(status)
        if self.cancelled:
            raise Cancelled
        output = Output(out_path.read_bytes(), err_path.read_bytes(), process.returncode)
        return Run(side, wall, usage.ru_utime + usage.ru_stime, output, self._expired)

    def _reap(self, pid: int, mask: Iterable[int]
              ) -> tuple[int, os.struct_rusage]:  # type: ignore[name-defined]
        """Wait for the process to end (at most the time limit); kill what is left of its
        group while its number is still ours (a zombie's: waited for, not yet reaped), then
        reap it with its rusage. An interrupt of this process (a KeyboardInterrupt, here or as
        soon as the signals held while it started are let through, `mask` restored) stops the
        group first."""
        timer = threading.Timer(self.timeout_s, self._expire)
        timer.daemon = True
        try:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            if self.cancelled:
                self._stop()
            timer.start()
            _wait_exited(pid)
        except BaseException:
            self._stop()
            try:
                _wait_exited(pid)
            except BaseException:
                _signal_group(pid, signal.SIGKILL)
                _wait_exited(pid)
            raise
        finally:
            signal.pthread_sigmask(signal.SIG_SETMASK, mask)
            timer.cancel()
            with self._lock:
                _signal_group(pid, signal.SIGKILL)  # whatever the workload left in its group
                self._running = None
            _, status, usage = os.wait4(pid, 0)
        return status, usage


def _wait_exited(pid: int) -> None:
    """Block until the process exits, without reaping it."""
    os.waitid(os.P_PID, pid, os.WEXITED | os.WNOWAIT)
