"""Facts stage: records -> flat facts on which every rule join is an equality.

The engine matches flat dicts. Each fact carries exactly the fields of its type in the fact
catalogue (catalogue.py), computed here once, plus its record's index in the corpus (`ri`) and the
YAML path inside the record it comes from (`yp`). Tree overlap becomes equality: a statement is
also emitted once per group x area node at or below the nodes it names (`cover`; `own` marks the
named pair itself) and once per node pair at, above or below them (`span`), so that one
statement's named nodes meet another's span exactly once per overlapping pair. Built for a rule pack
(Context.shape), a fact has only the fields the pack reads, one no rule of it can use is dropped,
and the fan-outs (most of a dense corpus's facts) are built in that form straight away; a statement's
spans, most of which meet nothing, as one seed per named pair that each shard spreads into the rows
some pattern can join (`spread`, engine.SEEDED).

Facts describe the corpus as it stands on the reference date (`--as-of`): a record's dated history
gives its status that day, and a record superseded or repealed by one in force that day is no
longer active. Beyond that, a record's facts read the date only through the Clock's questions (is a
date reached, a bloc's members that day), which the index keeps with them. A field the record does
not state is "" (never a missing key: the engine raises on a join over a missing field), and values
are str/int/bool so the engine's comparisons stay exact.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import functools
import itertools
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import NamedTuple, Protocol

from . import parties, resident, vocab
from .catalogue import UNSTATED, ends_meet
from .obligations import Obligation
from .schema import (
    Agreement,
    AllExcept,
    Commitments,
    Corridor,
    Institution,
    Link,
    Measure,
    Objective,
    Policy,
    QualifiedGroup,
    Record,
)
from .validate import Corpus, RecordEntry

Fact = dict


class Shape(Protocol):
    """What the facts are built for: which types, and each fact as the rules hold it (engine.Pack)."""

    @property
    def fact_types(self) -> frozenset[str] | None:
        """The types some rule reads (None: all): no others are built."""

    def prepare(self, fact: Fact) -> Fact | None:
        """The fact as the rules hold it; None when no rule can use it."""

    def fan_out(
        self, kind: str, fact: Fact, varying: tuple[str, ...], rows: Iterable[tuple], seed: tuple | None = None
    ) -> list[Fact]:
        """`fact` as a fact of type `kind` once per row of values of the `varying` fields, each as
        `prepare` would give it; or, given the row that spreads into them all (`seed`: spread), as
        one fact that stands for them (engine.SEEDED)."""

    def excludes(self, kinds: tuple[str, ...], known: Fact) -> bool:
        """Whether no fact of these types with these values of some of its fields (whatever its
        others) can be used: then none is built."""


class _Whole:
    """Every fact of every type, with all its fields."""

    fact_types = None

    def prepare(self, fact: Fact) -> Fact:
        return fact

    def fan_out(
        self, kind: str, fact: Fact, varying: tuple[str, ...], rows: Iterable[tuple], seed: tuple | None = None
    ) -> list[Fact]:
        return [{"t": kind, **fact, **dict(zip(varying, row, strict=True))} for row in rows]

    def excludes(self, kinds: tuple[str, ...], known: Fact) -> bool:
        return False


WHOLE = _Whole()


# --- the corpus on the reference date ---------------------------------------------------------


@dataclass(frozen=True)
class Standing:
    """A record's status on the reference date (None: it did not exist yet), and the record that
    superseded or repealed it, if one did."""

    status: str | None
    by: str = ""


Reads = dict[str, bool | str]  # what a record's facts read of the reference date: each read and its answer


def _years_before(day: dt.date, years: int) -> dt.date:
    if day.year <= years:  # an as-of date in the calendar's first years: the earliest date there is
        return dt.date.min
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


# Each way facts read the reference date (`day`), by name; the arguments are strings (a read is a
# string: the index keeps it), the answer a bool or a string.
_ANSWERS: dict[str, Callable[..., bool | str]] = {
    "reached": lambda day, date: dt.date.fromisoformat(date) <= day,
    "passed": lambda day, date: dt.date.fromisoformat(date) < day,
    "years_passed": lambda day, date, years: dt.date.fromisoformat(date) < _years_before(day, int(years)),
    "members": lambda day, bloc: ",".join(parties.members_of(bloc, day)),
}


class Clock:
    """The reference date as a record's facts read it: only through these questions, each of which
    is logged while a record's facts are built (`logging`). The index keeps a record's facts by the
    record alone, with the reads they made and their answers, and takes them on another date when
    each read answers the same there (`answers`): a new day builds again only the facts of records
    whose dates it crosses (shard_facts.py)."""

    __slots__ = ("_day", "_log")

    def __init__(self, day: dt.date) -> None:
        self._day = day
        self._log: Reads | None = None

    def reached(self, date: dt.date) -> bool:
        """`date` is on or before the reference date."""
        return bool(self._read("reached", date.isoformat()))

    def passed(self, date: dt.date) -> bool:
        """`date` is before the reference date."""
        return bool(self._read("passed", date.isoformat()))

    def years_passed(self, date: dt.date, years: int) -> bool:
        """`date` is more than `years` years before the reference date."""
        return bool(self._read("years_passed", date.isoformat(), str(years)))

    def members(self, bloc: str) -> list[str]:
        """A bloc's member countries on the reference date (parties.members_of)."""
        return [code for code in str(self._read("members", bloc)).split(",") if code]

    def _read(self, name: str, *args: str) -> bool | str:
        answer = _ANSWERS[name](self._day, *args)
        if self._log is not None:
            self._log[" ".join((name, *args))] = answer
        return answer

    @contextlib.contextmanager
    def logging(self) -> Iterator[Reads]:
        """The reads made within, with their answers."""
        log: Reads = {}
        self._log = log
        try:
            yield log
        finally:
            self._log = None

    def answers(self, reads: object) -> bool:
        """Whether every one of these reads (as logged, perhaps on another date and kept in the
        index: anything else is False) answers the same on this date."""
        if not isinstance(reads, dict):
            return False
        try:
            for read, answer in reads.items():
                name, *args = read.split(" ")
                if _ANSWERS[name](self._day, *args) != answer:
                    return False
        except (AttributeError, KeyError, TypeError, ValueError):  # not a read this version makes
            return False
        return True


