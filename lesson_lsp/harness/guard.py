"""Inside the sandbox worker: deny what a run must never do, and record every guarded operation
the original or the candidate attempts, so the parent can refuse a candidate that does more than
the original (DESIGN.md, invariant 3) even when the attempt was denied here and the error
swallowed: at the user's place nothing denies it.

Standard library only. Three layers:
- an audit hook (PEP 578) for what CPython audits (files, processes, sockets, dlopen); its first
  step is one set lookup, because events such as `builtins.id` fire constantly;
- wrappers for what has no audit event (signal handlers, `atexit`, threads);
- recording mappings in place of `os.environ` / `os.environb`, installed before user code loads,
  so `from os import environ` and `os.getenv` see them too.

Only what happens while an actor is set (`acting`) is recorded: the worker's own work is not.
Paths inside the run's temp dir all read as "<tmp>", so random temp names compare equal.
"""

from __future__ import annotations

import atexit
import os
import signal
import sys
import threading
from collections.abc import Iterator, MutableMapping
from typing import Any

MAX_KEPT = 200  # attempts kept per actor
TMP = "<tmp>"
_PROCESS = {"os.system", "os.fork", "os.forkpty", "os.exec", "os.posix_spawn", "os.spawn",
            "subprocess.Popen", "os.startfile", "pty.spawn"}
_SOCKET = {"socket.connect", "socket.bind", "socket.sendto", "socket.sendmsg"}
_KILL = {"os.kill", "os.killpg", "signal.pthread_kill"}
_DENY = _PROCESS | _SOCKET | _KILL | {"ctypes.dlopen"}
# event -> (kind, index of the path argument)
_PATHS = {
    "os.remove": ("delete", 0), "os.unlink": ("delete", 0), "os.rmdir": ("delete", 0),
    "shutil.rmtree": ("delete", 0), "os.rename": ("rename", 0), "os.replace": ("rename", 0),
    "shutil.move": ("rename", 0), "os.chmod": ("chmod", 0), "os.chown": ("chmod", 0),
    "os.utime": ("chmod", 0), "os.truncate": ("write", 0), "os.mkdir": ("mkdir", 0),
    "os.link": ("link", 1), "os.symlink": ("link", 1), "shutil.copyfile": ("write", 1),
}
_LISTING = {"os.listdir", "os.scandir", "glob.glob"}
_CTYPES = {"ctypes.dlsym", "ctypes.call_function", "ctypes.string_at", "ctypes.cdata"}
_WATCHED = frozenset(_DENY | set(_PATHS) | _LISTING | _CTYPES | {"open", "socket.__new__"})
# What libraries do while being imported (read their files, the environment, register atexit
# handlers, load their .so) is not the actor's doing; writes, processes and sockets still are.
_IMPORT_EXEMPT = {"read", "list", "environ", "atexit", "thread", "signal", "dlopen", "ctypes"}
_WRITING = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND

_VERBS = {
    "write": "write {}", "delete": "delete {}", "read": "read {}", "list": "list {}",
    "rename": "rename {}", "chmod": "change the mode or owner of {}", "mkdir": "create {}",
    "link": "create a link {}", "process": "start a process ({})",
    "socket": "open a socket ({})", "signal": "install a signal handler or timer ({})",
    "atexit": "register an atexit handler ({})", "thread": "start a thread ({})",
    "dlopen": "load a native library ({})", "ctypes": "call into memory through ctypes ({})",
    "environ": "read the environment variable {}",
}

_actor: str | None = None  # one for the process: a thread the actor started acts for it
_seen: dict[str, set[tuple[str, str]]] = {}
_workdir = ""
_system_dirs: tuple[str, ...] = ()


def describe(kind: str, target: str) -> str:
    """'delete /home/u/x.py', for a verdict's detail and the lesson."""
    if kind == "environ" and target == "*":
        return "read the whole environment"
    return _VERBS.get(kind, kind + " {}").format(target)


class acting:  # lower case: it reads as `with guard.acting("candidate"):`
    """Attribute the guarded operations inside the block to `actor` (None: not recorded)."""

    __slots__ = ("actor", "previous")

    def __init__(self, actor: str | None) -> None:
        self.actor = actor
        self.previous: str | None = None

    def __enter__(self) -> None:
        global _actor
        self.previous, _actor = _actor, self.actor

    def __exit__(self, *exc: object) -> None:
        global _actor
        _actor = self.previous


def attempts() -> dict[str, list[list[str]]]:
    """What each actor attempted, as sorted unique [kind, target] pairs (JSON-ready)."""
    return {actor: [list(pair) for pair in sorted(found)] for actor, found in _seen.items()}


