"""The corpus `coherence serve` keeps in memory between runs (serve.py): each directory's listing and
each file's bytes while their stat says they are unchanged, each file as loaded, and, on the files
and documents, what was computed from them (.remembered and .keep: a file's ids and placings, a
document's validation, placing and references; each record's facts key, facts and their hash, with
what those were computed from). Whole-corpus values are kept by `remember` (keyed by what they are
made of) and `unless_changed` (given back while their inputs are equal: where every record goes,
shards.Placement; each record's standing, facts.context). A one-shot run keeps none of this:
`CURRENT` is None and every stage computes as it always does.

Every entry is keyed by what it was made from (the file's stat, the hash of its bytes, the very
document object, the inputs it was computed from), so a run that uses one gets what computing afresh
would give; the end of a run forgets the files it did not read."""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable, Hashable
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from . import load
from .settings import Limits

if TYPE_CHECKING:
    from .load import LoadedFile

# A stat is trusted only for a file last modified this long before it was read: a write in the same
# tick of a coarse clock would leave its stat unchanged (git's "racily clean" files). Seconds.
RACY = 2.0
VALUES_KEPT_FOR = 8  # runs: what none of them used (an old rule file, old settings) is forgotten
T = TypeVar("T")


class Resident:
    def __init__(self) -> None:
        # By path as found: (stat, what reading it gave, the hash of those bytes).
        self._read: dict[str, tuple[tuple, bytes | LoadedFile, str]] = {}
        self._hashes: dict[int, tuple[bytes, str]] = {}  # id(bytes) -> (those bytes, their sha256)
        self._loaded: dict[tuple[str, str, int], LoadedFile] = {}  # by (display path, bytes' hash, limits)
        # Limits by a number: hashing and comparing the dataclass for each of thousands of files shows.
        self._tokens: dict[Limits, int] = {}
        self._last: tuple[Limits | None, int] = (None, 0)
        # remember() and unless_changed(): by key, (the number of the last run that used it, the value).
        self._values: dict[Hashable, tuple[int, Any]] = {}
        self._runs = 0  # runs that read files so far
        self._read_now: dict[str, tuple[tuple, bytes | LoadedFile, str]] = {}
        self._seen_now: set[tuple[str, str]] = set()  # (display path, hash) of every file this run read
        # By directory: (its stat, what else its listing depends on, the listing).
        self._listings: dict[str, tuple[tuple, Hashable, Any]] = {}
        self._listings_now: dict[str, tuple[tuple, Hashable, Any]] = {}
        self._deferred: list[Callable[[], None]] | None = None  # while answering: what `later` was given

    def answering(self) -> None:
        """A server starts answering a run: what the run leaves to do (`later`) waits for `answered`."""
        self._deferred = []

    def answered(self) -> None:
        """The answer is sent: do what the run left to do."""
        deferred, self._deferred = self._deferred or [], None
        for work in deferred:
            work()

    def later(self, work: Callable[[], None]) -> None:
        if self._deferred is not None:
            self._deferred.append(work)
        else:
            work()

    def read(self, path: str | Path, display: str, limits: Limits) -> bytes | LoadedFile:
        """read_file(path), from memory when the file's stat is what it was when it was last read: then
        the file as it was loaded, if it was (load_each takes it as it is)."""
        where = os.fspath(path)
        try:
            stat = os.stat(where)
        except OSError:
            return load.read_file(path, display, limits)
        token = self._token(limits)
        signature = (stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino, stat.st_dev, display, token)
        kept = self._read.get(where)
        if kept is not None and kept[0] == signature:
            self._read_now[where] = kept
            self._seen_now.add((display, kept[2]))
            return self._loaded.get((display, kept[2], token)) or kept[1]  # the file as loaded, once it was
        started = time.time_ns()
        source = load.read_file(path, display, limits)
        digest = hashlib.sha256(source).hexdigest() if isinstance(source, bytes) else ""
        if stat.st_mtime_ns < started - RACY * 1e9:
            self._read_now[where] = (signature, source, digest)
        if isinstance(source, bytes):
            self._hashes[id(source)] = (source, digest)
            self._seen_now.add((display, digest))
        return source

    def listing(self, directory: str, key: Hashable, compute: Callable[[], tuple[T, bool]]) -> T:
        """What compute() lists of a directory (and whether that is a function of its entries alone),
        from memory while the directory's stat says no entry came, went or was renamed; `key` is what
        else the listing depends on."""
        try:
            stat = os.stat(directory)
        except OSError:
            return compute()[0]
        signature = (stat.st_mtime_ns, stat.st_ctime_ns, stat.st_ino, stat.st_dev)
        kept = self._listings_now.get(directory) or self._listings.get(directory)
        if kept is not None and kept[0] == signature and kept[1] == key:
            self._listings_now[directory] = kept
            return kept[2]
        started = time.time_ns()
        listing, own = compute()
        if own and stat.st_mtime_ns < started - RACY * 1e9:
            self._listings_now[directory] = (signature, key, listing)
        return listing

    def content_hash(self, data: bytes) -> str:
        kept = self._hashes.get(id(data))
        if kept is not None and kept[0] is data:
            return kept[1]
        return hashlib.sha256(data).hexdigest()

    def _token(self, limits: Limits) -> int:
        if limits is not self._last[0]:
            self._last = (limits, self._tokens.setdefault(limits, len(self._tokens)))
        return self._last[1]

    def loaded(self, display: str, content: str, limits: Limits) -> LoadedFile | None:
        return self._loaded.get((display, content, self._token(limits)))

    def keep(self, file: LoadedFile, limits: Limits) -> None:
        """Keep a file as loaded; it and its documents remember what is computed from them from now on."""
        file.memo = {}
        for document in file.documents:
            document.memo = {}
        self._loaded[(file.path, file.content, self._token(limits))] = file

    def value(self, key: Hashable, compute: Callable[[], T]) -> T:
        kept = self._values.get(key)
        value = kept[1] if kept is not None else compute()
        self._values[key] = (self._runs, value)
        return value

    def value_while(self, key: Hashable, inputs: object, compute: Callable[[], T]) -> T:
        slot = ("while", key)
        kept = self._values.get(slot)
        # Lists compare item by item, each item first by identity: unchanged inputs cost a pointer each.
        value = kept[1][1] if kept is not None and kept[1][0] == inputs else compute()
        self._values[slot] = (self._runs, (inputs, value))
        return value

    def end_run(self) -> None:
        """Forget the files this run did not read, and the values no run among the last VALUES_KEPT_FOR
        used (a run the index answers whole uses none of the stages': the rules as loaded stay); a run
        that read no file forgets nothing."""
        if not self._seen_now:
            return
        self._runs += 1
        self._values = {key: kept for key, kept in self._values.items() if kept[0] >= self._runs - VALUES_KEPT_FOR}
        self._read, self._read_now = self._read_now, {}
        # Files as loaded stay while runs read the same bytes, also through runs that load nothing
        # (a run the index answers whole).
        self._loaded = {key: file for key, file in self._loaded.items() if key[:2] in self._seen_now}
        self._seen_now = set()
        self._listings, self._listings_now = self._listings_now, {}
        self._hashes = {id(s): (s, digest) for _, s, digest in self._read.values() if isinstance(s, bytes)}


CURRENT: Resident | None = None  # set by `coherence serve`


def remember(key: Hashable, compute: Callable[[], T]) -> T:
    """compute(), a function of `key` alone (kept from run to run while runs ask for it)."""
    return CURRENT.value(key, compute) if CURRENT is not None else compute()


def later(work: Callable[[], None]) -> None:
    """work() now, or, while a server answers a run (serve.py), once its answer is sent: the end of a
    run (the index's commit, forgetting what it did not read) is nothing its client waits for."""
    if CURRENT is not None:
        CURRENT.later(work)
    else:
        work()


def content_hash(data: bytes) -> str:
    """The sha256 of a file's bytes (computed once for bytes the resident corpus read)."""
    return CURRENT.content_hash(data) if CURRENT is not None else hashlib.sha256(data).hexdigest()


def unless_changed(key: Hashable, inputs: object, compute: Callable[[], T]) -> T:
    """compute(), a function of `inputs` alone: `coherence serve` gives back its last value for `key`
    while the inputs compare equal to that value's (an edit that changes none of them)."""
    return CURRENT.value_while(key, inputs, compute) if CURRENT is not None else compute()
