"""Which records are evaluated together (docs/engine-notes.md: one state per shard keeps durable-rules in
its fast, correct regime and the cost linear in the corpus).

A country shard holds a country's records, every record of each agreement it is party to (so both
sides of an agreement meet), and the records they refer to (a lead agency or a parent policy kept
under another country or a regional body). A pair shard holds two countries linked by an agreement or
by a corridor, for the few rules that join two countries' own policies (`scope: pair`).
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import NamedTuple

from . import resident
from .load import LoadedFile
from .placing import Placing, placing, shared
from .validate import Corpus, RecordEntry

Scope = str  # "country" or "pair"


@dataclass
class Shard:
    key: str  # a country, a bloc, "@body" for a regional record without members, or "A|B"
    # Its records' places in `corpus`, in order: an array of them holds each in 4 bytes, where a
    # list of records took 8 (a record is in 35 pair shards of a dense corpus: 28 MB at 100,000).
    numbers: Sequence[int]
    corpus: list[RecordEntry] = field(repr=False)
    scope: Scope = "country"

    @property
    def records(self) -> list[RecordEntry]:
        """Its records, in order (a new list: a shard is planned once)."""
        return list(map(self.corpus.__getitem__, self.numbers))


def _file_placings(file: LoadedFile) -> tuple[Placing, ...]:
    """The placing of each document of a file that is a mapping (a summarised one is a record's),
    kept on a server's files."""
    return file.remembered(
        "placings", lambda: tuple(placing(d) for d in file.documents if d.told is not None or isinstance(d.data, dict))
    )


def membership(corpus: Corpus) -> list[tuple[str, ...]]:
    """The country shards each record belongs to: its own, every shard of the agreements it is a
    record of, and the shards of the records that refer to it (computed once per corpus)."""
    if "membership" not in corpus.derived:

        def named(ref: str) -> list[int]:
            entry = corpus.by_id.get(ref)
            return [entry.index] if entry else []

        # A function of the records' placings (by_id, too, is one of their ids in order): a server
        # keeps it while they are what they were.
        placed = _placings(corpus)
        corpus.derived["membership"] = resident.unless_changed("membership", placed, lambda: _membership(placed, named))
    return corpus.derived["membership"]


def _placings(corpus: Corpus) -> list[Placing]:
    """The placing of each record, by its index."""
    return [e.placing for e in corpus.records]


def _membership(placed: list[Placing], named: Callable[[str], list[int]]) -> list[tuple[str, ...]]:
    """Each placing's shard keys, by its place in `placed`; `named` gives the places of an id's records.
    Records with the same keys (most of a country's) share one tuple of them."""
    agreement_keys: dict[str, set[str]] = {}
    for p in placed:
        if p.agreement is not None:
            agreement_keys.setdefault(p.agreement, set()).update(p.own)
    keys = [set(agreement_keys[p.agreement] if p.agreement is not None else p.own) for p in placed]
    referred: dict[int, set[str]] = {}
    for number, p in enumerate(placed):
        for ref in p.referred:
            for target in named(ref):
                referred.setdefault(target, set()).update(keys[number])
    return [shared(tuple(sorted(own | referred.get(number, set())))) for number, own in enumerate(keys)]


class Needs(NamedTuple):
    """What a run that names some files must validate, and whose references it must check, as
    (path, document index)."""

    validated: set[tuple[str, int]]
    checked: set[tuple[str, int]]


def needed_documents(files: list[LoadedFile], targets: set[str]) -> Needs:
    """The documents a run that names `targets` must validate: theirs, the records of the shards the
    targets' records belong to, those of the countries paired with them or party to their
    agreements, and every record sharing an id with one of those (the first valid one is the
    record). Read from unvalidated data, so it may take more than the run evaluates, never less.
    Their references are checked (E004) in theirs and in those that refer to an id they hold: a
    finding elsewhere points into no target (a reference to the wrong kind of record names it)."""
    placed = [p for f in files for p in _file_placings(f)]
    # A function of the placings alone: `coherence serve` keeps it while they are what they were
    # (an edit that changes no id, country, agreement or reference), whatever files a run names.
    where = resident.unless_changed("placement", placed, lambda: Placement(placed))
    named = where.numbers(where.by_path, targets)
    touched = {k for n in named for k in where.keys[n]}
    partners = {c for k in touched if k in where.paired for c in (k, *where.paired[k])}
    # An agreement's facts read its parties' own policies (who refunds contributions): every party's.
    partners |= {c for n in where.numbers(where.agreements_by_key, touched) for c in where.keys[n]}
    chosen = named | where.numbers(where.by_key, touched) | where.numbers(where.by_own_key, partners)
    chosen |= where.numbers(where.by_id, {i for n in chosen for i in placed[n].ids})
    checked = named | where.numbers(where.referrers, {i for n in named for i in placed[n].ids})
    return Needs(*({(placed[n].path, placed[n].place) for n in numbers} for numbers in (chosen, checked)))


class Placement:
    """Where every document's record goes (the shards of each, by its place in `placed`), indexed
    for needed_documents: by path, id, shard key, own key, the ids it refers to, and agreements by
    shard key."""

    def __init__(self, placed: list[Placing]) -> None:
        self.by_id: dict[str, list[int]] = {}
        self.by_path: dict[str, list[int]] = {}
        self.by_own_key: dict[str, list[int]] = {}
        self.referrers: dict[str, list[int]] = {}  # the documents that refer to an id
        for number, p in enumerate(placed):
            self.by_path.setdefault(p.path, []).append(number)
            for record_id in p.ids:
                self.by_id.setdefault(record_id, []).append(number)
            for key in p.own:
                self.by_own_key.setdefault(key, []).append(number)
            for ref in p.referred:
                self.referrers.setdefault(ref, []).append(number)
        self.keys = _membership(placed, lambda ref: self.by_id.get(ref, []))
        self.by_key: dict[str, list[int]] = {}
        self.agreements_by_key: dict[str, list[int]] = {}
        for number, keys in enumerate(self.keys):
            for key in keys:
                self.by_key.setdefault(key, []).append(number)
                if placed[number].is_agreement:
                    self.agreements_by_key.setdefault(key, []).append(number)
        self.paired: dict[str, set[str]] = {}  # the countries each is linked with (_linked_pairs)
        for a, b in _linked_pairs(placed):
            self.paired.setdefault(a, set()).add(b)
            self.paired.setdefault(b, set()).add(a)

    @staticmethod
    def numbers(index: dict[str, list[int]], wanted: set[str] | frozenset[str]) -> set[int]:
        return {n for w in wanted for n in index.get(w, ())}


Layout = list[tuple[str, array]]  # shards' keys and their records' indices, in order


def _laid_out(corpus: Corpus, layout: Layout, scope: Scope) -> list[Shard]:
    return [Shard(key, numbers, corpus.records, scope) for key, numbers in layout]


def shards(corpus: Corpus, only: set[str] | None = None) -> list[Shard]:
    """One shard per country; `only` limits them to those keys."""
    keys = membership(corpus)

    def layout() -> Layout:
        members: dict[str, list[int]] = {}
        for number, shard_keys in enumerate(keys):
            for key in shard_keys:
                if only is None or key in only:
                    members.setdefault(key, []).append(number)
        return [(key, array("I", members[key])) for key in sorted(members)]

    # A function of the membership and `only`: a server keeps it while they compare equal.
    return _laid_out(corpus, resident.unless_changed("country shards", (keys, only), layout), "country")


def _linked_pairs(placed: list[Placing]) -> set[tuple[str, str]]:
    """Two countries an agreement between them, or a corridor one of them names, links."""
    return {pair for p in placed for pair in p.pairs}


def pair_shards(corpus: Corpus, only: set[str] | None = None) -> list[Shard]:
    """One shard per linked pair of countries: both countries' own records and the agreements
    between them; `only` keeps the pairs with a country among those keys."""
    placed = _placings(corpus)

    def layout() -> Layout:
        own: dict[str, list[int]] = {}
        for number, p in enumerate(placed):
            for key in p.own:
                own.setdefault(key, []).append(number)
        return [
            (f"{a}|{b}", array("I", sorted({*own.get(a, []), *own.get(b, [])})))
            for a, b in sorted(_linked_pairs(placed))
            if only is None or {a, b} & only
        ]

    # A function of the records' placings and `only`: a server keeps it while they compare equal.
    return _laid_out(corpus, resident.unless_changed("pair shards", (placed, only), layout), "pair")
