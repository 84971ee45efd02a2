"""Validate stage: documents -> typed records, with E002 (schema), E003 (ids), E004 (references)."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any, NamedTuple

from pydantic import ValidationError

from .corpus_errors import corpus_error
from .findings import Finding, Location, format_path
from .load import Document, LoadedFile
from .schema import MODELS, Record, v2_uses
from .schema_errors import located_message, suggest


@dataclass
class RecordEntry:
    """A valid record and where it came from."""

    index: int  # its place in its corpus's records
    model: Record
    document: Document

    @property
    def id(self) -> str:
        return self.model.id

    @property
    def kind(self) -> str:
        return self.model.kind

    @property
    def path(self) -> str:
        return self.document.path

    def location(self, yaml_path: Iterable = ()) -> Location:
        return self.document.location(tuple(yaml_path), record=self.model.id)


@dataclass
class Corpus:
    files: list[LoadedFile]
    records: list[RecordEntry]
    by_id: dict[str, RecordEntry]
    findings: list[Finding] = field(default_factory=list)
    derived: dict[str, Any] = field(default_factory=dict, repr=False)  # computed once per corpus (shards.py)


def validate_document(document: Document) -> tuple[Record | None, list[Finding]]:
    data = document.data
    if not isinstance(data, dict):
        return None, [
            corpus_error("E002", f"a record must be a mapping, not {type(data).__name__}", document.location())
        ]
    record_id = _readable_id(data)
    kind = data.get("kind")
    if not isinstance(kind, str) or kind not in MODELS:
        what = (
            "missing required field 'kind'"
            if kind is None
            else (f"'kind: {kind}' is not one of: {', '.join(MODELS)}{suggest(kind, MODELS)}")
        )
        return None, [corpus_error("E002", what, document.location(("kind",), record_id))]
    model = MODELS[kind]
    records = (record_id,) if record_id else ()
    try:
        record = model.model_validate(data)
    except ValidationError as exc:
        findings = []
        for error in exc.errors(include_url=False):
            message, at = located_message(model, data, error)
            findings.append(corpus_error("E002", message, document.location(at, record_id), records=records))
        return None, findings
    if record.coherence == 1:
        uses = v2_uses(record)
        if uses:
            return None, [
                corpus_error(
                    "E002",
                    f"{what} is schema v2: write `coherence: 2` to use it",
                    document.location(at, record_id),
                    records=records,
                )
                for at, what in uses
            ]
    return record, []  # type: ignore[return-value]  # MODELS holds the Record types


def _readable_id(data: dict) -> str | None:
    value = data.get("id")
    return value if isinstance(value, str) and value else None


# --- E003, E004 -------------------------------------------------------------------------

INSTITUTION, PARENT, OBJECTIVE = "institution", "policy or agreement", "objective of this record"
KINDS_OF = {INSTITUTION: {"institution"}, PARENT: {"policy", "agreement"}}


@dataclass(frozen=True)
class _Known:
    """A record whose id and kind can be read, valid or not: duplicates and references see it."""

    id: str
    kind: str
    document: Document

    def location(self, yaml_path: tuple = ()) -> Location:
        return self.document.location(yaml_path, record=self.id)


def _strings(value: object) -> Iterable[tuple[tuple, str]]:
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
        for at, ref in _strings(data.get(key)):
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
            for at, ref in _strings(item.get("serves")):
                if ref not in objective_ids:
                    yield ("measures", i, "serves", *at), ref, OBJECTIVE


def document_references(document: Document) -> tuple[tuple[tuple, str, str], ...]:
    return document.remembered("references", lambda: tuple(references(document.data)))


def _article(noun: str) -> str:
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"


def _check_references(
    documents: list[tuple[Document, dict]], known: dict[str, _Known], agreement_keys: set[str]
) -> list[Finding]:
    findings = []
    for document, data in documents:
        this = _header(document).of(document)
        record_id = this.id if this is not None else None
        for ypath, ref, expected in document_references(document):
            records = (record_id,) if record_id else ()
            if expected == OBJECTIVE:
                ids = [
                    o["id"] for o in data.get("objectives", []) if isinstance(o, dict) and isinstance(o.get("id"), str)
                ]
                findings.append(
                    corpus_error(
                        "E004",
                        f"{format_path(ypath)}: '{ref}' names no objective of {record_id}{suggest(ref, ids)}",
                        document.location(ypath, record_id),
                        records=records,
                    )
                )
                continue
            if expected == PARENT and ref in agreement_keys:
                continue
            target = known.get(ref)
            if target is None:
                candidates = [i for i, k in known.items() if k.kind in KINDS_OF[expected]]
                findings.append(
                    corpus_error(
                        "E004",
                        f"{format_path(ypath)}: '{ref}' names no record{suggest(ref, candidates)}",
                        document.location(ypath, record_id),
                        records=records,
                    )
                )
            elif target.kind not in KINDS_OF[expected]:
                findings.append(
                    corpus_error(
                        "E004",
                        f"{format_path(ypath)}: '{ref}' is {_article(target.kind)}, expected {_article(expected)}",
                        document.location(ypath, record_id),
                        related=(target.location(),),
                        records=(*records, ref),
                    )
                )
    return findings


# Keys any YAML file may have: they alone do not make a mapping a record (a Helm chart has name and type).
GENERIC_KEYS = frozenset({"name", "title", "type", "status", "notes", "source", "budget", "members", "parent"})
HEADER_KEYS = frozenset({"coherence", "kind", "id"})
RECORD_FIELDS = frozenset(name for model in MODELS.values() for name in model.model_fields)


def _record_like(data: object) -> bool:
    """A mapping with a record header (or a near miss of one), or with two record fields beyond the
    generic ones: a record, perhaps with a mistyped header (which E002 then reports), not an
    unrelated YAML file."""
    if not isinstance(data, dict):
        return False
    keys = {key for key in data if isinstance(key, str)}
    if keys & HEADER_KEYS or len(keys & (RECORD_FIELDS - GENERIC_KEYS)) >= 2:
        return True
    return any(difflib.get_close_matches(key, HEADER_KEYS, n=1, cutoff=0.75) for key in keys)  # `knd:` too


class _Header(NamedTuple):
    """What every run reads of a document's data beyond its schema (kept on a server's documents)."""

    record_like: bool  # _record_like
    mapping: bool
    agreement: str | None  # the agreement it is a record of, when it is an agreement
    known: tuple[str, str] | None  # its id and kind, when it has a readable id

    def of(self, document: Document) -> _Known | None:
        """The document as duplicates and references see it."""
        return _Known(*self.known, document) if self.known is not None else None


def _header(document: Document) -> _Header:
    def compute() -> _Header:
        data = document.data
        if not isinstance(data, dict):
            return _Header(_record_like(data), False, None, None)
        agreement = data.get("agreement") if data.get("kind") == "agreement" else None
        record_id = _readable_id(data)
        return _Header(
            _record_like(data),
            True,
            agreement if isinstance(agreement, str) else None,
            (record_id, str(data.get("kind"))) if record_id else None,
        )

    # The id and kind are kept, not the _Known: a document's memo that pointed back to the document
    # would make a cycle, which a server's frozen heap frees only at its next full collection.
    return document.remembered("header", compute)


class _FileIds(NamedTuple):
    """What validation reads of a file beyond its documents' schema (kept on a server's files)."""

    mappings: tuple[Document, ...]  # its documents that are mappings (those whose references are checked)
    agreements: frozenset[str]  # the agreements it holds records of
    known: tuple[_Known, ...]  # each document with a readable id, in order
    first: dict[str, _Known]  # each id's first document here
    repeats: bool  # whether a document repeats an id an earlier one here holds


def _file_ids(loaded: LoadedFile) -> _FileIds | None:
    """None for a file that holds no record (NR001)."""

    def compute() -> _FileIds | None:
        headers = [_header(d) for d in loaded.documents]
        if headers and not any(h.record_like for h in headers):
            return None
        known = tuple(this for d, h in zip(loaded.documents, headers, strict=True) if (this := h.of(d)) is not None)
        first: dict[str, _Known] = {}
        for this in known:
            first.setdefault(this.id, this)
        return _FileIds(
            tuple(d for d, h in zip(loaded.documents, headers, strict=True) if h.mapping),
            frozenset(h.agreement for h in headers if h.agreement is not None),
            known,
            first,
            len(first) < len(known),
        )

    return loaded.remembered("ids", compute)


def _by_path(places: set[tuple[str, int]] | None) -> dict[str, set[int]] | None:
    if places is None:
        return None
    found: dict[str, set[int]] = {}
    for path, index in places:
        found.setdefault(path, set()).add(index)
    return found


def validate(
    files: list[LoadedFile],
    only: set[tuple[str, int]] | None = None,
    checked: set[tuple[str, int]] | None = None,
) -> Corpus:
    """Every document checked for ids, and for references unless `checked` (path, document index)
    names those whose references are checked; with `only`, only those are validated against the
    schema and can be records (shards.needed_documents)."""
    findings: list[Finding] = []
    records: list[RecordEntry] = []
    by_id: dict[str, RecordEntry] = {}
    known: dict[str, _Known] = {}
    documents: list[tuple[Document, dict]] = []
    agreement_keys: set[str] = set()
    validated, referring = _by_path(only), _by_path(checked)
    for loaded in sorted(files, key=attrgetter("path")):
        findings += loaded.findings
        ids = _file_ids(loaded)
        if ids is None:
            findings.append(corpus_error("NR001", "this YAML file holds no record", loaded.documents[0].location()))
            continue
        agreement_keys |= ids.agreements
        if ids.repeats or not known.keys().isdisjoint(ids.first):
            for this in ids.known:
                first = known.setdefault(this.id, this)
                if first is not this:  # a record with a schema error still takes part (one error never hides another)
                    findings.append(_duplicate(this, first))
        else:  # most files: ids no other document holds
            known.update(ids.first)
        if referring is None:
            documents += ((d, d.data) for d in ids.mappings)
        elif loaded.path in referring:
            documents += ((d, d.data) for d in ids.mappings if d.index in referring[loaded.path])
        if validated is None:
            chosen = loaded.documents
        elif loaded.path in validated:
            chosen = [d for d in loaded.documents if d.index in validated[loaded.path]]
        else:  # a one-file run: most files hold none of the records it validates
            continue
        for document in chosen:
            model, problems = document.remembered("validated", lambda: validate_document(document))  # noqa: B023  # called here
            findings.extend(problems)
            held = _header(document).known  # (id, kind)
            if model is not None and held is not None and held[0] not in by_id:
                entry = RecordEntry(len(records), model, document)
                by_id[held[0]] = entry
                records.append(entry)
    findings.extend(_check_references(documents, known, agreement_keys))
    return Corpus(files=files, records=records, by_id=by_id, findings=findings)


def _duplicate(this: _Known, first: _Known) -> Finding:
    return corpus_error(
        "E003",
        f"id '{this.id}' is already used by the record at {first.document.path}:{first.location().line}",
        this.location(("id",)),
        related=(first.location(("id",)),),
        records=(this.id,),
    )
