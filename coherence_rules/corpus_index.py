"""The corpus index: what a run learns about a corpus, kept for the next run in an embedded SQLite
database in the user's cache directory, so that a run parses and evaluates only what changed.

- `files`: per file content (and limits), its parsed documents (values and packed positions) and the
  findings of the load stage;
- `summaries`: per file (the same key), the summary of each of its valid records (summaries.py),
  where shards put it included, and whether they are the whole file's: a warm run validates only the
  records whose facts it builds, and a run naming files reads only the file entries it needs
  (load.UnreadDocument);
- `matches`: per rule pack and shard facts (and match limit), the engine's matches and the facts they
  name (shard_facts.py): a warm run renders findings without building any record's facts.
- `facts`: per rule pack, record (its file's content and place), its standing and what else its facts
  read (facts.context_reads: its leads' lines of authority, its coordination bodies' power, its
  refunding parties), the hash of its facts, how many there are, and what they read of the reference
  date with the answers (facts.Clock): they stand on any date where those answer the same
  (shard_facts.py);
- `runs`: per run settings (everything that shapes a report but the corpus: options, configuration,
  rule files, baseline), the hash of the corpus the last such run read and its report: a run over
  the same bytes does nothing but read the files (api.py).

Every key is a hash of everything its entry depends on, this format and the tool version included.
Entries are JSON, never pickles: the index must not be a way to run code. Each is stored with its
seal, a hash of its bytes: a damaged or truncated entry (a changed value that is still JSON of the
right shape included) is a miss. An entry is used only when its seal holds, it names its own key
(and, for a file, the hash of the file's bytes) and it has exactly the shape written here; anything
else is a miss, never an error and never a finding. The index lives in the user's
cache directory, not in the repository (api.py does not use one inside the checkout, the
configuration's directory or a corpus), so a change under review cannot plant entries.

The database is shared by runs at once (WAL: readers never wait; a writer waits `BUSY_TIMEOUT` for
another). What a run learns is written in one transaction as it ends, and before, in transactions
of their own, whenever what is pending passes `WRITE_AT` bytes and no other run is writing (a
cold run over 100,000 records learns 450 MiB: not held until it ends). Each entry stands alone, so a
run killed after such a write leaves only entries that are right. A database that is not
this format's (corrupt, truncated, another schema or format number) is deleted and created again; one
that stays locked, or cannot be opened or written, is not used by this run, which parses everything.
"""

from __future__ import annotations

import base64
import contextlib
import datetime as dt
import functools
import hashlib
import os
import sqlite3
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, Final, Literal, TypeVar

import pydantic_core
from pydantic import BaseModel, ConfigDict, Field, Strict

from . import __version__
from .identity import code_digest
from .report import Report

# Entries and schema. 11 kept no record's placing in its summary, nor whether the summaries are a
# whole file's (a one-file run read every file's entry). 8 kept its tables WITHOUT ROWID, which
# stores each entry in its key's B-tree: for entries of kilobytes (a file's, 8 KB in a dense corpus)
# writing took twice the CPU. 7 kept a shard's matches whole and a record's facts under one hash
# (8: per group of rules and per fact type), 6 had no index on `used` (each writing run scanned every
# table to delete old entries), 5 had no seals, 4 kept matches without their facts and no reports,
# 3 had no `facts` table, 2 was the JSON file per entry.
FORMAT: Final = 12
APPLICATION_ID = 0x43_4F_48_31  # "COH1": PRAGMA application_id marks the database as ours
DATABASE = "index.sqlite3"
BUSY_TIMEOUT = 5.0  # seconds a run waits for another run's write before going without the index
KEEP_DAYS = 30  # entries no run used for this long are deleted
WRITE_AT = 4 * 2**20  # bytes of entries a run keeps before it writes them, unless another run is writing
CHUNK = 500  # keys asked for in one query (SQLite allows 32,766 parameters)
TABLES = ("files", "summaries", "matches", "facts", "runs")
SCHEMA = {
    table: f"CREATE TABLE {table} (key TEXT PRIMARY KEY, entry TEXT NOT NULL, seal BLOB NOT NULL, used INTEGER NOT NULL)"
    for table in TABLES
} | {f"{table}_used": f"CREATE INDEX {table}_used ON {table} (used)" for table in TABLES}
# line, column: a JSON list as read (_file), strict numbers
Position = Annotated[tuple[Annotated[int, Strict()], Annotated[int, Strict()]], Strict(False)]
T = TypeVar("T")
Shaped = TypeVar("Shaped", "_MatchesEntry", "_FactsEntry", "_SummariesEntry")


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=True, defer_build=True)  # built when first used


