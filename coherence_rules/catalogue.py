"""The fact catalogue, declared once: what rules can match and what each field means.

Rule authors see the *fact types* below (`statement`, `agreement`, `institution` …) and their
fields. The facts stage (facts.py) emits exactly these fields; the compiler checks every name a
rule uses against this catalogue and records which fields each rule reads; docs/writing-rules.md
documents it (a test keeps the three in step).

A few fact types have *views* the author never names: a statement can be matched as one fact
(`statement`), as one fact per tree node it applies to (`cover`), or as one fact per node it
overlaps (`span`); the compiler picks the view from what the rule asks (`overlaps:`, tests on
`group`/`area`), so that tree overlap is an equality join the engine can do (docs/engine-notes.md).
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

from . import vocab
from .vocab import Vocabulary

UNSTATED = ""  # the one value of a field the record does not state (never a missing key)


def ends_meet(x: str, y: str) -> bool:
    """Two corridor ends (facts.corridor_end: `any`, countries comma-joined, or `!` and the countries
    excluded) share a country."""
    if x == "any" or y == "any":
        return True
    if x.startswith("!") and y.startswith("!"):
        return True  # two exclusions always leave countries both admit
    if y.startswith("!"):
        x, y = y, x
    if x.startswith("!"):
        return bool(set(y.split(",")) - set(x[1:].split(",")))
    return bool(set(x.split(",")) & set(y.split(",")))


HIDDEN = ("ri", "yp")  # every fact: its record's index in the corpus and the YAML path it comes from


@dataclass(frozen=True)
class Field:
    name: str
    doc: str
    type: str = "text"  # text | bool | int | number | date | node
    values: tuple[str, ...] = ()  # the closed set of values, when there is one
    tree: Vocabulary | None = None  # node fields: a node of this vocabulary tree
    count: str = ""  # a field with one value per fact: the field counting the record's distinct values
    located_by: str = ""  # a hidden field holding the YAML path where the record states this value
    style: str = ""  # how messages show it (template.show): node(s), country/countries, end; else by type
    label: str = ""  # how `{differences}` names it

    @property
    def shows_as(self) -> str:
        return self.style or ("node" if self.type == "node" else "plain")

    @property
    def says(self) -> str:
        return self.label or self.name.replace("_", " ")


@dataclass(frozen=True)
class FactType:
    name: str
    one_per: str  # what one fact stands for
    fields: dict[str, Field]
    implied: tuple[tuple[str, str], ...] = ()  # (field, value) tests an alias adds (`objective`)
    pair_key: str = "record"  # `pairs: unordered` keeps the pair whose first member has the smaller value
    # A fact that only says how others join (no finding is about it): left out of a finding's
    # fingerprint and not one of the two members `pairs: unordered` compares.
    join_only: bool = False
    labelled: bool = False  # `{a}` in a message is "record label" rather than "record"
    # Per-node views (docs/engine-notes.md: tree overlap as an equality join). `cover`: one fact per
    # group x area node at or below the named ones (`own` marks the named pair itself); `span`: one
    # per node pair at, above or below them. Fields in `tree_fields` exist only in these views.
    cover: str = ""
    span: str = ""
    tree_fields: tuple[str, ...] = ()

    @property
    def engine(self) -> str:
        """The engine fact type of the plain view: one fact per thing."""
        return "statement" if self.cover == "cover" else self.name


def _fields(*items: Field) -> dict[str, Field]:
    return {f.name: f for f in items}


RECORD = Field("record", "the id of the record the fact comes from")
COUNTRY = Field(
    "country",
    "the record's country (ISO 3166-1 alpha-3; unstated for regional and international records)",
    style="country",
)
JURISDICTION = Field(
    "jurisdiction", "country, level, subdivision and body in one value: equal for records of one jurisdiction"
)
LEVEL = Field("level", "the jurisdiction's level", values=vocab.LEVELS)
ACTIVE = Field(
    "active",
    "the record is in effect or on its way: a policy `draft`, `adopted` or `in_force`; an agreement `signed` or `in_force`",
    "bool",
)
START = Field(
    "start", "first day of the record's period (YYYY-MM-DD), unstated when open", "date", label="start of the period"
)
END = Field(
    "end", "last day of the record's period (YYYY-MM-DD), unstated when open", "date", label="end of the period"
)
ORIGIN = Field(
    "origin", "corridor origin: `any`, countries comma-joined, or `!` and the countries excluded", style="end"
)
DESTINATION = Field(
    "destination", "corridor destination: `any`, countries comma-joined, or `!` and the countries excluded", style="end"
)
PARTNER = Field(
    "partner",
    "the corridor's other country, seen from the record's country (unstated unless the corridor names it and one other)",
    style="country",
)
PAIR = Field(
    "pair",
    "two countries, sorted and joined by `|`: the statement's country and partner, or an agreement's two parties",
)
GROUP = Field(
    "group",
    "a group the fact applies to: a node of the group tree at or below one the record names",
    "node",
    tree=vocab.GROUPS,
)
AREA = Field(
    "area",
    "an area the fact applies to: a node of the area tree at or below one the record names",
    "node",
    tree=vocab.AREAS,
)
NAMED_GROUP = Field("named_group", "the group as the record names it", "node", tree=vocab.GROUPS, count="group_count")
NAMED_AREA = Field("named_area", "the area as the record names it", "node", tree=vocab.AREAS, count="area_count")
AGREEMENT_TYPE = Field("type", "the agreement's type", values=vocab.AGREEMENT_TYPES)
POLE_VALUES = ("positive", "negative", "neutral")

STATEMENT_FIELDS = _fields(
    RECORD,
    Field("key", "the statement's identity, `POLICY-ID#O1`; an indicator's `objective` names it"),
    Field("label", "how messages name it: `objective O1`, `measure M2`"),
    Field("kind", "objective or measure", values=("objective", "measure")),
    COUNTRY,
    JURISDICTION,
    LEVEL,
    Field("subdivision", "the subnational jurisdiction's name"),
    Field(
        "record_kind",
        "the record it belongs to: a policy, or an agreement (its objectives)",
        values=("policy", "agreement"),
    ),
    Field(
        "policy_type",
        "the type of its policy (law, strategy, action_plan …); unstated for an agreement",
        values=vocab.POLICY_TYPES,
    ),
    Field(
        "status",
        "its record's status on the reference date (a dated `history`, then supersession)",
        style="word",
        values=vocab.POLICY_STATUSES + vocab.AGREEMENT_STATUSES,
    ),
    ACTIVE,
    START,
    END,
    Field("stance", "an objective's stance (unstated for measures)", style="verb", values=vocab.STANCES),
    Field("effect", "a measure's effect (unstated for objectives)", style="verb", values=vocab.EFFECTS),
    Field(
        "position",
        "the stance of an objective or the effect of a measure",
        style="verb",
        values=vocab.STANCES + vocab.EFFECTS,
    ),
    Field(
        "pole", "positive (facilitate, protect, grant), negative (restrict, deter, deny) or neutral", values=POLE_VALUES
    ),
    Field(
        "opposite_pole",
        "negative for a positive statement, positive for a negative one, unstated for a neutral one",
        values=POLE_VALUES,
    ),
    ORIGIN,
    DESTINATION,
    PARTNER,
    PAIR,
    Field(
        "budget",
        "a measure's budget: funded, unfunded (`budget: null` or 0) or unknown (omitted); unstated for objectives",
        values=("funded", "unfunded", "unknown"),
    ),
    Field(
        "responsible_level", "the level a measure makes responsible (`responsible: {level: …}`)", values=vocab.LEVELS
    ),
    Field("responsible_institution", "the institution a measure makes responsible (`responsible: ID`)", style="record"),
    Field(
        "lead",
        "the lead agency: the objective's own `lead_agency`, else the policy's",
        style="record",
        located_by="lead_path",
    ),
    Field("lead_line", "the lead agency and every institution above it (`parent`), sorted and comma-joined"),
    Field("capped", "a `restrict` objective with a cap indicator (name ending in `_cap`): capped admission", "bool"),
    Field("coordination", "the policy's coordination bodies, sorted and comma-joined"),
    Field("coordination_count", "how many distinct coordination bodies the policy names", "int"),
    Field(
        "coordination_power",
        "whether one of the policy's coordination bodies has decision power (unstated: one's power is not recorded)",
        "bool",
    ),
    Field("migration_sector", "whether the policy's `sectors` include migration (unstated when it names none)", "bool"),
    Field("indicator_count", "how many indicators the objective has", "int"),
    Field("group_count", "how many distinct groups the statement names", "int"),
    Field("area_count", "how many distinct areas the statement names", "int"),
    GROUP,
    AREA,
    NAMED_GROUP,
    NAMED_AREA,
    Field(
        "qualified", "the named group is narrowed (by sex, children, first departure or age): a partial scope", "bool"
    ),
    Field(
        "targeting",
        "sex: the named group is narrowed by sex; family: by family status only; else general",
        values=("sex", "family", "general"),
    ),
    Field("scope", "how the record narrows the named group, in words (`female only, with a child under 5`)"),
)
STATEMENT_TREE_FIELDS = ("group", "area", "named_group", "named_area", "qualified", "targeting", "scope")

ADMISSION_FIELDS = _fields(
    RECORD,
    Field("agreement", "the agreement key both parties' records share", style="record"),
    AGREEMENT_TYPE,
    ACTIVE,
    Field("party", "a party, whose labour market or emigrants the agreement concerns", style="country"),
    Field("other", "the other party", style="country"),
    ORIGIN,
    DESTINATION,
    Field(
        "group",
        "a group the agreement admits: a node at or below its `groups` (labour migrants when a labour agreement names none)",
        "node",
        tree=vocab.GROUPS,
    ),
    Field("quota", "the agreement's quota per year", "int"),
    START,
    END,
)

FACT_TYPES: dict[str, FactType] = {
    t.name: t
    for t in (
        FactType(
            "statement",
            "objective or measure of a policy",
            STATEMENT_FIELDS,
            labelled=True,
            cover="cover",
            span="span",
            tree_fields=STATEMENT_TREE_FIELDS,
        ),
        FactType(
            "policy",
            "policy record",
            _fields(
                RECORD,
                COUNTRY,
                JURISDICTION,
                LEVEL,
                Field("subdivision", "the subnational jurisdiction's name"),
                Field("type", "the policy's type", values=vocab.POLICY_TYPES),
                Field("status", "the policy's status", style="word", values=vocab.POLICY_STATUSES),
                ACTIVE,
                START,
                END,
                Field("lead", "the policy's lead agency", style="record", located_by="lead_path"),
                Field("sector_count", "how many distinct sectors the policy names", "int"),
                Field("coordination_count", "how many distinct coordination bodies the policy names", "int"),
                Field(
                    "migration_sector", "whether its `sectors` include migration (unstated when it names none)", "bool"
                ),
            ),
        ),
        FactType(
            "indicator",
            "indicator of an objective",
            _fields(
                RECORD,
                Field("objective", "the `key` of the objective it measures"),
                COUNTRY,
                JURISDICTION,
                LEVEL,
                ACTIVE,
                Field("stance", "its objective's stance", style="verb", values=vocab.STANCES),
                Field("name", "the indicator's name"),
                Field("year", "the target year", "int"),
                Field("target", "the target value", "number"),
                Field("unit", "the unit"),
                Field("is_cap", "the name ends in `_cap`: a ceiling", "bool"),
                Field("actual", "the recorded outturn for the target year", "number"),
                Field(
                    "outturn_gap_pct",
                    "how far the outturn of the target year lies from the target, in per cent of it",
                    "int",
                ),
                ORIGIN,
                DESTINATION,
                PARTNER,
                START,
                END,
                Field("start_year", "the year the policy's period starts", "int"),
                Field("end_year", "the year the policy's period ends", "int"),
            ),
        ),
        FactType(
            "implements",
            "`implements` entry of a policy",
            _fields(
                RECORD,
                COUNTRY,
                ACTIVE,
                START,
                END,
                Field("target", "the policy id or agreement key it implements", style="record"),
            ),
        ),
        FactType(
            "invocation",
            "`instruments` entry of a policy",
            _fields(
                RECORD,
                COUNTRY,
                ACTIVE,
                Field("instrument", "the instrument invoked", values=vocab.INSTRUMENTS),
                Field("ratifiable", "a convention a country ratifies (ICRMW, REF-1951, ILO conventions)", "bool"),
            ),
        ),
        FactType(
            "agreement",
            "agreement record (one per party)",
            _fields(
                RECORD,
                Field("agreement", "the agreement key both parties' records share", style="record"),
                Field("recorded_by", "the party whose record this is", style="country"),
                AGREEMENT_TYPE,
                Field("status", "the agreement's status", style="word", values=vocab.AGREEMENT_STATUSES),
                ACTIVE,
                START,
                END,
                Field("signed", "date of signature", "date"),
                Field(
                    "signed_more_than_3_years_ago",
                    "signed more than three years before the reference date (`--as-of`)",
                    "bool",
                ),
                Field("parties", "the parties, sorted and comma-joined", style="countries"),
                Field("party_count", "how many distinct parties", "int"),
                PAIR,
                Field("groups", "the groups it names, sorted and comma-joined", style="nodes"),
                Field("codes", "its occupation codes, sorted and comma-joined", label="occupation codes"),
                Field("code_count", "how many distinct occupation codes", "int"),
                Field(
                    "classification",
                    "the occupations' classification (e.g. ISCO-08)",
                    label="occupation classification",
                ),
                Field(
                    "quota",
                    "the quota per year (unstated for a quota over the whole period)",
                    "int",
                    label="quota per year",
                ),
                Field("quota_kind", "ceiling (at most) or target", values=vocab.QUOTA_KINDS),
                Field("binding", "treaty, mou or arrangement (unstated: not recorded)", values=vocab.AGREEMENT_BINDING),
                Field(
                    "refund_by",
                    "the parties whose active policy refunds migrants' social security contributions as a lump sum on departure, comma-joined",
                    style="countries",
                ),
                Field(
                    "branches",
                    "the social security branches it covers, sorted and comma-joined",
                    style="nodes",
                    label="social security branches",
                ),
                Field("totalisation", "whether insurance periods are totalised", "bool"),
                Field("export_of_benefits", "whether benefits are paid abroad", "bool", label="export of benefits"),
                Field(
                    "fees_paid_by",
                    "who pays recruitment fees",
                    values=vocab.FEES_PAID_BY,
                    label="recruitment fees paid by",
                ),
                Field("data_classification", "the classification of the data exchanged", label="data classification"),
                Field("data_fields", "the data fields exchanged, sorted and comma-joined", label="data fields"),
            ),
            pair_key="recorded_by",
        ),
        FactType(
            "party",
            "party an agreement record lists",
            _fields(
                RECORD,
                Field("agreement", "the agreement key", style="record"),
                Field("party", "the party", style="country"),
                Field("party_count", "how many distinct parties the record lists", "int"),
            ),
        ),
        FactType(
            "admission",
            "agreement record × party × direction × group node it admits",
            ADMISSION_FIELDS,
            span="admission_span",
        ),
        FactType(
            "coverage",
            "social security branch an agreement record covers",
            _fields(
                RECORD,
                Field("agreement", "the agreement key", style="record"),
                PAIR,
                Field("branch", "a branch it covers, or `social_security` itself", "node", tree=vocab.AREAS),
                ACTIVE,
                AGREEMENT_TYPE,
                Field("totalisation", "whether periods are totalised in this branch", "bool"),
                Field("export_of_benefits", "whether this branch's benefits are paid abroad", "bool"),
            ),
        ),
        FactType(
            "occupation",
            "occupation code an agreement record lists",
            _fields(
                RECORD,
                Field("agreement", "the agreement key", style="record"),
                PAIR,
                Field("code", "the code", count="code_count"),
                Field("code_count", "how many distinct codes the record lists in this role", "int"),
                Field(
                    "role",
                    "admits (`occupations.codes`) or recognises (`skills_recognition.occupations`)",
                    values=("admits", "recognises"),
                ),
                AGREEMENT_TYPE,
                ACTIVE,
            ),
        ),
        FactType(
            "institution",
            "institution record",
            _fields(
                RECORD,
                COUNTRY,
                Field("type", "the institution's type", values=vocab.INSTITUTION_TYPES),
                Field("decision_power", "whether it has decision power (unstated: not recorded)", "bool"),
                Field(
                    "budget",
                    "funded, unfunded (`budget: null` or 0) or unknown (omitted)",
                    values=("funded", "unfunded", "unknown"),
                ),
                Field("mandate", "its mandate's areas, sorted and comma-joined", style="nodes"),
                Field("mandate_count", "how many areas its mandate names", "int"),
                Field("member_count", "how many members it lists", "int"),
                Field("gone", "on the reference date it has ended, or was absorbed or succeeded", "bool"),
                Field("successor", "the institution it was absorbed into or succeeded by", style="record"),
                Field("ended", "the day it ceased to exist as itself", "date"),
            ),
        ),
        FactType(
            "mandate_area",
            "area an institution's mandate reaches",
            _fields(
                RECORD,
                Field(
                    "area", "a node the mandate names, or an ancestor or descendant of one", "node", tree=vocab.AREAS
                ),
            ),
        ),
        FactType(
            "commitments",
            "commitments record",
            _fields(
                RECORD,
                COUNTRY,
                Field(
                    "complete",
                    "the record lists every ratification of the country (false: `complete: false`, only some)",
                    "bool",
                ),
            ),
        ),
        FactType(
            "ratification",
            "instrument a commitments record ratifies by the reference date (its `date`, else 1 January of its `year`)",
            _fields(
                RECORD,
                COUNTRY,
                Field("instrument", "the instrument", values=vocab.INSTRUMENTS),
            ),
        ),
        FactType(
            "ratified_branch",
            "social security branch a ratification owes equal treatment in",
            _fields(
                RECORD,
                COUNTRY,
                Field(
                    "instrument",
                    "ILO-C118 (the accepted branches) or ILO-C097 (every branch)",
                    values=vocab.INSTRUMENTS,
                ),
                Field("branch", "the branch (and what lies below it)", "node", tree=vocab.AREAS),
            ),
        ),
        FactType(
            "obligation",
            "entry of the obligations table × effect × area × group it forbids",
            _fields(
                Field("record", "the instrument and article, e.g. `ICRMW Art 28` (no record: the table is shared)"),
                Field("instrument", "the instrument", values=vocab.INSTRUMENTS),
                Field("article", "the article"),
                Field("summary", "what the article guarantees"),
                Field("effect", "a measure effect it forbids", style="verb", values=vocab.EFFECTS),
                Field("area", "an area it protects", "node", tree=vocab.AREAS),
                Field("group", "a group it protects", "node", tree=vocab.GROUPS),
                Field("fees_paid_by", "agreement recruitment fees it forbids", values=vocab.FEES_PAID_BY),
                Field(
                    "targeting",
                    "a targeting of measures it reaches (`sex`, `family`, `general`: one fact each)",
                    values=("sex", "family", "general"),
                ),
            ),
        ),
        FactType(
            "route",
            "direction between the two countries of a pair shard (rules with `scope: pair` only)",
            _fields(
                Field("record", "unstated: a route is no record"),
                ORIGIN,
                DESTINATION,
                PAIR,
            ),
        ),
        FactType(
            "coordination_pair",
            "pair of the coordination lists (as `coordination` has them) of a shard's policies that share no "
            "body, in each order, and the empty list with itself: joining two statements' `coordination` "
            "through it pairs policies in silos without a match for every pair that shares a body",
            _fields(
                Field("record", "unstated: a pair of lists is no record"),
                Field("first", "a policy's coordination bodies, sorted and comma-joined (empty: none)"),
                Field("second", "another policy's, sharing no body with the first"),
            ),
            join_only=True,
        ),
        FactType(
            "lifecycle",
            "record with a status",
            _fields(
                RECORD,
                Field("kind", "the record's kind", values=("policy", "agreement", "institution", "commitments")),
                Field(
                    "status",
                    "its status on the reference date (a dated `history`, then supersession)",
                    style="word",
                    values=vocab.POLICY_STATUSES + vocab.AGREEMENT_STATUSES,
                ),
                Field(
                    "stated_status",
                    "the status its record states",
                    style="word",
                    values=vocab.POLICY_STATUSES + vocab.AGREEMENT_STATUSES,
                ),
                Field("superseded_by", "the record in effect that supersedes or repeals it", style="record"),
                END,
                Field("ended", "its period ended before the reference date (`--as-of`)", "bool"),
            ),
        ),
    )
}

# Aliases: a statement that is an objective, or a measure.
ALIASES: dict[str, FactType] = {
    name: dataclasses.replace(
        FACT_TYPES["statement"], name=name, one_per=f"{name} of a policy", implied=(("kind", name),)
    )
    for name in ("objective", "measure")
}
AUTHOR_TYPES: dict[str, FactType] = {**FACT_TYPES, **ALIASES}


def _engine_fields() -> dict[str, tuple[str, ...]]:
    """Every engine fact type and the fields its facts carry (facts.py emits exactly these)."""
    out: dict[str, tuple[str, ...]] = {}
    for t in FACT_TYPES.values():
        located = tuple(f.located_by for f in t.fields.values() if f.located_by)
        plain = tuple(f for f in t.fields if f not in t.tree_fields)
        out[t.engine] = (*HIDDEN, *located, *plain)
        if t.cover:
            out[t.cover] = (*HIDDEN, "own", *located, *t.fields)
        if t.span:
            out[t.span] = (*HIDDEN, *located, *t.fields)
    return out


ENGINE_FIELDS = _engine_fields()


def markdown() -> str:
    """The catalogue as docs/writing-rules.md shows it (a test keeps the two identical)."""
    out = []
    for t in FACT_TYPES.values():
        aliases = [a.name for a in ALIASES.values() if a.engine == t.engine and t.cover]
        also = f" (also as {' and '.join(f'`{a}`' for a in aliases)})" if aliases else ""
        out.append(f"#### `{t.name}`{also}\n\nOne per {t.one_per}.\n")
        for f in t.fields.values():
            values = f" — {', '.join(f'`{v}`' for v in f.values)}" if f.values and len(f.values) <= 8 else ""
            kind = "" if f.type == "text" else f" ({'a node' if f.type == 'node' else f.type})"
            out.append(f"- `{f.name}`{kind}: {f.doc}{values}")
        out.append("")
    return "\n".join(out)
