"""A rule pack's facts shard by shard, and the engine's matches for them kept in the corpus index.

A record's facts (facts.record_facts, projected by the pack) are the same in every shard it belongs
to. They are hashed once per record and pack, type by type. A rule's matches in a shard are a
function of the shard's facts of the types its patterns read, so a shard's matches are stored group
by group of rules reading the same types (Pack.groups), each under a hash of the pack (its name),
the match limit and the shard's facts of those types in order: the hash of each of its records that
has facts of a type, with the record's place in the shard, then those of the shard itself
(facts.shard_level_facts) and the shared ones. A warm run asks the engine only about the groups
whose facts changed, in the shards where they did (an edited target re-runs the target rules, not
those on the objectives' coverage); a record that gives the pack no fact is skipped in every later
shard (most records, in pair shards). The engine is given only the facts that meet what their
patterns join them to (Pack.taking_part), a function of the facts the key hashes: a record's span
seeds are hashed, and spread into rows only there.

The engine sees a fact's `ri` as its record's position in the shard, not in the corpus, so that a
shard's facts, and its key, do not change when records elsewhere come or go; rules compare `ri`
only for equality, which the renumbering keeps. The index keeps a shard's matches with the facts
they name (those facts' `ri` their record's place in the shard), so a warm run renders findings
without building any record's facts; a stored fact comes back with its record's corpus index.
"""

from __future__ import annotations

import dataclasses
import hashlib
import marshal
from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from . import resident
from .corpus_index import CorpusIndex, StoredMatches
from .engine import Pack, RunResult, register
from .facts import Context, Fact, Reads, Shape, context_reads, record_facts, shard_level_facts, spread
from .ir import Match
from .shards import Shard
from .validate import RecordEntry

Found = list[tuple[str, int, Match]]  # rule id, query index, the matched facts (corpus `ri`)


def _digest(facts: list[Fact]) -> bytes:
    """A hash of facts in order. The values alone say it all: a pack's facts of one type have its
    fields, in one order (Pack.prepare), and the pack's name covers the fields it reads. Written by
    marshal (2.4x as fast as repr), in its version 2: the same bytes for equal values in any process
    (later versions mark which strings are interned, and refer back to objects met twice)."""
    values = [tuple(fact.values()) for fact in facts]
    try:
        written = b"m" + marshal.dumps(values, 2)
    except ValueError:  # a value marshal cannot write
        written = b"r" + repr(values).encode()
    return hashlib.sha256(written).digest()


Digests = dict[str, bytes]  # a record's facts hashed type by type (_digest of its facts of each type)
ABSENT = bytes(32)  # the hash of no facts of a type (of a shard itself, of the shared ones)
NO_FACTS = (b"", 0)  # the row and count of a record with no facts (most records, to a pair pack)
UNWORKED = ""  # a record's memo key not worked out yet (a key is a hash; None: it has none)


def _by_type(facts: list[Fact]) -> Digests:
    of_type: dict[str, list[Fact]] = {}
    for fact in facts:
        of_type.setdefault(fact["t"], []).append(fact)
    return {kind: _digest(those) for kind, those in sorted(of_type.items())}


def _encoded(digests: Digests) -> bytes:
    """The hashes as the index keeps them: each type's name, a NUL, its 32-byte hash."""
    return b"".join(kind.encode() + b"\0" + digest for kind, digest in digests.items())


def _decoded(stored: bytes) -> Digests | None:
    digests: Digests = {}
    at = 0
    while at < len(stored):
        nul = stored.find(b"\0", at)
        if nul < 0 or nul + 33 > len(stored):
            return None
        digests[stored[at:nul].decode(errors="replace")] = stored[nul + 1 : nul + 33]
        at = nul + 33
    return digests


def _prepared(pack: Pack, facts: list[Fact]) -> tuple[list[Fact], Digests]:
    prepared = [p for p in map(pack.prepare, facts) if p is not None]
    return prepared, _by_type(prepared)