class CachedFinding(_Strict):
    rule: str = Field(pattern="^E00[156]$")  # the findings the load stage makes
    message: str
    where: list[Position] = Field(min_length=1)  # the primary location, then the related ones


class _DateAt(_Strict):
    path: list[str | int]
    kind: Literal["date", "datetime"]


class _StoredDocument(_Strict):
    index: int = Field(ge=0)
    data: Any
    dates: list[_DateAt]  # where the data holds dates, which JSON turns into strings
    positions: str  # base64 of the packed positions (load._Builder)


class _FileEntry(_Strict):
    format: Literal[12]  # FORMAT
    key: str
    content: str  # sha256 of the file's bytes
    documents: list[_StoredDocument]
    findings: list[CachedFinding]


Count = Annotated[int, Field(ge=0)]
Matches = list[tuple[str, int, dict[str, int]]]  # rule id, query, binding -> the fact's place in `facts`


@dataclass(frozen=True)
class StoredMatches:
    facts: list[dict[str, Any]]  # the facts the matches name, `ri` their record's place in the shard
    matches: Matches


class _MatchesEntry(_Strict):
    format: Literal[12]  # FORMAT
    key: str
    facts: list[dict[str, Any]]
    matches: list[tuple[str, Count, dict[str, Count]]]


class StoredSummary(_Strict):
    """A valid record's summary (summaries.py): its dated statuses and what it supersedes (facts.ContextPart:
    id, status, [date, status] steps, agreement, supersedes, repeals, an institution's parent and decision
    power, the country a refunding policy is of), and what else every run reads of it."""

    context_part: tuple[
        str,
        str | None,
        list[tuple[str, str]],
        str | None,
        list[str],
        list[str],
        tuple[str | None, bool | None] | None,
        str | None,
    ]
    kind: str
    # Where shards put it (placing.Placing without its path and place): ids, is an agreement, the
    # agreement it is a record of, own keys, the ids it refers to, the country pairs it links.
    placing: tuple[list[str], bool, str | None, list[str], list[str], list[tuple[str, str]]]
    fact_bound: Count
    name: str
    owner: str
    coordination: list[str]
    parties: list[str]
    leads: list[str] | None = None  # a policy's or an agreement's
    agreement_title: tuple[str, str] | None = None  # an agreement's


class _SummariesEntry(_Strict):
    format: Literal[12]  # FORMAT
    key: str
    summaries: dict[int, StoredSummary]  # by the document's place in its file (JSON: a string)
    whole: bool  # every document of the file is a valid record, and loading it found nothing


class _FactsEntry(_Strict):
    format: Literal[12]  # FORMAT
    key: str
    digest: str = Field(pattern="^([0-9a-f]{2})*$")  # shard_facts: each fact type's name and hash
    count: Count
    dated: dict[str, bool | str]  # what the facts read of the reference date, and the answers (facts.Clock)


class _RunEntry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, defer_build=True)  # not strict: JSON has no tuples or dates

    format: Literal[12]  # FORMAT
    key: str
    corpus: str
    report: Report


@dataclass(frozen=True)
class FileSummaries:
    records: dict[int, StoredSummary]  # by the document's place in its file
    whole: bool  # every document of the file is a valid record summarised here, and loading it found nothing


