"""`coherence serve`: a long-lived process that keeps the corpus in memory (resident.py) and runs the
`coherence lint` commands started in its working directory, so that a pre-commit run or an editor's
check does only what changed since the last one.

The client side (`ask`) is what the `coherence` command tries first for `lint`; it imports only the
standard library. It finds the server by a socket whose name is a hash of everything a run reads
beyond its arguments (the tool's code, the working directory, the environment variables the tool
reads), in a directory only its user may use, so a server started by another build, elsewhere or by
another user is never asked. The server runs the very command line a local run would, with the
client's terminal flags, and sends back its exit code and the bytes it wrote. When no server answers,
or it dies before its answer is whole, the command runs locally: a server only ever makes a run
faster, never different."""

from __future__ import annotations

import base64
import contextlib
import gc
import hashlib
import io
import json
import os
import shlex
import signal
import socket
import stat
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from . import __version__
from .settings import code_digest, default_cache_directory

# What a run reads beyond its command line and working directory: a client with another value talks
# to another server (HOME and the XDG variable place the index; TZ makes `today`; the locale sets the
# encoding of the output).
ENVIRONMENT = ("COHERENCE_CACHE_DIR", "XDG_CACHE_HOME", "HOME", "TZ", "LANG", "LC_ALL", "LC_CTYPE", "PYTHONIOENCODING")
MAX_SOCKET_PATH = 100  # bytes: AF_UNIX allows 108 on Linux, 104 on macOS
READ_TIMEOUT = 10.0  # seconds a connected client has to send its request
FULL_COLLECTION = 64  # runs between two full garbage collections


def socket_path(cwd: str) -> Path:
    digest = hashlib.sha256(f"{__version__}\0{os.path.realpath(cwd)}\0".encode() + code_digest())
    for name in ENVIRONMENT:
        digest.update(f"\0{name}={os.environ.get(name, '')}".encode())
    return default_cache_directory() / "serve" / f"{digest.hexdigest()[:32]}.sock"


def _private(directory: Path) -> bool:
    """The directory is this user's and no one else's: no other user can have put a socket there."""
    try:
        info = directory.stat()
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o077


def _send(connection: socket.socket, message: dict[str, Any]) -> None:
    connection.sendall(json.dumps(message).encode() + b"\n")


def _receive(connection: socket.socket) -> dict[str, Any] | None:
    """One message, or None when the other side closed before sending it whole."""
    chunks = []
    while True:
        chunk = connection.recv(1 << 16)
        if not chunk:
            return None
        chunks.append(chunk)
        if chunk.endswith(b"\n"):
            break
    try:
        message = json.loads(b"".join(chunks))
    except ValueError:
        return None
    return message if isinstance(message, dict) else None


# --- the client ----------------------------------------------------------------------------------


def servable(argv: list[str]) -> bool:
    """A `lint` command a server can run as this process would: not one reading stdin, asking for
    help (wrapped to this terminal) or refusing the index."""
    return argv[:1] == ["lint"] and not {"-", "--no-cache", "--help", "-h"} & set(argv[1:])


def ask(argv: list[str]) -> int | None:
    """Run `coherence ARGV` in the server for this working directory: its exit code, its output written
    here; None when no server answers whole (nothing has been written then)."""
    if not hasattr(socket, "AF_UNIX"):
        return None
    path = socket_path(os.getcwd())
    if len(os.fsencode(path)) > MAX_SOCKET_PATH or not _private(path.parent):
        return None
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.connect(os.fspath(path))
            _send(
                connection,
                {
                    "argv": argv,
                    "tty": [sys.stdout.isatty(), sys.stderr.isatty()],
                    "encoding": [sys.stdout.encoding, sys.stdout.errors, sys.stderr.encoding, sys.stderr.errors],
                },
            )
            answer = _receive(connection)
    except OSError:
        return None
    try:
        code, out, err = answer["exit"], base64.b64decode(answer["stdout"]), base64.b64decode(answer["stderr"])  # type: ignore[index]
    except (TypeError, KeyError, ValueError):
        return None
    if not isinstance(code, int):
        return None
    try:
        for stream, written in ((sys.stdout, out), (sys.stderr, err)):
            stream.buffer.write(written)
            stream.flush()
    except OSError as exc:  # a closed pipe (`coherence lint | head`): as a local run says it
        sys.stderr.write(f"coherence: error: {exc}\n")
        return 2
    return code


