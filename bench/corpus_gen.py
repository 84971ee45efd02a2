#!/usr/bin/env python3
"""Seeded synthetic-corpus generator for `coherence` benchmarks.

    generate(seed, n_records, plant=True, rules=None) -> Corpus
    write(corpus, root)

    python bench/corpus_gen.py --seed 1 --records 10000 --out DIR [--no-plant] [--rules HC001,BA002]

The corpus is a set of fictional countries (codes XAA..XZZ, QMA..QZZ), about 100 records each:
one commitments record, ~20 institutions, national policies (laws, strategies, action plans,
programmes ...), subnational local plans and one record per party of bilateral agreements.

The background is coherent by construction: no rule among HC001, HC002, VC001, VC002, BA001-BA009,
SS001, SS002, LC001 fires on it (read with the reference date 2026-11-23). With `plant=True` known
incoherences are planted and listed in `Corpus.expected` as (rule_id, sorted record ids), one entry
per finding. Near-miss decoys (which must NOT fire) are planted alongside.

Only the standard library is used (the YAML is emitted by hand and checked against PyYAML).
Output depends on the seed only: one random.Random(seed), no set iteration, no global random state.

Assumptions the linter must share (run it with --as-of 2026-11-23):
- Record ids of agreements contain '@' (`XAA-XAB-LABOUR-1@XAA`), as in schema.md's example.
- Measure budgets are {amount, currency} (amount > 0), explicit `budget: null`, or omitted.
- Periods may be open (no `to`). Background periods start by 2026-06-01 and end 2027-12-31 or
  later, so any two background records overlap in time.
- `expected` holds one entry per finding: per pair of opposing statements (HC001/HC002/VC001; the
  records are the policy ids, one id when both statements sit in one policy), per agreement pair
  (BA002-BA009: exactly one differing field per planted pair; SS001: both records), per record
  (BA001, LC001),
  per objective (SS002: the policy id), per measure (VC002: policy id, plus the local authority id
  when `responsible` names one). Identical entries can legitimately repeat (a multiset).
- Planted opposing statements name one group and one area each, live in areas the background keeps
  free of positive/negative statements (RESERVED_AREAS, one per country and plant), and VC001 pairs
  are objective-objective or measure-measure (never mixed), so the cross-type reading of VC001
  cannot change the count.
- SS002 plants use a corridor {origin: own country, destination: B} where the two countries share
  no agreement at all. SS001 plants are fresh labour agreements (both records) between countries
  with no other agreement.
- Decoys that must NOT fire: sibling (disjoint) groups, incompatible corridors, different
  subdivisions, suspended/repealed policies, deny vs condition, neutral vs restrict, budget null
  on a local authority that has a budget, budget omitted, grant with budget null, negotiating
  labour agreements, portability objectives backed by a social security agreement covering the
  branch, neutral or student/refugee portability objectives, expired policies past their period,
  and in-force policies whose period ends exactly on the reference date.
- With `rules` restricted, only those rules are planted; every other rule then has no finding, so
  `expected` is complete for all sixteen rules in every mode.
"""

from __future__ import annotations

import argparse
import copy
import datetime as dt
import json
import pathlib
import random
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass

REFERENCE_DATE = dt.date(2026, 11, 23)

PLANTABLE_RULES = (
    "HC001",
    "HC002",
    "VC001",
    "VC002",
    "BA001",
    "BA002",
    "BA003",
    "BA004",
    "BA005",
    "BA006",
    "BA007",
    "BA008",
    "BA009",
    "SS001",
    "SS002",
    "LC001",
)

# --------------------------------------------------------------------------------------------
# Vocabularies (schema.md)

GROUP_PARENT: dict[str, str | None] = {
    "all_migrants": None,
    "regular_migrant": "all_migrants",
    "labour_migrant": "regular_migrant",
    "low_skilled_worker": "labour_migrant",
    "high_skilled_worker": "labour_migrant",
    "domestic_worker": "labour_migrant",
    "seasonal_worker": "labour_migrant",
    "student": "regular_migrant",
    "family_member": "regular_migrant",
    "irregular_migrant": "all_migrants",
    "refugee": "all_migrants",
    "asylum_seeker": "all_migrants",
    "trafficking_victim": "all_migrants",
    "emigrant": None,
    "diaspora": "emigrant",
    "returnee": "emigrant",
    "idp": None,
}
GROUPS = tuple(GROUP_PARENT)
SS_BRANCHES = (
    "old_age",
    "invalidity",
    "survivors",
    "employment_injury",
    "unemployment",
    "family_benefits",
    "maternity",
    "sickness",
)
AREA_PARENT: dict[str, str | None] = {
    a: None
    for a in (
        "entry",
        "exit",
        "stay",
        "work",
        "recruitment",
        "border",
        "asylum",
        "return",
        "readmission",
        "reintegration",
        "integration",
        "naturalisation",
        "health",
        "education",
        "housing",
        "social_security",
        "skills_recognition",
        "remittances",
        "diaspora_engagement",
        "anti_trafficking",
        "labour_rights",
        "data",
    )
}
AREA_PARENT["emergency_health"] = "health"
for _b in SS_BRANCHES:
    AREA_PARENT[_b] = "social_security"


def _chain(node: str, parent: dict[str, str | None]) -> list[str]:
    out = [node]
    while parent[out[-1]] is not None:
        out.append(parent[out[-1]])  # type: ignore[arg-type]
    return out


def _overlap(a: str, b: str, parent: dict[str, str | None]) -> bool:
    return a in _chain(b, parent) or b in _chain(a, parent)


GROUP_OVERLAP_PAIRS = [(a, b) for a in GROUPS for b in GROUPS if _overlap(a, b, GROUP_PARENT)]
GROUP_NESTED_PAIRS = [(a, b) for (a, b) in GROUP_OVERLAP_PAIRS if a != b]
GROUP_DISJOINT_PAIRS = [(a, b) for a in GROUPS for b in GROUPS if not _overlap(a, b, GROUP_PARENT)]
LABOUR_GROUPS = ["low_skilled_worker", "high_skilled_worker", "domestic_worker", "seasonal_worker"]

# Areas the background never holds a positive (facilitate/protect/grant) or negative statement in:
# only neutral objectives and fund/assign/require measures. Planted opposing statements live here,
# one (country, area) slot per planted or decoy case, so no plant can collide with anything else.
RESERVED_AREAS = ("naturalisation", "data", "anti_trafficking", "remittances", "diaspora_engagement", "reintegration")
RESERVED_OWNER = {
    "naturalisation": "MOI",
    "data": "MOF",
    "anti_trafficking": "MOJ",
    "remittances": "MOF",
    "diaspora_engagement": "MFA",
    "reintegration": "MOL",
}

RATIFIABLE = ("ICRMW", "REF-1951", "ILO-C097", "ILO-C143", "ILO-C118", "ILO-C157", "ILO-C102", "ILO-C181", "ILO-C189")
ADOPTABLE = ("GCM", "SDG-10.7", "SDG-10.c", "SDG-8.8", "SDG-17.18")
ISCO_CODES = (
    "9111",
    "7112",
    "9312",
    "6111",
    "5322",
    "8322",
    "7411",
    "2221",
    "3221",
    "9211",
    "5120",
    "7212",
    "2512",
    "5131",
    "8160",
    "9333",
    "7115",
    "3256",
)
DX_FIELDS = (
    "passport_no",
    "nationality",
    "date_of_birth",
    "occupation",
    "contract_wage",
    "employer_id",
    "insurance_period",
    "biometric_id",
    "contract_duration",
)
OTHER_AGREEMENT_TYPES = ("readmission", "mobility_partnership", "skills_recognition", "recruitment", "data_sharing")
AGREEMENT_TAG = {
    "labour": "LABOUR",
    "social_security": "SOCSEC",
    "readmission": "READMISSION",
    "mobility_partnership": "MOBILITY",
    "skills_recognition": "SKILLS",
    "recruitment": "RECRUITMENT",
    "data_sharing": "DATA",
}

# --------------------------------------------------------------------------------------------
# Institutions and policy themes

MINISTRIES = (
    (
        "MOL",
        "Ministry of Labour and Employment",
        ["work", "recruitment", "labour_rights", "exit", "skills_recognition", "reintegration"],
    ),
    (
        "MOI",
        "Ministry of Interior",
        ["entry", "stay", "work", "border", "asylum", "return", "readmission", "naturalisation"],
    ),
    (
        "MFA",
        "Ministry of Foreign Affairs",
        ["exit", "return", "skills_recognition", "diaspora_engagement", "remittances"],
    ),
    ("MOH", "Ministry of Health", ["health"]),
    ("MOE", "Ministry of Education", ["education", "skills_recognition"]),
    ("MOSP", "Ministry of Social Protection", ["housing", "labour_rights", "integration", "social_security"]),
    ("MOJ", "Ministry of Justice", ["stay", "labour_rights", "anti_trafficking"]),
    ("MOF", "Ministry of Finance", ["remittances", "data"]),
)
AGENCIES = (
    ("OEA", "agency", "Overseas Employment Agency", "MOL", ["recruitment", "exit", "work", "labour_rights"]),
    ("IMMIGRATION", "agency", "Immigration Agency", "MOI", ["entry", "stay", "border", "return"]),
    ("SSA", "agency", "Social Security Agency", "MOSP", ["social_security"]),
    (
        "BEA",
        "bureau",
        "Bureau of Emigrant Affairs",
        "MFA",
        ["exit", "diaspora_engagement", "remittances", "reintegration"],
    ),
    ("BSTAT", "bureau", "National Bureau of Statistics", "MOF", ["data"]),
    ("BRA", "bureau", "Bureau for Refugees and Asylum", "MOI", ["asylum", "stay", "integration"]),
)
LOCAL_MANDATE = [
    "integration",
    "housing",
    "health",
    "education",
    "work",
    "labour_rights",
    "naturalisation",
    "data",
    "anti_trafficking",
    "remittances",
    "diaspora_engagement",
    "reintegration",
]