@dataclass(frozen=True)
class FileEntry:
    documents: list[tuple[int, Any, bytes]]  # index in the file, data, packed positions (load.py)
    findings: list[CachedFinding]


def _today() -> int:
    return int(time.time() // 86400)


class _NotOurs(Exception):
    """The file is a database, but not one of this format."""


class CorpusIndex:
    """The index in one cache directory, for one run: read as the run goes, written as it closes."""

    def __init__(self, directory: Path):
        self.path = Path(directory) / DATABASE
        self._pending: dict[str, dict[str, bytes]] = {table: {} for table in TABLES}
        self._pending_bytes = 0
        self._stale: dict[str, set[str]] = {table: set() for table in TABLES}  # hits to mark as used today
        self._db = self._open()

    # --- the database ------------------------------------------------------------------------

    def _open(self) -> sqlite3.Connection | None:
        try:
            return self._connect()
        except (_NotOurs, sqlite3.DatabaseError) as exc:
            if not _corrupt(exc):
                return None  # locked past the timeout, unreadable, read-only: not this run
        self._delete()
        try:
            return self._connect()
        except (_NotOurs, sqlite3.Error, OSError):
            return None

    def _connect(self) -> sqlite3.Connection | None:
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # Created by us, the file gets the mode `open` gives (the umask's); SQLite's journal
            # files take the database's mode.
            os.close(os.open(self.path, os.O_RDWR | os.O_CREAT, 0o666))
        except OSError:
            return None
        db = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")  # a cache may lose its last transaction, never its consistency
            if not _is_ours(db):
                db.execute("BEGIN IMMEDIATE")  # one run creates the tables; another finds them made
                if not _is_ours(db):
                    if db.execute("SELECT count(*) FROM sqlite_master").fetchone()[0]:
                        raise _NotOurs
                    for statement in SCHEMA.values():
                        db.execute(statement)
                    db.execute(f"PRAGMA application_id={APPLICATION_ID}")
                    db.execute(f"PRAGMA user_version={FORMAT}")
                db.execute("COMMIT")
        except BaseException:
            db.close()
            raise
        return db

    def _delete(self) -> None:
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(OSError):
                os.unlink(f"{self.path}{suffix}")

    def _guarded(self, operation: Callable[[sqlite3.Connection], T]) -> T | None:
        """An operation on the database; None when there is none, or when it fails: a corrupt
        database is created again (empty), any other failure ends its use for this run."""
        if self._db is None:
            return None
        try:
            return operation(self._db)
        except sqlite3.DatabaseError as exc:
            with contextlib.suppress(sqlite3.Error):
                self._db.close()
            self._db = None
            if _corrupt(exc):
                self._delete()
                self._db = self._open()
            return None

    def _entry(self, table: str, key: str) -> bytes | None:
        """An entry's JSON, as bytes: text that is not UTF-8 is then not an error of the database."""
        return dict(self._entries(table, [key])).get(key)

    def _entries(self, table: str, keys: list[str]) -> Iterator[tuple[str, bytes]]:
        """The entries stored under the keys whose seals hold, in one query per `CHUNK` keys, as
        they are read (a warm run's file entries are 300 MB at 100,000 records: never all at once)."""
        for start in range(0, len(keys), CHUNK):
            asked = keys[start : start + CHUNK]
            query = (
                f"SELECT key, CAST(entry AS BLOB), seal, used FROM {table} WHERE key IN ({','.join('?' * len(asked))})"
            )
            rows = self._guarded(functools.partial(_rows, query, asked))
            for key, entry, stored_seal, used in rows or ():
                if isinstance(entry, bytes) and stored_seal == seal(entry):
                    if used != _today():
                        self._stale[table].add(key)
                    yield key, entry

    def _shaped(self, table: str, keys: list[str], shape: type[Shaped]) -> dict[str, Shaped]:
        """The entries under the keys that have exactly this shape and name their own key."""
        found = {}
        for key, stored in self._entries(table, keys):
            try:
                entry = shape.model_validate_json(stored)
            except ValueError:
                continue
            if entry.key == key:
                found[key] = entry
        return found

    def _pend(self, table: str, key: str, entry: bytes) -> None:
        """Keep an entry's UTF-8 JSON to write (bytes: a whole run's report as a str was four copies of
        itself at once, UCS-2 for one arrow, its UTF-8 cached, encoded, bound)."""
        self._pending[table][key] = entry
        self._pending_bytes += len(entry)
        if self._pending_bytes > WRITE_AT:
            self._pending_bytes = 0  # written now, or tried again after as much more
            if self._guarded(self._write_pending):
                for entries in self._pending.values():
                    entries.clear()

    def _insert_pending(self, db: sqlite3.Connection, today: int) -> None:
        for table in TABLES:
            db.executemany(
                f"INSERT OR REPLACE INTO {table} VALUES (?, ?, ?, ?)",
                ((key, entry, seal(entry), today) for key, entry in self._pending[table].items()),
            )

    def _write_pending(self, db: sqlite3.Connection) -> bool:
        """Write what is pending, unless another run is writing (never waited for: False)."""
        db.execute("PRAGMA busy_timeout = 0")
        try:
            db.execute("BEGIN IMMEDIATE")
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc) or "busy" in str(exc):
                return False
            raise
        finally:
            db.execute(f"PRAGMA busy_timeout = {int(BUSY_TIMEOUT * 1000)}")
        with _transaction(db):
            self._insert_pending(db, _today())
        return True

    def close(self) -> None:
        """Write what this run learnt and has not written yet, in one transaction, and close the database."""
        today = _today()

        def write(db: sqlite3.Connection) -> None:
            if not any(self._pending.values()) and not any(self._stale.values()):
                return  # a run that learnt nothing new writes nothing
            db.execute("BEGIN IMMEDIATE")
            with _transaction(db):
                self._insert_pending(db, today)
                for table in TABLES:
                    db.executemany(
                        f"UPDATE {table} SET used = ? WHERE key = ?", ((today, k) for k in self._stale[table])
                    )
                    db.execute(f"DELETE FROM {table} WHERE used < ?", (today - KEEP_DAYS,))

        self._guarded(write)
        if self._db is not None:
            self._db.close()
            self._db = None

    # --- files -------------------------------------------------------------------------------

    @staticmethod
    def file_key(content: str, limits: Any) -> str:
        return _key("file", repr(limits), content)

    def held_files(self, keys: list[str]) -> set[str]:
        """Which of these keys have a file entry (whether it can be trusted is known once it is read:
        files)."""
        held: set[str] = set()
        for start in range(0, len(keys), CHUNK):
            asked = keys[start : start + CHUNK]
            query = f"SELECT key FROM files WHERE key IN ({','.join('?' * len(asked))})"
            held.update(key for (key,) in self._guarded(functools.partial(_rows, query, asked)) or ())
        return held

    def files(self, wanted: dict[str, str]) -> Iterator[tuple[str, FileEntry]]:
        """The entries for files (key -> the hash of the file's bytes) the index holds and can trust,
        as they are read."""
        for key, stored in self._entries("files", list(wanted)):
            entry = self._file(key, wanted[key], stored)
            if entry is not None:
                yield key, entry

    @staticmethod
    def _file(key: str, content: str, stored: bytes) -> FileEntry | None:
        try:
            # Parsed with jiter's cache of short strings (keys, codes: one object each, as a parse
            # makes them; pydantic's JSON mode made each anew) and then checked, strictly: 2.5x faster.
            entry = _FileEntry.model_validate(pydantic_core.from_json(stored, cache_strings=True))
        except ValueError:  # not JSON, not an entry (ValidationError)
            return None
        if entry.key != key or entry.content != content:
            return None  # an entry copied from elsewhere, or for other bytes
        try:
            documents = [
                (d.index, _with_dates(d.data, d.dates), base64.b64decode(d.positions, validate=True))
                for d in entry.documents
            ]
        except (ValueError, KeyError, IndexError, TypeError):  # dates recorded where there are none; not base64
            return None
        return FileEntry(documents=documents, findings=entry.findings)

    @staticmethod
    def file_entry(
        key: str, content: str, documents: list[tuple[int, Any, bytes]], findings: list[CachedFinding]
    ) -> bytes | None:
        """A file's entry as put_file keeps it, made where the file is parsed (a worker process, in a
        large run): None when JSON cannot hold its values exactly (the file is parsed every time)."""
        stored = []
        for index, value, positions in documents:
            dates: list[dict] = []
            if not _encodable(value, (), dates):
                return None  # non-string keys or exotic values
            stored.append(
                {"index": index, "data": value, "dates": dates, "positions": base64.b64encode(positions).decode()}
            )
        entry = {
            "format": FORMAT,
            "key": key,
            "content": content,
            "documents": stored,
            "findings": [f.model_dump() for f in findings],
        }
        try:
            return pydantic_core.to_json(entry)  # dates as ISO 8601 (isoformat's text, or Z for UTC)
        except (ValueError, TypeError, RecursionError):  # a value JSON cannot hold
            return None

    def put_file(self, key: str, entry: bytes) -> None:
        self._pend("files", key, entry)

    def summaries(self, keys: list[str]) -> dict[str, FileSummaries]:
        """The summaries of the valid records of the files under these keys (a file's key)."""
        return {
            key: FileSummaries(entry.summaries, entry.whole)
            for key, entry in self._shaped("summaries", keys, _SummariesEntry).items()
        }

    def put_summaries(self, key: str, summaries: dict[int, dict[str, Any]], whole: bool) -> None:
        entry = {"format": FORMAT, "key": key, "summaries": summaries, "whole": whole}
        with contextlib.suppress(ValueError, TypeError):  # a value JSON cannot hold: summarised again next run
            self._pend("summaries", key, pydantic_core.to_json(entry))

    # --- shard matches -----------------------------------------------------------------------

    @staticmethod
    def matches_key(*parts: str | bytes) -> str:
        return _key("matches", *parts)

    def matches(self, keys: list[str]) -> dict[str, StoredMatches]:
        """The matches stored under the keys (those with an entry: the others are misses)."""
        return {k: StoredMatches(e.facts, e.matches) for k, e in self._shaped("matches", keys, _MatchesEntry).items()}

    def put_matches(self, key: str, stored: StoredMatches) -> None:
        if not all(v is None or isinstance(v, (str, int, float)) for fact in stored.facts for v in fact.values()):
            return  # JSON would turn a tuple into a list: the engine runs every time
        entry = {"format": FORMAT, "key": key, "facts": stored.facts, "matches": stored.matches}
        try:
            encoded = pydantic_core.to_json(entry)
        except ValueError:  # text UTF-8 cannot hold (a lone surrogate): the engine runs every time
            return
        self._pend("matches", key, encoded)

    # --- a record's facts --------------------------------------------------------------------

    @staticmethod
    def facts_key(*parts: str | bytes) -> str:
        return _key("facts", *parts)

    def facts(self, keys: list[str]) -> dict[str, tuple[bytes, int, dict[str, bool | str]]]:
        """The hash of each record's facts, how many there are and what they read of the reference
        date, stored under the keys (those with an entry: the others are misses)."""
        return {
            k: (bytes.fromhex(e.digest), e.count, e.dated) for k, e in self._shaped("facts", keys, _FactsEntry).items()
        }

    def put_facts(self, key: str, digest: bytes, count: int, dated: dict[str, bool | str]) -> None:
        entry = {"format": FORMAT, "key": key, "digest": digest.hex(), "count": count, "dated": dated}
        self._pend("facts", key, pydantic_core.to_json(entry))

    # --- a whole run's report ------------------------------------------------------------------

    @staticmethod
    def run_key(*parts: str | bytes) -> str:
        return _key("run", *parts)

    def report(self, key: str, corpus: str) -> Report | None:
        """The report of the last run with these settings, if it read a corpus hashing to `corpus`."""
        stored = self._entry("runs", key)
        # The first run after a change finds the report of the corpus before: known by the entry's
        # head, not by decoding the report (40 MB at 100,000 records, and its memory kept by the run).
        if stored is None or not stored.startswith(_run_head(key, corpus)):
            return None
        try:
            entry = _RunEntry.model_validate_json(stored)
        except ValueError:
            return None
        return entry.report if entry.key == key and entry.corpus == corpus else None

    def put_report(self, key: str, corpus: str, report: Report) -> None:
        entry = _RunEntry.model_construct(format=FORMAT, key=key, corpus=corpus, report=report)  # made here: valid
        self._pend("runs", key, entry.__pydantic_serializer__.to_json(entry))  # model_dump_json, not decoded