def _in_import() -> bool:
    frame = sys._getframe(1)
    while frame is not None:
        if frame.f_code.co_filename.startswith(("<frozen importlib", "<frozen zipimport")):
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


def note(kind: str, target: str) -> None:
    """Record one attempt for the current actor (a no-op when no actor is set)."""
    actor = _actor
    if actor is None:
        return
    found = _seen.setdefault(actor, set())
    pair = (kind, target)
    if pair in found or len(found) >= MAX_KEPT:
        return
    if kind in _IMPORT_EXEMPT and _in_import():
        return
    found.add(pair)


def _place(path: Any) -> str:
    """A path as recorded: absolute and resolved, or "<tmp>" inside the run's temp dir."""
    if isinstance(path, int):
        return f"<fd {path}>"
    try:
        full = os.path.realpath(os.fsdecode(path))
    except (TypeError, ValueError):
        return repr(path)
    if full == _workdir or full.startswith(_workdir + os.sep):
        return TMP
    return full


def _inside(place: str) -> bool:
    return place == TMP or place.startswith("<fd ") or place == os.devnull


def _opening(args: tuple[Any, ...]) -> tuple[str, str]:
    path, mode, flags = args[0], args[1], args[2]
    writing = (mode and any(c in str(mode) for c in "wax+")) or (
        isinstance(flags, int) and flags & _WRITING)
    return ("write" if writing else "read"), _place(path)


def _hook(event: str, args: tuple[Any, ...]) -> None:
    if event not in _WATCHED:
        return
    try:
        denied = _judge(event, args)
    except Exception:  # odd arguments: deny what could change something, never break a read
        denied = event if event in _DENY or event in _PATHS else ""
    if denied:
        raise PermissionError(f"lesson-lsp sandbox: {denied} is not allowed")


def _judge(event: str, args: tuple[Any, ...]) -> str:
    """Record the event for the actor; the reason to deny it, or ""."""
    recording = _actor is not None
    if event == "open":
        if args[0] is None:
            return ""
        kind, place = _opening(args)
        if kind == "write":
            _record(recording, kind, place)
            return "" if _inside(place) else f"writing {place}"
        if recording and not _inside(place) and not place.startswith(_system_dirs):
            _record(True, kind, place)
        return ""
    if event in _PATHS:
        kind, index = _PATHS[event]
        place = _place(args[index]) if index < len(args) else "?"
        _record(recording, kind, place)
        # A rename changes both of its paths; a link or a copy only its destination.
        changed = [_place(a) for a in args[:2]] if kind == "rename" else [place]
        outside = next((p for p in changed if not _inside(p)), "")
        return f"{event} {outside}" if outside else ""
    if not recording:
        return event if event in _DENY else ""
    if event in _PROCESS:
        _record(True, "process", _command(event, args))
    elif event == "socket.__new__":
        _record(True, "socket", _family(args[1] if len(args) > 1 else "?"))
    elif event in _SOCKET:
        _record(True, "socket", f"{event.split('.')[1]} {args[1] if len(args) > 1 else ''}")
    elif event in _KILL:
        _record(True, "signal", f"{event} {' '.join(map(str, args))}")
    elif event == "ctypes.dlopen":
        _record(True, "dlopen", str(args[0]) if args else "?")
    elif event in _CTYPES:
        _record(True, "ctypes", event)
    elif event in _LISTING:
        place = _place(args[0]) if args and args[0] is not None else _place(".")
        if not _inside(place) and not place.startswith(_system_dirs):
            _record(True, "list", place)
    return event if event in _DENY else ""


def _record(recording: bool, kind: str, target: str) -> None:
    if recording:
        note(kind, target)


def _command(event: str, args: tuple[Any, ...]) -> str:
    """argv0 of a process start, or the event itself (fork)."""
    first: Any = None
    if event == "subprocess.Popen" and len(args) > 1:
        first = args[0] or (args[1] if isinstance(args[1], (str, bytes)) else
                            (list(args[1]) or [None])[0])
    elif event in ("os.exec", "os.posix_spawn", "pty.spawn") and args:
        first = args[0]
    elif event == "os.spawn" and len(args) > 1:
        first = args[1]
    elif event == "os.system" and args:
        first = os.fsdecode(args[0]).split(" ")[0] if args[0] else ""
    if first is None:
        return event
    name = os.path.basename(os.fsdecode(first).split(" ")[0]) if isinstance(
        first, (str, bytes, os.PathLike)) else str(first)
    return f"{event} {name}"


def _family(family: Any) -> str:
    socket = sys.modules.get("socket")
    try:
        return socket.AddressFamily(family).name if socket is not None else str(family)
    except (ValueError, TypeError):
        return str(family)


