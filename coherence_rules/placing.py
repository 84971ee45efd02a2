"""What a document's data says beyond its schema about its place among the other records: the ids
it refers to (E004: validate.py) and the shards its record goes in (shards.py). Read from the raw
data, before validation: a record with a schema error still has its references checked, and a
one-file run finds what it needs before it validates anything (shards.needed_documents). A one-shot
run reads them once, as it validates, and then lets go of the data (Document.let_go)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any, NamedTuple, TypeVar

from . import parties
from .load import Document

T = TypeVar("T", bound=tuple)
INSTITUTION, PARENT, OBJECTIVE = "institution", "policy or agreement", "objective of this record"
KINDS_OF = {INSTITUTION: {"institution"}, PARENT: {"policy", "agreement"}}


def _reference_strings(value: object) -> Iterable[tuple[tuple, str]]:
    """(index path, id) of a reference field's value: an id, a list of ids, or links `{id: …}`."""
    if isinstance(value, str):
        yield (), value
    elif isinstance(value, list):
        for i, item in enumerate(value):
            if isinstance(item, str):
                yield (i,), item
            elif isinstance(item, dict) and isinstance(item.get("id"), str):
                yield (i, "id"), item["id"]


def references(data: dict) -> Iterable[tuple[tuple, str, str]]:
    """(yaml path, referenced id, expected kind) for every reference a record's data makes, read from the
    raw data so that a record with a schema error still has its references checked."""
    kind = data.get("kind")
    keys = {
        "policy": {
            "lead_agency": INSTITUTION,
            "coordination": INSTITUTION,
            "implements": PARENT,
            "amends": PARENT,
            "supersedes": PARENT,
            "repeals": PARENT,
        },
        "agreement": {"amends": PARENT, "supersedes": PARENT, "repeals": PARENT},
        "institution": {
            "members": INSTITUTION,
            "parent": INSTITUTION,
            "succeeded_by": INSTITUTION,
            "absorbed_into": INSTITUTION,
        },
    }.get(kind if isinstance(kind, str) else "", {})
    for key, expected in keys.items():
        for at, ref in _reference_strings(data.get(key)):
            yield (key, *at), ref, expected
    statements = [("objectives", data.get("objectives")), ("measures", data.get("measures"))]
    objective_ids = set()
    for section, items in statements:
        for i, item in enumerate(items if isinstance(items, list) else ()):
            if not isinstance(item, dict):
                continue
            if section == "objectives" and isinstance(item.get("id"), str):
                objective_ids.add(item["id"])
            for key in ("lead_agency", "responsible"):
                if isinstance(item.get(key), str):
                    yield (section, i, key), item[key], INSTITUTION
    measures = data.get("measures")
    for i, item in enumerate(measures if isinstance(measures, list) else []):
        if isinstance(item, dict):
            for at, ref in _reference_strings(item.get("serves")):
                if ref not in objective_ids:
                    yield ("measures", i, "serves", *at), ref, OBJECTIVE


def document_references(document: Document) -> tuple[tuple[tuple, str, str], ...]:
    return document.remembered("references", lambda: tuple(references(document.data)))


def _strings(*values: object) -> list[str]:
    """The strings among values and lists of values (a record's data before it is validated)."""
    found = []
    for value in values:
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str):
                found.append(item)
    return found


def own_keys(data: dict) -> list[str]:
    """The shards a record's own fields place it in, read from its data: the same for a valid
    record as from its model (validation changes none of these values), and read before
    validation to find what a one-file run needs (needed_documents)."""
    kind = data.get("kind")
    if kind == "agreement":
        return sorted({parties.home_country(p) or p for p in _strings(data.get("parties"), data.get("recorded_by"))})
    if kind == "commitments":
        return _strings(data.get("country"))
    jurisdiction = data.get("jurisdiction")
    if not isinstance(jurisdiction, dict):
        return []
    if jurisdiction.get("country"):
        return _strings(jurisdiction["country"])
    members = _strings(jurisdiction.get("members"))
    if members:
        return sorted(set(members))
    return [f"@{jurisdiction.get('body')}"]  # a regional record without members: a shard of its own


class Placing(NamedTuple):
    """What places a document's record in shards, read from its data before validation (one-file
    runs use it to find what they need, needed_documents): a function of the document alone."""

    path: str
    place: int  # the document's index in its file
    ids: tuple[str, ...]  # its `id` (strings only: an invalid record may hold anything)
    is_agreement: bool
    agreement: str | None  # the agreement it is a record of
    own: tuple[str, ...]  # own_keys
    referred: tuple[str, ...]  # the ids it refers to
    pairs: tuple[tuple[str, str], ...]  # the country pairs it links, in order (_pairs_linked_by)


def placing(document: Document) -> Placing:
    def compute() -> Placing:
        data = document.data
        is_agreement = data.get("kind") == "agreement"
        agreement = data.get("agreement") if is_agreement else None
        return Placing(
            document.path,
            document.index,
            tuple(_strings(data.get("id"))),
            is_agreement,
            agreement if isinstance(agreement, str) else None,
            shared(tuple(own_keys(data))),
            tuple(dict.fromkeys(ref for _, ref, _ in document_references(document))),
            shared(_pairs_linked_by(data)),
        )

    return document.remembered("placing", compute)


_SAME: dict[tuple, Any] = {}


def shared(value: T) -> T:
    """One object for equal tuples of shard keys, of pairs: most of a country's records have the same."""
    return _SAME.setdefault(value, value)


def _pairs_linked_by(data: dict) -> tuple[tuple[str, str], ...]:
    kind = data.get("kind")
    if kind == "agreement":
        countries = sorted({parties.home_country(p) for p in _strings(data.get("parties"))} - {""})
        return ((countries[0], countries[1]),) if len(countries) == 2 else ()
    jurisdiction = data.get("jurisdiction")
    country = jurisdiction.get("country") if kind == "policy" and isinstance(jurisdiction, dict) else None
    if not (isinstance(country, str) and country):
        return ()
    pairs = set()
    statements = [*_dicts(data.get("objectives")), *_dicts(data.get("measures"))]
    for corridor in _dicts([s.get("corridor") for s in statements]):
        for end in _strings(corridor.get("origin"), corridor.get("destination")):
            if parties.is_country(end) and end != country:
                a, b = sorted((country, end))
                pairs.add((a, b))
    return tuple(sorted(pairs))  # a tuple: a frozenset is four times its size


def _dicts(value: object) -> list[dict]:
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []
