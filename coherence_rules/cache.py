"""A warm cache for the load stage: parsed documents and file-level findings, keyed by a hash of
the file's bytes (and the tool version and limits), so a pre-commit run that loads a whole corpus
as context parses only what changed.

Entries are JSON, never pickles: a cache must not be a way to run code. It lives in the user's
cache directory, not in the repository, so a change under review cannot plant entries. Positions
are not stored: the few locations a run reports are recomputed from the file's text on demand.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path
from typing import Any

from . import __version__
from .atomic import write_atomic

FORMAT = 1


def default_directory() -> Path:
    base = os.environ.get("COHERENCE_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "coherence"
    )
    return Path(base)


class Cache:
    def __init__(self, directory: Path):
        self.directory = Path(directory)

    @staticmethod
    def key(data: bytes, limits: Any) -> str:
        digest = hashlib.sha256(f"{FORMAT}|{__version__}|{limits!r}|".encode())
        digest.update(data)
        return digest.hexdigest()

    def _path(self, key: str) -> Path:
        return self.directory / key[:2] / f"{key}.json"

    def get(self, key: str) -> dict | None:
        try:
            entry = json.loads(self._path(key).read_text(encoding="utf-8"))
            return {
                "documents": [(index, decode(data, dates)) for index, data, dates in entry["documents"]],
                "findings": entry["findings"],
            }
        except (OSError, ValueError, KeyError, TypeError):  # missing or unreadable: a miss
            return None

    def put(self, key: str, documents: list[tuple[int, Any]], findings: list[dict]) -> None:
        encoded = []
        for index, data in documents:
            dates: list = []
            if not _encodable(data, (), dates):
                return  # non-string keys or exotic values: parse this file every time
            encoded.append([index, data, dates])
        try:
            path = self._path(key)
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, json.dumps({"documents": encoded, "findings": findings}, default=_iso), durable=False)
        except OSError:  # a read-only or full disk costs speed, never the run
            pass


def _iso(value):
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    raise TypeError(type(value).__name__)


def _encodable(value: Any, path: tuple, dates: list) -> bool:
    """JSON keeps it exactly (recording where dates are, which JSON turns into strings)."""
    if isinstance(value, dict):
        return all(isinstance(k, str) and _encodable(v, path + (k,), dates) for k, v in value.items())
    if isinstance(value, list):
        return all(_encodable(v, path + (i,), dates) for i, v in enumerate(value))
    if isinstance(value, dt.datetime):
        dates.append([list(path), "datetime"])
        return True
    if isinstance(value, dt.date):
        dates.append([list(path), "date"])
        return True
    return value is None or isinstance(value, (str, int, float, bool))


def decode(data: Any, dates: list) -> Any:
    for path, kind in dates:
        parse = dt.datetime.fromisoformat if kind == "datetime" else dt.date.fromisoformat
        if not path:
            return parse(data)
        parent = data
        for part in path[:-1]:
            parent = parent[part]
        parent[path[-1]] = parse(parent[path[-1]])
    return data
