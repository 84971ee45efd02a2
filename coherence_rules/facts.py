"""Facts stage: records -> flat facts on which every rule join is an equality.

The engine matches flat dicts. Each fact carries exactly the fields of its type in the fact
catalogue (catalogue.py), computed here once, plus its record's index in the corpus (`ri`) and the
YAML path inside the record it comes from (`yp`). Tree overlap becomes equality: a statement is
also emitted once per group x area node at or below the nodes it names (`cover`; `own` marks the
named pair itself) and once per node pair at, above or below them (`span`), so that one
statement's named nodes meet another's span exactly once per overlapping pair.

A field the record does not state is "" (never a missing key: the engine raises on a join over a
missing field), and values are str/int/bool so the engine's type-coercing comparisons stay exact.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from . import vocab
from .catalogue import UNSTATED
from .obligations import Obligation
from .schema import Agreement, Commitments, Institution, Measure, Objective, Policy
from .validate import Corpus, RecordEntry

Fact = dict


def _day(value: dt.date | None) -> str:
    return value.isoformat() if value else UNSTATED


def _key(values: Iterable[str]) -> str:
    """A canonical, comparable form of a list: sorted, de-duplicated, comma-joined."""
    return ",".join(sorted(set(values)))


def _budget_state(model, field: str = "budget") -> str:
    if field not in model.model_fields_set:
        return "unknown"
    budget = getattr(model, field)
    return "unfunded" if budget is None or budget.amount == 0 else "funded"


def _tri(value: bool | None) -> bool | str:
    """True, False, or unstated when the record does not say."""
    return UNSTATED if value is None else value


def _jurisdiction(policy: Policy) -> dict:
    j = policy.jurisdiction
    country = j.country or UNSTATED
    subdivision = j.subdivision or UNSTATED
    return {
        "country": country,
        "level": j.level,
        "subdivision": subdivision,
        "jurisdiction": f"{country}|{j.level}|{subdivision}|{j.body or ''}",
    }


def _period(model) -> dict:
    period = model.period
    return {"start": _day(period.start) if period else UNSTATED, "end": _day(period.end) if period else UNSTATED}


def _corridor(statement: Objective | Measure, country: str) -> dict:
    corridor = getattr(statement, "corridor", None)
    origin = corridor.origin if corridor else "any"
    destination = corridor.destination if corridor else "any"
    partner = UNSTATED
    if country and origin != "any" and destination != "any" and origin != destination:
        if origin == country:
            partner = destination
        elif destination == country:
            partner = origin
    pair = _pair(country, partner) if partner else UNSTATED
    return {"origin": origin, "destination": destination, "partner": partner, "pair": pair}


def _pair(a: str, b: str) -> str:
    return "|".join(sorted((a, b)))


def _pole(word: str) -> str:
    if word in vocab.POSITIVE:
        return "positive"
    if word in vocab.NEGATIVE:
        return "negative"
    return "neutral"


OPPOSITE_POLE = {"positive": "negative", "negative": "positive", "neutral": UNSTATED}


def _years_before(day: dt.date, years: int) -> dt.date:
    if day.year <= years:  # an as-of date in the calendar's first years: the earliest date there is
        return dt.date.min
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _number(value: float | None) -> int | float | str:
    """Whole numbers as int (5, not 5.0, in messages); unstated when not given."""
    if value is None:
        return UNSTATED
    return int(value) if float(value).is_integer() else value


def _year(day: str) -> int | str:
    return int(day[:4]) if day else UNSTATED


def _statement_facts(
    policy: Policy, yp: str, statement: Objective | Measure, base: dict, coordination_power: bool | str
) -> list[Fact]:
    """One objective's or measure's facts: itself, its covers and spans, its indicators."""
    country = base["country"]
    if isinstance(statement, Objective):
        kind, stance, effect, budget = "objective", statement.stance, UNSTATED, UNSTATED
        responsible, own_lead, indicators = None, statement.lead_agency, statement.indicators
    else:
        kind, stance, effect, budget = "measure", UNSTATED, statement.effect, _budget_state(statement)
        responsible, own_lead, indicators = statement.responsible, None, []
    word = stance or effect
    corridor = _corridor(statement, country)
    key = f"{policy.id}#{statement.id}"
    fact = {
        **base,
        "yp": yp,
        "key": key,
        "label": f"{kind} {statement.id}",
        "kind": kind,
        "policy_type": policy.type,
        "stance": stance,
        "effect": effect,
        "position": word,
        "pole": _pole(word),
        "opposite_pole": OPPOSITE_POLE[_pole(word)],
        **corridor,
        "budget": budget,
        "responsible_level": responsible.level
        if responsible is not None and not isinstance(responsible, str)
        else UNSTATED,
        "responsible_institution": responsible if isinstance(responsible, str) else UNSTATED,
        "lead": own_lead or policy.lead_agency or UNSTATED,
        "lead_path": f"{yp}.lead_agency" if own_lead else ("lead_agency" if policy.lead_agency else yp),
        "coordination_power": coordination_power,
        "coordination": _key(policy.coordination),
        "coordination_count": len(set(policy.coordination)),
        "indicator_count": len(indicators),
        "group_count": len(set(statement.groups)),
        "area_count": len(set(statement.areas)),
    }
    facts: list[Fact] = [{"t": "statement", **fact}]
    for named_group in sorted(set(statement.groups)):
        for named_area in sorted(set(statement.areas)):
            named = {"named_group": named_group, "named_area": named_area}
            facts += [
                {
                    "t": "cover",
                    **fact,
                    "group": group,
                    "area": area,
                    **named,
                    "own": group == named_group and area == named_area,
                }
                for group in sorted(vocab.GROUPS.below(named_group))
                for area in sorted(vocab.AREAS.below(named_area))
            ]
            # Another statement's named nodes overlap this one's exactly when they are in its span:
            # pairing one's own cover fact with the other's span gives one match per pair.
            facts += [
                {"t": "span", **fact, "group": group, "area": area, **named}
                for group in sorted(vocab.GROUPS.reach(named_group))
                for area in sorted(vocab.AREAS.reach(named_area))
            ]
    for j, indicator in enumerate(indicators):
        facts.append(
            {
                "t": "indicator",
                "ri": base["ri"],
                "record": base["record"],
                "start": base["start"],
                "end": base["end"],
                "yp": f"{yp}.indicators.{j}",
                "objective": key,
                "country": country,
                "jurisdiction": base["jurisdiction"],
                "level": base["level"],
                "active": base["active"],
                "stance": stance,
                "name": indicator.name,
                "year": UNSTATED if indicator.year is None else indicator.year,
                "target": _number(indicator.target),
                "unit": indicator.unit or UNSTATED,
                "is_cap": indicator.name.endswith("_cap"),
                "origin": corridor["origin"],
                "destination": corridor["destination"],
                "partner": corridor["partner"],
                "start_year": _year(base["start"]),
                "end_year": _year(base["end"]),
            }
        )
    return facts


def _policy_facts(entry: RecordEntry, corpus: Corpus) -> list[Fact]:
    policy = entry.model
    assert isinstance(policy, Policy)
    ref = {"ri": entry.index, "record": policy.id}
    active = policy.status in vocab.ACTIVE_POLICY_STATUSES
    jurisdiction = _jurisdiction(policy)
    country = jurisdiction["country"]
    period = _period(policy)
    # References are resolved here once (architecture.md): whether any coordination body decides.
    powers = [
        getattr(c.model, "decision_power", None) if c else None
        for c in (corpus.by_id.get(inst) for inst in policy.coordination)
    ]
    coordination_power = True if True in powers else UNSTATED if None in powers else False
    base = {
        **ref,
        **jurisdiction,
        **period,
        "status": policy.status,
        "active": active,
        "migration_sector": ("migration" in policy.sectors) if policy.sectors else UNSTATED,
    }
    facts: list[Fact] = [
        {
            "t": "policy",
            **base,
            "yp": "",
            "type": policy.type,
            "lead": policy.lead_agency or UNSTATED,
            "sector_count": len(set(policy.sectors)),
            "coordination_count": len(set(policy.coordination)),
        }
    ]
    facts += [
        {
            "t": "implements",
            **ref,
            **period,
            "yp": f"implements.{i}",
            "country": country,
            "active": active,
            "target": target,
        }
        for i, target in enumerate(policy.implements)
    ]
    facts += [
        {
            "t": "invocation",
            **ref,
            "yp": f"instruments.{i}",
            "country": country,
            "active": active,
            "instrument": name,
            "ratifiable": name in vocab.RATIFIABLE,
        }
        for i, name in enumerate(policy.instruments)
    ]
    statements: list[tuple[str, int, Objective | Measure]] = [
        ("objectives", i, s) for i, s in enumerate(policy.objectives)
    ]
    statements += [("measures", i, s) for i, s in enumerate(policy.measures)]
    for section, i, statement in statements:
        facts += _statement_facts(policy, f"{section}.{i}", statement, base, coordination_power)
    return facts


def _agreement_facts(entry: RecordEntry, as_of: dt.date) -> list[Fact]:
    a = entry.model
    assert isinstance(a, Agreement)
    parties = sorted(set(a.parties))
    pair = "|".join(parties) if len(parties) == 2 else UNSTATED
    ss = a.social_security
    active = a.status in vocab.ACTIVE_AGREEMENT_STATUSES
    ref = {"ri": entry.index, "record": a.id, "yp": ""}
    codes = a.occupations.codes if a.occupations else []
    quota = a.quota.per_year if a.quota else UNSTATED
    facts: list[Fact] = [
        {
            "t": "agreement",
            **ref,
            "agreement": a.agreement,
            "recorded_by": a.recorded_by,
            "type": a.type,
            "status": a.status,
            "active": active,
            **_period(a),
            "signed": _day(a.signed),
            "signed_more_than_3_years_ago": bool(a.signed and a.signed < _years_before(as_of, 3)),
            "parties": _key(parties),
            "party_count": len(parties),
            "pair": pair,
            "groups": _key(a.groups) if "groups" in a.model_fields_set else UNSTATED,
            "codes": _key(codes),
            "code_count": len(set(codes)),
            "classification": (a.occupations.classification or UNSTATED) if a.occupations else UNSTATED,
            "quota": quota,
            "branches": _key(ss.branches) if ss and "branches" in ss.model_fields_set else UNSTATED,
            "totalisation": _tri(ss.totalisation) if ss else UNSTATED,
            "export_of_benefits": _tri(ss.export_of_benefits) if ss else UNSTATED,
            "fees_paid_by": a.recruitment.fees_paid_by if a.recruitment else UNSTATED,
            "data_classification": (a.data_exchange.classification or UNSTATED) if a.data_exchange else UNSTATED,
            "data_fields": _key(a.data_exchange.fields)
            if a.data_exchange and "fields" in a.data_exchange.model_fields_set
            else UNSTATED,
        }
    ]
    facts += [
        {"t": "party", **ref, "yp": "parties", "agreement": a.agreement, "party": party, "party_count": len(parties)}
        for party in parties
    ]
    if ss and ss.branches:
        facts += [
            {
                "t": "coverage",
                **ref,
                "yp": "social_security",
                "pair": pair,
                "branch": branch,
                "active": active,
                "type": a.type,
            }
            for branch in sorted({"social_security", *ss.branches})
        ]
    # Whom the agreement admits: its groups, or labour migrants when a labour agreement names none.
    groups = a.groups or (["labour_migrant"] if a.type == "labour" else [])
    admitted = sorted(set().union(*(vocab.GROUPS.below(g) for g in groups)))
    # Seen from the origin party, a labour agreement is a regular channel for its emigrants too.
    spanned = sorted(
        set().union(*(vocab.GROUPS.reach(g) for g in groups)) | ({"emigrant"} if a.type == "labour" else set())
    )
    common = {
        **ref,
        **_period(a),
        "yp": "groups" if a.groups else "",
        "agreement": a.agreement,
        "type": a.type,
        "active": active,
        "quota": quota,
    }
    for party in parties:
        for other in (p for p in parties if p != party):
            for view, nodes in (("admission", admitted), ("admission_span", spanned)):
                facts += [
                    {
                        "t": view,
                        **common,
                        "party": party,
                        "other": other,
                        "origin": origin,
                        "destination": destination,
                        "group": group,
                    }
                    for group in nodes
                    for origin, destination in ((party, other), (other, party))
                ]
    for role, yp, listed in (
        ("admits", "occupations.codes", codes),
        (
            "recognises",
            "skills_recognition.occupations",
            a.skills_recognition.occupations if a.skills_recognition else [],
        ),
    ):
        facts += [
            {
                "t": "occupation",
                **ref,
                "yp": f"{yp}.{i}",
                "agreement": a.agreement,
                "pair": pair,
                "code": code,
                "code_count": len(set(listed)),
                "role": role,
                "type": a.type,
                "active": active,
            }
            for i, code in enumerate(listed)
        ]
    return facts


def _institution_facts(entry: RecordEntry) -> list[Fact]:
    inst = entry.model
    assert isinstance(inst, Institution)
    ref = {"ri": entry.index, "record": inst.id}
    facts: list[Fact] = [
        {
            "t": "institution",
            **ref,
            "yp": "",
            "country": inst.jurisdiction.country or UNSTATED,
            "type": inst.type,
            "decision_power": _tri(inst.decision_power),
            "budget": _budget_state(inst),
            "mandate": _key(inst.mandate),
            "mandate_count": len(inst.mandate),
            "member_count": len(inst.members),
        }
    ]
    # A mandate over a node reaches its ancestors and descendants: no false "outside mandate".
    reach = sorted(set().union(*(vocab.AREAS.reach(area) for area in inst.mandate)))
    return facts + [{"t": "mandate_area", **ref, "yp": "mandate", "area": area} for area in reach]


def _commitments_facts(entry: RecordEntry) -> list[Fact]:
    c = entry.model
    assert isinstance(c, Commitments)
    ref = {"ri": entry.index, "record": c.id}
    facts: list[Fact] = [{"t": "commitments", **ref, "yp": "", "country": c.country}]
    for i, ratification in enumerate(c.ratified):
        at = {**ref, "yp": f"ratified.{i}", "country": c.country, "instrument": ratification.instrument}
        facts.append({"t": "ratification", **at})
        branches: set[str] = set()
        if ratification.instrument == "ILO-C097":  # Art 6(1)(b): equal treatment in every branch
            branches = {"social_security", *vocab.SOCIAL_SECURITY_BRANCHES}
        elif ratification.instrument == "ILO-C118":  # Art 2: accepted branch by branch (medical care: all of health)
            branches = set().union(*(vocab.AREAS.below(b) for b in ratification.accepted_branches))
        facts += [{"t": "ratified_branch", **at, "branch": branch} for branch in sorted(branches)]
    return facts


def obligation_facts(obligations: list[Obligation]) -> list[Fact]:
    """The built-in obligations table as facts, shared by every shard."""
    facts = []
    for k, o in enumerate(obligations):
        base = {
            "ri": -1,
            "record": f"{o.instrument} {o.article}",
            "yp": f"obligations.{k}",
            "instrument": o.instrument,
            "article": o.article,
            "summary": o.summary,
        }
        if o.fees_paid_by:
            facts += [
                {
                    "t": "obligation",
                    **base,
                    "effect": UNSTATED,
                    "area": UNSTATED,
                    "group": UNSTATED,
                    "fees_paid_by": fees,
                }
                for fees in o.fees_paid_by
            ]
            continue
        areas = sorted(set().union(*(vocab.AREAS.below(a) for a in o.areas)))
        groups = sorted(set().union(*(vocab.GROUPS.below(g) for g in o.groups)))
        facts += [
            {"t": "obligation", **base, "effect": effect, "area": area, "group": group, "fees_paid_by": UNSTATED}
            for effect in o.effects
            for area in areas
            for group in groups
        ]
    return facts


def _lifecycle_fact(entry: RecordEntry, as_of: dt.date) -> list[Fact]:
    model = entry.model
    status = getattr(model, "status", None)
    period = getattr(model, "period", None)
    if status is None:
        return []
    end = period.end if period else None
    return [
        {
            "t": "lifecycle",
            "ri": entry.index,
            "record": model.id,
            "yp": "status",
            "kind": model.kind,
            "status": status,
            "end": _day(end),
            "ended": bool(end and end < as_of),
        }
    ]


def record_facts(entry: RecordEntry, corpus: Corpus, as_of: dt.date) -> list[Fact]:
    model = entry.model
    facts: list[Fact] = []
    if isinstance(model, Policy):
        facts = _policy_facts(entry, corpus)
    elif isinstance(model, Agreement):
        facts = _agreement_facts(entry, as_of)
    elif isinstance(model, Institution):
        facts = _institution_facts(entry)
    elif isinstance(model, Commitments):
        facts = _commitments_facts(entry)
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
    return {
        entry.index: (
            sorted(agreement_keys[entry.model.agreement])
            if isinstance(entry.model, Agreement)
            else _own_keys(entry.model)
        )
        for entry in corpus.records
    }


@dataclass
class Shard:
    key: str
    records: list[RecordEntry]


def shards(corpus: Corpus, only: set[str] | None = None) -> list[Shard]:
    """One shard per country (its records); `only` limits them to those keys."""
    members: dict[str, list[RecordEntry]] = {}
    membership = shard_membership(corpus)
    for entry in corpus.records:
        for key in membership[entry.index]:
            if only is None or key in only:
                members.setdefault(key, []).append(entry)
    return [Shard(key, members[key]) for key in sorted(members)]


def shard_facts(
    shard: Shard, corpus: Corpus, as_of: dt.date, prepare: Callable[[Fact], Fact | None], shared: list[Fact]
) -> list[Fact]:
    """A shard's facts, built when the shard is run so that only one shard's facts are alive at a
    time: `prepare` drops facts no rule can use or trims them; `shared` facts (the obligations
    table, already prepared) go into every shard."""
    facts = [p for entry in shard.records for p in map(prepare, record_facts(entry, corpus, as_of)) if p is not None]
    return facts + shared