# --------------------------------------------------------------------------- without an event


class _Environ(MutableMapping):  # type: ignore[type-arg]
    """os.environ that records which variables the actor reads (or sets)."""

    def __init__(self, real: Any) -> None:
        self._real = real

    def _key(self, key: Any) -> None:
        note("environ", os.fsdecode(key) if isinstance(key, (str, bytes)) else repr(key))

    def __getitem__(self, key: Any) -> Any:
        self._key(key)
        return self._real[key]

    def __setitem__(self, key: Any, value: Any) -> None:
        self._key(key)
        self._real[key] = value

    def __delitem__(self, key: Any) -> None:
        self._key(key)
        del self._real[key]

    def __contains__(self, key: object) -> bool:
        self._key(key)
        return key in self._real

    def __iter__(self) -> Iterator[Any]:
        note("environ", "*")
        return iter(self._real)

    def __len__(self) -> int:
        note("environ", "*")
        return len(self._real)

    def copy(self) -> dict[Any, Any]:
        note("environ", "*")
        return dict(self._real)

    def __or__(self, other: Any) -> dict[Any, Any]:
        return {**self.copy(), **other}

    def __ror__(self, other: Any) -> dict[Any, Any]:
        return {**other, **self.copy()}

    def __ior__(self, other: Any) -> _Environ:
        self.update(other)
        return self

    def __repr__(self) -> str:
        note("environ", "*")
        return repr(self._real)


def _wrap_without_events() -> None:
    """Signal handlers, timers, atexit and threads have no audit event: wrap the functions."""

    def recorded(function: Any, kind: str, name: Any) -> Any:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if _actor is not None:
                note(kind, name(args))
            return function(*args, **kwargs)

        wrapper.__name__ = function.__name__
        wrapper.__doc__ = function.__doc__
        return wrapper

    def signame(args: tuple[Any, ...]) -> str:
        try:
            return signal.Signals(args[0]).name
        except (ValueError, TypeError, IndexError):
            return str(args[0]) if args else "?"

    for name in ("signal", "setitimer", "alarm", "siginterrupt", "set_wakeup_fd"):
        if hasattr(signal, name):
            setattr(signal, name, recorded(
                getattr(signal, name), "signal",
                (lambda a, n=name: f"{n} {signame(a)}") if name in ("signal", "siginterrupt")
                else (lambda a, n=name: n)))

    register = atexit.register

    def atexit_register(func: Any, *args: Any, **kwargs: Any) -> Any:
        """Recorded and not registered while an actor runs; the worker's own go through."""
        if _actor is None or _in_import():  # the worker's own, or a library being imported
            return register(func, *args, **kwargs)
        note("atexit", _qualname(func))
        return func

    atexit.register = atexit_register  # type: ignore[assignment]

    start = threading.Thread.start

    def thread_start(self: threading.Thread) -> None:
        if _actor is not None:
            note("thread", _qualname(getattr(self, "_target", None) or type(self)))
        start(self)

    threading.Thread.start = thread_start  # type: ignore[method-assign]
    import _thread

    _thread.start_new_thread = recorded(  # type: ignore[assignment]
        _thread.start_new_thread, "thread", lambda a: _qualname(a[0]) if a else "?")


def _qualname(func: Any) -> str:
    return str(getattr(func, "__qualname__", None) or getattr(func, "__name__", None)
               or type(func).__name__)


def install(workdir: str) -> None:
    """Deny writes outside `workdir`, new processes, network sockets and library loading, and
    start recording. Call once, before any user code is loaded.

    ctypes is imported first because importing it opens libraries (numpy needs it); loading
    any further library through it is refused.
    """
    global _workdir, _system_dirs
    try:
        import ctypes  # noqa: F401
    except ImportError:
        pass
    _workdir = os.path.realpath(workdir)
    # Reading the Python installation (stdlib, site-packages) tells nothing about the user.
    # Reading Python's own files, and lesson-lsp's (a traceback the deep check formats while
    # the candidate acts reads them), is nobody's doing.
    own = os.path.dirname(os.path.dirname(os.path.realpath(__file__)))
    _system_dirs = tuple(sorted({os.path.realpath(p) + os.sep for p in (
        sys.prefix, sys.base_prefix, sys.exec_prefix, sys.base_exec_prefix, own)}))
    # Replaced, not cleared: the real mapping (and putenv) stays underneath.
    os.environ = _Environ(os.environ)  # type: ignore[assignment]  # noqa: B003
    if hasattr(os, "environb"):
        os.environb = _Environ(os.environb)  # type: ignore[assignment]
    _wrap_without_events()
    sys.addaudithook(_hook)