@dataclass(frozen=True)
class Context:
    corpus: Corpus
    clock: Clock  # the reference date, as facts may read it
    standing: dict[int, Standing]
    refunds: frozenset[str]  # countries whose active policy refunds migrants' contributions on departure
    # Each institution's `parent` and `decision_power`, by id: all facts read of agencies and bodies
    # that a record names (context_reads).
    authority: dict[str, tuple[str | None, bool | None]]
    shape: Shape = WHOLE  # what the facts are built for: a rule pack's (engine.Pack), or every fact whole

    def wants(self, *kinds: str) -> bool:
        wanted = self.shape.fact_types
        return wanted is None or any(kind in wanted for kind in kinds)

    def shaped(self, facts: list[Fact]) -> list[Fact]:
        """The facts as the shape holds them: without those no rule can use."""
        return [p for p in map(self.shape.prepare, facts) if p is not None]


IN_EFFECT = frozenset({"adopted", "in_force"})  # a successor takes over only once adopted or in force


class ContextPart(NamedTuple):
    """What context() reads of a record: a function of the record alone (kept on a server's document)."""

    id: str
    status: str | None
    history: tuple[tuple[dt.date, str], ...]  # (date, status) in date order
    agreement: str | None  # the agreement it is a record of
    supersedes: tuple[str, ...]  # the ids and agreement keys it supersedes (a policy or agreement)
    repeals: tuple[str, ...]
    authority: tuple[str | None, bool | None] | None  # an institution's parent and decision power
    refunds: str | None  # a policy's country, when one of its measures refunds contributions (_refunding_measure)


def context_part(entry: RecordEntry) -> ContextPart:
    def compute() -> ContextPart:
        model = entry.model
        linked = model if isinstance(model, (Policy, Agreement)) else None
        return ContextPart(
            model.id,
            getattr(model, "status", None),
            tuple((step.date, step.status) for step in getattr(model, "history", [])),
            model.agreement if isinstance(model, Agreement) else None,
            tuple(map(_link_id, linked.supersedes)) if linked else (),
            tuple(map(_link_id, linked.repeals)) if linked else (),
            (model.parent, model.decision_power) if isinstance(model, Institution) else None,
            (model.jurisdiction.country or None) if isinstance(model, Policy) and _refunding_measure(entry) else None,
        )

    return entry.document.remembered("context part", compute)


def _status_on(record: ContextPart, as_of: dt.date) -> str | None:
    if not record.history:
        return record.status
    steps = [status for date, status in record.history if date <= as_of]
    return steps[-1] if steps else None


def _link_id(link: str | Link) -> str:
    return link if isinstance(link, str) else link.id


