"""The `coherence` command's first step: a `lint` run goes to the `coherence serve` process of its
working directory when one answers (serve.py), else runs here (cli.py). A pre-commit hook starts
this process for every commit, so it imports only light parts of the standard library; the command
line and the pipeline are imported only when the run is local.

The server is found by a socket whose name is a hash of everything a run reads beyond its arguments
(the tool's code, the working directory, the environment variables the tool reads), in a directory
only its user may use, so a server started by another build, elsewhere or by another user is never
asked. When no server answers, or it dies before its answer is whole, the command runs locally: a
server only ever makes a run faster, never different."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import socket
import stat
import sys

from . import __version__
from .identity import cache_directory, code_digest

TYPE_CHECKING = False  # not typing's: this module imports only light parts of the standard library
if TYPE_CHECKING:
    from typing import Any

# What a run reads beyond its command line and working directory: a client with another value talks
# to another server (HOME and the XDG variable place the index; TZ makes `today`; the locale sets the
# encoding of the output).
ENVIRONMENT = ("COHERENCE_CACHE_DIR", "XDG_CACHE_HOME", "HOME", "TZ", "LANG", "LC_ALL", "LC_CTYPE", "PYTHONIOENCODING")
MAX_SOCKET_PATH = 100  # bytes: AF_UNIX allows 108 on Linux, 104 on macOS


def socket_path(cwd: str) -> str:
    digest = hashlib.sha256(f"{__version__}\0{os.path.realpath(cwd)}\0".encode() + code_digest())
    for name in ENVIRONMENT:
        digest.update(f"\0{name}={os.environ.get(name, '')}".encode())
    return os.path.join(cache_directory(), "serve", f"{digest.hexdigest()[:32]}.sock")


def private(directory: str) -> bool:
    """The directory is this user's and no one else's: no other user can have put a socket there."""
    try:
        info = os.stat(directory)
    except OSError:
        return False
    return stat.S_ISDIR(info.st_mode) and info.st_uid == os.getuid() and not info.st_mode & 0o077


def send(connection: socket.socket, message: dict[str, Any]) -> None:
    connection.sendall(json.dumps(message).encode() + b"\n")


def receive(connection: socket.socket) -> dict[str, Any] | None:
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
    if len(os.fsencode(path)) > MAX_SOCKET_PATH or not private(os.path.dirname(path)):
        return None
    try:
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as connection:
            connection.connect(path)
            send(
                connection,
                {
                    "argv": argv,
                    "tty": [sys.stdout.isatty(), sys.stderr.isatty()],
                    "encoding": [sys.stdout.encoding, sys.stdout.errors, sys.stderr.encoding, sys.stderr.errors],
                },
            )
            answer = receive(connection)
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