@dataclass(frozen=True)
class _Theme:
    key: str
    lead: str  # ministry key, or "LA" for the local authority
    sectors: tuple[str, ...]
    pos: tuple[str, ...]  # areas of background facilitate/protect objectives
    groups: tuple[str, ...]
    neutral: tuple[str, ...]  # areas of background neutral objectives (may be reserved)
    fund: tuple[str, ...]  # extra areas of fund/assign/require measures
    grant: tuple[str, ...]  # areas of background grant measures (never reserved)
    cond: tuple[str, ...]  # areas of background condition measures (checked safe)
    corridor: bool
    topics: tuple[str, ...]  # title stems; the policy type supplies the noun


THEMES = {
    t.key: t
    for t in (
        _Theme(
            "migration",
            "MOI",
            ("migration", "labour", "interior", "foreign_affairs"),
            ("entry", "stay", "work", "return"),
            ("all_migrants", "regular_migrant", "labour_migrant", "emigrant"),
            ("data", "naturalisation"),
            ("border", "integration"),
            ("stay", "work"),
            ("entry", "stay"),
            False,
            ("National Migration", "Migration Governance", "Comprehensive Migration"),
        ),
        _Theme(
            "labour",
            "MOL",
            ("migration", "labour", "employment"),
            ("work", "recruitment", "labour_rights", "exit", "skills_recognition"),
            (
                "labour_migrant",
                "low_skilled_worker",
                "high_skilled_worker",
                "domestic_worker",
                "seasonal_worker",
                "emigrant",
            ),
            ("reintegration", "data"),
            ("employment_injury", "old_age", "reintegration"),
            ("work", "labour_rights", "skills_recognition"),
            ("work", "recruitment"),
            True,
            (
                "Labour Migration",
                "Overseas Employment",
                "Fair Recruitment",
                "Migrant Workers Protection",
                "Skills Mobility",
                "Seasonal Work",
            ),
        ),
        _Theme(
            "border",
            "MOI",
            ("migration", "interior"),
            ("entry", "stay", "border"),
            ("regular_migrant", "student", "family_member", "high_skilled_worker", "seasonal_worker"),
            ("naturalisation", "data"),
            ("border",),
            ("entry", "stay"),
            ("entry", "stay"),
            True,
            (
                "Immigration",
                "Visa Facilitation",
                "Integrated Border Management",
                "Residence Permits",
                "Family Reunification",
            ),
        ),
        _Theme(
            "asylum",
            "MOI",
            ("migration", "justice", "interior"),
            ("asylum", "stay"),
            ("refugee", "asylum_seeker"),
            ("data", "anti_trafficking"),
            ("housing", "health"),
            ("asylum", "stay"),
            ("stay",),
            False,
            ("Asylum and Refugee Protection", "Refugee Response", "Reception Conditions"),
        ),
        _Theme(
            "health",
            "MOH",
            ("migration", "health"),
            ("health", "emergency_health"),
            ("all_migrants", "regular_migrant", "irregular_migrant", "refugee", "asylum_seeker"),
            ("data",),
            ("health", "emergency_health"),
            ("health", "emergency_health"),
            (),
            False,
            ("Migrant Health", "Health Access for Migrants", "Universal Health Coverage for Migrants"),
        ),
        _Theme(
            "education",
            "MOE",
            ("migration", "education", "skills"),
            ("education", "skills_recognition"),
            ("student", "family_member", "refugee"),
            ("data",),
            ("education",),
            ("education", "skills_recognition"),
            ("skills_recognition",),
            False,
            ("Education for Migrant Children", "International Students", "Qualifications Recognition"),
        ),
        _Theme(
            "return",
            "MOI",
            ("migration", "interior", "foreign_affairs"),
            ("return", "readmission"),
            ("returnee", "irregular_migrant", "asylum_seeker"),
            ("reintegration", "data"),
            ("return", "reintegration"),
            ("return",),
            (),
            True,
            ("Return and Readmission", "Assisted Voluntary Return"),
        ),
        _Theme(
            "diaspora",
            "MFA",
            ("migration", "foreign_affairs", "development"),
            ("exit", "return", "skills_recognition"),
            ("emigrant", "diaspora", "returnee"),
            ("diaspora_engagement", "remittances"),
            ("diaspora_engagement", "remittances", "reintegration"),
            ("skills_recognition",),
            (),
            True,
            ("Diaspora Engagement", "Remittances and Development", "Emigration Governance"),
        ),
        _Theme(
            "social",
            "MOSP",
            ("migration", "social_protection", "housing"),
            ("housing", "labour_rights", "integration"),
            ("labour_migrant", "family_member", "refugee", "regular_migrant"),
            ("old_age", "sickness", "invalidity"),
            ("old_age", "sickness", "family_benefits", "housing"),
            ("housing", "integration"),
            (),
            False,
            ("Social Protection for Migrants", "Migrant Housing", "Portability of Benefits"),
        ),
        _Theme(
            "trafficking",
            "MOJ",
            ("migration", "justice"),
            ("stay", "labour_rights"),
            ("trafficking_victim",),
            ("anti_trafficking", "data"),
            ("anti_trafficking",),
            ("stay",),
            (),
            False,
            ("Anti-Trafficking", "Victim Protection"),
        ),
        _Theme(
            "local",
            "LA",
            ("migration", "urban_development", "housing"),
            ("integration", "housing", "health", "education", "work", "labour_rights", "emergency_health"),
            ("all_migrants", "regular_migrant", "refugee", "family_member", "returnee", "labour_migrant"),
            ("data", "reintegration"),
            ("integration", "housing", "reintegration"),
            ("integration", "housing", "education"),
            (),
            False,
            (
                "Migrant Integration",
                "Welcoming City",
                "Migration and Development",
                "Returnee Reintegration",
                "Inclusive Services",
            ),
        ),
    )
}
NATIONAL_THEMES = tuple(k for k in THEMES if k not in ("local", "migration"))
MANDATES = {k: m for k, _, m in MINISTRIES}
TYPE_WORD = {
    "law": "Act",
    "regulation": "Regulation",
    "decree": "Decree",
    "strategy": "Strategy",
    "action_plan": "National Action Plan",
    "local_plan": "Plan",
    "programme": "Programme",
    "guideline": "Guidelines",
}

# Background condition measures are restricted to these areas so that no other rule
# (RI001, SS004, IC001 via ILO-C097 Art 6) can fire on them.
SAFE_CONDITION_AREAS = {"entry", "stay", "work", "recruitment", "skills_recognition"}

GROUP_TXT = {
    "all_migrants": "all migrants",
    "regular_migrant": "regular migrants",
    "labour_migrant": "migrant workers",
    "low_skilled_worker": "low-skilled workers",
    "high_skilled_worker": "high-skilled workers",
    "domestic_worker": "domestic workers",
    "seasonal_worker": "seasonal workers",
    "student": "international students",
    "family_member": "family members",
    "irregular_migrant": "irregular migrants",
    "refugee": "refugees",
    "asylum_seeker": "asylum seekers",
    "trafficking_victim": "victims of trafficking",
    "emigrant": "emigrants",
    "diaspora": "the diaspora",
    "returnee": "returnees",
    "idp": "internally displaced persons",
}
AREA_TXT = {
    "entry": "entry",
    "exit": "regular emigration",
    "stay": "residence",
    "work": "access to work",
    "recruitment": "fair recruitment",
    "border": "border crossing",
    "asylum": "asylum procedures",
    "return": "voluntary return",
    "readmission": "readmission",
    "reintegration": "reintegration",
    "integration": "integration services",
    "naturalisation": "naturalisation",
    "health": "health care",
    "emergency_health": "emergency health care",
    "education": "education",
    "housing": "housing",
    "social_security": "social security",
    "old_age": "old-age pensions",
    "invalidity": "invalidity benefits",
    "survivors": "survivors' benefits",
    "employment_injury": "employment injury cover",
    "unemployment": "unemployment benefits",
    "family_benefits": "family benefits",
    "maternity": "maternity benefits",
    "sickness": "sickness benefits",
    "skills_recognition": "recognition of skills",
    "remittances": "remittance services",
    "diaspora_engagement": "diaspora engagement",
    "anti_trafficking": "anti-trafficking support",
    "labour_rights": "labour rights",
    "data": "migration data",
}
STANCE_VERBS = {
    "facilitate": ("Expand", "Ease", "Simplify", "Open"),
    "protect": ("Guarantee", "Safeguard", "Secure", "Uphold"),
    "restrict": ("Tighten", "Cap", "Limit", "Narrow"),
    "deter": ("Discourage", "Penalise abuse of", "Curb", "Reduce claims to"),
    "neutral": ("Monitor", "Collect data on", "Report on", "Study"),
}
EFFECT_TXT = {
    "grant": "Grant {g} access to {a}",
    "deny": "Exclude {g} from {a}",
    "condition": "Make {a} for {g} conditional on a valid permit",
    "fund": "Fund {a} for {g}",
    "assign": "Assign delivery of {a} for {g} to the responsible body",
    "require": "Require service providers to report on {a} for {g}",
}
INDICATORS = {
    "entry": ("visa_processing_days", "days", "days"),
    "exit": ("pre_departure_orientations", "persons", "count"),
    "stay": ("residence_permits_issued", "permits", "count"),
    "work": ("work_permits_issued", "permits", "count"),
    "recruitment": ("licensed_recruitment_agencies", "agencies", "count"),
    "border": ("border_posts_modernised", "posts", "count"),
    "asylum": ("asylum_decisions_within_6_months_pct", "percent", "pct"),
    "return": ("assisted_voluntary_returns", "persons", "count"),
    "readmission": ("readmission_requests_processed", "requests", "count"),
    "reintegration": ("returnees_with_reintegration_support", "persons", "count"),
    "integration": ("integration_courses_completed", "persons", "count"),
    "naturalisation": ("naturalisation_decisions", "decisions", "count"),
    "health": ("migrants_with_health_coverage_pct", "percent", "pct"),
    "emergency_health": ("emergency_care_points", "facilities", "count"),
    "education": ("migrant_children_enrolled_pct", "percent", "pct"),
    "housing": ("social_housing_units_for_migrants", "units", "count"),
    "social_security": ("migrants_covered_by_social_security_pct", "percent", "pct"),
    "skills_recognition": ("qualifications_recognised", "persons", "count"),
    "remittances": ("remittance_cost_pct", "percent", "remit"),
    "diaspora_engagement": ("diaspora_investment_projects", "projects", "count"),
    "anti_trafficking": ("trafficking_victims_assisted", "persons", "count"),
    "labour_rights": ("labour_inspections_in_migrant_workplaces", "inspections", "count"),
    "data": ("migration_statistics_releases", "releases", "count"),
}
SYLLABLES = (
    "ka",
    "ve",
    "lo",
    "ri",
    "ta",
    "mon",
    "sel",
    "dor",
    "an",
    "bel",
    "cor",
    "fi",
    "gal",
    "har",
    "is",
    "jun",
    "kel",
    "lum",
    "mar",
    "nor",
    "os",
    "pel",
    "quin",
    "ros",
    "sar",
    "tel",
    "ur",
    "val",
    "wen",
    "yor",
    "zan",
    "el",
    "tra",
    "mi",
    "bo",
    "den",
)
SUB_KINDS = ("City", "Province", "District", "Municipality", "County", "Prefecture")
REGION_KINDS = ("Region", "Highlands", "Coast", "Valley", "Lowlands")