def context(corpus: Corpus, as_of: dt.date) -> Context:
    """Each record's standing on `as_of`: its own (dated) status, then supersession and repeal by the
    records in effect that day."""
    records = [context_part(e) for e in corpus.records]
    # A function of what it reads of each record: a server keeps it while those are what they were.
    standing, refunds, authority = resident.unless_changed(
        "context", (as_of, records), lambda: _standing(records, as_of)
    )
    return Context(corpus, Clock(as_of), standing, refunds, authority)


def _standing(
    records: list[ContextPart], as_of: dt.date
) -> tuple[dict[int, Standing], frozenset[str], dict[str, tuple[str | None, bool | None]]]:
    """(each record's standing by its place, the countries that refund contributions, each
    institution's parent and decision power by id)."""
    standing = {n: Standing(_status_on(r, as_of)) for n, r in enumerate(records)}
    by_id: dict[str, int] = {}
    by_key: dict[str, list[int]] = {}
    for n, record in enumerate(records):
        by_id.setdefault(record.id, n)
        if record.agreement is not None:
            by_key.setdefault(record.agreement, []).append(n)
    for n, record in enumerate(records):
        if standing[n].status not in IN_EFFECT:
            continue
        for targets, status in ((record.supersedes, "superseded"), (record.repeals, "repealed")):
            for target in targets:
                found = by_key.get(target) or ([by_id[target]] if target in by_id else [])
                for old in found:
                    if standing[old].status in vocab.ACTIVE_POLICY_STATUSES | vocab.ACTIVE_AGREEMENT_STATUSES:
                        standing[old] = Standing(status, record.id)
    # Countries with an active measure that refunds migrant workers' social security contributions
    # as a lump sum on departure (unilateral portability: money back, no pension rights).
    refunds = frozenset(
        r.refunds for n, r in enumerate(records) if r.refunds and is_active(standing[n].status, "policy")
    )
    authority = {r.id: r.authority for r in records if r.authority is not None}
    return standing, refunds, authority


def _refunding_measure(entry: RecordEntry) -> bool:
    """Whether a policy has a measure that refunds labour migrants' social security contributions."""
    model = entry.model
    assert isinstance(model, Policy)
    return any(
        measure.effect == "refund"
        and any(vocab.AREAS.overlaps(a, "social_security") for a in measure.areas)
        and any(vocab.GROUPS.overlaps(_scope(g)["named_group"], "labour_migrant") for g in measure.groups)
        for measure in model.measures
    )


def is_active(status: str | None, kind: str) -> bool:
    statuses = vocab.ACTIVE_AGREEMENT_STATUSES if kind == "agreement" else vocab.ACTIVE_POLICY_STATUSES
    return status in statuses


# --- values as facts carry them --------------------------------------------------------------


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


def _period(model) -> dict:
    period = model.period
    return {"start": _day(period.start) if period else UNSTATED, "end": _day(period.end) if period else UNSTATED}


def _number(value: float | None) -> int | float | str:
    """Whole numbers as int (5, not 5.0, in messages); unstated when not given."""
    if value is None:
        return UNSTATED
    return int(value) if float(value).is_integer() else value


def _year(day: str) -> int | str:
    return int(day[:4]) if day else UNSTATED


def _pole(word: str) -> str:
    if word in vocab.POSITIVE:
        return "positive"
    if word in vocab.NEGATIVE:
        return "negative"
    return "neutral"


OPPOSITE_POLE = {"positive": "negative", "negative": "positive", "neutral": UNSTATED}


def _countries(code: str, clock: Clock) -> list[str]:
    """The countries a party code stands for on the day: a bloc's members, a subnational entity's
    country, or the country itself."""
    if code in parties.BLOCS:
        return clock.members(code)
    return [parties.home_country(code)]


def corridor_end(value: str | list[str] | AllExcept, clock: Clock) -> str:
    """A corridor end as facts carry it: `any`, one country, countries comma-joined, or `!`
    followed by the countries it excludes (ir.CorridorsMeet reads the three forms)."""
    if isinstance(value, AllExcept):
        return "!" + _key(c for code in value.not_ for c in _countries(code, clock))
    if isinstance(value, list):
        return "any" if "any" in value else _key(c for code in value for c in _countries(code, clock))
    return value if value == "any" else _key(_countries(value, clock))


def _corridor(corridor: Corridor | None, country: str, clock: Clock) -> dict:
    origin = corridor_end(corridor.origin, clock) if corridor else "any"
    destination = corridor_end(corridor.destination, clock) if corridor else "any"
    partner = UNSTATED
    single = {end for end in (origin, destination) if end != "any" and "," not in end and not end.startswith("!")}
    if country and origin != destination and {origin, destination} <= single | {country}:
        partner = destination if origin == country else origin if destination == country else UNSTATED
    return {
        "origin": origin,
        "destination": destination,
        "partner": partner,
        "pair": "|".join(sorted((country, partner))) if partner else UNSTATED,
    }