def _run_head(key: str, corpus: str) -> bytes:
    """How a run's entry for this corpus starts: _RunEntry's fields in order, as put_report writes them."""
    return pydantic_core.to_json({"format": FORMAT, "key": key, "corpus": corpus})[:-1] + b',"report":'


@functools.cache
def _keys() -> Any:
    """What every key starts with: this format, the tool's version and its code."""
    return hashlib.sha256(f"{FORMAT}|{__version__}|".encode() + code_digest())


def _key(*parts: str | bytes) -> str:
    digest = _keys().copy()
    for part in parts:
        digest.update(b"|")
        digest.update(part.encode() if isinstance(part, str) else part)
    return digest.hexdigest()


def _rows(query: str, parameters: list[str], db: sqlite3.Connection) -> list[tuple]:
    return db.execute(query, parameters).fetchall()


def seal(entry: bytes) -> bytes:
    """What an entry is stored with: a hash of its bytes, checked whenever it is read."""
    return hashlib.sha256(entry).digest()


def _is_ours(db: sqlite3.Connection) -> bool:
    # SQLite's own index of each key (sqlite_autoindex_*) has no SQL.
    tables = db.execute("SELECT name, sql FROM sqlite_master WHERE sql IS NOT NULL ORDER BY name").fetchall()
    return (
        db.execute("PRAGMA application_id").fetchone()[0] == APPLICATION_ID
        and db.execute("PRAGMA user_version").fetchone()[0] == FORMAT
        and tables == sorted(SCHEMA.items())
    )