class Recorder:
    """The index as a forked worker process sees it (the parent's database connection is never used
    there): every lookup misses, and what would be written is handed back for the parent to write."""

    def __init__(self) -> None:
        self.facts_put: list[tuple[str, bytes, int, Reads]] = []
        self.matches_put: list[tuple[str, StoredMatches]] = []

    def facts(self, keys: list[str]) -> dict[str, tuple[bytes, int, Reads]]:
        return {}

    def matches(self, keys: list[str]) -> dict[str, StoredMatches]:
        return {}

    def put_facts(self, key: str, digest: bytes, count: int, dated: Reads) -> None:
        self.facts_put.append((key, digest, count, dated))

    def put_matches(self, key: str, stored: StoredMatches) -> None:
        self.matches_put.append((key, stored))

    def replay(self, index: CorpusIndex) -> None:
        for key, digest, count, dated in self.facts_put:
            index.put_facts(key, digest, count, dated)
        for key, stored in self.matches_put:
            index.put_matches(key, stored)


@dataclass
class ShardRun:
    """A shard about to be evaluated: each group's key in the index, the matches the index holds for
    groups of rules, and for the others (`missed`), the facts and the pack the engine is to run."""

    shard: Shard
    members: list[RecordEntry]  # its records that give the pack facts: a fact's `ri` is its place here
    keys: list[str]  # by group of Pack.groups (none without an index)
    known: list[Found | None]  # by group: its matches, None for those the engine is to run
    facts: list[Fact]  # for the engine: the shard's facts its rules read (none when every group is known)
    pack: Pack  # the rules of the missed groups: the whole pack when all are

    @property
    def missed(self) -> list[int]:
        return [g for g, found in enumerate(self.known) if found is None]