def _scope(group: str | QualifiedGroup) -> dict:
    """A named group and how a record narrows it (a partial scope reads as partial)."""
    if isinstance(group, str):
        return {"named_group": group, "qualified": False, "targeting": "general", "scope": UNSTATED}
    words = []
    if group.sex:
        words.append(f"{group.sex} only")
    if group.children_under:
        words.append(f"with a child under {group.children_under}")
    if group.first_time is not None:
        words.append("first departure" if group.first_time else "returning")
    if group.min_age is not None or group.max_age is not None:
        words.append(f"aged {group.min_age or 0}" + (f"-{group.max_age}" if group.max_age is not None else "+"))
    return {
        "named_group": group.group,
        "qualified": True,
        "targeting": "sex" if group.sex else "family" if group.children_under else "general",
        "scope": ", ".join(words),
    }


def _coordination_powers(bodies: Iterable[str], ctx: Context) -> list[bool | None]:
    return [ctx.authority.get(body, (None, None))[1] for body in bodies]


def _refunding(codes: Iterable[str], ctx: Context) -> set[str]:
    """An agreement's parties (their codes) whose active policy refunds contributions on departure."""
    return {parties.home_country(p) for p in codes} & ctx.refunds


def coordination_bodies(entry: RecordEntry) -> tuple[str, ...]:
    """A policy's coordination bodies (a function of the record alone)."""
    return entry.document.remembered("coordination", lambda: tuple(getattr(entry.model, "coordination", ())))


def party_codes(entry: RecordEntry) -> tuple[str, ...]:
    """An agreement's parties (a function of the record alone)."""
    return entry.document.remembered("parties", lambda: tuple(getattr(entry.model, "parties", ())))


LED = ("policy", "agreement")  # the kinds whose statements have lead agencies


def context_reads(entry: RecordEntry, ctx: Context) -> tuple:
    """What this module reads for a record's facts beyond the record, its standing and the reference
    date (which they read through `ctx.clock`, which logs it): the lines of authority of the agencies
    that may lead its statements, whether its coordination bodies decide, and which of its parties
    refund contributions. The corpus index remembers a record's facts by it (shard_facts.py), so
    every read of `ctx.authority` or `ctx.refunds` here must be in it; a record's facts read nothing
    else of other records."""
    reads: list = []
    if entry.kind in LED:
        reads.append(tuple(_lead_line(lead, ctx) for lead in leads(entry)))
    if entry.kind == "policy":
        reads.append(tuple(_coordination_powers(coordination_bodies(entry), ctx)))
    if entry.kind == "agreement":
        reads.append(tuple(sorted(_refunding(party_codes(entry), ctx))))
    return tuple(reads)


def leads(entry: RecordEntry) -> tuple[str, ...]:
    """The agencies that may lead a policy's or agreement's statements (a function of the record alone)."""

    def compute() -> tuple[str, ...]:
        model = entry.model
        assert isinstance(model, (Policy, Agreement))
        named = {getattr(model, "lead_agency", None) or UNSTATED} | {
            o.lead_agency for o in model.objectives if o.lead_agency
        }
        return tuple(sorted(named))

    return entry.document.remembered("leads", compute)


def _lead_line(lead: str, ctx: Context) -> str:
    """The lead agency and the institutions above it (`parent`): one line of authority."""
    line: list[str] = []
    while lead and lead not in line:
        line.append(lead)
        lead = ctx.authority.get(lead, (None, None))[0] or ""
    return _key(line)


# --- statements: objectives and measures of policies and agreements -------------------------


@dataclass(frozen=True)
class _Owner:
    """What a statement takes from the record it belongs to."""

    record: Record
    base: dict  # the record-level fields every statement fact carries
    lead: str  # the record's lead agency ("" for agreements)
    coordination: list[str]
    coordination_power: bool | str


STATEMENT_TYPES = ("statement", "cover", "span", "indicator")  # the facts _statement_facts builds