def main() -> None:
    """The `coherence` command: a `lint` run goes to a server when one answers, else runs here."""
    argv = sys.argv[1:]
    if servable(argv):
        code = ask(argv)
        if code is not None:
            sys.exit(code)
    from .cli import main as command_line

    command_line()


# --- the server ----------------------------------------------------------------------------------


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


def run_here(argv: list[str], tty: list[bool], encoding: list[str]) -> dict[str, Any]:
    """Run a command line in this process, as `coherence ARGV` would run in the client's."""
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
    return {
        "exit": code,
        "stdout": base64.b64encode(out.bytes()).decode(),
        "stderr": base64.b64encode(err.bytes()).decode(),
    }


def _valid_request(message: dict[str, Any] | None) -> bool:
    if message is None:
        return False
    argv, tty, encoding = message.get("argv"), message.get("tty"), message.get("encoding")
    return (
        isinstance(argv, list)
        and all(isinstance(a, str) for a in argv)
        and servable(argv)
        and isinstance(tty, list)
        and len(tty) == 2
        and all(isinstance(t, bool) for t in tty)
        and isinstance(encoding, list)
        and len(encoding) == 4
        and all(isinstance(e, str) for e in encoding)
    )


def serve(say: Callable[[str], None] = print) -> None:
    """Answer the `coherence lint` runs of this working directory until interrupted."""
    from . import resident
    from .errors import UsageError

    if not hasattr(socket, "AF_UNIX"):
        raise UsageError("coherence serve needs Unix domain sockets, which this system does not have")
    path = socket_path(os.getcwd())
    if len(os.fsencode(path)) > MAX_SOCKET_PATH:
        raise UsageError(f"the socket path {path} is too long: set COHERENCE_CACHE_DIR to a shorter directory")
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    if not _private(path.parent):
        raise UsageError(f"{path.parent} must belong to you alone (chmod 700) to hold the server's socket")
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
            probe.connect(os.fspath(path))
    except OSError:
        path.unlink(missing_ok=True)  # a socket left by a server that died
    else:
        raise UsageError(f"a server already answers for {os.getcwd()} ({path})")
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(os.fspath(path))
    listener.listen(16)
    resident.CURRENT = resident.Resident()
    signal.signal(signal.SIGTERM, _stop)
    say(f"coherence {__version__}: serving lint runs in {os.getcwd()} ({path}); Ctrl-C stops")
    answered = 0
    try:
        while True:
            connection, _ = listener.accept()
            with connection:
                connection.settimeout(READ_TIMEOUT)
                try:
                    request = _receive(connection)
                except OSError:
                    continue
                if not _valid_request(request):
                    continue  # the client sees no answer and runs the command itself
                assert request is not None
                connection.settimeout(None)
                started, command = time.perf_counter(), shlex.join(request["argv"])
                try:
                    answer = run_here(request["argv"], request["tty"], request["encoding"])
                except Exception as exc:  # a bug answering one run: that client runs it itself
                    say(f"coherence {command}: not answered: {type(exc).__name__}: {exc}")
                    continue
                say(f"coherence {command}: exit {answer['exit']}, {time.perf_counter() - started:.2f} s")
                with contextlib.suppress(OSError):  # the client went away: it runs nothing more
                    _send(connection, answer)
            # Between runs: what lives on (the corpus) is frozen, so that the collector stops walking
            # it (0.4 s a run at 10,000 records); a frozen cycle that dies is collected only by the
            # full collection every FULL_COLLECTION runs.
            answered += 1
            if answered % FULL_COLLECTION == 0:
                gc.unfreeze()
            gc.collect()
            gc.freeze()
    except (KeyboardInterrupt, _Stopped):
        say("coherence: server stopped")
    finally:
        listener.close()
        path.unlink(missing_ok=True)
        resident.CURRENT = None


class _Stopped(BaseException):
    """SIGTERM: not a SystemExit, which a run in progress would take for its own exit."""


def _stop(signum: int, frame: object) -> None:
    raise _Stopped