class ShardFacts:
    def __init__(
        self,
        pack: Pack,
        ctx: Context,
        shared: list[Fact],
        index: CorpusIndex | None,
        match_limit: int,
        planned: Sequence[Shard] = (),  # the shards `plan` will be given, in order
        priming: bool = False,  # a server before it answers: every record's facts kept on its document
    ):
        self.pack, self.match_limit, self.priming = pack, match_limit, priming
        self.index: CorpusIndex | Recorder | None = index
        shape: Shape = pack  # typed so that mypy checks a pack against what facts.py asks of it
        self.ctx = dataclasses.replace(ctx, shape=shape)
        # The same table in every run: a server keeps what this pack makes of it while it is.
        self.shared, self._shared_digests = resident.unless_changed(
            ("shared facts", pack.name), shared, lambda: _prepared(pack, shared)
        )
        # Corpus index -> its facts' hashes as a row (_row), and how many facts.
        self._types = sorted(pack.fact_types)
        self._places = {kind: n.to_bytes(2, "little") for n, kind in enumerate(self._types)}
        self._records: dict[int, tuple[bytes, int]] = {}
        # By corpus index, as long as the corpus (a list, not a dict of 100,000 records: 5 MB each):
        # its memo key, UNWORKED until worked out; whether its hash was looked for (found or not).
        records = len(ctx.corpus.records)
        self._memos: list[str | None] = [UNWORKED] * records
        self._asked = bytearray(records)
        # Where a server's document keeps a record's facts key, its facts and their hash.
        self._key_of, self._facts_of = f"facts key {pack.name}", f"facts {pack.name}"
        self._digest_of = f"facts digest {pack.name}"
        # All context_reads may read of other records: a server gives back the same object while it
        # compares equal (runs on the same files), and a record's facts key kept with it stands.
        self._context = resident.unless_changed("context reads", (ctx.authority, ctx.refunds), object)
        self._clock = ctx.clock
        # A record's facts are built once and kept, as tuples (a third of a dict's memory), until the
        # last of its shards is planned: a record belongs to several (six, in a dense corpus).
        self._left = array("i", bytes(4 * records))  # by corpus index: its shards not yet planned
        for shard in planned:
            for number in shard.numbers:
                self._left[number] += 1
        self._kept: dict[int, tuple[Reads, list[tuple]]] = {}  # with what they read of the reference date

    def _row(self, digests: Digests) -> bytes:
        """A record's hashes as one bytes: for each type it has facts of, the type's place in `_types`
        (2 bytes) and the hash (not a 32-byte hash for every type of the pack, most of them ABSENT:
        a pack reads 21 types, a dense corpus's record has facts of 5, and 100,000 rows took 80 MB)."""
        return b"".join(self._places[kind] + digest for kind, digest in digests.items() if kind in self._places)

    def in_worker(self) -> None:
        """In a forked worker process: what would go to the index goes to a Recorder instead."""
        if self.index is not None:
            self.index = Recorder()

    def handed_out(self) -> None:
        """Every shard of the pass is planned here or handed to a forked worker with its records' memo
        keys: this process lets go of what it worked out record by record (at 100,000 records, 11 MiB
        of memo keys alone) before the next pass works out its own."""
        self._memos, self._asked, self._records, self._kept = [], bytearray(), {}, {}

    def memo_keys(self, shard: Shard) -> dict[int, str | None]:
        """The memo keys of the shard's records worked out so far (for a worker: it need not again)."""
        return {n: self._memos[n] for n in shard.numbers if self._memos[n] != UNWORKED}

    def learn_memo_keys(self, memos: dict[int, str | None]) -> None:
        for number, memo in memos.items():
            self._memos[number] = memo

    def recorded(self) -> Recorder | None:
        """In a worker, what it would have written to the index since it was last asked."""
        if not isinstance(self.index, Recorder):
            return None
        taken, self.index = self.index, Recorder()
        return taken

    def _memo_key(self, entry: RecordEntry) -> str | None:
        """Where the index keeps the hash of a record's facts: the pack, the record (its file's bytes
        and its place there), its standing, and what else facts.py reads for it (context_reads) but
        the reference date: what they read of it is kept with them, and they stand on another date
        where each of those reads answers the same (facts.Clock). Worked out once a run: a record
        belongs to several shards."""
        memo = self._memos[entry.index]
        if memo == UNWORKED:
            memo = self._memos[entry.index] = self._new_memo_key(entry)
        return memo

    def _new_memo_key(self, entry: RecordEntry) -> str | None:
        file = self.ctx.corpus.file_at(entry.path)
        content = file.content if file is not None else ""
        if self.index is None or not content:
            return None
        standing = self.ctx.standing[entry.index]
        # A server works the key out again only when the record's bytes, its standing or the context changed.
        inputs = (content, standing, self._context)
        key = entry.document.recall(self._key_of, inputs)
        if key is None:
            status, reads = repr((standing.status, standing.by)), repr(context_reads(entry, self.ctx))
            key = CorpusIndex.facts_key(self.pack.name, content, str(entry.document.index), status, reads)
            entry.document.keep(self._key_of, inputs, key)
        return key

    def _facts(self, entry: RecordEntry, ri: int, read: set[str] | None = None) -> tuple[list[Fact], Reads]:
        """The record's facts (those of the types in `read`, when given and they were built before),
        and what they read of the reference date."""
        # A server keeps them on the record's document, under its facts key (what they are made of).
        memo, facts_of = self._memo_key(entry), self._facts_of
        kept = self._kept.get(entry.index)
        if kept is None and memo:
            recalled = self._dated_recall(entry, facts_of, memo)
            kept = (recalled[0], marshal.loads(recalled[1])) if recalled is not None else None
        if kept is not None:
            dated = kept[0]
            facts = [self.pack.expand(values) for values in kept[1] if read is None or values[0] in read]
        else:
            with self._clock.logging() as dated:
                facts = record_facts(entry, self.ctx)
            kept_here, kept_on_document = self._left[entry.index] > 1, bool(memo) and entry.document.keeps
            if facts and (kept_here or kept_on_document):
                compact = [self.pack.compact(fact) for fact in facts]
                if kept_here:
                    self._kept[entry.index] = (dated, compact)
                if kept_on_document:  # marshalled: half the memory of the tuples (50 MB for 10,000 dense records)
                    entry.document.keep(facts_of, memo, (dated, marshal.dumps(compact)))
        for fact in facts:
            fact["ri"] = ri
        return facts, dated

    def _dated_recall(self, entry: RecordEntry, name: str, memo: str) -> tuple[Reads, Any] | None:
        """What a server's document keeps under `name` for this facts key, with the reads of the
        reference date it was kept with, if they answer the same today (else None)."""
        kept = entry.document.recall(name, memo)
        return kept if kept is not None and self._clock.answers(kept[0]) else None

    def _keep_facts(self, entry: RecordEntry) -> None:
        """Build and keep on its document the facts of a record whose hash was known (from the index):
        a server's first run that sends its shard to the engine then builds none of them."""
        memo = self._memo_key(entry)
        if not memo or not entry.document.keeps or not self._records[entry.index][1]:
            return  # nowhere to keep them, or none to keep
        if self._dated_recall(entry, self._facts_of, memo) is None:
            self._facts(entry, 0)

    def plan(self, shard: Shard) -> ShardRun:
        """The shard's run: its matches from the index, else its facts for the engine. A record that
        gives the pack no fact takes no part, not even a number: adding one changes no shard's key."""
        try:
            return self._plan(shard)
        finally:
            for number in shard.numbers:
                self._left[number] -= 1
                if self._left[number] <= 0:
                    self._kept.pop(number, None)

    def _recall_digests(self, entries: Sequence[RecordEntry]) -> None:
        """Take the hashes of these records' facts from their documents (a server keeps them there,
        resident.py) or from the index, where they are known; each record is looked for once."""
        fresh = [e for e in entries if e.index not in self._records and not self._asked[e.index]]
        for entry in fresh:
            self._asked[entry.index] = True
        memos = {e.index: self._memo_key(e) for e in fresh}
        for entry in fresh:
            memo = memos[entry.index]
            kept = self._dated_recall(entry, self._digest_of, memo) if memo else None
            if kept is not None:
                self._records[entry.index] = kept[1]
        asked = [memo for i, memo in memos.items() if memo and i not in self._records]
        remembered = self.index.facts(asked) if self.index is not None and asked else {}
        for entry in fresh:
            memo = memos[entry.index]
            if entry.index not in self._records and memo in remembered:
                stored, count, dated = remembered[memo]
                digests = _decoded(stored)
                if digests is not None and self._clock.answers(dated):
                    self._records[entry.index] = (self._row(digests), count) if count else NO_FACTS
                    entry.document.keep(self._digest_of, memo, (dated, self._records[entry.index]))

    def _stored(self, shard: Shard) -> tuple[list[RecordEntry], list[Fact], list[str], list[Found | None]]:
        """(the shard's members, its own facts, each group's key in the index, each group's matches
        if the index holds them), once every record's hashes are known."""
        members = [entry for entry in shard.records if self._records[entry.index][1]]
        of_shard = shard_level_facts(shard, self.ctx)
        if self.index is None:
            return members, of_shard, [], [None] * len(self.pack.groups)
        # Each type's column: the hashes for it of the records that have facts of it, each with its
        # place (a record's place is in every key).
        hashing = [hashlib.sha256() for _ in self._types]
        for place, entry in enumerate(members):
            row, at = memoryview(self._records[entry.index][0]), place.to_bytes(4, "little")
            for start in range(0, len(row), 34):
                column = hashing[int.from_bytes(row[start : start + 2], "little")]
                column.update(at)
                column.update(row[start + 2 : start + 34])
        columns = {kind: column.digest() for kind, column in zip(self._types, hashing, strict=True)}
        of_shard_by_type, shared_by_type = _by_type(of_shard), self._shared_digests
        keys = [
            CorpusIndex.matches_key(
                self.pack.name,
                str(self.match_limit),
                ",".join(types),
                *(
                    columns[kind] + of_shard_by_type.get(kind, ABSENT) + shared_by_type.get(kind, ABSENT)
                    for kind in types
                ),
            )
            for types, _ in self.pack.groups
        ]
        stored = self.index.matches(keys)
        known = [self._known(members, stored[key]) if key in stored else None for key in keys]
        return members, of_shard, keys, known

    def unknown_at_least(self, shards: Sequence[Shard], at_least: int) -> bool:
        """Whether at least `at_least` of these shards' records have facts whose hash neither their
        documents nor the index know (their facts must be built: all of them in a cold run). Asked
        about `at_least` records at a time, and no further than the answer: the others' memo keys
        are worked out as their shards are planned, while workers evaluate the first shards."""
        entries = list({entry.index: entry for shard in shards for entry in shard.records}.values())
        unknown, step = 0, max(1, at_least)
        for start in range(0, len(entries), step):
            if unknown >= at_least:
                break
            those = entries[start : start + step]
            self._recall_digests(those)
            unknown += sum(entry.index not in self._records for entry in those)
        return unknown >= at_least

    def known(self, shard: Shard) -> Found | None:
        """The shard's matches, if the index holds those of every group for the facts its records
        are known to have: found without building a fact (else None)."""
        if self.index is None:
            return None
        self._recall_digests(shard.records)
        if any(entry.index not in self._records for entry in shard.records):
            return None
        known = self._stored(shard)[3]
        return None if None in known else [m for found in known if found is not None for m in found]

    def _plan(self, shard: Shard) -> ShardRun:
        built: dict[int, list[Fact]] = {}  # facts built to be hashed: the engine takes them on a miss
        self._recall_digests(shard.records)
        for entry in shard.records:
            if entry.index in self._records:
                if self.priming:
                    self._keep_facts(entry)
                continue
            memo = self._memo_key(entry)
            own, dated = self._facts(entry, 0)  # hashed with `ri` 0: the same in any place
            built[entry.index] = own
            digests = _by_type(own) if self.index else {}
            self._records[entry.index] = (self._row(digests) if self.index else b"", len(own)) if own else NO_FACTS
            if self.index is not None and memo:
                self.index.put_facts(memo, _encoded(digests), len(own), dated)
            if memo:
                entry.document.keep(self._digest_of, memo, (dated, self._records[entry.index]))
        members, of_shard, keys, known = self._stored(shard)
        run = ShardRun(shard, members, keys, known, [], self.pack)
        if not run.missed:
            return run
        # Only the groups whose facts changed: their rules, as a pack of their own, on their facts.
        read = None if len(run.missed) == len(run.known) else {k for g in run.missed for k in self.pack.groups[g][0]}
        facts: list[Fact] = []
        for n, entry in enumerate(members):
            record = built[entry.index] if entry.index in built else self._facts(entry, n, read)[0]
            for fact in record:
                fact["ri"] = n
            facts += record
        facts += of_shard + self.shared
        if read is None:
            return dataclasses.replace(run, facts=self.pack.taking_part(facts, spread))
        pack = register([rule for g in run.missed for rule in self.pack.groups[g][1]])
        taking = pack.taking_part([f for f in facts if f["t"] in read], spread)
        return dataclasses.replace(run, facts=taking, pack=pack)

    def _known(self, members: list[RecordEntry], stored: StoredMatches) -> Found | None:
        """Stored matches with their facts; None (a miss) unless every one names, for a rule of the
        pack and one of its queries, a stored fact of the type each of its bindings takes, and every
        stored fact belongs to one of the shard's records or to none (`ri` -1)."""
        facts: list[Fact] = []
        for fact in stored.facts:
            ri = fact.get("ri")
            if type(ri) is not int or not -1 <= ri < len(members) or not isinstance(fact.get("t"), str):
                return None
            facts.append(fact if ri < 0 else {**fact, "ri": members[ri].index})
        found: Found = []
        for rule_id, q, positions in stored.matches:
            rule = self.pack.by_id.get(rule_id)
            if rule is None or q >= len(rule.queries):
                return None
            types = {p.binding: p.fact for p in rule.queries[q].patterns if p.binding}
            if positions.keys() != types.keys() or max(positions.values(), default=0) >= len(facts):
                return None
            match = {b: facts[p] for b, p in positions.items()}
            if any(match[b]["t"] != types[b] for b in match):
                return None
            found.append((rule_id, q, match))
        return found

    def found(self, run: ShardRun, result: RunResult | None) -> Found:
        """The shard's matches, group by group in the pack's order: those the index holds, and the
        engine's (`result`) as facts with their corpus `ri`, kept in the index when the run had no
        error (an error may be the engine's, not the facts')."""
        facts, members = run.facts, run.members
        fresh: list[list[tuple[str, int, dict[str, int]]]] = [[] for _ in self.pack.groups]
        for rule_id, q, places in result.matches if result is not None else ():
            fresh[self.pack.group_of[rule_id]].append((rule_id, q, places))
        if self.index is not None and result is not None and not result.errors:
            for g in run.missed:
                named = sorted({p for _, _, ps in fresh[g] for p in ps.values()})
                place = {p: n for n, p in enumerate(named)}
                self.index.put_matches(
                    run.keys[g],
                    StoredMatches(
                        [facts[p] for p in named],
                        [(rule_id, q, {b: place[p] for b, p in ps.items()}) for rule_id, q, ps in fresh[g]],
                    ),
                )

        def fact_at(position: int) -> Fact:
            fact = facts[position]
            return fact if fact["ri"] < 0 else {**fact, "ri": members[fact["ri"]].index}

        found: Found = []
        for g, known in enumerate(run.known):
            if known is not None:
                found += known
            else:
                found += [(rule_id, q, {b: fact_at(p) for b, p in ps.items()}) for rule_id, q, ps in fresh[g]]
        return found