@functools.lru_cache(maxsize=4096)
def _span_reach(group: str, area: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """The group and area nodes at, above or below a named pair, each in order."""
    return tuple(sorted(vocab.GROUPS.reach(group))), tuple(sorted(vocab.AREAS.reach(area)))


def spread(kind: str, seed: Fact) -> tuple[tuple, ...]:
    """The values of each field a seed's rows vary (engine.SEEDED), in order: a statement's span is
    every group x area node pair at, above or below the pair it names (the seed's)."""
    assert kind == "span", kind
    return _span_reach(seed["group"], seed["area"])


def _statement_facts(owner: _Owner, yp: str, statement: Objective | Measure, ctx: Context) -> list[Fact]:
    """One objective's or measure's facts: itself, its covers and spans, its indicators."""
    base = owner.base
    country = base["country"]
    if isinstance(statement, Objective):
        kind, stance, effect, budget = "objective", statement.stance, UNSTATED, UNSTATED
        responsible, own_lead, indicators = None, statement.lead_agency, statement.indicators
    else:
        kind, stance, effect, budget = "measure", UNSTATED, statement.effect, _budget_state(statement)
        responsible, own_lead, indicators = statement.responsible, None, []
    word = stance or effect
    pole = _pole(word)
    # The same values in each fact built here: a pack that can use none of them is built none (the
    # pair pack reads the covers of a few measures; the rest of a record's statements cost nothing).
    known = {"kind": kind, "stance": stance, "effect": effect, "pole": pole, "active": base["active"]}
    if ctx.shape.excludes(STATEMENT_TYPES, known):
        return []
    key = f"{owner.record.id}#{statement.id}"
    scopes = {scope["named_group"]: scope for scope in map(_scope, statement.groups)}
    lead = own_lead or owner.lead or UNSTATED
    fact = {
        **base,
        "yp": yp,
        "key": key,
        "label": f"{kind} {statement.id}",
        "kind": kind,
        "stance": stance,
        "effect": effect,
        "position": word,
        "pole": pole,
        "opposite_pole": OPPOSITE_POLE[pole],
        "capped": stance == "restrict" and any(i.name.endswith("_cap") for i in indicators),
        **_corridor(statement.corridor, country, ctx.clock),
        "budget": budget,
        "responsible_level": responsible.level
        if responsible is not None and not isinstance(responsible, str)
        else UNSTATED,
        "responsible_institution": responsible if isinstance(responsible, str) else UNSTATED,
        "lead": lead,
        "lead_line": _lead_line(lead, ctx),
        "lead_path": f"{yp}.lead_agency" if own_lead else ("lead_agency" if owner.lead else yp),
        "coordination_power": owner.coordination_power,
        "coordination": _key(owner.coordination),
        "coordination_count": len(set(owner.coordination)),
        "indicator_count": len(indicators),
        "group_count": len(scopes),
        "area_count": len(set(statement.areas)),
    }
    facts: list[Fact] = ctx.shaped([{"t": "statement", **fact}]) if ctx.wants("statement") else []
    shape = ctx.shape
    for named_group, scope in sorted(scopes.items()) if ctx.wants("cover", "span") else ():
        for named_area in sorted(set(statement.areas)):
            named = {**fact, **scope, "named_area": named_area}
            groups, areas = vocab.GROUPS, vocab.AREAS
            covered = (
                (group, area, group == named_group and area == named_area)
                for group in sorted(groups.below(named_group))
                for area in sorted(areas.below(named_area))
            )
            facts += shape.fan_out("cover", named, ("group", "area", "own"), covered)
            # Another statement's named nodes overlap this one's exactly when they are in its span:
            # pairing one's own cover fact with the other's span gives one match per pair.
            spanned = itertools.product(*_span_reach(named_group, named_area))
            facts += shape.fan_out("span", named, ("group", "area"), spanned, seed=(named_group, named_area))
    indicator_facts: list[Fact] = []
    for j, indicator in enumerate(indicators if ctx.wants("indicator") else ()):
        target = _number(indicator.target)
        outturn = next((o.value for o in indicator.actual if o.year == indicator.year), None)
        gap: int | str = UNSTATED
        if outturn is not None and indicator.target:
            gap = round(100 * (outturn - indicator.target) / indicator.target)
        indicator_facts.append(
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
                "target": target,
                "unit": indicator.unit or UNSTATED,
                "is_cap": indicator.name.endswith("_cap"),
                "actual": _number(outturn),
                "outturn_gap_pct": gap,
                "origin": fact["origin"],
                "destination": fact["destination"],
                "partner": fact["partner"],
                "start_year": _year(base["start"]),
                "end_year": _year(base["end"]),
            }
        )
    return facts + ctx.shaped(indicator_facts)


# --- records ---------------------------------------------------------------------------------


