"""Files the tool writes (reports, baselines, scaffolded files) appear whole or not at all, with the
permissions any new file of the user's gets (its umask), and no temporary file is left behind. What
is not a file (`-o /dev/null`, `-o /dev/stdout`, a named pipe) is written to as it is, never replaced."""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path


def _umask() -> int:
    mask = os.umask(0o022)  # the only way to read it is to set it: put it straight back
    os.umask(mask)
    return mask


def write_atomic(path: Path, text: str) -> None:
    """Write via a temporary file and an atomic rename, synced to disk with its directory.
    mkstemp creates the file 0600: it gets the mode `open` would have given it. A symbolic link is
    followed (the file it names is replaced, the link stays); a device or a pipe is written to (a
    rename would put a file in its place: run as root, `-o /dev/null` replaced the device)."""
    try:
        mode: int | None = os.stat(path).st_mode  # through links: /dev/stdout to its pipe or terminal
    except FileNotFoundError:
        mode = None
    real = os.path.realpath(path)
    if mode is not None and (not stat.S_ISREG(mode) or not os.path.exists(real)):  # (`pipe:[…]` is no path)
        with open(path, "w", encoding="utf-8", newline="\n") as handle:
            handle.write(text)
        return
    path = Path(real)
    directory = path.parent
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=directory)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="\n") as handle:
            os.fchmod(handle.fileno(), 0o666 & ~_umask())
            handle.write(text)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _sync_directory(directory)


def _sync_directory(directory: Path) -> None:
    """The rename itself reaches the disk (POSIX; elsewhere a directory cannot be opened)."""
    with contextlib.suppress(OSError):
        descriptor = os.open(directory, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)
