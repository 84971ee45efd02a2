"""Facts stage: records -> flat facts on which every rule join is an equality.

The engine matches flat dicts. Each fact carries exactly the keys rules join on,
computed here once, plus a back-pointer to its record (`ri`, `rid`) and YAML path
(`yp`). Tree overlap becomes equality: a statement emits one `cover` fact per
group x area node below the nodes it names, and two statements overlap exactly
when they cover a common node (subtrees of a tree meet only when nested).

Every fact of a type has every field of that type (sentinels "" / "none", never a
missing key: the engine raises on a join over a missing field), and values are
normalised to str/int/bool so the engine's type-coercing comparisons stay exact.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Iterable

from . import vocab
from .schema import Agreement, Commitments, Institution, Measure, Objective, Policy
from .validate import Corpus, RecordEntry

NONE = "none"

# The fact types and their fields: the compiler checks rules against this, and
# docs/writing-rules.md documents it.
COMMON = ("ri", "rid", "yp")
STATEMENT_FIELDS = COMMON + (
    "stype", "label", "kind", "country", "jkey", "level", "subdivision", "status", "active",
    "pfrom", "pto", "stance", "effect", "pole", "origin", "destination", "partner", "pair",
    "budget", "resp_level", "resp_inst", "lead", "migration_sector", "n_indicators",
)
FACT_FIELDS: dict[str, tuple[str, ...]] = {
    "statement": STATEMENT_FIELDS,
    "cover": STATEMENT_FIELDS + ("g", "area", "g_own", "area_own"),
    "policy": COMMON + (
        "country", "jkey", "level", "subdivision", "type", "status", "active", "pfrom", "pto",
        "lead", "n_sectors", "n_coordination", "migration_sector",
    ),
    "agreement": COMMON + (
        "agreement", "recorded_by", "type", "status", "active", "pfrom", "pto", "signed",
        "parties", "n_parties", "pair", "groups", "codes", "classification", "quota",
        "ss_branches", "totalisation", "export", "fees", "dx_classification", "dx_fields",
    ),
    "agreement_party": COMMON + ("agreement", "party", "n_parties"),
    "agreement_record": COMMON + ("agreement", "recorded_by"),
    "ss_cover": COMMON + ("pair", "branch", "active", "type"),
    "institution": COMMON + (
        "country", "type", "decision_power", "budget", "mandate", "n_members",
    ),
    "lifecycle": COMMON + ("kind", "status", "pto", "ended"),
}

# Fields whose values are nodes of a vocabulary tree (rules may test them with `under:`).
TREE_FIELDS = {
    "g": vocab.GROUPS, "g_own": vocab.GROUPS,
    "area": vocab.AREAS, "area_own": vocab.AREAS, "branch": vocab.AREAS,
}

Fact = dict


def _day(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def _key(values: Iterable[str]) -> str:
    """A canonical, comparable form of a list: sorted, de-duplicated, comma-joined."""
    return ",".join(sorted(set(values)))


def _budget_state(model, field: str = "budget") -> str:
    if field not in model.model_fields_set:
        return "unknown"
    budget = getattr(model, field)
    return "unfunded" if budget is None or budget.amount == 0 else "funded"


def _jurisdiction(policy: Policy) -> dict:
    j = policy.jurisdiction
    country = j.country or ""
    subdivision = j.subdivision or ""
    return {"country": country, "level": j.level, "subdivision": subdivision,
            "jkey": f"{country}|{j.level}|{subdivision}|{j.body or ''}"}


def _period(model) -> dict:
    period = model.period
    return {"pfrom": _day(period.start) if period else "", "pto": _day(period.end) if period else ""}


def _corridor(statement: Objective | Measure, country: str) -> dict:
    corridor = getattr(statement, "corridor", None)
    origin = corridor.origin if corridor else "any"
    destination = corridor.destination if corridor else "any"
    partner = NONE
    if country and origin != "any" and destination != "any" and origin != destination:
        if origin == country:
            partner = destination
        elif destination == country:
            partner = origin
    pair = _pair(country, partner) if partner != NONE else NONE
    return {"origin": origin, "destination": destination, "partner": partner, "pair": pair}


def _pair(a: str, b: str) -> str:
    return "|".join(sorted((a, b)))


def _pole(word: str) -> str:
    if word in vocab.POSITIVE:
        return "positive"
    if word in vocab.NEGATIVE:
        return "negative"
    return NONE


def _policy_facts(entry: RecordEntry) -> list[Fact]:
    policy: Policy = entry.model
    base = {"ri": entry.index, "rid": policy.id, **_jurisdiction(policy), **_period(policy),
            "status": policy.status, "active": policy.status in vocab.ACTIVE_POLICY_STATUSES,
            "migration_sector": "migration" in policy.sectors}
    facts: list[Fact] = [{
        "t": "policy", **base, "yp": "", "type": policy.type, "lead": policy.lead_agency or NONE,
        "n_sectors": len(set(policy.sectors)), "n_coordination": len(policy.coordination),
    }]
    statements = [("objectives", i, s) for i, s in enumerate(policy.objectives)]
    statements += [("measures", i, s) for i, s in enumerate(policy.measures)]
    for section, i, statement in statements:
        is_objective = isinstance(statement, Objective)
        word = statement.stance if is_objective else statement.effect
        responsible = None if is_objective else statement.responsible
        fact = {
            **base, "yp": f"{section}.{i}", "stype": "objective" if is_objective else "measure",
            "label": f"{'objective' if is_objective else 'measure'} {statement.id}", "kind": "policy",
            "stance": statement.stance if is_objective else NONE,
            "effect": NONE if is_objective else statement.effect, "pole": _pole(word),
            **_corridor(statement, base["country"]),
            "budget": NONE if is_objective else _budget_state(statement),
            "resp_level": responsible.level if responsible is not None and not isinstance(responsible, str) else NONE,
            "resp_inst": responsible if isinstance(responsible, str) else NONE,
            "lead": (statement.lead_agency if is_objective else None) or policy.lead_agency or NONE,
            "n_indicators": len(statement.indicators) if is_objective else 0,
        }
        facts.append({"t": "statement", **fact})
        for g_own in sorted(set(statement.groups)):
            for area_own in sorted(set(statement.areas)):
                for g in sorted(vocab.GROUPS.below(g_own)):
                    for area in sorted(vocab.AREAS.below(area_own)):
                        facts.append({"t": "cover", **fact, "g": g, "area": area,
                                      "g_own": g_own, "area_own": area_own})
    return facts


def _agreement_facts(entry: RecordEntry) -> list[Fact]:
    a: Agreement = entry.model
    parties = sorted(set(a.parties))
    pair = "|".join(parties) if len(parties) == 2 else NONE
    ss = a.social_security
    active = a.status in vocab.ACTIVE_AGREEMENT_STATUSES
    ref = {"ri": entry.index, "rid": a.id, "yp": ""}
    facts: list[Fact] = [{
        "t": "agreement", **ref, "agreement": a.agreement, "recorded_by": a.recorded_by, "type": a.type,
        "status": a.status, "active": active, **_period(a), "signed": _day(a.signed),
        "parties": _key(parties), "n_parties": len(parties), "pair": pair,
        "groups": _key(a.groups) if "groups" in a.model_fields_set else "",
        "codes": _key(a.occupations.codes) if a.occupations and "codes" in a.occupations.model_fields_set else "",
        "classification": (a.occupations.classification or "") if a.occupations else "",
        "quota": str(a.quota.per_year) if a.quota else "",
        "ss_branches": _key(ss.branches) if ss and "branches" in ss.model_fields_set else "",
        "totalisation": "" if not ss or ss.totalisation is None else str(ss.totalisation).lower(),
        "export": "" if not ss or ss.export_of_benefits is None else str(ss.export_of_benefits).lower(),
        "fees": a.recruitment.fees_paid_by if a.recruitment else "",
        "dx_classification": (a.data_exchange.classification or "") if a.data_exchange else "",
        "dx_fields": _key(a.data_exchange.fields) if a.data_exchange and "fields" in a.data_exchange.model_fields_set else "",
    }, {"t": "agreement_record", **ref, "agreement": a.agreement, "recorded_by": a.recorded_by}]
    facts += [{"t": "agreement_party", **ref, "yp": "parties", "agreement": a.agreement, "party": party,
               "n_parties": len(parties)} for party in parties]
    if ss and ss.branches and pair != NONE:
        for branch in sorted({"social_security", *ss.branches}):
            facts.append({"t": "ss_cover", **ref, "yp": "social_security", "pair": pair, "branch": branch,
                          "active": active, "type": a.type})
    return facts


def _institution_facts(entry: RecordEntry) -> list[Fact]:
    inst: Institution = entry.model
    return [{
        "t": "institution", "ri": entry.index, "rid": inst.id, "yp": "",
        "country": inst.jurisdiction.country or "", "type": inst.type,
        "decision_power": NONE if inst.decision_power is None else inst.decision_power,
        "budget": _budget_state(inst), "mandate": _key(inst.mandate), "n_members": len(inst.members),
    }]


def _lifecycle_fact(entry: RecordEntry, as_of: dt.date) -> list[Fact]:
    model = entry.model
    status = getattr(model, "status", None)
    period = getattr(model, "period", None)
    if status is None:
        return []
    end = period.end if period else None
    return [{"t": "lifecycle", "ri": entry.index, "rid": model.id, "yp": "status", "kind": model.kind,
             "status": status, "pto": _day(end), "ended": bool(end and end < as_of)}]


def record_facts(entry: RecordEntry, as_of: dt.date) -> list[Fact]:
    model = entry.model
    facts: list[Fact] = []
    if isinstance(model, Policy):
        facts = _policy_facts(entry)
    elif isinstance(model, Agreement):
        facts = _agreement_facts(entry)
    elif isinstance(model, Institution):
        facts = _institution_facts(entry)
    return facts + _lifecycle_fact(entry, as_of)


def _own_keys(model) -> list[str]:
    if isinstance(model, Agreement):
        return sorted({*model.parties, model.recorded_by})
    if isinstance(model, Commitments):
        return [model.country]
    jurisdiction = model.jurisdiction
    if jurisdiction.country:
        return [jurisdiction.country]
    if jurisdiction.members:
        return sorted(set(jurisdiction.members))
    return [f"@{jurisdiction.body}"]  # a regional record without members: a shard of its own


def shard_membership(corpus: Corpus) -> dict[int, list[str]]:
    """The shards (countries) each record belongs to (engine-notes.md, "Shards"): a country's
    records, and every record of each agreement it is named in by either party's record, so
    that both sides of an agreement always meet in the same shard."""
    agreement_keys: dict[str, set[str]] = {}
    for entry in corpus.records:
        if isinstance(entry.model, Agreement):
            agreement_keys.setdefault(entry.model.agreement, set()).update(_own_keys(entry.model))
    return {entry.index: (sorted(agreement_keys[entry.model.agreement]) if isinstance(entry.model, Agreement)
                          else _own_keys(entry.model))
            for entry in corpus.records}


@dataclass
class Shard:
    key: str
    records: list[RecordEntry]
    facts: list[Fact]


def shards(corpus: Corpus, as_of: dt.date, only: set[str] | None = None,
           fact_types: set[str] | None = None) -> list[Shard]:
    """One shard per country. `only` limits the shards to those keys; `fact_types` drops
    facts no rule reads."""
    members: dict[str, list[RecordEntry]] = {}
    membership = shard_membership(corpus)
    for entry in corpus.records:
        for key in membership[entry.index]:
            if only is None or key in only:
                members.setdefault(key, []).append(entry)
    cache: dict[int, list[Fact]] = {}
    result = []
    for key in sorted(members):
        facts: list[Fact] = []
        for entry in members[key]:
            if entry.index not in cache:
                cache[entry.index] = [f for f in record_facts(entry, as_of)
                                      if fact_types is None or f["t"] in fact_types]
            facts.extend(cache[entry.index])
        result.append(Shard(key, members[key], facts))
    return result
