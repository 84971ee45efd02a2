"""The `coherence` command's first step: a `lint` run goes to the `coherence serve` process of its
working directory when one answers (serve.py), else runs here (cli.py). A pre-commit hook starts
this process for every commit, so it imports only light parts of the standard library; the command
line and the pipeline are imported only when the run is local.

The server is found by a socket whose name is a hash of everything a run reads beyond its arguments
(the tool's code, the working directory, the environment variables the tool reads), in a directory
only its user may use, so a server started by another build, elsewhere or by another user is never
asked. When no server answers, or it dies before its answer is whole, the command runs locally: a
server only ever makes a run faster, never different.

A request and an answer are each one frame: its length in decimal digits, a newline, its bytes. A
request's bytes are its fields joined by NUL (which no argument or encoding name holds): the two
streams' "is a terminal" flags, their encodings and error handlers, then the arguments. An answer's
are its exit code and its stdout's length on one line, then stdout's bytes, then stderr's. Neither
needs json or base64, which with `re` would be a third of the client's imports."""

from __future__ import annotations

import os
import stat
import sys

from . import __version__
from .identity import cache_directory, code_digest, sha256

try:  # CPython's C module: `socket` (enum, selectors) costs a pre-commit run 15 ms to import, this none
    import _socket as sockets
except ImportError:  # another Python
    import socket as sockets  # type: ignore[no-redef]

# What a run reads beyond its command line and working directory: a client with another value talks
# to another server (HOME and the XDG variable place the index; TZ makes `today`; the locale sets the
# encoding of the output).
ENVIRONMENT = ("COHERENCE_CACHE_DIR", "XDG_CACHE_HOME", "HOME", "TZ", "LANG", "LC_ALL", "LC_CTYPE", "PYTHONIOENCODING")
MAX_SOCKET_PATH = 100  # bytes: AF_UNIX allows 108 on Linux, 104 on macOS
MAX_REQUEST = 1 << 20  # bytes: a command line is far shorter
FLAGS = 6  # a request's fields before its arguments


def socket_path(cwd: str) -> str:
    digest = sha256(f"{__version__}\0{os.path.realpath(cwd)}\0".encode() + code_digest())
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


def frame(body: bytes) -> bytes:
    return b"%d\n" % len(body) + body


def receive(connection: sockets.socket, limit: int | None = None) -> bytes | None:
    """One frame's bytes, or None when the other side closed before sending it whole (or it is not a
    frame, or longer than `limit`)."""
    received = bytearray()
    while b"\n" not in received:
        chunk = connection.recv(1 << 16)
        if not chunk or len(received) > 20:
            return None
        received += chunk
    head, _, body = received.partition(b"\n")
    if not head.isdigit() or (limit is not None and int(head) > limit):
        return None
    size = int(head)
    while len(body) < size:
        chunk = connection.recv(min(1 << 20, size - len(body)))
        if not chunk:
            return None
        body += chunk
    return bytes(body) if len(body) == size else None


def request(argv: list[str], tty: tuple[bool, bool], encoding: tuple[str, str, str, str]) -> bytes:
    fields = ["1" if t else "0" for t in tty] + [*encoding, *argv]
    return "\0".join(fields).encode("utf-8", "surrogateescape")  # an argument from undecodable bytes too


def parse_request(body: bytes) -> tuple[list[str], tuple[bool, bool], tuple[str, str, str, str]] | None:
    """(argv, tty, encoding) from a request's bytes; None if they are not one."""
    fields = body.decode("utf-8", "surrogateescape").split("\0")
    if len(fields) < FLAGS or not {fields[0], fields[1]} <= {"0", "1"}:
        return None
    tty = (fields[0] == "1", fields[1] == "1")
    return fields[FLAGS:], tty, (fields[2], fields[3], fields[4], fields[5])


def answer(code: int, out: bytes, err: bytes) -> bytes:
    return b"%d %d\n" % (code, len(out)) + out + err


def parse_answer(body: bytes) -> tuple[int, bytes, bytes] | None:
    """(exit code, stdout, stderr) from an answer's bytes; None if they are not one."""
    head, newline, rest = body.partition(b"\n")
    numbers = head.split(b" ")
    if not newline or len(numbers) != 2 or not numbers[1].isdigit() or int(numbers[1]) > len(rest):
        return None
    try:
        code = int(numbers[0])
    except ValueError:
        return None
    size = int(numbers[1])
    return code, rest[:size], rest[size:]


def servable(argv: list[str]) -> bool:
    """A `lint` command a server can run as this process would: not one reading stdin, asking for
    help (wrapped to this terminal) or refusing the index."""
    return argv[:1] == ["lint"] and not {"-", "--no-cache", "--help", "-h"} & set(argv[1:])


def ask(argv: list[str]) -> int | None:
    """Run `coherence ARGV` in the server for this working directory: its exit code, its output written
    here; None when no server answers whole (nothing has been written then)."""
    if not hasattr(sockets, "AF_UNIX"):
        return None
    path = socket_path(os.getcwd())
    if len(os.fsencode(path)) > MAX_SOCKET_PATH or not private(os.path.dirname(path)):
        return None
    tty = (sys.stdout.isatty(), sys.stderr.isatty())
    encoding = (sys.stdout.encoding, sys.stdout.errors or "strict", sys.stderr.encoding, sys.stderr.errors or "strict")
    connection = sockets.socket(sockets.AF_UNIX, sockets.SOCK_STREAM)
    try:
        connection.connect(path)
        connection.sendall(frame(request(argv, tty, encoding)))
        body = receive(connection)
    except OSError:
        return None
    finally:
        connection.close()
    answered = parse_answer(body) if body is not None else None
    if answered is None:
        return None
    code, out, err = answered
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
