"""Validate stage: documents -> typed records, with E002 (schema), E003 (ids), E004 (references)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from pydantic import ValidationError

from .corpus_errors import corpus_error
from .findings import Finding, Location, format_path
from .load import Document, LoadedFile
from .schema import MODELS, Agreement, Institution, Policy, Record
from .schema_errors import located_message, suggest


@dataclass
class RecordEntry:
    """A valid record and where it came from."""

    index: int
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


def validate_document(document: Document) -> tuple[Record | None, list[Finding]]:
    data = document.data
    if not isinstance(data, dict):
        return None, [
            corpus_error("E002", f"a record must be a mapping, not {type(data).__name__}", document.location())
        ]
    record_id = data.get("id") if isinstance(data.get("id"), str) else None
    kind = data.get("kind")
    if not isinstance(kind, str) or kind not in MODELS:
        what = (
            "missing required field 'kind'"
            if kind is None
            else (f"'kind: {kind}' is not one of: {', '.join(MODELS)}{suggest(kind, MODELS)}")
        )
        return None, [corpus_error("E002", what, document.location(("kind",), record_id))]
    model = MODELS[kind]
    try:
        return model.model_validate(data), []  # type: ignore[return-value]  # MODELS holds the Record types
    except ValidationError as exc:
        findings = []
        for error in exc.errors(include_url=False):
            message, at = located_message(model, data, error)
            findings.append(
                corpus_error(
                    "E002", message, document.location(at, record_id), records=(record_id,) if record_id else ()
                )
            )
        return None, findings


# --- E004 -------------------------------------------------------------------------------


def _references(model: Record) -> Iterable[tuple[tuple, str, str]]:
    """(yaml path, referenced id, expected kind) for every reference a record makes."""
    if isinstance(model, Policy):
        if model.lead_agency:
            yield ("lead_agency",), model.lead_agency, "institution"
        for i, ref in enumerate(model.coordination):
            yield ("coordination", i), ref, "institution"
        for i, ref in enumerate(model.implements):
            yield ("implements", i), ref, "policy or agreement"
        for i, objective in enumerate(model.objectives):
            if objective.lead_agency:
                yield ("objectives", i, "lead_agency"), objective.lead_agency, "institution"
        objective_ids = {o.id for o in model.objectives}
        for i, measure in enumerate(model.measures):
            if isinstance(measure.responsible, str):
                yield ("measures", i, "responsible"), measure.responsible, "institution"
            for j, ref in enumerate(measure.serves):
                if ref not in objective_ids:
                    yield ("measures", i, "serves", j), ref, "objective of this policy"
    elif isinstance(model, Institution):
        for i, ref in enumerate(model.members):
            yield ("members", i), ref, "institution"
        if model.parent:
            yield ("parent",), model.parent, "institution"


def _article(noun: str) -> str:
    return f"{'an' if noun[0] in 'aeiou' else 'a'} {noun}"


def _check_references(records: list[RecordEntry], by_id: dict[str, RecordEntry]) -> list[Finding]:
    agreement_keys = {r.model.agreement for r in records if isinstance(r.model, Agreement)}
    kinds_of: dict[str, set[str]] = {"institution": {"institution"}, "policy or agreement": {"policy", "agreement"}}
    findings = []
    for entry in records:
        for ypath, ref, expected in _references(entry.model):
            if expected == "objective of this policy":
                assert isinstance(entry.model, Policy)
                ids = [o.id for o in entry.model.objectives]
                findings.append(
                    corpus_error(
                        "E004",
                        f"{format_path(ypath)}: '{ref}' names no objective of {entry.id}{suggest(ref, ids)}",
                        entry.location(ypath),
                        records=(entry.id,),
                    )
                )
                continue
            if expected == "policy or agreement" and ref in agreement_keys:
                continue
            target = by_id.get(ref)
            if target is None:
                candidates = [i for i, r in by_id.items() if r.kind in kinds_of[expected]]
                findings.append(
                    corpus_error(
                        "E004",
                        f"{format_path(ypath)}: '{ref}' names no record{suggest(ref, candidates)}",
                        entry.location(ypath),
                        records=(entry.id,),
                    )
                )
            elif target.kind not in kinds_of[expected]:
                findings.append(
                    corpus_error(
                        "E004",
                        f"{format_path(ypath)}: '{ref}' is {_article(target.kind)}, expected {_article(expected)}",
                        entry.location(ypath),
                        related=(target.location(),),
                        records=(entry.id, ref),
                    )
                )
    return findings


def validate(files: list[LoadedFile]) -> Corpus:
    findings: list[Finding] = []
    records: list[RecordEntry] = []
    by_id: dict[str, RecordEntry] = {}
    for loaded in sorted(files, key=lambda f: f.path):
        findings.extend(loaded.findings)
        for document in loaded.documents:
            model, problems = validate_document(document)
            findings.extend(problems)
            if model is None:
                continue
            entry = RecordEntry(len(records), model, document)
            first = by_id.get(model.id)
            if first is not None:
                findings.append(
                    corpus_error(
                        "E003",
                        f"id '{model.id}' is already used by the record at {first.path}:{first.location().line}",
                        entry.location(("id",)),
                        related=(first.location(("id",)),),
                        records=(model.id,),
                    )
                )
                continue
            by_id[model.id] = entry
            records.append(entry)
    findings.extend(_check_references(records, by_id))
    return Corpus(files=files, records=records, by_id=by_id, findings=findings)
