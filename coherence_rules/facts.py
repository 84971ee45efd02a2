"""Facts stage: records -> flat facts on which every rule join is an equality.

The engine matches flat dicts. Each fact carries exactly the keys rules join on,
computed here once, plus a back-pointer to its record (`ri`, `rid`) and YAML path
(`yp`). Tree overlap becomes equality: a statement emits one `cover` fact per
group x area node below the nodes it names, and two statements overlap exactly
when they cover a common node (subtrees of a tree meet only when nested); it also
emits one `span` fact per node pair above or below its own, so that one statement's
own nodes (`cover` with own: true) meet another's span exactly once per pair.

Every fact of a type has every field of that type (sentinels "" / "none", never a
missing key: the engine raises on a join over a missing field), and values are
normalised to str/int/bool so the engine's type-coercing comparisons stay exact.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Callable, Iterable

from . import vocab
from .obligations import Obligation
from .schema import Agreement, Commitments, Institution, Measure, Objective, Policy
from .validate import Corpus, RecordEntry

NONE = "none"

# The fact types and their fields: the compiler checks rules against this, and
# docs/writing-rules.md documents it.
COMMON = ("ri", "rid", "yp")
PERIOD = ("pfrom", "pto")
STATEMENT_FIELDS = COMMON + PERIOD + (
    "stype", "label", "kind", "country", "jkey", "level", "subdivision", "status", "active",
    "stance", "effect", "position", "pole", "origin", "destination", "partner", "pair",
    "budget", "resp_level", "resp_inst", "lead", "lead_yp", "coord_power", "coordination", "n_coordination",
    "migration_sector", "n_indicators", "n_areas",
)
FACT_FIELDS: dict[str, tuple[str, ...]] = {
    "statement": STATEMENT_FIELDS,
    "cover": STATEMENT_FIELDS + ("g", "area", "g_own", "area_own", "own"),
    "span": STATEMENT_FIELDS + ("g", "area", "g_own", "area_own"),
    "policy": COMMON + PERIOD + (
        "country", "jkey", "level", "subdivision", "type", "status", "active",
        "lead", "n_sectors", "n_coordination", "migration_sector",
    ),
    "indicator": COMMON + PERIOD + (
        "stmt", "country", "jkey", "level", "active", "stance", "name", "year", "target", "unit", "is_cap",
        "origin", "destination", "partner", "from_year", "to_year",
    ),
    "link": COMMON + PERIOD + ("country", "active", "target"),
    "coord_link": COMMON + ("inst",),
    "instrument_ref": COMMON + ("country", "active", "instrument", "ratifiable"),
    "reach": COMMON + ("src", "country", "active", "stance", "type", "g", "area_own"),
    "agreement": COMMON + PERIOD + (
        "agreement", "recorded_by", "type", "status", "active", "signed", "signed_over_3y",
        "parties", "n_parties", "pair", "groups", "codes", "n_codes", "classification", "quota",
        "ss_branches", "totalisation", "export", "fees", "dx_classification", "dx_fields",
    ),
    "agreement_party": COMMON + ("agreement", "party", "n_parties"),
    "agreement_record": COMMON + ("agreement", "recorded_by"),
    "agreement_cover": COMMON + PERIOD + (
        "agreement", "type", "active", "party", "other", "origin", "destination", "g", "quota",
    ),
    "ss_cover": COMMON + ("pair", "branch", "active", "type"),
    "occupation": COMMON + ("agreement", "pair", "code", "role", "type", "active"),
    "institution": COMMON + (
        "country", "type", "decision_power", "budget", "mandate", "n_mandate", "n_members",
    ),
    "mandate": COMMON + ("area",),
    "commitments": COMMON + ("country",),
    "ratified": COMMON + ("country", "instrument", "branch"),
    "obligation": COMMON + ("instrument", "article", "summary", "effect", "area", "g", "fees"),
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


def _years_before(day: dt.date, years: int) -> dt.date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def _number(value: float | None) -> int | float | str:
    """Whole numbers as int (5, not 5.0, in messages); "" when not stated."""
    if value is None:
        return ""
    return int(value) if float(value).is_integer() else value


def _year(day: str) -> int | str:
    return int(day[:4]) if day else ""


def _statement_facts(policy: Policy, yp: str, statement: Objective | Measure, base: dict,
                     coord_power: str) -> list[Fact]:
    """One objective's or measure's facts: itself, its covers and spans, its reach, its indicators."""
    ref = {"ri": base["ri"], "rid": base["rid"]}
    country = base["country"]
    is_objective = isinstance(statement, Objective)
    word = statement.stance if is_objective else statement.effect
    responsible = None if is_objective else statement.responsible
    own_lead = statement.lead_agency if is_objective else None
    corridor = _corridor(statement, country)
    fact = {
        **base, "yp": yp, "stype": "objective" if is_objective else "measure",
        "label": f"{'objective' if is_objective else 'measure'} {statement.id}", "kind": "policy",
        "stance": statement.stance if is_objective else NONE,
        "effect": NONE if is_objective else statement.effect, "position": word, "pole": _pole(word),
        **corridor,
        "budget": NONE if is_objective else _budget_state(statement),
        "resp_level": responsible.level if responsible is not None and not isinstance(responsible, str) else NONE,
        "resp_inst": responsible if isinstance(responsible, str) else NONE,
        "lead": own_lead or policy.lead_agency or NONE,
        "lead_yp": f"{yp}.lead_agency" if own_lead else ("lead_agency" if policy.lead_agency else yp),
        "coord_power": coord_power, "coordination": _key(policy.coordination),
        "n_coordination": len(set(policy.coordination)),
        "n_indicators": len(statement.indicators) if is_objective else 0,
        "n_areas": len(set(statement.areas)),
    }
    facts: list[Fact] = [{"t": "statement", **fact}]
    for g_own in sorted(set(statement.groups)):
        for area_own in sorted(set(statement.areas)):
            for g in sorted(vocab.GROUPS.below(g_own)):
                for area in sorted(vocab.AREAS.below(area_own)):
                    facts.append({"t": "cover", **fact, "g": g, "area": area, "g_own": g_own,
                                  "area_own": area_own, "own": g == g_own and area == area_own})
            # Another statement's own nodes overlap this one's exactly when they are in its span:
            # pairing one's `own` cover fact with the other's span gives one match per pair.
            for g in sorted(vocab.GROUPS.reach(g_own)):
                for area in sorted(vocab.AREAS.reach(area_own)):
                    facts.append({"t": "span", **fact, "g": g, "area": area, "g_own": g_own,
                                  "area_own": area_own})
            facts += [{"t": "reach", **ref, "yp": yp, "src": fact["stype"], "country": country,
                       "active": base["active"], "stance": fact["stance"], "type": NONE, "g": g,
                       "area_own": area_own} for g in sorted(vocab.GROUPS.reach(g_own))]
    for j, indicator in enumerate(statement.indicators if is_objective else ()):
        facts.append({
            "t": "indicator", **ref, "pfrom": base["pfrom"], "pto": base["pto"], "yp": f"{yp}.indicators.{j}",
            "stmt": yp, "country": country, "jkey": base["jkey"], "level": base["level"],
            "active": base["active"], "stance": statement.stance,
            "name": indicator.name, "year": "" if indicator.year is None else indicator.year,
            "target": _number(indicator.target), "unit": indicator.unit or "",
            "is_cap": indicator.name.endswith("_cap"),
            "origin": corridor["origin"], "destination": corridor["destination"], "partner": corridor["partner"],
            "from_year": _year(base["pfrom"]), "to_year": _year(base["pto"]),
        })
    return facts


def _policy_facts(entry: RecordEntry, corpus: Corpus) -> list[Fact]:
    policy: Policy = entry.model
    ref = {"ri": entry.index, "rid": policy.id}
    active = policy.status in vocab.ACTIVE_POLICY_STATUSES
    jurisdiction = _jurisdiction(policy)
    country = jurisdiction["country"]
    period = _period(policy)
    # References are resolved here once (architecture.md): whether any coordination body decides.
    powers = [getattr(c.model, "decision_power", None) if c else None
              for c in (corpus.by_id.get(inst) for inst in policy.coordination)]
    coord_power = "yes" if True in powers else "unknown" if None in powers else "no"
    base = {**ref, **jurisdiction, **period, "status": policy.status, "active": active,
            "migration_sector": ("yes" if "migration" in policy.sectors else "no") if policy.sectors else "unknown"}
    facts: list[Fact] = [{
        "t": "policy", **base, "yp": "", "type": policy.type, "lead": policy.lead_agency or NONE,
        "n_sectors": len(set(policy.sectors)), "n_coordination": len(set(policy.coordination)),
    }]
    facts += [{"t": "coord_link", **ref, "yp": f"coordination.{i}", "inst": inst}
              for i, inst in enumerate(policy.coordination)]
    facts += [{"t": "link", **ref, **period, "yp": f"implements.{i}", "country": country, "active": active,
               "target": target} for i, target in enumerate(policy.implements)]
    facts += [{"t": "instrument_ref", **ref, "yp": f"instruments.{i}", "country": country, "active": active,
               "instrument": name, "ratifiable": name in vocab.RATIFIABLE}
              for i, name in enumerate(policy.instruments)]
    statements = [("objectives", i, s) for i, s in enumerate(policy.objectives)]
    statements += [("measures", i, s) for i, s in enumerate(policy.measures)]
    for section, i, statement in statements:
        facts += _statement_facts(policy, f"{section}.{i}", statement, base, coord_power)
    return facts


def _agreement_facts(entry: RecordEntry, as_of: dt.date) -> list[Fact]:
    a: Agreement = entry.model
    parties = sorted(set(a.parties))
    pair = "|".join(parties) if len(parties) == 2 else NONE
    ss = a.social_security
    active = a.status in vocab.ACTIVE_AGREEMENT_STATUSES
    ref = {"ri": entry.index, "rid": a.id, "yp": ""}
    codes = a.occupations.codes if a.occupations else []
    quota = a.quota.per_year if a.quota else ""
    facts: list[Fact] = [{
        "t": "agreement", **ref, "agreement": a.agreement, "recorded_by": a.recorded_by, "type": a.type,
        "status": a.status, "active": active, **_period(a), "signed": _day(a.signed),
        "signed_over_3y": bool(a.signed and a.signed < _years_before(as_of, 3)),
        "parties": _key(parties), "n_parties": len(parties), "pair": pair,
        "groups": _key(a.groups) if "groups" in a.model_fields_set else "",
        "codes": _key(codes), "n_codes": len(set(codes)),
        "classification": (a.occupations.classification or "") if a.occupations else "",
        "quota": quota,
        "ss_branches": _key(ss.branches) if ss and "branches" in ss.model_fields_set else "",
        "totalisation": "" if not ss or ss.totalisation is None else str(ss.totalisation).lower(),
        "export": "" if not ss or ss.export_of_benefits is None else str(ss.export_of_benefits).lower(),
        "fees": a.recruitment.fees_paid_by if a.recruitment else "",
        "dx_classification": (a.data_exchange.classification or "") if a.data_exchange else "",
        "dx_fields": _key(a.data_exchange.fields) if a.data_exchange and "fields" in a.data_exchange.model_fields_set else "",
    }, {"t": "agreement_record", **ref, "agreement": a.agreement, "recorded_by": a.recorded_by}]
    facts += [{"t": "agreement_party", **ref, "yp": "parties", "agreement": a.agreement, "party": party,
               "n_parties": len(parties)} for party in parties]
    if ss and ss.branches:
        for branch in sorted({"social_security", *ss.branches}):
            facts.append({"t": "ss_cover", **ref, "yp": "social_security", "pair": pair, "branch": branch,
                          "active": active, "type": a.type})
    # Whom the agreement admits: its groups, or labour migrants when a labour agreement names none.
    groups = a.groups or (["labour_migrant"] if a.type == "labour" else [])
    for party in parties:
        for other in (p for p in parties if p != party):
            for g in sorted(set().union(*(vocab.GROUPS.below(x) for x in groups))):
                for origin, destination in ((party, other), (other, party)):
                    facts.append({"t": "agreement_cover", **ref, **_period(a), "yp": "groups" if a.groups else "",
                                  "agreement": a.agreement, "type": a.type, "active": active, "party": party,
                                  "other": other, "origin": origin, "destination": destination, "g": g,
                                  "quota": quota})
        # Seen from the origin party, a labour agreement is a regular channel for its emigrants too.
        reach = set().union(*(vocab.GROUPS.reach(x) for x in groups)) | ({"emigrant"} if a.type == "labour" else set())
        facts += [{"t": "reach", **ref, "src": "agreement", "country": party, "active": active, "stance": NONE,
                   "type": a.type, "g": g, "area_own": NONE} for g in sorted(reach)]
    facts += [{"t": "occupation", **ref, "yp": f"occupations.codes.{i}", "agreement": a.agreement, "pair": pair,
               "code": code, "role": "admits", "type": a.type, "active": active} for i, code in enumerate(codes)]
    recognised = a.skills_recognition.occupations if a.skills_recognition else []
    facts += [{"t": "occupation", **ref, "yp": f"skills_recognition.occupations.{i}", "agreement": a.agreement,
               "pair": pair, "code": code, "role": "recognises", "type": a.type, "active": active}
              for i, code in enumerate(recognised)]
    return facts


def _institution_facts(entry: RecordEntry) -> list[Fact]:
    inst: Institution = entry.model
    ref = {"ri": entry.index, "rid": inst.id}
    facts = [{
        "t": "institution", **ref, "yp": "",
        "country": inst.jurisdiction.country or "", "type": inst.type,
        "decision_power": NONE if inst.decision_power is None else inst.decision_power,
        "budget": _budget_state(inst), "mandate": _key(inst.mandate), "n_mandate": len(inst.mandate),
        "n_members": len(inst.members),
    }]
    # A mandate over a node reaches its ancestors and descendants: no false "outside mandate".
    reach = sorted(set().union(*(vocab.AREAS.reach(area) for area in inst.mandate)))
    return facts + [{"t": "mandate", **ref, "yp": "mandate", "area": area} for area in reach]


def _commitments_facts(entry: RecordEntry) -> list[Fact]:
    c: Commitments = entry.model
    ref = {"ri": entry.index, "rid": c.id}
    facts = [{"t": "commitments", **ref, "yp": "", "country": c.country}]
    for i, ratification in enumerate(c.ratified):
        branches = {NONE}
        if ratification.instrument == "ILO-C097":  # Art 6(1)(b): equal treatment in every branch
            branches |= {"social_security", *vocab.SOCIAL_SECURITY_BRANCHES}
        elif ratification.instrument == "ILO-C118":  # Art 2: accepted branch by branch (medical care: all of health)
            branches |= set().union(*(vocab.AREAS.below(b) for b in ratification.accepted_branches))
        facts += [{"t": "ratified", **ref, "yp": f"ratified.{i}", "country": c.country,
                   "instrument": ratification.instrument, "branch": branch} for branch in sorted(branches)]
    return facts


def obligation_facts(obligations: list[Obligation]) -> list[Fact]:
    """The built-in obligations table as facts, shared by every shard."""
    facts = []
    for k, o in enumerate(obligations):
        base = {"ri": -1, "rid": f"{o.instrument} {o.article}", "yp": f"obligations.{k}",
                "instrument": o.instrument, "article": o.article, "summary": o.summary}
        if o.fees_paid_by:
            facts += [{"t": "obligation", **base, "effect": NONE, "area": NONE, "g": NONE, "fees": fees}
                      for fees in o.fees_paid_by]
            continue
        areas = sorted(set().union(*(vocab.AREAS.below(a) for a in o.areas)))
        groups = sorted(set().union(*(vocab.GROUPS.below(g) for g in o.groups)))
        facts += [{"t": "obligation", **base, "effect": effect, "area": area, "g": g, "fees": NONE}
                  for effect in o.effects for area in areas for g in groups]
    return facts


def _lifecycle_fact(entry: RecordEntry, as_of: dt.date) -> list[Fact]:
    model = entry.model
    status = getattr(model, "status", None)
    period = getattr(model, "period", None)
    if status is None:
        return []
    end = period.end if period else None
    return [{"t": "lifecycle", "ri": entry.index, "rid": model.id, "yp": "status", "kind": model.kind,
             "status": status, "pto": _day(end), "ended": bool(end and end < as_of)}]


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
    return {entry.index: (sorted(agreement_keys[entry.model.agreement]) if isinstance(entry.model, Agreement)
                          else _own_keys(entry.model))
            for entry in corpus.records}


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


def shard_facts(shard: Shard, corpus: Corpus, as_of: dt.date, prepare: Callable[[Fact], Fact | None],
                shared: list[Fact]) -> list[Fact]:
    """A shard's facts, built when the shard is run so that only one shard's facts are alive at a
    time: `prepare` drops facts no rule can use or trims them; `shared` facts (the obligations
    table, already prepared) go into every shard."""
    facts = [p for entry in shard.records for p in map(prepare, record_facts(entry, corpus, as_of)) if p is not None]
    return facts + shared