# --------------------------------------------------------------------------------------------
# Public API


@dataclass
class Corpus:
    files: dict[str, str]  # relative posix path -> YAML text
    expected: list[tuple[str, tuple[str, ...]]]  # sorted multiset of planted findings


def generate(
    seed: int,
    n_records: int,
    plant: bool = True,
    rules: Iterable[str] | None = None,
    countries: int | None = None,
    focus: bool = False,
    density: int = 1,
) -> Corpus:
    """Build a deterministic corpus of about `n_records` records for `seed`: `countries` of them
    (default: one per 100 records); with `focus`, the filler records all go to the first country
    and plants prefer it (one large shard: bench/heavy_shard.py). Each rule is planted `density`
    times per 1,000 records (at least 3 times), as far as the countries' free areas allow."""
    if rules is None:
        selected = list(PLANTABLE_RULES)
    else:
        selected = sorted(dict.fromkeys(r.strip().upper() for r in rules if r.strip()))
        unknown = [r for r in selected if r not in PLANTABLE_RULES]
        if unknown:
            raise ValueError(f"cannot plant {unknown}; plantable rules: {', '.join(PLANTABLE_RULES)}")
    gen = _Generator(int(seed), max(1, int(n_records)), countries, focus, density)
    gen.background()
    if plant:
        gen.plant([r for r in PLANTABLE_RULES if r in selected])
    gen.fill()
    return Corpus(files=gen.files(), expected=sorted(gen.expected))


def write(corpus: Corpus, root: pathlib.Path) -> None:
    """Write the corpus files under `root` (directories are created)."""
    root = pathlib.Path(root)
    for rel, text in corpus.files.items():
        path = root.joinpath(*rel.split("/"))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


# --------------------------------------------------------------------------------------------
# YAML emission (hand-rolled: fast, stable, hand-written look)

_RESERVED_WORDS = {"y", "n", "yes", "no", "on", "off", "true", "false", "null", "~"}
_PLAIN_RE = re.compile(r"^[A-Za-z][A-Za-z0-9 _.,()/'&@+-]*$")


_PLAIN_CACHE: dict[str, bool] = {}


def _plain_ok(s: str, flow: bool) -> bool:
    ok = _PLAIN_CACHE.get(s)
    if ok is None:
        ok = bool(s) and bool(_PLAIN_RE.match(s)) and s.lower() not in _RESERVED_WORDS and not s.endswith(" ")
        if len(_PLAIN_CACHE) < 200000:
            _PLAIN_CACHE[s] = ok
    return ok and not (flow and "," in s)


def _scalar(v, flow: bool) -> str:
    if v is None:
        return "null"
    if v is True:
        return "true"
    if v is False:
        return "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, dt.date):
        return v.isoformat()
    s = str(v)
    return s if _plain_ok(s, flow) else json.dumps(s, ensure_ascii=False)


def _is_scalar(v) -> bool:
    return v is None or isinstance(v, (bool, int, float, str, dt.date))


def _flow(v) -> str | None:
    if _is_scalar(v):
        return _scalar(v, True)
    if isinstance(v, list):
        parts = [_flow(x) for x in v]
        return None if None in parts else "[" + ", ".join(parts) + "]"  # type: ignore[arg-type]
    if isinstance(v, dict):
        parts = []
        for k, x in v.items():
            fx = _flow(x)
            if fx is None:
                return None
            parts.append(f"{k}: {fx}")
        return "{" + ", ".join(parts) + "}"
    raise TypeError(type(v))


def _emit_map(d: dict, indent: int, out: list[str]) -> None:
    pad = " " * indent
    for k, v in d.items():
        if _is_scalar(v):
            out.append(f"{pad}{k}: {_scalar(v, False)}")
            continue
        if not v:
            out.append(f"{pad}{k}: {'[]' if isinstance(v, list) else '{}'}")
            continue
        nested = isinstance(v, list) and any(isinstance(x, dict) for x in v)
        f = None if nested else _flow(v)
        if f is not None and indent + len(k) + 2 + len(f) <= 110:
            out.append(f"{pad}{k}: {f}")
        elif isinstance(v, dict):
            out.append(f"{pad}{k}:")
            _emit_map(v, indent + 2, out)
        else:
            out.append(f"{pad}{k}:")
            _emit_seq(v, indent + 2, out)


def _emit_seq(items: list, indent: int, out: list[str]) -> None:
    pad = " " * indent
    for x in items:
        if isinstance(x, dict) and x:
            if "statement" not in x and all(
                _is_scalar(v) or (isinstance(v, list) and all(_is_scalar(y) for y in v)) for v in x.values()
            ):
                f = _flow(x)
                if f is not None and indent + 2 + len(f) <= 110:
                    out.append(f"{pad}- {f}")
                    continue
            sub: list[str] = []
            _emit_map(x, indent + 2, sub)
            sub[0] = f"{pad}- {sub[0][indent + 2 :]}"
            out.extend(sub)
        else:
            f = _flow(x)
            out.append(f"{pad}- {f}")


def _dump_record(rec: dict) -> str:
    out: list[str] = []
    _emit_map(rec, 0, out)
    return "\n".join(out) + "\n"


# --------------------------------------------------------------------------------------------
# The generator


class _Country:
    def __init__(self, code: str, name: str, currency: str):
        self.code = code
        self.name = name
        self.currency = currency
        self.subs: list[dict] = []  # {name, slug, within}
        self.inst: dict[str, str] = {}  # ministry/agency key -> id
        self.la: dict[str, str] = {}  # subdivision slug -> local authority id
        self.committees: list[str] = []
        self.ratified: list[str] = []
        self.adopted: list[str] = []
        self.law = ""
        self.strategies: list[str] = []
        self.core_national: list[str] = []  # policies plants may add statements to
        self.core_local: dict[str, list[str]] = {}
        self.leaves: list[str] = []  # policies nothing implements (LC001 candidates)
        self.slots: list[str] = []  # free reserved areas
        self.partners: list[str] = []


