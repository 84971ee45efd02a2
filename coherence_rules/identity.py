"""Which build of coherence this is, and where it keeps what it remembers (the corpus index, the
sockets of `coherence serve`). The client of a server reads both before anything else is imported,
so this module needs the standard library's lightest parts only."""

from __future__ import annotations

import functools
import hashlib
import os

PACKAGE = os.path.dirname(os.path.abspath(__file__))


def cache_directory() -> str:
    return os.environ.get("COHERENCE_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "coherence"
    )


@functools.cache
def code_digest() -> bytes:
    """The tool's own code and data files: an edited checkout (the version unchanged) never reads
    what another build of it wrote, nor talks to a server another build started."""
    found = []
    for directory, _, names in os.walk(PACKAGE):
        for name in names:
            if name.endswith((".py", ".yaml")):
                path = os.path.join(directory, name)
                found.append((os.path.relpath(path, PACKAGE).replace(os.sep, "/"), path))
    digest = hashlib.sha256()
    for relative, path in sorted(found):
        with open(path, "rb") as handle:
            digest.update(relative.encode() + b"\0" + handle.read() + b"\0")
    return digest.digest()
