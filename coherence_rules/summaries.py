"""A valid record's summary: what a run reads of every record beyond its document's values, which
is a function of the record alone (its id and kind, where shards put it, where it stands in time and
whom it supersedes, the agencies and parties its facts look up in the rest of the corpus, how many
facts it may yield, how messages name it). The corpus index keeps it by the file's bytes (its
`summaries`), so that a warm run validates only the records whose facts it builds or whose model it
otherwise reads (RecordEntry.model): the others answer from their summary (Document.told), and a
run naming files does not even read their values (load.UnreadDocument). Each value is made by the
very function that reads it, here, once, from the model or as validation read it; a test holds what
comes back from the index to it."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from .corpus_index import CorpusIndex, StoredSummary
from .cost import record_bound
from .evaluate import agreement_title, named, record_owner
from .facts import LED, ContextPart, context_part, coordination_bodies, leads, party_codes
from .load import Document
from .placing import Placing, shared
from .settings import Limits
from .validate import Corpus, RecordEntry


def summary(entry: RecordEntry) -> dict[str, Any]:
    """What a run may read of the record beyond its values, by the name it is remembered under."""
    told: dict[str, Any] = {
        "kind": entry.kind,
        "placing": entry.placing,
        "context part": context_part(entry),
        "fact_bound": record_bound(entry),
        "name": named(entry),
        "owner": record_owner(entry),
        "coordination": coordination_bodies(entry),
        "parties": party_codes(entry),
    }
    if entry.kind in LED:
        told["leads"] = leads(entry)
    if entry.kind == "agreement":
        told["agreement title"] = agreement_title(entry)
    return told


def encoded(told: dict[str, Any]) -> dict[str, Any]:
    """A summary as the index keeps it (corpus_index.StoredSummary: JSON, dates as ISO 8601)."""
    part = told["context part"]
    placed = told["placing"]
    return {
        "kind": told["kind"],
        "placing": [placed.ids, placed.is_agreement, placed.agreement, placed.own, placed.referred, placed.pairs],
        "context_part": [
            part.id,
            part.status,
            [[day.isoformat(), status] for day, status in part.history],
            part.agreement,
            part.supersedes,
            part.repeals,
            part.authority,
            part.refunds,
        ],
        "fact_bound": told["fact_bound"],
        "name": told["name"],
        "owner": told["owner"],
        "coordination": told["coordination"],
        "parties": told["parties"],
        "leads": told.get("leads"),
        "agreement_title": told.get("agreement title"),
    }


def decoded(stored: StoredSummary, document: Document) -> dict[str, Any] | None:
    """A summary the index kept (of the shape it checked) for a document, as summary() made it;
    None if a date in it is not one."""
    identity, status, history, agreement, supersedes, repeals, authority, refunds = stored.context_part
    try:
        steps = tuple((dt.date.fromisoformat(day), step) for day, step in history)
    except ValueError:
        return None
    ids, is_agreement, of_agreement, own, referred, pairs = stored.placing
    placed = Placing(
        document.path,
        document.index,
        tuple(ids),
        is_agreement,
        of_agreement,
        shared(tuple(own)),
        tuple(referred),
        shared(tuple(map(tuple, pairs))),  # type: ignore[arg-type]  # pairs of two, as the index checked
    )
    told = {
        "kind": stored.kind,
        "placing": placed,
        "context part": ContextPart(
            identity, status, steps, agreement, tuple(supersedes), tuple(repeals), authority, refunds
        ),
        "fact_bound": stored.fact_bound,
        "name": stored.name,
        "owner": stored.owner,
        "coordination": tuple(stored.coordination),
        "parties": tuple(stored.parties),
    }
    if stored.leads is not None:
        told["leads"] = tuple(stored.leads)
    if stored.agreement_title is not None:
        told["agreement title"] = stored.agreement_title
    return told


def summarised(document: Document) -> bool:
    """Whether the document's record answers from a summary (the index's, or a server's: told)."""
    if document.summary is not None:
        document.told, document.summary = decoded(document.summary, document), None
    return document.told is not None


def keep(corpus: Corpus, index: CorpusIndex, limits: Limits) -> None:
    """Put in the index the summaries of the files some record of which has none (each file's entry
    holds every valid record's). A server's documents keep theirs (told: then no later run puts them
    again); a one-shot run's do not: a cold run would hold them all (40 MB at 100,000 records) to
    save little. Records come file by file (validate), and this is the peak of a large run's memory:
    nothing of the corpus's size is built here."""
    for path, group in itertools.groupby(corpus.records, key=lambda entry: entry.document.path):
        entries = list(group)
        file = corpus.file_at(path)
        if file is None or not file.content or all(entry.document.told is not None for entry in entries):
            continue  # not hashed (no index), or the index holds the summaries of all
        stored = {}
        for entry in entries:
            told = entry.document.told or summary(entry)
            if entry.document.keeps:
                entry.document.told = told
            stored[entry.document.index] = encoded(told)
        # A run naming files then reads the summaries, not the file's entry, unless it needs its records.
        whole = len(stored) == len(file.documents) and not file.findings
        index.put_summaries(index.file_key(file.content, limits), stored, whole)
