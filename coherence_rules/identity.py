"""Which build of coherence this is, and where it keeps what it remembers (the corpus index, the
sockets of `coherence serve`). The client of a server reads both before anything else is imported,
so this module needs the standard library's lightest parts only."""

from __future__ import annotations

import os

# CPython's own sha256 (the same hash): hashlib loads OpenSSL, 5 ms of every pre-commit run's client.
try:
    from _sha2 import sha256  # type: ignore[import-not-found,unused-ignore]  # Python 3.12
except ImportError:
    try:
        from _sha256 import sha256  # type: ignore[import-not-found,no-redef,unused-ignore]  # 3.10, 3.11
    except ImportError:  # another Python
        from hashlib import sha256  # type: ignore[assignment,unused-ignore]

PACKAGE = os.path.dirname(os.path.abspath(__file__))


def cache_directory() -> str:
    return os.environ.get("COHERENCE_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "coherence"
    )


_DIGESTS: list[bytes] = []  # the code's, once a process (functools.cache: 5 ms more of a client's imports)


def code_digest() -> bytes:
    """The tool's own code and data files: an edited checkout (the version unchanged) never reads
    what another build of it wrote, nor talks to a server another build started."""
    if not _DIGESTS:
        _DIGESTS.append(_digest_of_code())
    return _DIGESTS[0]


def _digest_of_code() -> bytes:
    found = []
    for directory, _, names in os.walk(PACKAGE):
        for name in names:
            if name.endswith((".py", ".yaml")):
                path = os.path.join(directory, name)
                found.append((os.path.relpath(path, PACKAGE).replace(os.sep, "/"), path))
    digest = sha256()
    for relative, path in sorted(found):
        with open(path, "rb") as handle:
            digest.update(relative.encode() + b"\0" + handle.read() + b"\0")
    return digest.digest()
