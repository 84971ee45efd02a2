"""Validate stage: documents -> typed records, with E002 (schema), E003 (ids), E004 (references)."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from operator import attrgetter
from typing import Any, NamedTuple

from pydantic import ValidationError

from .corpus_errors import corpus_error
from .errors import StaleIndexError
from .findings import Finding, Location, format_path
from .load import Document, LoadedFile, Outline
from .placing import KINDS_OF, OBJECTIVE, PARENT, Placing, document_references, placing
from .schema import MODELS, Record, v2_uses
from .schema_errors import located_message, suggest


@dataclass(slots=True)  # one per record
class RecordEntry:
    """A valid record and where it came from."""

    index: int  # its place in its corpus's records
    id: str
    kind: str
    document: Document
    placing: Placing  # read from its data as it was validated (placing.py): where shards.py puts it
    held: Record | None  # its model; None for a record an earlier run validated, until it is read

    @property
    def model(self) -> Record:
        """Its model: validated when first read, for a record the index knows to be valid (its
        summary answers every run's other questions: summaries.py)."""
        if self.held is None:
            document = self.document
            self.held = document.remembered("validated", lambda: validate_document(document))[0]
            if self.held is None:  # the index's summary was made by this version from these bytes
                raise StaleIndexError(
                    f"{document.path}: a record the corpus index holds valid is not; rerun with --no-cache"
                )
        return self.held

    @property
    def path(self) -> str:
        return self.document.path

    def location(self, yaml_path: Iterable = ()) -> Location:
        return self.document.location(tuple(yaml_path), record=self.id)


@dataclass
class Corpus:
    files: list[LoadedFile]
    records: list[RecordEntry]
    by_id: dict[str, RecordEntry]
    findings: list[Finding] = field(default_factory=list)
    derived: dict[str, Any] = field(default_factory=dict, repr=False)  # computed once per corpus (shards.py)

    def file_at(self, path: str) -> LoadedFile | None:
        """The file at a path (its records' file), found by a map made once per corpus."""
        if "files" not in self.derived:
            self.derived["files"] = {f.path: f for f in self.files}
        return self.derived["files"].get(path)


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


@dataclass(frozen=True)
class _Known:
    """A record whose id and kind can be read, valid or not: duplicates and references see it."""

    id: str
    kind: str
    document: Document

    def location(self, yaml_path: tuple = ()) -> Location:
        return self.document.location(yaml_path, record=self.id)


def _article(noun: str) -> str:
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"


class _Referring(NamedTuple):
    """What checking a document's references reads of it (before its data may be let go)."""

    document: Document
    record_id: str | None
    references: tuple[tuple[tuple, str, str], ...]
    objectives: list[str]  # its objectives' ids, when a reference names one it does not have


def _referring(document: Document) -> _Referring:
    this = _header(document).of(document)
    found = document_references(document)
    objectives = []
    if any(expected == OBJECTIVE for _, _, expected in found):
        listed = document.data.get("objectives")
        objectives = [
            o["id"]
            for o in (listed if isinstance(listed, list) else [])
            if isinstance(o, dict) and isinstance(o.get("id"), str)
        ]
    return _Referring(document, this.id if this is not None else None, found, objectives)


def _check_references(documents: list[_Referring], known: dict[str, _Known], agreement_keys: set[str]) -> list[Finding]:
    findings = []
    for document, record_id, found, objectives in documents:
        for ypath, ref, expected in found:
            records = (record_id,) if record_id else ()
            if expected == OBJECTIVE:
                findings.append(
                    corpus_error(
                        "E004",
                        f"{format_path(ypath)}: '{ref}' names no objective of {record_id}{suggest(ref, objectives)}",
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
    told = document.told
    if told is not None:  # a valid record's, from its summary (summaries.py): a mapping with an id and kind
        placed = told["placing"]
        return _Header(True, True, placed.agreement, (placed.ids[0], told["kind"]))

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


def _among(documents: Iterable[Document], places: dict[str, set[int]] | None, path: str) -> Iterable[Document]:
    """The documents of the file at `path` that `places` names (all of them, without `places`)."""
    if places is None:
        return documents
    wanted = places.get(path)
    return [d for d in documents if d.index in wanted] if wanted else ()


def validate(
    files: Iterable[LoadedFile],
    only: set[tuple[str, int]] | None = None,
    checked: set[tuple[str, int]] | None = None,
    let_go: bool = False,
    in_path_order: bool = False,
    summarised: Callable[[Document], bool] = lambda document: False,
) -> Corpus:
    """Every document checked for ids, and for references unless `checked` (path, document index)
    names those whose references are checked; with `only`, only those are validated against the
    schema and can be records (shards.needed_documents). With `let_go` (a one-shot run), every
    document validated lets go of its data once its file is read (Document.let_go): a record's
    model holds its values, and holding both at once was a third of a large run's memory. Files are
    taken in path order (the first of two records with one id is the record): sorted here, or, when
    they come `in_path_order`, each as it comes (load.load_each). A document `summarised` (its
    record validated by an earlier run, summaries.py) is not validated: its record's model is made
    if it is read, from the data it keeps."""
    taken: list[LoadedFile] = []
    findings: list[Finding] = []
    records: list[RecordEntry] = []
    by_id: dict[str, RecordEntry] = {}
    known: dict[str, _Known] = {}
    documents: list[_Referring] = []
    agreement_keys: set[str] = set()
    validated, referring = _by_path(only), _by_path(checked)
    shapes: dict[tuple, Outline] = {}
    for loaded in files if in_path_order else sorted(files, key=attrgetter("path")):
        taken.append(loaded)
        findings += loaded.findings
        ids = _file_ids(loaded)
        if ids is None:
            findings.append(corpus_error("NR001", "this YAML file holds no record", loaded.documents[0].location()))
        else:
            agreement_keys |= ids.agreements
            if ids.repeats or not known.keys().isdisjoint(ids.first):
                for this in ids.known:
                    first = known.setdefault(this.id, this)
                    if (
                        first is not this
                    ):  # a record with a schema error still takes part (one error never hides another)
                        findings.append(_duplicate(this, first))
            else:  # most files: ids no other document holds
                known.update(ids.first)
            documents += (r for r in map(_referring, _among(ids.mappings, referring, loaded.path)) if r.references)
            for document in _among(loaded.documents, validated, loaded.path):
                held = _header(document).known  # (id, kind)
                if summarised(document):
                    model: Record | None = None
                else:
                    model, problems = document.remembered("validated", lambda: validate_document(document))  # noqa: B023  # called here
                    findings.extend(problems)
                    if model is None:
                        continue
                if held is not None and held[0] not in by_id:
                    # The model's id, once there is one: the data's string is let go with the data.
                    known_id = model.id if model is not None else held[0]
                    entry = RecordEntry(len(records), known_id, held[1], document, placing(document), model)
                    by_id[held[0]] = entry
                    records.append(entry)
        if let_go:
            # Not those a run naming files does not validate: their values are not read again (with
            # the index, most never are: load.UnreadDocument), and outlining them took a seventh of such a run.
            for document in _among(loaded.documents, validated, loaded.path):
                if document.told is None:  # a summarised record's model is made from its data
                    document.let_go(shapes)
    findings.extend(_check_references(documents, known, agreement_keys))
    return Corpus(files=taken, records=records, by_id=by_id, findings=findings)


def _duplicate(this: _Known, first: _Known) -> Finding:
    return corpus_error(
        "E003",
        f"id '{this.id}' is already used by the record at {first.document.path}:{first.location().line}",
        this.location(("id",)),
        related=(first.location(("id",)),),
        records=(this.id,),
    )