def _policy_facts(entry: RecordEntry, ctx: Context) -> list[Fact]:
    policy = entry.model
    assert isinstance(policy, Policy)
    ref = {"ri": entry.index, "record": policy.id}
    active = is_active(ctx.standing[entry.index].status, "policy")
    j = policy.jurisdiction
    country = j.country or UNSTATED
    # A national record's `body` names who adopted it, not another jurisdiction.
    jurisdiction = {
        "country": country,
        "level": j.level,
        "subdivision": j.subdivision or UNSTATED,
        "jurisdiction": f"{country}|{j.level}|{j.subdivision or ''}|{'' if j.country else j.body}",
    }
    period = _period(policy)
    # References are resolved here once: whether any coordination body decides.
    powers = _coordination_powers(policy.coordination, ctx)
    coordination_power = True if True in powers else UNSTATED if None in powers else False
    base = {
        **ref,
        **jurisdiction,
        **period,
        "status": ctx.standing[entry.index].status or UNSTATED,
        "active": active,
        "migration_sector": ("migration" in policy.sectors) if policy.sectors else UNSTATED,
        "record_kind": "policy",
        "policy_type": policy.type,
    }
    facts: list[Fact] = []
    if ctx.wants("policy"):
        record_level = {k: v for k, v in base.items() if k not in ("record_kind", "policy_type")}
        facts.append(
            {
                "t": "policy",
                **record_level,
                "yp": "",
                "type": policy.type,
                "lead": policy.lead_agency or UNSTATED,
                "lead_path": "lead_agency",
                "sector_count": len(set(policy.sectors)),
                "coordination_count": len(set(policy.coordination)),
            }
        )
    if ctx.wants("implements"):
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
    if ctx.wants("invocation"):
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
    facts = ctx.shaped(facts)
    if not ctx.wants(*STATEMENT_TYPES):
        return facts
    owner = _Owner(policy, base, policy.lead_agency or "", policy.coordination, coordination_power)
    statements: list[tuple[str, int, Objective | Measure]] = [
        ("objectives", i, s) for i, s in enumerate(policy.objectives)
    ]
    statements += [("measures", i, s) for i, s in enumerate(policy.measures)]
    for section, i, statement in statements:
        facts += _statement_facts(owner, f"{section}.{i}", statement, ctx)
    return facts


def _branch_rules(a: Agreement) -> dict[str, tuple[bool | None, bool | None]]:
    """branch -> (totalisation, export of benefits): a branch's own rule, else the agreement's."""
    ss = a.social_security
    if ss is None:
        return {}
    rules = {}
    for entry in ss.branches:
        if isinstance(entry, str):
            rules[entry] = (ss.totalisation, ss.export_of_benefits)
        else:
            rules[entry.branch] = (
                ss.totalisation if entry.totalisation is None else entry.totalisation,
                ss.export_of_benefits if entry.export_of_benefits is None else entry.export_of_benefits,
            )
    return rules


