"""The corpus as reports draw it: one RecordView per valid record (what it is, whose, at which
level, its status on the reference date, what it implements), for the HTML report."""

from __future__ import annotations

import datetime as dt

from . import parties
from .facts import context
from .report import RecordView
from .schema import Agreement, Commitments, Institution, Policy, Record
from .validate import Corpus, RecordEntry


def record_views(corpus: Corpus, as_of: dt.date) -> list[RecordView]:
    standing = context(corpus, as_of).standing
    agreements: dict[tuple[str, str], str] = {}  # (agreement key, recorded by) -> record id
    for entry in corpus.records:
        if isinstance(entry.model, Agreement):
            agreements[(entry.model.agreement, entry.model.recorded_by)] = entry.model.id
    return [_view(entry, standing[entry.index].status or "", corpus, agreements) for entry in corpus.records]


def _view(entry: RecordEntry, status: str, corpus: Corpus, agreements: dict[tuple[str, str], str]) -> RecordView:
    model = entry.model
    where = entry.location()
    country, level, kind_of, title = _placing(model)
    implements: list[str] = []
    if isinstance(model, Policy):
        for target in model.implements:
            if target in corpus.by_id:
                implements.append(target)
            elif (target, country) in agreements:  # an agreement key: the implementing country's record
                implements.append(agreements[(target, country)])
    return RecordView(
        id=model.id,
        kind=model.kind,
        title=title,
        country=country,
        level=level,
        type=kind_of,
        status=status,
        path=entry.path,
        line=where.line,
        end_line=where.last_line,
        implements=tuple(implements),
    )


def owner(model: Record) -> str:
    """Whose record it is: the country (or regional or international body) that keeps it."""
    if isinstance(model, Agreement):
        return parties.home_country(model.recorded_by) or model.recorded_by
    if isinstance(model, Commitments):
        return model.country
    jurisdiction = model.jurisdiction
    if jurisdiction.country:
        return parties.home_country(jurisdiction.country) or jurisdiction.country
    return str(jurisdiction.body)


def _placing(model: Record) -> tuple[str, str, str, str]:
    """(whose record, level, type, title)."""
    if isinstance(model, Agreement):
        level = "bilateral" if len(set(model.parties)) == 2 else "regional"
        return owner(model), level, model.type, model.title or model.agreement
    if isinstance(model, Commitments):
        return model.country, "national", "", getattr(model, "title", None) or model.id
    if isinstance(model, Institution):
        return owner(model), model.jurisdiction.level, "", model.name
    return owner(model), model.jurisdiction.level, model.type, model.title or model.id
