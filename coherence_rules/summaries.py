"""A valid record's summary: what a run reads of every record beyond its document's values, which
is a function of the record alone (where it stands in time and whom it supersedes, the agencies and
parties its facts look up in the rest of the corpus, how many facts it may yield, how messages name
it). The corpus index keeps it by the file's bytes (its `summaries`), so that a warm run validates
only the records whose facts it builds or whose model it otherwise reads (RecordEntry.model): the
others answer from their summary (Document.told). Each value is made by the very function that
reads it, here, once, from the model; a test holds what comes back from the index to it."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from typing import Any

from .corpus_index import CorpusIndex
from .cost import fact_bound
from .evaluate import agreement_title, record_name, record_owner
from .facts import ContextPart, context_part, coordination_bodies, leads, party_codes
from .load import Document
from .settings import Limits
from .validate import Corpus, RecordEntry

STATEMENTS = ("policy", "agreement")  # the kinds whose statements have lead agencies (facts.leads)


def summary(entry: RecordEntry) -> dict[str, Any]:
    """What a run may read of the record beyond its values, by the name it is remembered under."""
    told: dict[str, Any] = {
        "context part": context_part(entry),
        "fact_bound": entry.document.remembered("fact_bound", lambda: fact_bound(entry.model)),
        "name": entry.document.remembered("name", lambda: record_name(entry.model)),
        "owner": record_owner(entry),
        "coordination": coordination_bodies(entry),
        "parties": party_codes(entry),
    }
    if entry.kind in STATEMENTS:
        told["leads"] = leads(entry)
    if entry.kind == "agreement":
        told["agreement title"] = agreement_title(entry)
    return told


def encoded(told: dict[str, Any]) -> dict[str, Any]:
    """A summary as the index keeps it (JSON: lists, dates as ISO 8601)."""
    part = told["context part"]
    stored = dict(told)
    stored["context part"] = [
        part.id,
        part.status,
        [[day.isoformat(), status] for day, status in part.history],
        part.agreement,
        list(part.supersedes),
        list(part.repeals),
        list(part.authority) if part.authority is not None else None,
        part.refunds,
    ]
    return stored


def _strings(value: Any) -> tuple[str, ...]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise TypeError("not a list of strings")
    return tuple(value)


def _text(value: Any, optional: bool = False) -> Any:
    if isinstance(value, str) or (optional and value is None):
        return value
    raise TypeError("not a string")


def decoded(stored: Any) -> dict[str, Any] | None:
    """A summary the index kept, as summary() made it; None for anything else."""
    try:
        identity, status, history, agreement, supersedes, repeals, authority, refunds = stored["context part"]
        if authority is not None:
            parent, power = authority
            if not (power is None or isinstance(power, bool)):
                raise TypeError("not a decision power")
            authority = (_text(parent, optional=True), power)
        told = {
            "context part": ContextPart(
                _text(identity),
                _text(status, optional=True),
                tuple((dt.date.fromisoformat(_text(day)), _text(step)) for day, step in history),
                _text(agreement, optional=True),
                _strings(supersedes),
                _strings(repeals),
                authority,
                _text(refunds, optional=True),
            ),
            "name": _text(stored["name"]),
            "owner": _text(stored["owner"]),
            "coordination": _strings(stored["coordination"]),
            "parties": _strings(stored["parties"]),
        }
        bound = stored["fact_bound"]
        if type(bound) is not int or bound < 0:
            raise TypeError("not a count")
        told["fact_bound"] = bound
        if "leads" in stored:
            told["leads"] = _strings(stored["leads"])
        if "agreement title" in stored:
            key, title = stored["agreement title"]
            told["agreement title"] = (_text(key), _text(title))
    except (KeyError, TypeError, ValueError):
        return None
    return told


def summarised(document: Document) -> bool:
    """Whether the document's record answers from a summary (the index's, or a server's: told)."""
    if document.summary is not None:
        document.told, document.summary = decoded(document.summary), None
    return document.told is not None


def keep(corpus: Corpus, index: CorpusIndex, limits: Limits) -> None:
    """Put in the index the summaries of the files some record of which has none (each file's entry
    holds every valid record's). A server's documents keep theirs (told: then no later run puts them
    again); a one-shot run's do not: a cold run would hold them all (40 MB at 100,000 records) to
    save little."""
    records: dict[str, list[RecordEntry]] = defaultdict(list)
    for entry in corpus.records:
        records[entry.path].append(entry)
    for loaded in corpus.files:
        entries = records.get(loaded.path, [])
        if not loaded.content or all(entry.document.told is not None for entry in entries):
            continue  # no record, or the index holds the summaries of all
        stored = {}
        for entry in entries:
            told = entry.document.told or summary(entry)
            if entry.document.keeps:
                entry.document.told = told
            stored[entry.document.index] = encoded(told)
        index.put_summaries(index.file_key(loaded.content, limits), stored)
