"""A warm cache for the load stage: parsed documents and file-level findings, keyed by a hash of
the file's bytes (and the tool version and limits), so a pre-commit run that loads a whole corpus
as context parses only what changed.

Entries are JSON, never pickles: a cache must not be a way to run code. An entry names its key and
the hash of the file's bytes, and is read back only when both match and every part of it has the
shape this module writes: a torn, corrupt, foreign or stale entry is a miss, never an error and
never a finding. It lives in the user's cache directory, not in the repository, so a change under
review cannot plant entries (api.py does not use a cache directory inside the checkout).
Positions are not stored: the few locations a run reports are recomputed from the file's text.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from . import __version__
from .atomic import write_atomic

FORMAT = 2
Position = tuple[int, int]  # line, column


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True)


class CachedFinding(_Strict):
    rule: str = Field(pattern="^E00[156]$")  # the findings the load stage makes
    message: str
    where: list[Position] = Field(min_length=1)  # the primary location, then the related ones


class _DateAt(_Strict):
    path: list[str | int]
    kind: Literal["date", "datetime"]


class _CachedDocument(_Strict):
    index: int = Field(ge=0)
    data: Any
    dates: list[_DateAt]  # where the data holds dates, which JSON turns into strings


class _Entry(_Strict):
    format: Literal[2]
    key: str
    content: str  # sha256 of the file's bytes
    documents: list[_CachedDocument]
    findings: list[CachedFinding]


class Hit(BaseModel):
    documents: list[tuple[int, Any]]
    findings: list[CachedFinding]


def default_directory() -> Path:
    base = os.environ.get("COHERENCE_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.expanduser("~/.cache"), "coherence"
    )
    return Path(base)


def _content(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


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

    def get(self, key: str, data: bytes) -> Hit | None:
        """The entry for these bytes, or None (a miss) when there is none or it cannot be trusted."""
        try:
            entry = _Entry.model_validate_json(self._path(key).read_bytes())
        except (OSError, ValueError):  # missing, unreadable, not JSON, not an entry (ValidationError)
            return None
        if entry.key != key or entry.content != _content(data):
            return None  # an entry copied from elsewhere, or for other bytes
        try:
            documents = [(d.index, _with_dates(d.data, d.dates)) for d in entry.documents]
        except (ValueError, KeyError, IndexError, TypeError):  # dates recorded where there are none
            return None
        return Hit(documents=documents, findings=entry.findings)

    def put(self, key: str, data: bytes, documents: list[tuple[int, Any]], findings: list[CachedFinding]) -> None:
        encoded = []
        for index, value in documents:
            dates: list[dict] = []
            if not _encodable(value, (), dates):
                return  # non-string keys or exotic values: parse this file every time
            encoded.append({"index": index, "data": value, "dates": dates})
        entry = {
            "format": FORMAT,
            "key": key,
            "content": _content(data),
            "documents": encoded,
            "findings": [f.model_dump() for f in findings],
        }
        try:
            text = json.dumps(entry, default=_iso)
        except (ValueError, TypeError, RecursionError):  # a value JSON cannot hold: parse it every time
            return
        try:
            path = self._path(key)
            path.parent.mkdir(parents=True, exist_ok=True)
            write_atomic(path, text, durable=False)
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
        dates.append({"path": list(path), "kind": "datetime"})
        return True
    if isinstance(value, dt.date):
        dates.append({"path": list(path), "kind": "date"})
        return True
    return value is None or isinstance(value, (str, int, float, bool))


def _with_dates(data: Any, dates: list[_DateAt]) -> Any:
    for at in dates:
        parse = dt.datetime.fromisoformat if at.kind == "datetime" else dt.date.fromisoformat
        if not at.path:
            return parse(data)
        parent = data
        for part in at.path[:-1]:
            parent = parent[part]
        parent[at.path[-1]] = parse(parent[at.path[-1]])
    return data