def _agreement_facts(entry: RecordEntry, ctx: Context) -> list[Fact]:
    a = entry.model
    assert isinstance(a, Agreement)
    members = sorted(set(a.parties))
    pair = "|".join(members) if len(members) == 2 else UNSTATED
    ss = a.social_security
    branches = _branch_rules(a)
    status = ctx.standing[entry.index].status
    active = is_active(status, "agreement")
    ref = {"ri": entry.index, "record": a.id, "yp": ""}
    codes = a.occupations.codes if a.occupations else []
    quota = a.quota.yearly if a.quota and a.quota.yearly is not None else UNSTATED
    facts: list[Fact] = []
    if ctx.wants("agreement"):
        facts.append(
            {
                "t": "agreement",
                **ref,
                "agreement": a.agreement,
                "recorded_by": a.recorded_by,
                "type": a.type,
                "binding": a.binding or UNSTATED,
                "refund_by": _key(_refunding(a.parties, ctx)),
                "status": status or UNSTATED,
                "active": active,
                **_period(a),
                "signed": _day(a.signed),
                "signed_more_than_3_years_ago": bool(a.signed and ctx.clock.years_passed(a.signed, 3)),
                "parties": _key(members),
                "party_count": len(members),
                "pair": pair,
                "groups": _key(a.groups) if "groups" in a.model_fields_set else UNSTATED,
                "codes": _key(codes),
                "code_count": len(set(codes)),
                "classification": (a.occupations.classification or UNSTATED) if a.occupations else UNSTATED,
                "quota": quota,
                "quota_kind": a.quota.kind if a.quota else UNSTATED,
                "branches": _key(branches) if ss and "branches" in ss.model_fields_set else UNSTATED,
                "totalisation": _tri(ss.totalisation) if ss else UNSTATED,
                "export_of_benefits": _tri(ss.export_of_benefits) if ss else UNSTATED,
                "fees_paid_by": a.recruitment.fees_paid_by if a.recruitment else UNSTATED,
                "data_classification": (a.data_exchange.classification or UNSTATED) if a.data_exchange else UNSTATED,
                "data_fields": _key(a.data_exchange.fields)
                if a.data_exchange and "fields" in a.data_exchange.model_fields_set
                else UNSTATED,
            }
        )
    if ctx.wants("party"):
        facts += [
            {
                "t": "party",
                **ref,
                "yp": "parties",
                "agreement": a.agreement,
                "party": party,
                "party_count": len(members),
            }
            for party in members
        ]
    if branches and ctx.wants("coverage"):
        rules = {"social_security": (_tri(ss.totalisation), _tri(ss.export_of_benefits)) if ss else ("", "")}
        rules.update({b: (_tri(t), _tri(e)) for b, (t, e) in branches.items()})
        facts += [
            {
                "t": "coverage",
                **ref,
                "yp": "social_security",
                "agreement": a.agreement,
                "pair": pair,
                "branch": branch,
                "active": active,
                "type": a.type,
                "totalisation": total,
                "export_of_benefits": export,
            }
            for branch, (total, export) in sorted(rules.items())
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
    views = [(v, nodes) for v, nodes in (("admission", admitted), ("admission_span", spanned)) if ctx.wants(v)]
    facts = ctx.shaped(facts)
    for party in members:
        for other in (p for p in members if p != party) if views else ():
            ends = (corridor_end(party, ctx.clock), corridor_end(other, ctx.clock))
            # An agreement that states the direction of its flow admits only that way round.
            directions = [
                (o, d)
                for o, d in (ends, ends[::-1])
                if a.corridor is None
                or (
                    ends_meet(o, corridor_end(a.corridor.origin, ctx.clock))
                    and ends_meet(d, corridor_end(a.corridor.destination, ctx.clock))
                )
            ]
            between = {**common, "party": parties.home_country(party) or party, "other": other}
            for view, nodes in views:
                rows = ((origin, destination, group) for group in nodes for origin, destination in directions)
                facts += ctx.shape.fan_out(view, between, ("origin", "destination", "group"), rows)
    recognised = a.skills_recognition.occupations if a.skills_recognition else []
    listings = (("admits", "occupations.codes", codes), ("recognises", "skills_recognition.occupations", recognised))
    for role, yp, listed in listings if ctx.wants("occupation") else ():
        facts += ctx.shaped(
            [
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
        )
    if not ctx.wants(*STATEMENT_TYPES):
        return facts
    # The agreement's objectives, as the recording party reads them: statements of that party.
    country = parties.home_country(a.recorded_by)
    level = "bilateral" if len(members) == 2 else "international"
    base = {
        "ri": entry.index,
        "record": a.id,
        "country": country,
        "level": level,
        "subdivision": UNSTATED,
        "jurisdiction": f"{a.recorded_by}|{level}||{a.agreement}",
        **_period(a),
        "status": status or UNSTATED,
        "active": active,
        "migration_sector": UNSTATED,
        "record_kind": "agreement",
        "policy_type": UNSTATED,
    }
    owner = _Owner(a, base, "", [], UNSTATED)
    for i, objective in enumerate(a.objectives):
        facts += _statement_facts(owner, f"objectives.{i}", objective, ctx)
    return facts


def _institution_facts(entry: RecordEntry, ctx: Context) -> list[Fact]:
    inst = entry.model
    assert isinstance(inst, Institution)
    ref = {"ri": entry.index, "record": inst.id}
    successor = inst.absorbed_into or inst.succeeded_by or UNSTATED
    gone = bool(inst.ended and ctx.clock.reached(inst.ended)) or bool(successor and not inst.ended)
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
            "gone": gone,
            "successor": successor,
            "ended": _day(inst.ended),
        }
    ]
    # A mandate over a node reaches its ancestors and descendants: no false "outside mandate".
    reach = sorted(set().union(*(vocab.AREAS.reach(area) for area in inst.mandate)))
    return ctx.shaped(facts + [{"t": "mandate_area", **ref, "yp": "mandate", "area": area} for area in reach])