@contextlib.contextmanager
def _transaction(db: sqlite3.Connection) -> Iterator[None]:
    """The body of a transaction begun: committed, or rolled back on any error."""
    try:
        yield
        db.execute("COMMIT")
    except BaseException:
        with contextlib.suppress(sqlite3.Error):
            db.execute("ROLLBACK")
        raise


def _corrupt(exc: Exception) -> bool:
    """Not a database of ours: corrupt, truncated, not a database at all (SQLITE_CORRUPT, _NOTADB),
    or another schema. Locked, read-only, unreadable or full ones are OperationalError."""
    return isinstance(exc, _NotOurs) or type(exc) is sqlite3.DatabaseError


_PLAIN = frozenset({str, int, float, bool, type(None)})  # values JSON keeps as they are


def _encodable(value: Any, path: tuple, dates: list) -> bool:
    """JSON keeps it exactly (recording where dates are, which JSON turns into strings). A plain
    value inside is passed over without a call or a path (most of a record's values are strings)."""
    if isinstance(value, dict):
        return all(
            isinstance(k, str) and (type(v) in _PLAIN or _encodable(v, (*path, k), dates)) for k, v in value.items()
        )
    if isinstance(value, list):
        return all(type(v) in _PLAIN or _encodable(v, (*path, i), dates) for i, v in enumerate(value))
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
