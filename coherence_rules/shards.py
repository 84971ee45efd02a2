"""Which records are evaluated together (docs/engine-notes.md: one state per shard keeps durable-rules in
its fast, correct regime and the cost linear in the corpus).

A country shard holds a country's records, every record of each agreement it is party to (so both
sides of an agreement meet), and the records they refer to (a lead agency or a parent policy kept
under another country or a regional body). A pair shard holds two countries linked by an agreement or
by a corridor, for the few rules that join two countries' own policies (`scope: pair`).
"""

from __future__ import annotations

from dataclasses import dataclass

from . import parties
from .schema import Agreement, Commitments, Measure, Objective, Policy
from .validate import Corpus, RecordEntry, references

Scope = str  # "country" or "pair"


@dataclass
class Shard:
    key: str  # a country, a bloc, "@body" for a regional record without members, or "A|B"
    records: list[RecordEntry]
    scope: Scope = "country"


def _own_keys(model) -> list[str]:
    if isinstance(model, Agreement):
        return sorted({parties.home_country(p) or p for p in (*model.parties, model.recorded_by)})
    if isinstance(model, Commitments):
        return [model.country]
    jurisdiction = model.jurisdiction
    if jurisdiction.country:
        return [jurisdiction.country]
    if jurisdiction.members:
        return sorted(set(jurisdiction.members))
    return [f"@{jurisdiction.body}"]  # a regional record without members: a shard of its own


def membership(corpus: Corpus) -> dict[int, list[str]]:
    """The country shards each record belongs to: its own, every shard of the agreements it is a
    record of, and the shards of the records that refer to it (computed once per corpus)."""
    if "membership" not in corpus.derived:
        corpus.derived["membership"] = _membership(corpus)
    return corpus.derived["membership"]


def _membership(corpus: Corpus) -> dict[int, list[str]]:
    agreement_keys: dict[str, set[str]] = {}
    for entry in corpus.records:
        if isinstance(entry.model, Agreement):
            agreement_keys.setdefault(entry.model.agreement, set()).update(_own_keys(entry.model))
    keys = {
        entry.index: set(
            agreement_keys[entry.model.agreement] if isinstance(entry.model, Agreement) else _own_keys(entry.model)
        )
        for entry in corpus.records
    }
    referred: dict[int, set[str]] = {}
    for entry in corpus.records:
        for _, ref, _ in references(entry.document.data):
            target = corpus.by_id.get(ref)
            if target is not None:
                referred.setdefault(target.index, set()).update(keys[entry.index])
    return {index: sorted(own | referred.get(index, set())) for index, own in keys.items()}


def shards(corpus: Corpus, only: set[str] | None = None) -> list[Shard]:
    """One shard per country; `only` limits them to those keys."""
    members: dict[str, list[RecordEntry]] = {}
    keys = membership(corpus)
    for entry in corpus.records:
        for key in keys[entry.index]:
            if only is None or key in only:
                members.setdefault(key, []).append(entry)
    return [Shard(key, members[key]) for key in sorted(members)]


def _linked_pairs(corpus: Corpus) -> set[tuple[str, str]]:
    """Two countries an agreement between them, or a corridor one of them names, links."""
    pairs: set[tuple[str, str]] = set()
    for entry in corpus.records:
        model = entry.model
        if isinstance(model, Agreement):
            countries = sorted({parties.home_country(p) for p in model.parties} - {""})
            if len(countries) == 2:
                pairs.add((countries[0], countries[1]))
        elif isinstance(model, Policy) and model.jurisdiction.country:
            statements: list[Objective | Measure] = [*model.objectives, *model.measures]
            for statement in statements:
                corridor = statement.corridor
                for end in (corridor.origin, corridor.destination) if corridor else ():
                    if isinstance(end, str) and parties.is_country(end) and end != model.jurisdiction.country:
                        a, b = sorted((model.jurisdiction.country, end))
                        pairs.add((a, b))
    return pairs


def pair_shards(corpus: Corpus, only: set[str] | None = None) -> list[Shard]:
    """One shard per linked pair of countries: both countries' own records and the agreements
    between them; `only` keeps the pairs with a country among those keys."""
    own: dict[str, list[RecordEntry]] = {}
    for entry in corpus.records:
        for key in _own_keys(entry.model):
            own.setdefault(key, []).append(entry)
    result = []
    for a, b in sorted(_linked_pairs(corpus)):
        if only is not None and not {a, b} & only:
            continue
        records = {e.index: e for e in own.get(a, [])}
        records.update({e.index: e for e in own.get(b, [])})
        result.append(Shard(f"{a}|{b}", [records[i] for i in sorted(records)], "pair"))
    return result