class _Generator:
    def __init__(self, seed: int, n_records: int, countries: int | None = None, focus: bool = False, density: int = 1):
        self.rng = random.Random(seed)
        self.n = n_records
        self.density = density
        self.n_countries = countries
        self.focus = focus
        self.records: dict[str, dict] = {}
        self.place: dict[str, tuple] = {}  # id -> file group key
        self.expected: list[tuple[str, tuple[str, ...]]] = []
        self.countries: list[_Country] = []
        self.by_code: dict[str, _Country] = {}
        self.agreements: dict[str, dict] = {}  # key -> {type, parties, ids, ss_own}
        self._agreement_keys: list[str] = []
        self.pair_agreements: dict[tuple[str, str], list[str]] = {}
        self.indicator_values: dict[tuple, tuple] = {}
        self.touched_pol: set[str] = set()  # membership only, never iterated
        self.touched_agr: set[str] = set()
        self.once_pol: dict[str, set[str]] = {"VC002": set(), "SS002": set()}

    # ---------------------------------------------------------------- helpers
    def _date(self, lo: dt.date, hi: dt.date) -> dt.date:
        return lo + dt.timedelta(days=self.rng.randint(0, max(0, (hi - lo).days)))

    def _name(self, lo: int = 2, hi: int = 3) -> str:
        return "".join(self.rng.choice(SYLLABLES) for _ in range(self.rng.randint(lo, hi))).capitalize()

    def _bg_period(self, open_prob: float = 0.0, start_lo=dt.date(2014, 1, 1), start_hi=dt.date(2026, 6, 1)) -> dict:
        """A background period: starts by mid-2026, runs to the end of 2027 or later (or is open)."""
        start = self._date(start_lo, min(start_hi, dt.date(2026, 6, 1)))
        if self.rng.random() < open_prob:
            return {"from": start}
        lo = max(dt.date(2027, 12, 31), start + dt.timedelta(days=3 * 365))
        end = self._date(lo, max(lo, dt.date(2035, 12, 31)))
        if self.rng.random() < 0.6:  # most plans end on 31 December
            end = dt.date(end.year, 12, 31)
        return {"from": start, "to": end}

    def _add(self, rec: dict, place: tuple) -> dict:
        rid = rec["id"]
        if rid in self.records:
            raise RuntimeError(f"duplicate id {rid}")
        self.records[rid] = rec
        self.place[rid] = place
        return rec

    def _indicator(self, code: str, area: str, period: dict) -> dict:
        name, unit, kind = INDICATORS[area if area in INDICATORS else AREA_PARENT[area] or area]
        start, end = period["from"], period.get("to")
        y0 = start.year if (start.month, start.day) == (1, 1) else start.year + 1
        y1 = min(end.year if (end.month, end.day) == (12, 31) else end.year - 1, 2033) if end else 2032
        y0 = max(y0, min(y1, 2024))
        year = self.rng.randint(y0, max(y0, y1))
        key = (code, name, year)
        if key not in self.indicator_values:  # one target per country, indicator and year (TG001)
            r = self.rng
            if kind == "pct":
                b = r.randint(15, 60)
                vals = (b, min(100, b + r.randint(5, 30)))
            elif kind == "days":
                vals = (r.randint(30, 90), r.randint(10, 25))
            elif kind == "remit":
                vals = (round(r.uniform(4.5, 8.5), 1), r.choice((3.0, 2.5, 2.0)))
            else:
                b = r.randrange(100, 20000, 50)
                vals = (b, int(b * r.uniform(1.1, 2.0)))
            self.indicator_values[key] = vals
        baseline, target = self.indicator_values[key]
        return {"name": name, "baseline": baseline, "target": target, "unit": unit, "year": year}

    def _statement_text(self, stance: str, group: str, area: str, corridor: dict | None) -> str:
        text = f"{self.rng.choice(STANCE_VERBS[stance])} {AREA_TXT[area]} for {GROUP_TXT[group]}"
        if corridor and corridor["origin"] != "any" and corridor["destination"] != "any":
            text += f" on the {corridor['origin']}-{corridor['destination']} corridor"
        elif corridor and corridor["destination"] != "any":
            text += f" bound for {corridor['destination']}"
        elif corridor and corridor["origin"] != "any":
            text += f" from {corridor['origin']}"
        return text

    def _budget(self, c: _Country, lo: int = 20, hi: int = 5000) -> dict:
        return {"amount": self.rng.randrange(lo, hi) * 1000, "currency": c.currency}

    def _under_mandate(self, area: str, mandate: list[str]) -> bool:
        return any(a in mandate for a in _chain(area, AREA_PARENT))

    # ---------------------------------------------------------------- background
    def background(self) -> None:
        r = self.rng
        all_codes = [f"X{a}{b}" for a in _AZ for b in _AZ] + [f"Q{a}{b}" for a in "MNOPQRSTUVWXYZ" for b in _AZ]
        n_c = self.n_countries or max(2, min(len(all_codes), round(self.n / 100)))
        codes = sorted(r.sample(all_codes, n_c))
        names_seen: set[str] = set()
        for code in codes:
            while True:
                name = f"{r.choice(('Republic of', 'Kingdom of', 'Federation of', 'State of', 'Union of'))} {self._name(2, 3)}"
                if name not in names_seen:
                    names_seen.add(name)
                    break
            c = _Country(code, name, code[1] + code[2] + r.choice("DLRFK"))
            self.countries.append(c)
            self.by_code[code] = c
        for c in self.countries:
            self._institutions(c)
            self._commitments(c)
        self._agreements()
        for c in self.countries:
            self._core_policies(c)

    def _institutions(self, c: _Country) -> None:
        r = self.rng
        nat = {"country": c.code, "level": "national"}
        ministries = []
        for key, name, mandate in MINISTRIES:
            iid = f"{c.code}-{key}"
            c.inst[key] = iid
            ministries.append(iid)
            self._add(
                {
                    "coherence": 1,
                    "kind": "institution",
                    "id": iid,
                    "name": name,
                    "jurisdiction": dict(nat),
                    "type": "ministry",
                    "mandate": list(mandate),
                    "decision_power": True,
                    "budget": self._budget(c, 5000, 90000),
                },
                (c.code, "institutions"),
            )
        for key, itype, name, parent, mandate in AGENCIES:
            iid = f"{c.code}-{key}"
            c.inst[key] = iid
            self._add(
                {
                    "coherence": 1,
                    "kind": "institution",
                    "id": iid,
                    "name": name,
                    "jurisdiction": dict(nat),
                    "type": itype,
                    "mandate": list(mandate),
                    "decision_power": True,
                    "budget": self._budget(c, 500, 20000),
                    "parent": f"{c.code}-{parent}",
                },
                (c.code, "institutions"),
            )
        imc = f"{c.code}-IMC-MIGRATION"
        nmc = f"{c.code}-NMC"
        c.committees = [imc, nmc]
        self._add(
            {
                "coherence": 1,
                "kind": "institution",
                "id": imc,
                "name": "Inter-Ministerial Committee on Migration",
                "jurisdiction": dict(nat),
                "type": "committee",
                "mandate": ["entry", "stay", "work", "exit", "return", "integration"],
                "decision_power": True,
                "budget": self._budget(c, 100, 2000),
                "members": ministries,
            },
            (c.code, "institutions"),
        )
        self._add(
            {
                "coherence": 1,
                "kind": "institution",
                "id": nmc,
                "name": "National Council on Migration and Development",
                "jurisdiction": dict(nat),
                "type": "council",
                "mandate": ["exit", "diaspora_engagement", "remittances", "reintegration"],
                "decision_power": True,
                "budget": self._budget(c, 100, 2000),
                "members": [c.inst[k] for k in ("MOL", "MOI", "MFA", "MOSP", "MOF")],
            },
            (c.code, "institutions"),
        )
        n_subs = r.randint(3, 5)
        regions = [f"{self._name(2, 2)} {r.choice(REGION_KINDS)}" for _ in range(2)]
        seen: set[str] = set()
        while len(c.subs) < n_subs:
            sname = f"{self._name(2, 3)} {r.choice(SUB_KINDS)}"
            slug = re.sub(r"[^A-Z0-9]+", "-", sname.upper()).strip("-")
            if slug in seen:
                continue
            seen.add(slug)
            sub = {"name": sname, "slug": slug, "within": r.choice(regions) if r.random() < 0.5 else None}
            c.subs.append(sub)
            c.core_local[slug] = []
            iid = f"{c.code}-LA-{slug}"
            c.la[slug] = iid
            kind_word = sname.rsplit(" ", 1)[1]
            self._add(
                {
                    "coherence": 1,
                    "kind": "institution",
                    "id": iid,
                    "name": f"{sname} {'Council' if kind_word in ('City', 'Municipality', 'District') else 'Government'}",
                    "jurisdiction": self._sub_jurisdiction(c, sub),
                    "type": "local_authority",
                    "mandate": list(LOCAL_MANDATE),
                    "decision_power": True,
                    "budget": self._budget(c, 200, 8000),
                },
                (c.code, "institutions"),
            )
        # the slots plants may use, in random order
        c.slots = list(RESERVED_AREAS)
        r.shuffle(c.slots)

    def _sub_jurisdiction(self, c: _Country, sub: dict) -> dict:
        j = {"country": c.code, "level": "subnational", "subdivision": sub["name"]}
        if sub["within"]:
            j["within"] = sub["within"]
        return j

    def _commitments(self, c: _Country) -> None:
        r = self.rng
        ratified = sorted(r.sample(RATIFIABLE, r.randint(2, 6)), key=RATIFIABLE.index)
        entries = []
        for inst in ratified:
            e = {"instrument": inst, "year": r.randint(1955, 2022)}
            if inst == "ILO-C118":
                e["accepted_branches"] = sorted(r.sample(SS_BRANCHES, r.randint(2, 5)), key=SS_BRANCHES.index)
            entries.append(e)
        adopted = [a for a in ADOPTABLE if a == "GCM" or r.random() < 0.7]
        c.ratified, c.adopted = ratified, adopted
        self._add(
            {
                "coherence": 1,
                "kind": "commitments",
                "id": f"{c.code}-COMMITMENTS",
                "country": c.code,
                "ratified": entries,
                "adopted": adopted,
            },
            (c.code, "commitments"),
        )

    # ---- agreements
    def _agreements(self) -> None:
        r = self.rng
        codes = [c.code for c in self.countries]
        n_c = len(codes)
        k = max(1, min(6, (n_c - 1) // 2))
        pairs: dict[tuple[str, str], None] = {}
        for code in codes:
            others = [o for o in codes if o != code]
            for o in r.sample(others, min(k, len(others))):
                pairs[tuple(sorted((code, o)))] = None  # type: ignore[index]
        for a, b in sorted(pairs):
            types: list[tuple[str, bool]] = []
            x = r.random()
            if x < 0.5:
                types += [("labour", False), ("social_security", False)]
            elif x < 0.75:
                types.append(("labour", True))
            elif x < 0.85:
                types.append(("social_security", False))
            for t in r.sample(OTHER_AGREEMENT_TYPES, r.choice((0, 1, 1, 1, 2, 2))):
                types.append((t, False))
            if not types:
                types.append((r.choice(OTHER_AGREEMENT_TYPES), False))
            for t, own in types:
                self._new_agreement(a, b, t, ss_own=own)
            self.by_code[a].partners.append(b)
            self.by_code[b].partners.append(a)
        for c in self.countries:
            c.partners.sort()

    def _agreement_body(self, atype: str, ss_own: bool, with_ss: bool = True) -> dict:
        r = self.rng
        body: dict = {}
        codes = sorted(r.sample(ISCO_CODES, r.randint(2, 4)))
        fields = sorted(r.sample(DX_FIELDS, r.randint(2, 4)), key=DX_FIELDS.index)
        freq = r.choice(("monthly", "quarterly", "on_request", "annual"))
        if atype == "labour":
            body["groups"] = sorted(r.sample(LABOUR_GROUPS, r.randint(1, 3)), key=LABOUR_GROUPS.index)
            body["occupations"] = {"classification": "ISCO-08", "codes": codes}
            body["quota"] = {"per_year": r.randrange(500, 20001, 250)}
            if ss_own and with_ss:
                body["social_security"] = self._ss_cover()
            body["recruitment"] = {"fees_paid_by": "employer"}
            body["skills_recognition"] = {"occupations": list(codes)}
            if r.random() < 0.7:
                body["data_exchange"] = {"fields": fields, "classification": "ISCO-08", "frequency": freq}
        elif atype == "social_security":
            body["groups"] = [r.choice(("labour_migrant", "regular_migrant", "all_migrants"))]
            body["social_security"] = self._ss_cover()
            if r.random() < 0.5:
                body["data_exchange"] = {"fields": ["insurance_period", "passport_no"], "frequency": freq}
        elif atype == "readmission":
            body["groups"] = ["irregular_migrant"]
            body["data_exchange"] = {
                "fields": ["passport_no", "nationality", "biometric_id"],
                "frequency": "on_request",
            }
        elif atype == "mobility_partnership":
            body["groups"] = sorted(r.sample(["student", "high_skilled_worker", "seasonal_worker"], r.randint(1, 2)))
            body["occupations"] = {"classification": "ISCO-08", "codes": codes}
            body["quota"] = {"per_year": r.randrange(200, 5001, 100)}
            body["skills_recognition"] = {"occupations": list(codes)}
        elif atype == "skills_recognition":
            body["groups"] = ["labour_migrant"]
            body["occupations"] = {"classification": "ISCO-08", "codes": codes}
            body["skills_recognition"] = {"occupations": list(codes)}
        elif atype == "recruitment":
            body["groups"] = sorted(r.sample(LABOUR_GROUPS, r.randint(1, 2)), key=LABOUR_GROUPS.index)
            body["occupations"] = {"classification": "ISCO-08", "codes": codes}
            body["recruitment"] = {"fees_paid_by": "employer"}
            body["skills_recognition"] = {"occupations": list(codes)}
        elif atype == "data_sharing":
            body["data_exchange"] = {"fields": fields, "classification": "ISCO-08", "frequency": freq}
        return body

    def _ss_cover(self) -> dict:
        r = self.rng
        extra = r.sample(SS_BRANCHES[1:], r.randint(2, 5))
        branches = sorted(["old_age"] + extra, key=SS_BRANCHES.index)
        return {"branches": branches, "totalisation": True, "export_of_benefits": r.random() < 0.8}

    def _new_agreement(
        self, a: str, b: str, atype: str, ss_own: bool = False, status: str | None = None, with_ss: bool = True
    ) -> str:
        r = self.rng
        pair = (a, b)
        existing = self.pair_agreements.setdefault(pair, [])
        idx = 1 + sum(1 for k in existing if self.agreements[k]["type"] == atype)
        key = f"{a}-{b}-{AGREEMENT_TAG[atype]}-{idx}"
        if status is None:
            status = "in_force" if atype == "social_security" or r.random() < 0.85 else "signed"
        period = self._bg_period(start_lo=dt.date(2015, 1, 1))
        signed = period["from"] - dt.timedelta(days=r.randint(20, 400))
        body = self._agreement_body(atype, ss_own, with_ss)
        ids = []
        for party in (a, b):
            rid = f"{key}@{party}"
            rec = {
                "coherence": 1,
                "kind": "agreement",
                "id": rid,
                "agreement": key,
                "recorded_by": party,
                "type": atype,
                "parties": [a, b],
                "status": status,
                "signed": signed,
                "period": dict(period),
            }
            rec.update(copy.deepcopy(body))
            self._add(rec, (party, "agreements"))
            ids.append(rid)
        self.agreements[key] = {"type": atype, "parties": pair, "ids": ids, "ss_own": ss_own and with_ss}
        existing.append(key)
        return key

    # ---- policies
    def _core_policies(self, c: _Country) -> None:
        r = self.rng
        law_theme = THEMES["migration"]
        c.law = self._policy(
            c,
            None,
            law_theme,
            "law",
            "in_force",
            self._bg_period(0.6, dt.date(2008, 1, 1), dt.date(2021, 12, 31)),
            implements=[],
            n_obj=(2, 4),
        )
        c.core_national.append(c.law)
        themes = r.sample(NATIONAL_THEMES, r.randint(2, 3))
        for t in themes:
            sid = self._policy(
                c,
                None,
                THEMES[t],
                "strategy",
                r.choice(("adopted", "in_force")),
                self._bg_period(0.0, dt.date(2018, 1, 1)),
                implements=[c.law] if r.random() < 0.6 else [],
            )
            c.strategies.append(sid)
            c.core_national.append(sid)
        for _ in range(r.randint(2, 3)):
            parent = r.choice(c.strategies)
            theme = THEMES[self.records[parent]["_theme"]]
            start_lo = max(dt.date(2020, 1, 1), self.records[parent]["period"]["from"])
            aid = self._policy(
                c,
                None,
                theme,
                "action_plan",
                r.choice(("adopted", "in_force", "draft")),
                self._bg_period(0.0, start_lo),
                implements=[parent],
            )
            c.core_national.append(aid)
            c.leaves.append(aid)
        for sub in c.subs:
            for _ in range(r.randint(2, 3)):
                pid = self._policy(
                    c,
                    sub,
                    THEMES["local"],
                    "local_plan",
                    r.choice(("adopted", "in_force")),
                    self._bg_period(0.0, dt.date(2019, 1, 1)),
                    implements=[r.choice(c.strategies)] if r.random() < 0.4 else [],
                )
                c.core_local[sub["slug"]].append(pid)
                c.leaves.append(pid)

    def _policy_id(self, c: _Country, sub: dict | None, theme: _Theme, ptype: str, year: int) -> str:
        tag = {
            "law": "LAW",
            "strategy": "STRATEGY",
            "action_plan": "NAP",
            "local_plan": "PLAN",
            "programme": "PROGRAMME",
            "regulation": "REG",
            "decree": "DECREE",
            "guideline": "GUIDELINE",
        }[ptype]
        base = f"{c.code}-{sub['slug'] + '-' if sub else ''}{theme.key.upper()}-{tag}-{year}"
        rid, n = base, 1
        while rid in self.records:
            n += 1
            rid = f"{base}-{n}"
        return rid

    def _policy(
        self,
        c: _Country,
        sub: dict | None,
        theme: _Theme,
        ptype: str,
        status: str,
        period: dict,
        implements: list[str],
        n_obj=(2, 5),
        n_meas=(1, 4),
        filler: bool = False,
    ) -> str:
        r = self.rng
        pid = self._policy_id(c, sub, theme, ptype, period["from"].year)
        lead = c.la[sub["slug"]] if sub else c.inst[theme.lead]
        lead_mandate = LOCAL_MANDATE if sub else MANDATES[theme.lead]
        base_title = f"{r.choice(theme.topics)} {TYPE_WORD[ptype]}"
        if sub:
            title = f"{sub['name']} {base_title}"
        elif ptype in ("law", "decree", "regulation"):
            title = f"{base_title} of {period['from'].year}"
        else:
            title = f"{base_title} {period['from'].year}" + (f"-{period['to'].year}" if period.get("to") else "")
        # a policy implements only parents already in place when it starts
        implements = [x for x in implements if self.records[x]["period"]["from"] <= period["from"]]
        if sub:
            jur = self._sub_jurisdiction(c, sub)
            sectors = list(
                r.choice(
                    (
                        ("migration", "urban_development", "housing"),
                        ("migration", "health", "education"),
                        ("migration", "employment", "urban_development"),
                    )
                )
            )
        else:
            jur = {"country": c.code, "level": "national"}
            sectors = list(theme.sectors)
        coordination = [c.committees[0]] + ([c.committees[1]] if r.random() < 0.3 else [])
        rec: dict = {
            "coherence": 1,
            "kind": "policy",
            "id": pid,
            "title": title,
            "type": ptype,
            "status": status,
            "period": period,
            "jurisdiction": jur,
            "sectors": sectors,
            "lead_agency": lead,
            "coordination": coordination,
        }
        if implements:
            rec["implements"] = list(implements)
        pool = c.ratified + c.adopted
        if r.random() < 0.6:
            rec["instruments"] = sorted(
                r.sample(pool, min(len(pool), r.randint(1, 3))), key=lambda x: (RATIFIABLE + ADOPTABLE).index(x)
            )
        objectives = []
        for i in range(r.randint(*n_obj)):
            objectives.append(self._bg_objective(c, theme, f"O{i + 1}", period, lead_mandate))
        rec["objectives"] = objectives
        measures = []
        for i in range(r.randint(*n_meas)):
            measures.append(self._bg_measure(c, sub, theme, f"M{i + 1}", objectives, lead))
        rec["measures"] = measures
        if ptype in ("law", "decree", "regulation") and r.random() < 0.6:
            no = r.randint(10, 400)
            rec["source"] = {
                "citation": f"Official Gazette of the {c.name}, No. {no}/{period['from'].year}",
                "url": f"https://gazette.{c.code.lower()}.example/{period['from'].year}/{no}",
                "date": period["from"],
            }
        rec["_theme"] = theme.key
        rec["_filler"] = filler
        self._add(rec, (c.code, "local", sub["slug"]) if sub else (c.code, "policies"))
        for parent in implements:
            if parent in c.leaves:
                c.leaves.remove(parent)
        return pid

    def _corridor_bg(self, c: _Country) -> dict | None:
        r = self.rng
        if not c.partners or r.random() > 0.35:
            return None
        other = r.choice(c.partners)
        return r.choice(
            (
                {"origin": c.code, "destination": other},
                {"origin": other, "destination": c.code},
                {"origin": c.code, "destination": "any"},
                {"origin": "any", "destination": c.code},
            )
        )

    def _bg_objective(self, c: _Country, theme: _Theme, oid: str, period: dict, lead_mandate: list[str]) -> dict:
        r = self.rng
        if theme.neutral and r.random() < 0.2:
            stance, areas = "neutral", [r.choice(theme.neutral)]
        else:
            stance = r.choice(("facilitate", "facilitate", "protect"))
            areas = sorted(
                r.sample(theme.pos, r.choice((1, 1, 2)) if len(theme.pos) > 1 else 1), key=list(AREA_PARENT).index
            )
        groups = sorted(r.sample(theme.groups, r.choice((1, 1, 2)) if len(theme.groups) > 1 else 1), key=GROUPS.index)
        corridor = self._corridor_bg(c) if theme.corridor else None
        obj: dict = {
            "id": oid,
            "statement": self._statement_text(stance, groups[0], areas[0], corridor),
            "stance": stance,
            "groups": groups,
            "areas": areas,
        }
        if corridor:
            obj["corridor"] = corridor
        if not any(self._under_mandate(a, lead_mandate) for a in areas):
            owner = RESERVED_OWNER.get(areas[0]) or ("MOSP" if AREA_PARENT.get(areas[0]) == "social_security" else None)
            if owner:
                obj["lead_agency"] = c.inst[owner]
        obj["indicators"] = [self._indicator(c.code, a, period) for a in areas[: r.choice((1, 1, 2))]]
        return obj

    def _bg_measure(
        self, c: _Country, sub: dict | None, theme: _Theme, mid: str, objectives: list[dict], lead: str
    ) -> dict:
        r = self.rng
        x = r.random()
        if x < 0.3 and theme.grant:
            effect, area = "grant", r.choice(theme.grant)
        elif x < 0.42 and theme.cond:
            effect, area = "condition", r.choice(theme.cond)
        else:
            effect = r.choice(("fund", "fund", "assign", "require"))
            area = r.choice(theme.pos + theme.fund)
        assert effect != "condition" or area in SAFE_CONDITION_AREAS
        group = r.choice(theme.groups)
        m: dict = {
            "id": mid,
            "statement": EFFECT_TXT[effect].format(g=GROUP_TXT[group], a=AREA_TXT[area]),
            "effect": effect,
            "areas": [area],
            "groups": [group],
        }
        if effect in ("assign", "fund") and r.random() < 0.25:
            m["responsible"] = {"level": "subnational"}
        elif sub:
            m["responsible"] = lead
        else:
            m["responsible"] = r.choice((lead, lead, self._agency_for(c, area) or lead))
        m["budget"] = self._budget(c)
        m["serves"] = sorted(
            r.sample([o["id"] for o in objectives], min(len(objectives), r.choice((1, 1, 2)))), key=lambda s: int(s[1:])
        )
        return m

    def _agency_for(self, c: _Country, area: str) -> str | None:
        for key, _, _, _, mandate in AGENCIES:
            if self._under_mandate(area, mandate):
                return c.inst[key]
        return None

    # ---------------------------------------------------------------- fill to n_records
    def fill(self) -> None:
        r = self.rng
        deficit = self.n - len(self.records)
        if deficit <= 0:
            return
        order = list(self.countries)
        if self.focus:
            order = order[:1]
        else:
            r.shuffle(order)
        for i in range(deficit):
            c = order[i % len(order)]
            if r.random() < 0.25:
                sub = r.choice(c.subs)
                self._policy(
                    c,
                    sub,
                    THEMES["local"],
                    r.choice(("local_plan", "local_plan", "programme", "strategy")),
                    r.choice(("adopted", "in_force", "draft")),
                    self._bg_period(0.0, dt.date(2018, 1, 1)),
                    implements=[r.choice(c.strategies)] if r.random() < 0.3 else [],
                    filler=True,
                )
            else:
                theme = THEMES[r.choice(NATIONAL_THEMES)]
                ptype = r.choice(("programme", "programme", "regulation", "decree", "guideline", "strategy"))
                parent = [r.choice([c.law] + c.strategies)] if r.random() < 0.5 else []
                self._policy(
                    c,
                    None,
                    theme,
                    ptype,
                    r.choice(("adopted", "in_force", "in_force", "draft")),
                    self._bg_period(0.3 if ptype in ("regulation", "decree") else 0.0, dt.date(2016, 1, 1)),
                    implements=parent,
                    filler=True,
                )

    # ---------------------------------------------------------------- planting
    def plant(self, rules: list[str]) -> None:
        k = max(3, self.n * self.density // 1000)
        n_decoys = max(1, k // 3)
        handlers = {
            "HC001": self._plant_hc001,
            "HC002": self._plant_hc002,
            "VC001": self._plant_vc001,
            "VC002": self._plant_vc002,
            "BA001": self._plant_ba001,
            "SS001": self._plant_ss001,
            "SS002": self._plant_ss002,
        }
        for ba in ("BA002", "BA003", "BA004", "BA005", "BA006", "BA007", "BA008", "BA009"):
            handlers[ba] = (lambda rule: lambda decoy=None: self._plant_ba_pair(rule))(ba)
        decoyed = {"HC001", "HC002", "VC001", "VC002", "SS001", "SS002", "LC001"}
        # LC001 goes last: it needs records no other plant touched.
        for rule in [x for x in rules if x != "LC001"]:
            for _ in range(k):
                handlers[rule]()
            if rule in decoyed:
                for i in range(n_decoys):
                    handlers[rule](decoy=i)
        if "LC001" in rules:
            for _ in range(k):
                self._plant_lc001()
            for i in range(n_decoys):
                self._plant_lc001(decoy=i)

    # ---- shared helpers for statement plants
    def _pick(self, items: list):
        return self.rng.choice(items) if items else None

    def _free(self, ids: list[str]) -> list[str]:
        return [p for p in ids if p in self.records and not self.records[p].get("_stale")]

    def _national_pool(self, c: _Country) -> list[str]:
        return self._free(c.core_national)

    def _local_subs(self, c: _Country, need: int) -> list[dict]:
        return [s for s in c.subs if len(self._free(c.core_local[s["slug"]])) >= need]

    def _country_with(self, pred) -> _Country | None:
        if self.focus and pred(self.countries[0]):
            return self.countries[0]
        return self._pick([c for c in self.countries if pred(c)])

    def _other_code(self, c: _Country, exclude: tuple = ()) -> str:
        others = [o.code for o in self.countries if o.code != c.code and o.code not in exclude]
        if not others:  # tiny corpora: any valid code will do for a corridor end
            others = [x for x in ("XZZ", "QZZ", "XZY") if x != c.code and x not in exclude]
        return self.rng.choice(others)

    def _compatible_corridors(self, c: _Country) -> tuple[dict | None, dict | None]:
        d = self._other_code(c)
        opts = [
            (None, None),
            (None, {"origin": c.code, "destination": d}),
            ({"origin": c.code, "destination": "any"}, {"origin": c.code, "destination": d}),
            ({"origin": c.code, "destination": d}, {"origin": c.code, "destination": d}),
            ({"origin": "any", "destination": c.code}, {"origin": d, "destination": c.code}),
            ({"origin": "any", "destination": "any"}, {"origin": d, "destination": c.code}),
        ]
        a, b = self.rng.choice(opts)
        return (a, b) if self.rng.random() < 0.5 else (b, a)

    def _incompatible_corridors(self, c: _Country) -> tuple[dict, dict]:
        d1 = self._other_code(c)
        d2 = self._other_code(c, exclude=(d1,))
        if self.rng.random() < 0.5:
            return {"origin": c.code, "destination": d1}, {"origin": c.code, "destination": d2}
        return {"origin": c.code, "destination": d1}, {"origin": d1, "destination": c.code}

    def _group_pair(self, overlapping: bool) -> tuple[str, str]:
        if not overlapping:
            return self.rng.choice(GROUP_DISJOINT_PAIRS)
        if self.rng.random() < 0.6:
            return self.rng.choice(GROUP_NESTED_PAIRS)
        g = self.rng.choice(GROUPS)
        return g, g

    def _lead_for(self, c: _Country, pid: str, area: str) -> str | None:
        rec = self.records[pid]
        if rec["jurisdiction"]["level"] == "subnational":
            return None  # the local authority's mandate covers every reserved area
        return c.inst[RESERVED_OWNER[area]]

    def _add_objective(
        self, pid: str, stance: str, group: str, area: str, corridor: dict | None, lead: str | None = None
    ) -> None:
        rec = self.records[pid]
        code = rec["jurisdiction"]["country"]
        obj: dict = {
            "id": self._next_sid(rec, "O"),
            "statement": self._statement_text(stance, group, area, corridor),
            "stance": stance,
            "groups": [group],
            "areas": [area],
        }
        if corridor:
            obj["corridor"] = dict(corridor)
        if lead is None and rec["jurisdiction"]["level"] == "national" and area in RESERVED_OWNER:
            lead = self.by_code[code].inst[RESERVED_OWNER[area]]
        if lead and lead != rec.get("lead_agency"):
            obj["lead_agency"] = lead
        obj["indicators"] = [self._indicator(code, area, rec["period"])]
        rec["objectives"].append(obj)
        self.touched_pol.add(pid)

    def _add_measure(self, pid: str, effect: str, group: str, area: str, responsible=None, budget="amount") -> None:
        rec = self.records[pid]
        c = self.by_code[rec["jurisdiction"]["country"]]
        text = EFFECT_TXT[effect].format(g=GROUP_TXT[group], a=AREA_TXT[area])
        m: dict = {
            "id": self._next_sid(rec, "M"),
            "statement": text,
            "effect": effect,
            "areas": [area],
            "groups": [group],
        }
        if responsible is None:
            responsible = (
                rec["lead_agency"]
                if rec["jurisdiction"]["level"] == "subnational"
                else c.inst.get(RESERVED_OWNER.get(area, ""), rec["lead_agency"])
            )
        m["responsible"] = responsible
        if budget == "amount":
            m["budget"] = self._budget(c)
        elif budget == "null":
            m["budget"] = None
        # budget == "omit": no key at all (unknown)
        if rec["objectives"]:
            m["serves"] = [rec["objectives"][0]["id"]]
        rec["measures"].append(m)
        self.touched_pol.add(pid)

    @staticmethod
    def _next_sid(rec: dict, prefix: str) -> str:
        items = rec["objectives"] if prefix == "O" else rec["measures"]
        return f"{prefix}{1 + max([int(x['id'][1:]) for x in items] or [0])}"

    def _opposing_pair(self, rule: str, decoy: int | None):
        """Common driver of HC001/HC002: returns nothing; appends to expected when not a decoy."""
        r = self.rng
        kind = "objective" if rule == "HC001" else "measure"
        variant = None if decoy is None else ("siblings", "corridors", "subdivisions", "inactive")[decoy % 4]
        if kind == "measure" and variant == "corridors":
            variant = "condition"
        c = self._country_with(lambda c: c.slots and len(self._national_pool(c)) >= 2)
        if c is None:
            return
        area = c.slots.pop()
        single = decoy is None and r.random() < 0.25
        subnational = r.random() < 0.3 and self._local_subs(c, 1 if single else 2)
        if variant == "subdivisions":
            subs = [s for s in c.subs if self._free(c.core_local[s["slug"]])]
            if len(subs) < 2:
                variant = "siblings"
            else:
                s1, s2 = r.sample(subs, 2)
                p1 = r.choice(self._free(c.core_local[s1["slug"]]))
                p2 = r.choice(self._free(c.core_local[s2["slug"]]))
        if variant != "subdivisions":
            if subnational and variant != "inactive":
                sub = r.choice(self._local_subs(c, 1 if single else 2))
                pool = self._free(c.core_local[sub["slug"]])
            else:
                pool = self._national_pool(c)
            p1 = r.choice(pool)
            p2 = p1 if single else r.choice([p for p in pool if p != p1])
        if variant == "inactive":
            theme = THEMES[self.records[p2]["_theme"]] if self.records[p2]["_theme"] != "local" else THEMES["migration"]
            p2 = self._policy(
                c,
                None,
                theme,
                r.choice(("strategy", "regulation")),
                r.choice(("suspended", "repealed")),
                self._bg_period(0.0, dt.date(2019, 1, 1)),
                implements=[],
            )
        g_pos, g_neg = self._group_pair(overlapping=(variant != "siblings"))
        if variant == "corridors":
            cor_pos, cor_neg = self._incompatible_corridors(c)
        else:
            cor_pos, cor_neg = self._compatible_corridors(c)
        if r.random() < 0.5:
            p1, p2 = p2, p1
            if variant == "inactive":
                p1, p2 = p2, p1  # keep the negative statement in the inactive policy
        if kind == "objective":
            self._add_objective(p1, r.choice(("facilitate", "protect")), g_pos, area, cor_pos)
            self._add_objective(p2, r.choice(("restrict", "deter")), g_neg, area, cor_neg)
        else:
            self._add_measure(p1, "grant", g_pos, area)
            self._add_measure(p2, "condition" if variant == "condition" else "deny", g_neg, area)
        if decoy is None:
            self.expected.append((rule, tuple(sorted({p1, p2}))))

    def _plant_hc001(self, decoy: int | None = None) -> None:
        self._opposing_pair("HC001", decoy)

    def _plant_hc002(self, decoy: int | None = None) -> None:
        self._opposing_pair("HC002", decoy)

    def _plant_vc001(self, decoy: int | None = None) -> None:
        r = self.rng
        c = self._country_with(lambda c: c.slots and self._national_pool(c) and self._local_subs(c, 1))
        if c is None:
            return
        area = c.slots.pop()
        pn = r.choice(self._national_pool(c))
        sub = r.choice(self._local_subs(c, 1))
        ps = r.choice(self._free(c.core_local[sub["slug"]]))
        variant = None if decoy is None else ("siblings", "corridors")[decoy % 2]
        g_pos, g_neg = self._group_pair(overlapping=(variant != "siblings"))
        cor_pos, cor_neg = self._incompatible_corridors(c) if variant == "corridors" else self._compatible_corridors(c)
        pos_pid, neg_pid = (pn, ps) if r.random() < 0.5 else (ps, pn)
        # objective vs objective or measure vs measure (never mixed). Measures carry no corridor,
        # so the incompatible-corridor decoy is always a pair of objectives.
        if variant == "corridors" or r.random() < 0.6:
            self._add_objective(pos_pid, r.choice(("facilitate", "protect")), g_pos, area, cor_pos)
            self._add_objective(neg_pid, r.choice(("restrict", "deter")), g_neg, area, cor_neg)
        else:
            self._add_measure(pos_pid, "grant", g_pos, area)
            self._add_measure(neg_pid, "deny", g_neg, area)
        if decoy is None:
            self.expected.append(("VC001", tuple(sorted((pn, ps)))))

    def _plant_vc002(self, decoy: int | None = None) -> None:
        r = self.rng
        used = self.once_pol["VC002"]

        def pool(c: _Country) -> list[str]:
            ids = self._national_pool(c) + [p for s in c.subs for p in self._free(c.core_local[s["slug"]])]
            return [p for p in ids if p not in used]

        c = self._country_with(lambda c: pool(c))
        if c is None:
            return
        pid = r.choice(pool(c))
        used.add(pid)
        group = r.choice(("all_migrants", "refugee", "returnee", "labour_migrant", "family_member"))
        area = r.choice(("integration", "housing", "education", "reintegration", "health"))
        effect = r.choice(("assign", "require", "fund"))
        if decoy is not None:
            variant = decoy % 3
            if variant == 0:  # the local authority has a budget of its own
                sub = r.choice(c.subs)
                self._add_measure(pid, effect, group, area, responsible=c.la[sub["slug"]], budget="null")
            elif variant == 1:  # budget unknown (omitted), not unfunded
                self._add_measure(pid, effect, group, area, responsible={"level": "subnational"}, budget="omit")
            else:  # a grant is not a mandate
                area = r.choice(("integration", "housing", "education"))
                self._add_measure(pid, "grant", group, area, responsible={"level": "subnational"}, budget="null")
            return
        if r.random() < 0.55:
            self._add_measure(pid, effect, group, area, responsible={"level": "subnational"}, budget="null")
            self.expected.append(("VC002", (pid,)))
            return
        sub = r.choice(c.subs)
        while True:
            dname = f"{self._name(2, 3)} District"
            iid = f"{c.code}-LA-{sub['slug']}-{re.sub(r'[^A-Z0-9]+', '-', dname.upper()).strip('-')}"
            if iid not in self.records:
                break
        self._add(
            {
                "coherence": 1,
                "kind": "institution",
                "id": iid,
                "name": f"{dname} Council",
                "jurisdiction": {
                    "country": c.code,
                    "level": "subnational",
                    "subdivision": dname,
                    "within": sub["name"],
                },
                "type": "local_authority",
                "mandate": list(LOCAL_MANDATE),
                "decision_power": True,
                "budget": None,
            },
            (c.code, "institutions"),
        )
        self._add_measure(pid, effect, group, area, responsible=iid, budget="null")
        self.expected.append(("VC002", tuple(sorted((pid, iid)))))

    # ---- agreements
    def _agreement_ok(self, key: str, pred) -> bool:
        a = self.agreements[key]
        return (
            key not in self.touched_agr
            and len(a["ids"]) == 2
            and all(i in self.records for i in a["ids"])
            and pred(key, a)
        )

    def _pick_agreement(self, pred) -> str | None:
        """A random untouched two-record agreement satisfying pred (sampled first, scanned if rare)."""
        keys = self._agreement_keys
        if len(keys) != len(self.agreements):
            keys = self._agreement_keys = list(self.agreements)
        for _ in range(300):
            key = self.rng.choice(keys)
            if self._agreement_ok(key, pred):
                return key
        return self._pick([k for k in keys if self._agreement_ok(k, pred)])

    @staticmethod
    def _ss_independent(key: str, a: dict) -> bool:
        """Agreements whose change cannot move SS001/SS002/SS005: not social security, not a labour
        agreement that relies on a separate social security agreement."""
        return a["type"] in OTHER_AGREEMENT_TYPES or (a["type"] == "labour" and a["ss_own"])

    def _plant_ba001(self, decoy: int | None = None) -> None:
        key = self._pick_agreement(self._ss_independent)
        if key is None:
            return
        a = self.agreements[key]
        self.touched_agr.add(key)
        drop = self.rng.choice(a["ids"])
        del self.records[drop]
        del self.place[drop]
        keep = [i for i in a["ids"] if i != drop]
        a["ids"] = keep
        self.expected.append(("BA001", tuple(keep)))

    def _plant_ba_pair(self, rule: str) -> None:
        r = self.rng
        recs = lambda key: [self.records[i] for i in self.agreements[key]["ids"]]
        preds = {
            "BA002": lambda k, a: True,
            "BA003": lambda k, a: a["type"] != "social_security",
            "BA004": lambda k, a: "occupations" in recs(k)[0] or "groups" in recs(k)[0],
            "BA005": lambda k, a: "quota" in recs(k)[0],
            "BA006": lambda k, a: "social_security" in recs(k)[0],
            "BA007": lambda k, a: "recruitment" in recs(k)[0],
            "BA008": lambda k, a: "occupations" in recs(k)[0] or "data_exchange" in recs(k)[0],
            "BA009": lambda k, a: a["type"] in ("readmission", "mobility_partnership", "data_sharing", "recruitment"),
        }
        key = self._pick_agreement(preds[rule])
        if key is None:
            return
        self.touched_agr.add(key)
        ids = list(self.agreements[key]["ids"])
        side = self.records[r.choice(ids)]
        if rule == "BA002":
            p = side["period"]
            if "to" in p and r.random() < 0.6:
                p["to"] = p["to"] + dt.timedelta(days=r.choice((365, 366, 181, 730)))
            else:
                p["from"] = p["from"] + dt.timedelta(days=-r.choice((31, 59, 90, 365)))
        elif rule == "BA003":
            side["status"] = "signed" if side["status"] == "in_force" else "in_force"
        elif rule == "BA004":
            if "occupations" in side and (r.random() < 0.5 or "groups" not in side):
                codes = side["occupations"]["codes"]
                codes.append(r.choice([x for x in ISCO_CODES if x not in codes]))
                codes.sort()
            else:
                g = side["groups"]
                spare = [
                    x
                    for x in (LABOUR_GROUPS + ["student"])
                    if x not in g and not any(_overlap(x, y, GROUP_PARENT) for y in g)
                ]
                if len(g) > 1 and (r.random() < 0.5 or not spare):
                    g.pop(r.randrange(len(g)))
                elif spare:
                    g.append(r.choice(spare))
                    g.sort(key=GROUPS.index)
                else:
                    g[0] = r.choice([x for x in ("labour_migrant", "regular_migrant", "refugee") if x != g[0]])
        elif rule == "BA005":
            q = side["quota"]["per_year"] + r.choice((-250, 250, 500, 1000, -100))
            side["quota"]["per_year"] = q if q > 0 else q + 750
        elif rule == "BA006":
            ss = side["social_security"]
            droppable = [b for b in ss["branches"] if b != "old_age"]
            if ss["export_of_benefits"] and r.random() < 0.4:
                ss["export_of_benefits"] = False
            elif len(droppable) >= 2 and r.random() < 0.5:
                ss["branches"].remove(r.choice(droppable))
            else:
                missing = [b for b in SS_BRANCHES if b not in ss["branches"]]
                if missing:
                    ss["branches"].append(r.choice(missing))
                    ss["branches"].sort(key=SS_BRANCHES.index)
                else:
                    ss["branches"].remove(r.choice(droppable))
        elif rule == "BA007":
            side["recruitment"]["fees_paid_by"] = "unspecified"
        elif rule == "BA008":
            choices = []
            if "occupations" in side:
                choices.append("occ")
            if "data_exchange" in side:
                choices.append("fields")
                if "classification" in side["data_exchange"]:
                    choices.append("dxc")
            what = r.choice(choices)
            if what == "occ":
                side["occupations"]["classification"] = "ISCO-88"
            elif what == "dxc":
                side["data_exchange"]["classification"] = "ISCO-88"
            else:
                f = side["data_exchange"]["fields"]
                f.append(r.choice([x for x in DX_FIELDS if x not in f]))
        elif rule == "BA009":
            side["type"] = r.choice(
                [t for t in ("readmission", "mobility_partnership", "data_sharing", "recruitment") if t != side["type"]]
            )
        self.expected.append((rule, tuple(sorted(ids))))

    def _fresh_pair(self) -> tuple[str, str] | None:
        codes = [c.code for c in self.countries]
        for _ in range(400):
            a, b = self.rng.sample(codes, 2)
            pair = (a, b) if a < b else (b, a)
            if pair not in self.pair_agreements:
                return pair
        return None

    def _plant_ss001(self, decoy: int | None = None) -> None:
        pair = self._fresh_pair()
        if pair is None:
            return
        status = "negotiating" if decoy is not None else self.rng.choice(("in_force", "in_force", "signed"))
        key = self._new_agreement(pair[0], pair[1], "labour", ss_own=False, status=status, with_ss=False)
        self.touched_agr.add(key)
        if decoy is None:  # one finding per agreement, naming both parties' records
            self.expected.append(("SS001", tuple(sorted(self.agreements[key]["ids"]))))

    def _plant_ss002(self, decoy: int | None = None) -> None:
        r = self.rng
        used = self.once_pol["SS002"]
        variant = None if decoy is None else ("backed", "neutral", "other_group")[decoy % 3]
        branch = "old_age" if r.random() < 0.7 else r.choice(SS_BRANCHES[1:])
        if variant == "backed":
            key = self._pick_agreement(
                lambda k, a: (
                    a["type"] == "social_security"
                    and all(self.records[i]["status"] in ("in_force", "signed") for i in a["ids"])
                )
            )
            if key is None:
                return
            self.touched_agr.add(key)
            a_code, b_code = self.agreements[key]["parties"]
            if r.random() < 0.5:
                a_code, b_code = b_code, a_code
            branch = r.choice(self.records[self.agreements[key]["ids"][0]]["social_security"]["branches"])
        else:
            pair = self._fresh_pair()
            if pair is None:
                return
            self.pair_agreements[pair] = []  # reserve: no agreement may be added later
            a_code, b_code = pair if r.random() < 0.5 else (pair[1], pair[0])
        c = self.by_code[a_code]
        pool = [p for p in self._national_pool(c) if p not in used]
        if not pool:
            return
        pid = r.choice(pool)
        used.add(pid)
        stance = "neutral" if variant == "neutral" else r.choice(("protect", "facilitate"))
        group = (
            r.choice(("student", "refugee")) if variant == "other_group" else r.choice(("labour_migrant", "emigrant"))
        )
        self._add_objective(pid, stance, group, branch, {"origin": a_code, "destination": b_code}, lead=c.inst["MOSP"])
        if decoy is None:
            self.expected.append(("SS002", (pid,)))

    def _plant_lc001(self, decoy: int | None = None) -> None:
        r = self.rng
        if decoy is None and r.random() < 0.35:
            key = self._pick_agreement(lambda k, a: self._ss_independent(k, a) and a["type"] != "labour")
            if key is not None:
                self.touched_agr.add(key)
                start = self._date(dt.date(2015, 1, 1), dt.date(2020, 12, 31))
                end = self._date(dt.date(2022, 1, 1), dt.date(2026, 10, 31))
                status = r.choice(("in_force", "in_force", "signed"))
                for rid in self.agreements[key]["ids"]:
                    rec = self.records[rid]
                    rec["period"] = {"from": start, "to": end}
                    rec["signed"] = start - dt.timedelta(days=90)
                    rec["status"] = status
                    self.expected.append(("LC001", (rid,)))
                return
        c = self._country_with(lambda c: [p for p in c.leaves if p not in self.touched_pol])
        if c is None:
            return
        pid = r.choice([p for p in c.leaves if p not in self.touched_pol])
        rec = self.records[pid]
        self.touched_pol.add(pid)
        rec["_stale"] = True
        start = self._date(dt.date(2016, 1, 1), dt.date(2020, 12, 31))
        if decoy is not None and decoy % 2 == 1:
            end = REFERENCE_DATE  # ends ON the reference date: not before it
            rec["status"] = r.choice(("in_force", "adopted"))
        else:
            end = self._date(dt.date(2022, 1, 1), dt.date(2026, 10, 31))
            rec["status"] = "expired" if decoy is not None else r.choice(("in_force", "in_force", "adopted"))
        rec["period"] = {"from": start, "to": end}
        for obj in rec["objectives"]:
            obj["indicators"] = [self._indicator(c.code, ind_area(obj), rec["period"]) for _ in obj["indicators"]]
        if decoy is None:
            self.expected.append(("LC001", (pid,)))

    # ---------------------------------------------------------------- output
    def files(self) -> dict[str, str]:
        r = self.rng
        groups: dict[tuple, list[str]] = {}
        for rid in self.records:
            groups.setdefault(self.place[rid], []).append(rid)
        out: list[tuple[str, str]] = []
        for gkey in sorted(groups):
            ids = groups[gkey]
            r.shuffle(ids)
            code = gkey[0].lower()
            if gkey[1] == "commitments":
                stem = f"{code}/commitments"
            elif gkey[1] == "local":
                stem = f"{code}/local/{gkey[2].lower()}/plans"
            else:
                stem = f"{code}/{gkey[1]}"
            i = 0
            n = 0
            while i < len(ids):
                size = r.randint(1, 5)
                chunk = ids[i : i + size]
                i += size
                n += 1
                path = f"{stem}.yaml" if gkey[1] == "commitments" and n == 1 else f"{stem}-{n:03d}.yaml"
                out.append((path, "---\n".join(_dump_record(self._public(self.records[x])) for x in chunk)))
        r.shuffle(out)
        return dict(out)

    @staticmethod
    def _public(rec: dict) -> dict:
        return {k: v for k, v in rec.items() if not k.startswith("_")}


def ind_area(obj: dict) -> str:
    return obj["areas"][0]


_AZ = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"


# --------------------------------------------------------------------------------------------
# CLI


def write_expected(corpus: Corpus, path: pathlib.Path, **meta) -> None:
    """expected.json: run parameters plus "expected": [[rule_id, [record ids...]], ...] (one per line)."""
    head = {
        "reference_date": REFERENCE_DATE.isoformat(),
        **meta,
        "rules": [r.upper() for r in meta.get("rules") or PLANTABLE_RULES],
        "files": len(corpus.files),
    }
    lines = [json.dumps([rule, list(ids)]) for rule, ids in corpus.expected]
    body = json.dumps(head, indent=1)[:-2]
    text = body + ',\n "expected": [' + ("\n  " + ",\n  ".join(lines) + "\n ]" if lines else "]") + "\n}\n"
    json.loads(text)  # stays valid JSON
    pathlib.Path(path).write_text(text, encoding="utf-8")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--records", type=int, default=10000)
    ap.add_argument("--out", type=pathlib.Path, required=True)
    ap.add_argument("--no-plant", action="store_true", help="background only (expected is empty)")
    ap.add_argument("--rules", default=None, help="comma-separated rule ids to plant (default: all plantable)")
    ap.add_argument("--density", type=int, default=1, help="plants per rule and 1,000 records (default: 1)")
    args = ap.parse_args(argv)
    rules = args.rules.split(",") if args.rules else None
    corpus = generate(args.seed, args.records, plant=not args.no_plant, rules=rules, density=args.density)
    write(corpus, args.out)
    write_expected(
        corpus, args.out / "expected.json", seed=args.seed, n_records=args.records, plant=not args.no_plant, rules=rules
    )
    print(f"wrote {len(corpus.files)} files, {len(corpus.expected)} expected findings to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
