"""`coherence serve`: a long-lived process that keeps the corpus in memory (resident.py) and runs the
`coherence lint` commands started in its working directory, so that a pre-commit run or an editor's
check does only what changed since the last one. Its clients (client.py) find it by its socket; it
runs the very command line a local run would, with the client's terminal flags, and sends back its
exit code and the bytes it wrote."""

from __future__ import annotations

import contextlib
import gc
import io
import os
import shlex
import signal
import socket
import sys
import time
from collections.abc import Callable
from pathlib import Path

from . import __version__
from .client import MAX_REQUEST, MAX_SOCKET_PATH, answer, frame, parse_request, private, receive, servable, socket_path

READ_TIMEOUT = 10.0  # seconds a connected client has to send its request
FULL_COLLECTION = 64  # runs between two full garbage collections


class _Captured(io.TextIOWrapper):
    """What a run writes to stdout or stderr, as the client's stream would encode it."""

    def __init__(self, tty: bool, encoding: str, errors: str) -> None:
        super().__init__(io.BytesIO(), encoding=encoding, errors=errors, write_through=True)
        self._tty = tty

    def isatty(self) -> bool:
        return self._tty

    def bytes(self) -> bytes:
        self.flush()
        buffer = self.buffer
        assert isinstance(buffer, io.BytesIO)
        return buffer.getvalue()


def run_here(argv: list[str], tty: tuple[bool, bool], encoding: tuple[str, str, str, str]) -> tuple[int, bytes, bytes]:
    """Run a command line in this process, as `coherence ARGV` would run in the client's: its exit
    code, what it wrote to stdout and to stderr."""
    from .cli import main as command_line

    out, err = _Captured(tty[0], encoding[0], encoding[1]), _Captured(tty[1], encoding[2], encoding[3])
    saved = sys.stdout, sys.stderr
    sys.stdout, sys.stderr = out, err
    try:
        command_line.main(args=argv, prog_name="coherence", standalone_mode=True)
        code = 0
    except SystemExit as exit:
        code = exit.code if isinstance(exit.code, int) else (0 if exit.code is None else 1)
        if isinstance(exit.code, str):
            print(exit.code, file=err)
    finally:
        sys.stdout, sys.stderr = saved
    return code, out.bytes(), err.bytes()


def _prime(say: Callable[[str], None]) -> None:
    """Run the stages of a plain `coherence lint` into memory before serving (api.prime); clients
    run locally meanwhile. A configuration error is left for the runs to report."""
    from .api import prime
    from .config import load_config
    from .errors import CoherenceError
    from .identity import cache_directory

    started, cwd = time.perf_counter(), Path.cwd()
    try:
        records = prime(load_config(None, cwd).settings(cwd, cache_dir=Path(cache_directory())))
    except CoherenceError as exc:
        say(f"coherence serve: not primed: {exc}")
        return
    say(f"coherence serve: {records} records in memory ({time.perf_counter() - started:.1f} s)")
    gc.collect()
    gc.freeze()


def serve(say: Callable[[str], None] = print) -> None:
    """Answer the `coherence lint` runs of this working directory until interrupted."""
    from . import resident
    from .errors import UsageError

    if not hasattr(socket, "AF_UNIX"):
        raise UsageError("coherence serve needs Unix domain sockets, which this system does not have")
    path = Path(socket_path(os.getcwd()))
    if len(os.fsencode(path)) > MAX_SOCKET_PATH:
        raise UsageError(f"the socket path {path} is too long: set COHERENCE_CACHE_DIR to a shorter directory")
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not private(str(path.parent)):
        raise UsageError(f"{path.parent} must belong to you alone (chmod 700) to hold the server's socket")
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            probe.connect(os.fspath(path))
    except OSError:
        path.unlink(missing_ok=True)  # a socket left by a server that died
    else:
        raise UsageError(f"a server already answers for {os.getcwd()} ({path})")
    resident.CURRENT = resident.Resident()
    signal.signal(signal.SIGTERM, _stop)
    listener = None
    try:
        _prime(say)
        listener = _listening(path)
        say(f"coherence {__version__}: serving lint runs in {os.getcwd()} ({path}); Ctrl-C stops")
        _answer(listener, say)
    except (KeyboardInterrupt, _Stopped):
        say("coherence: server stopped")
    finally:
        if listener is not None:
            listener.close()
            path.unlink(missing_ok=True)
        resident.CURRENT = None


def _listening(path: Path) -> socket.socket:
    from .errors import UsageError

    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        listener.bind(os.fspath(path))
    except OSError as exc:  # another server bound it while this one primed
        listener.close()
        raise UsageError(f"cannot serve at {path}: {exc.strerror}") from None
    listener.listen(16)
    return listener


def _answer(listener: socket.socket, say: Callable[[str], None]) -> None:
    from . import resident

    answered = 0
    while True:
        connection, _ = listener.accept()
        assert resident.CURRENT is not None
        resident.CURRENT.answering()
        try:
            with connection:
                _answer_one(connection, say)
        finally:
            try:  # the client has its answer: the index's commit is not its wait
                resident.CURRENT.answered()
            except Exception as exc:  # a bug ending a run: the next runs go on
                say(f"coherence: after answering: {type(exc).__name__}: {exc}")
        # Between runs: what lives on (the corpus) is frozen, so that the collector stops walking
        # it (0.4 s a run at 10,000 records); a frozen cycle that dies is collected only by the
        # full collection every FULL_COLLECTION runs.
        answered += 1
        if answered % FULL_COLLECTION == 0:
            gc.unfreeze()
        gc.collect()
        gc.freeze()


def _answer_one(connection: socket.socket, say: Callable[[str], None]) -> None:
    connection.settimeout(READ_TIMEOUT)
    try:
        body = receive(connection, MAX_REQUEST)
    except OSError:
        return
    request = parse_request(body) if body is not None else None
    if request is None or not servable(request[0]):
        return  # the client sees no answer and runs the command itself
    argv, tty, encoding = request
    connection.settimeout(None)
    started, command = time.perf_counter(), shlex.join(argv)
    try:
        code, out, err = run_here(argv, tty, encoding)
    except Exception as exc:  # a bug answering one run: that client runs it itself
        say(f"coherence {command}: not answered: {type(exc).__name__}: {exc}")
        return
    say(f"coherence {command}: exit {code}, {time.perf_counter() - started:.2f} s")
    with contextlib.suppress(OSError):  # the client went away: it runs nothing more
        connection.sendall(frame(answer(code, out, err)))


class _Stopped(BaseException):
    """SIGTERM: not a SystemExit, which a run in progress would take for its own exit."""


def _stop(signum: int, frame: object) -> None:
    raise _Stopped