def _commitments_facts(entry: RecordEntry, clock: Clock) -> list[Fact]:
    c = entry.model
    assert isinstance(c, Commitments)
    ref = {"ri": entry.index, "record": c.id}
    facts: list[Fact] = [{"t": "commitments", **ref, "yp": "", "country": c.country, "complete": c.complete}]
    for i, ratification in enumerate(c.ratified):
        # Not yet ratified on the reference date (a year alone counts from that year: the lenient reading).
        if not clock.reached(ratification.date or dt.date(ratification.year or 1, 1, 1)):
            continue
        at = {**ref, "yp": f"ratified.{i}", "country": c.country, "instrument": ratification.instrument}
        facts.append({"t": "ratification", **at})
        branches: set[str] = set()
        if ratification.instrument == "ILO-C097":  # Art 6(1)(b): equal treatment in every branch
            branches = {"social_security", *vocab.SOCIAL_SECURITY_BRANCHES}
        elif ratification.instrument == "ILO-C118" and isinstance(ratification.accepted_branches, list):
            # Art 2: accepted branch by branch (medical care: all of health); `unknown` gives none.
            branches = set().union(*(vocab.AREAS.below(b) for b in ratification.accepted_branches))
        facts += [{"t": "ratified_branch", **at, "branch": branch} for branch in sorted(branches)]
    return facts


TARGETINGS = {"any": ("general", "sex", "family"), "sex": ("sex",), "sex_or_family": ("sex", "family")}


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
                    "targeting": UNSTATED,
                }
                for fees in o.fees_paid_by
            ]
            continue
        areas = sorted(set().union(*(vocab.AREAS.below(a) for a in o.areas)))
        groups = sorted(set().union(*(vocab.GROUPS.below(g) for g in o.groups)))
        # Which measures the entry reaches: all, or only those aimed at one sex (or a family status).
        targetings = TARGETINGS[o.only_when or "any"]
        facts += [
            {
                "t": "obligation",
                **base,
                "effect": effect,
                "area": area,
                "group": group,
                "fees_paid_by": UNSTATED,
                "targeting": targeting,
            }
            for effect in o.effects
            for area in areas
            for group in groups
            for targeting in targetings
        ]
    return facts


def _lifecycle_fact(entry: RecordEntry, ctx: Context) -> list[Fact]:
    if not ctx.wants("lifecycle"):
        return []
    model = entry.model
    stated = getattr(model, "status", None)
    if stated is None:
        return []
    standing = ctx.standing[entry.index]
    period = getattr(model, "period", None)
    end = period.end if period else None
    return [
        {
            "t": "lifecycle",
            "ri": entry.index,
            "record": model.id,
            "yp": "status",
            "kind": model.kind,
            "status": standing.status or UNSTATED,
            "stated_status": stated,
            "superseded_by": standing.by,
            "end": _day(end),
            "ended": bool(end and ctx.clock.passed(end)),
        }
    ]


def record_facts(entry: RecordEntry, ctx: Context) -> list[Fact]:
    """A record's facts on the reference date (none before its history begins: it did not exist),
    as the context's shape holds them."""
    model = entry.model
    if isinstance(model, (Policy, Agreement)) and ctx.standing[entry.index].status is None:
        return []
    facts: list[Fact] = []
    lifecycle = ctx.shaped(_lifecycle_fact(entry, ctx))
    if isinstance(model, Institution) and not ctx.wants("institution", "mandate_area"):
        return lifecycle
    if isinstance(model, Commitments) and not ctx.wants("commitments", "ratification", "ratified_branch"):
        return lifecycle
    if isinstance(model, Policy):
        facts = _policy_facts(entry, ctx)
    elif isinstance(model, Agreement):
        facts = _agreement_facts(entry, ctx)
    elif isinstance(model, Institution):
        facts = _institution_facts(entry, ctx)
    elif isinstance(model, Commitments):
        facts = ctx.shaped(_commitments_facts(entry, ctx.clock))
    return facts + lifecycle


def shard_level_facts(shard, ctx: Context) -> list[Fact]:
    """The facts of a shard rather than of one record: a pair shard's two countries, once in each
    direction; the pairs of its policies' coordination lists that share no body."""
    made: list[Fact] = []
    if shard.scope == "pair":
        a, b = shard.key.split("|")
        made += [
            {"t": "route", "ri": -1, "yp": "", "record": UNSTATED, "origin": x, "destination": y, "pair": shard.key}
            for x, y in ((a, b), (b, a))
        ]
    if ctx.wants("coordination_pair"):
        # As many as the distinct lists squared: a country has a few coordination bodies, not one per policy.
        lists = {
            _key(bodies): set(bodies)
            for bodies in (coordination_bodies(e) for e in shard.records if e.kind == "policy")
        }
        made += [
            {"t": "coordination_pair", "ri": -1, "yp": "", "record": UNSTATED, "first": x, "second": y}
            for x in sorted(lists)
            for y in sorted(lists)
            if not lists[x] & lists[y] and (x != y or not lists[x])
        ]
    return ctx.shaped(made)
