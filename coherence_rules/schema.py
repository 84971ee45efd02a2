"""The record schema as pydantic models; the JSON Schema is generated from these.

Schema v1 is the original contract; schema v2 (`coherence: 2`) adds what real instruments need:
amendment and supersession links, a dated status history, instrument nature, parties beyond states,
corridors on measures and sets of corridor ends, objectives on agreements, sub-group qualifiers,
per-branch social security, quotas over other periods, outturn values, new stances, effects, policy
types and instruments. One set of models holds both; a v1 record that uses a v2 field or value is an
E002 finding naming it (validate.py), so every v1 record keeps the meaning it had.
"""

from __future__ import annotations

import datetime as dt
import functools
import sys
from collections.abc import Iterable
from typing import TYPE_CHECKING, Annotated, Any, ClassVar, Literal, NoReturn, TypeAlias, get_args, get_origin

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    RootModel,
    StringConstraints,
    Tag,
    model_validator,
)

from . import parties, vocab

SCHEMA_VERSIONS = (1, 2)
CORRIDOR_END_PATTERN = r"^([A-Z]{3}|any)$"


def _country(code: str) -> str:
    if not parties.is_country(code):
        raise ValueError(f"'{code}' is not {parties.describe_codes()}")
    return code


def _party(code: str) -> str:
    if not parties.is_party(code):
        raise ValueError(
            f"'{code}' is not a party code: a country ({parties.describe_codes()}), a bloc "
            f"({', '.join(parties.BLOCS)}) or a country's subnational entity (e.g. CAN-QC)"
        )
    return code


def _corridor_end(code: str) -> str:
    return code if code == "any" else _party(code)


RecordId = Annotated[str, StringConstraints(pattern=vocab.ID_PATTERN)]
Country = Annotated[str, StringConstraints(pattern=vocab.COUNTRY_PATTERN), AfterValidator(_country)]
Party = Annotated[str, StringConstraints(pattern=vocab.PARTY_PATTERN), AfterValidator(_party)]
CorridorEnd = Annotated[str, AfterValidator(_corridor_end)]
# ILO C118 Art 2 accepts branch by branch; its "medical care" is the `health` area.
C118_BRANCHES = ("health", *vocab.SOCIAL_SECURITY_BRANCHES)

if TYPE_CHECKING:  # a type checker cannot read a Literal built from a tuple; pydantic can, and checks values
    Group: TypeAlias = str
    Area: TypeAlias = str
    Branch: TypeAlias = str
    C118Branch: TypeAlias = str
    Sector: TypeAlias = str
    Instrument: TypeAlias = str
    Level: TypeAlias = str
    Stance: TypeAlias = str
    Effect: TypeAlias = str
    PolicyType: TypeAlias = str
    PolicyStatus: TypeAlias = str
    AgreementType: TypeAlias = str
    AgreementStatus: TypeAlias = str
    InstitutionType: TypeAlias = str
    FeesPaidBy: TypeAlias = str
else:
    Group = Literal[vocab.GROUPS.nodes]
    Area = Literal[vocab.AREAS.nodes]
    Branch = Literal[vocab.SOCIAL_SECURITY_BRANCHES]
    C118Branch = Literal[C118_BRANCHES]
    Sector = Literal[vocab.SECTORS]
    Instrument = Literal[vocab.INSTRUMENTS]
    Level = Literal[vocab.LEVELS]
    Stance = Literal[vocab.STANCES]
    Effect = Literal[vocab.EFFECTS]
    PolicyType = Literal[vocab.POLICY_TYPES]
    PolicyStatus = Literal[vocab.POLICY_STATUSES]
    AgreementType = Literal[vocab.AGREEMENT_TYPES]
    AgreementStatus = Literal[vocab.AGREEMENT_STATUSES]
    InstitutionType = Literal[vocab.INSTITUTION_TYPES]
    FeesPaidBy = Literal[vocab.FEES_PAID_BY]


def _fits_64_bits(value: int) -> int:
    if not -(2**63) <= value < 2**63:
        raise ValueError("integer beyond 64 bits: the rules engine cannot compare it exactly")
    return value


Int64 = Annotated[int, AfterValidator(_fits_64_bits)]


class _SharedList(list):
    """A list many models hold (Model._shared): the one empty list (pydantic gives each model its
    own copy of a mutable default: seven lists a record), and one list per distinct list of codes
    (a statement's groups and areas: 500 bytes a record). It refuses to change: models are frozen."""

    def _refuse(self, *args: object, **kwargs: object) -> NoReturn:
        raise TypeError("a model's lists do not change: models are frozen")

    append = extend = insert = remove = pop = clear = sort = reverse = _refuse
    __setitem__ = __delitem__ = __iadd__ = __imul__ = _refuse


EMPTY: list = _SharedList()
_CODE_LISTS: dict[tuple[str, ...], _SharedList] = {}  # by its codes: every list of codes a model holds


def _codes(annotation: Any) -> bool:
    """Whether a type's values may be codes of a closed vocabulary (a Literal), alone or among others."""
    return get_origin(annotation) is Literal or any(map(_codes, get_args(annotation)))


# Every model's set of the fields its record states, one object per distinct set (see Model._shared).
_FIELDS_SETS: dict[frozenset[str], set[str]] = {}


def _shared_keys(fields: Iterable[str]) -> dict[str, Any] | None:
    """A dict of these fields (None each) whose copies share one table of keys, as the attribute
    dicts of one class's instances do in CPython (a split-table dict, kept by dict.copy()); None
    where such a dict is no smaller than a plain one (its values have room for 30 keys)."""
    holder = type("Values", (), {})()
    for name in fields:
        setattr(holder, name, None)
    shared = holder.__dict__
    return shared if sys.getsizeof(shared) < sys.getsizeof(dict.fromkeys(fields)) else None


class Model(BaseModel):
    # Infinities and NaN (`.inf`, `1e999`) cannot be compared, and the rules engine loses facts after one.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)
    # Fields only a schema v2 record may use; `V2_FORM`: the whole value is a v2 form.
    V2_FIELDS: ClassVar[frozenset[str]] = frozenset()
    V2_FORM: ClassVar[bool] = False
    _LISTS: ClassVar[tuple[str, ...]] = ()  # the fields that hold lists
    _CODES: ClassVar[frozenset[str]] = frozenset()  # those whose items may be codes (_codes)
    _VALUES: ClassVar[dict[str, Any] | None] = None  # a dict of the fields, its keys shared (_shared_keys)

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        cls._LISTS = tuple(name for name, f in cls.model_fields.items() if get_origin(f.annotation) is list)
        cls._CODES = frozenset(name for name in cls._LISTS if _codes(cls.model_fields[name].annotation))
        cls._VALUES = _shared_keys(cls.model_fields)

    @model_validator(mode="after")
    def _shared(self):
        """pydantic gives each model its own set of the fields stated (half of a validated record's
        memory: ten models of a record, a set of 200-700 bytes each), its own lists (empty ones, equal
        lists of codes) and its own dict of values, keys and all. Models are frozen, so no set or list
        changes after validation: equal ones can be one object; and the values go into a dict whose
        keys every model of the class shares (296 bytes for an Agreement's 27 fields, not 832)."""
        stated = self.__pydantic_fields_set__
        object.__setattr__(self, "__pydantic_fields_set__", _FIELDS_SETS.setdefault(frozenset(stated), stated))
        values = self.__dict__
        if self._VALUES is not None:
            values = self._VALUES.copy()  # a copy of a dict of shared keys shares them
            values.update(self.__dict__)  # the same keys: it keeps sharing them
            object.__setattr__(self, "__dict__", values)
        for name in self._LISTS:
            items = values[name]
            if not items:
                values[name] = EMPTY
            elif name in self._CODES and all(type(item) is str for item in items):
                codes = tuple(items)
                values[name] = _CODE_LISTS.get(codes) or _CODE_LISTS.setdefault(codes, _SharedList(codes))
        return self


class Source(Model):
    citation: str
    url: str | None = None
    date: dt.date | int | str | None = None


class Period(Model):
    start: dt.date | None = Field(None, alias="from")
    end: dt.date | None = Field(None, alias="to")

    @model_validator(mode="after")
    def _ordered(self):
        if self.start and self.end and self.end < self.start:
            raise ValueError(f"period ends ({self.end}) before it starts ({self.start})")
        return self


class StatusChange(Model):
    """One dated step of a record's history (`--as-of` reads the status of that day)."""

    status: str
    date: dt.date


class Link(Model):
    """A link to another record, with the provisions it touches where they are known."""

    V2_FORM: ClassVar[bool] = True
    id: RecordId
    provisions: list[str] = []


LinkEntry = Annotated[
    Annotated[RecordId, Tag("id")] | Annotated[Link, Tag("link")],
    Discriminator(lambda v: "id" if isinstance(v, str) else "link"),
]


class Budget(Model):
    amount: float = Field(ge=0)
    currency: str


class Jurisdiction(Model):
    country: Country | None = None
    level: Level
    subdivision: str | None = None
    within: str | None = None
    body: str | None = None
    members: list[Country] = []

    @model_validator(mode="after")
    def _required_by_level(self):
        if self.level in ("regional", "international"):
            if not self.body:
                raise ValueError(f"a {self.level} jurisdiction needs 'body' (the organisation or process)")
        elif not self.country:
            raise ValueError(f"a {self.level} jurisdiction needs 'country'")
        if self.level == "subnational" and not self.subdivision:
            raise ValueError("a subnational jurisdiction needs 'subdivision'")
        return self


class AllExcept(Model):
    """A corridor end that is every country but these (a bloc stands for its members)."""

    V2_FORM: ClassVar[bool] = True
    not_: list[Party] = Field(alias="not", min_length=1)


CorridorEndValue = Annotated[
    Annotated[CorridorEnd, Tag("one")]
    | Annotated[list[CorridorEnd], Tag("several")]
    | Annotated[AllExcept, Tag("except")],
    Discriminator(lambda v: "one" if isinstance(v, str) else "several" if isinstance(v, list) else "except"),
]


class Corridor(Model):
    origin: CorridorEndValue = "any"
    destination: CorridorEndValue = "any"


class QualifiedGroup(Model):
    """A group narrowed by sex, family status, first departure or age: a partial scope."""

    V2_FORM: ClassVar[bool] = True
    group: Group
    sex: Literal["female", "male"] | None = None
    children_under: Int64 | None = Field(None, ge=1, description="has a child younger than this many years")
    first_time: bool | None = Field(None, description="true: first departure; false: returning workers")
    min_age: Int64 | None = Field(None, ge=0)
    max_age: Int64 | None = Field(None, ge=0)

    @model_validator(mode="after")
    def _qualified(self):
        if self.model_fields_set <= {"group"}:
            raise ValueError("a qualified group needs sex, children_under, first_time, min_age or max_age")
        return self


GroupEntry = Annotated[
    Annotated[Group, Tag("group")] | Annotated[QualifiedGroup, Tag("qualified")],
    Discriminator(lambda v: "group" if isinstance(v, str) else "qualified"),
]


class Outturn(Model):
    year: Int64
    value: float


class Indicator(Model):
    V2_FIELDS: ClassVar[frozenset[str]] = frozenset({"actual"})
    name: str
    baseline: float | None = None
    target: float | None = None
    unit: str | None = None
    year: Int64 | None = None
    actual: list[Outturn] = Field([], description="recorded outturn, by year")


class Objective(Model):
    id: str
    statement: str | None = None
    stance: Stance
    groups: list[GroupEntry] = Field(min_length=1)
    areas: list[Area] = Field(min_length=1)
    corridor: Corridor | None = None
    lead_agency: RecordId | None = None
    indicators: list[Indicator] = []


class ResponsibleLevel(Model):
    level: Level


Responsible = Annotated[
    Annotated[RecordId, Tag("institution")] | Annotated[ResponsibleLevel, Tag("level")],
    Discriminator(lambda v: "institution" if isinstance(v, str) else "level"),
]


class Measure(Model):
    V2_FIELDS: ClassVar[frozenset[str]] = frozenset({"corridor"})
    id: str
    statement: str | None = None
    effect: Effect
    areas: list[Area] = Field(min_length=1)
    groups: list[GroupEntry] = Field(min_length=1)
    corridor: Corridor | None = None
    responsible: Responsible | None = None
    budget: Budget | None = Field(None, description="explicit null = unfunded; omitted = unknown")
    serves: list[str] = []


class RecordBase(Model):
    coherence: Literal[1, 2] = Field(description="schema version")
    id: RecordId
    source: Source | None = None
    notes: str | None = None


def _unique_statement_ids(statements: list[Objective | Measure]) -> None:
    seen: set[str] = set()
    for statement in statements:
        if statement.id in seen:
            raise ValueError(f"objective/measure id '{statement.id}' is used twice in this record")
        seen.add(statement.id)


def _history_statuses(history: list[StatusChange], allowed: tuple[str, ...]) -> None:
    for step in history:
        if step.status not in allowed:
            raise ValueError(f"history: '{step.status}' is not one of: {', '.join(allowed)}")
    dates = [step.date for step in history]
    if dates != sorted(dates):
        raise ValueError("history: the steps must be in date order")


LINKS = frozenset({"amends", "supersedes", "repeals"})


class Policy(RecordBase):
    V2_FIELDS: ClassVar[frozenset[str]] = LINKS | {"history"}
    kind: Literal["policy"]
    title: str | None = None
    type: PolicyType
    status: PolicyStatus
    history: list[StatusChange] = Field([], description="dated statuses; --as-of reads the one of that day")
    period: Period | None = None
    jurisdiction: Jurisdiction
    sectors: list[Sector] = []
    lead_agency: RecordId | None = None
    coordination: list[RecordId] = []
    implements: list[RecordId] = []
    amends: list[LinkEntry] = []
    supersedes: list[LinkEntry] = []
    repeals: list[LinkEntry] = []
    instruments: list[Instrument] = []
    objectives: list[Objective] = []
    measures: list[Measure] = []

    @model_validator(mode="after")
    def _consistent(self):
        _unique_statement_ids([*self.objectives, *self.measures])
        _history_statuses(self.history, vocab.POLICY_STATUSES)
        return self


class Occupations(Model):
    classification: str | None = None
    codes: list[str] = []


class Quota(Model):
    """v1: `{per_year: N}`. v2 also: `{amount: N, per: month, kind: target, sectors: [...]}`."""

    V2_FIELDS: ClassVar[frozenset[str]] = frozenset({"amount", "per", "kind", "sectors", "occupations"})
    per_year: Int64 | None = Field(None, ge=0)
    amount: Int64 | None = Field(None, ge=0)
    per: Literal["year", "month", "period"] = "year"
    kind: Literal["ceiling", "target"] = "ceiling"
    sectors: list[Sector] = []
    occupations: list[str] = []

    @model_validator(mode="after")
    def _one_amount(self):
        if (self.per_year is None) == (self.amount is None):
            raise ValueError("a quota states either per_year or amount (with per: year, month or period)")
        return self

    @property
    def yearly(self) -> int | None:
        """The quota per year, when its period says (a whole-period quota has none)."""
        if self.per_year is not None:
            return self.per_year
        assert self.amount is not None
        return self.amount * 12 if self.per == "month" else self.amount if self.per == "year" else None


class BranchCoverage(Model):
    """A branch with its own totalisation and export rules (an agreement may treat branches apart)."""

    V2_FORM: ClassVar[bool] = True
    branch: Branch
    totalisation: bool | None = None
    export_of_benefits: bool | None = None


BranchEntry = Annotated[
    Annotated[Branch, Tag("branch")] | Annotated[BranchCoverage, Tag("detail")],
    Discriminator(lambda v: "branch" if isinstance(v, str) else "detail"),
]


class SocialSecurityCoverage(Model):
    branches: list[BranchEntry] = []
    totalisation: bool | None = None
    export_of_benefits: bool | None = None


class Recruitment(Model):
    fees_paid_by: FeesPaidBy


class SkillsRecognition(Model):
    occupations: list[str] = []


class DataExchange(Model):
    fields: list[str] = []
    classification: str | None = None
    frequency: str | None = None


class Agreement(RecordBase):
    V2_FIELDS: ClassVar[frozenset[str]] = LINKS | {"history", "binding", "objectives", "corridor"}
    kind: Literal["agreement"]
    title: str | None = None
    agreement: RecordId = Field(description="key shared by both parties' records")
    recorded_by: Party
    type: AgreementType
    binding: Literal["treaty", "mou", "arrangement"] | None = Field(
        None, description="treaty: binds the parties in law; mou, arrangement: political commitments"
    )
    parties: list[Party] = Field(min_length=2)
    status: AgreementStatus
    history: list[StatusChange] = Field([], description="dated statuses; --as-of reads the one of that day")
    signed: dt.date | None = None
    period: Period | None = None
    amends: list[LinkEntry] = []
    supersedes: list[LinkEntry] = []
    repeals: list[LinkEntry] = []
    groups: list[Group] = []
    corridor: Corridor | None = Field(None, description="the direction of the flow it organises, when it has one")
    objectives: list[Objective] = Field(
        [], description="what the agreement sets out to do, as the recording party reads it"
    )
    occupations: Occupations | None = None
    quota: Quota | None = None
    social_security: SocialSecurityCoverage | None = None
    recruitment: Recruitment | None = None
    skills_recognition: SkillsRecognition | None = None
    data_exchange: DataExchange | None = None

    @model_validator(mode="after")
    def _consistent(self):
        _unique_statement_ids(list(self.objectives))
        _history_statuses(self.history, vocab.AGREEMENT_STATUSES)
        return self


class Institution(RecordBase):
    V2_FIELDS: ClassVar[frozenset[str]] = frozenset({"succeeded_by", "absorbed_into", "ended"})
    kind: Literal["institution"]
    name: str
    jurisdiction: Jurisdiction
    type: InstitutionType
    mandate: list[Area] = []
    decision_power: bool | None = None
    budget: Budget | None = Field(None, description="null = none; omitted = unknown")
    members: list[RecordId] = []
    parent: RecordId | None = None
    succeeded_by: RecordId | None = Field(None, description="the institution that took over its mandate")
    absorbed_into: RecordId | None = Field(None, description="the institution it was merged into")
    ended: dt.date | None = Field(None, description="the day it ceased to exist as itself")


class Ratification(Model):
    V2_FIELDS: ClassVar[frozenset[str]] = frozenset({"date"})
    instrument: Instrument
    year: Int64 | None = None
    date: dt.date | None = Field(None, description="the day the instrument was ratified or acceded to")
    accepted_branches: list[C118Branch] | Literal["unknown"] = Field(
        [], description="ILO-C118: the branches accepted; `unknown` when the record cannot say (v2)"
    )


class Commitments(RecordBase):
    V2_FIELDS: ClassVar[frozenset[str]] = frozenset({"complete"})
    kind: Literal["commitments"]
    title: str | None = None
    country: Country
    ratified: list[Ratification] = []
    adopted: list[Instrument] = []
    complete: bool = Field(
        True, description="false: only some of the country's ratifications are listed (what is missing is unknown)"
    )


Record = Policy | Agreement | Institution | Commitments
MODELS: dict[str, type[RecordBase]] = {
    "policy": Policy,
    "agreement": Agreement,
    "institution": Institution,
    "commitments": Commitments,
}


class CoherenceRecord(RootModel[Annotated[Record, Field(discriminator="kind")]]):
    """One record of a coherence policy repository (schema v1 or v2)."""


def json_schema() -> dict:
    schema = CoherenceRecord.model_json_schema(by_alias=True)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "coherence record, schema v1 and v2",
        **schema,
    }


PARTY_FIELDS = ("parties", "recorded_by", "origin", "destination")


@functools.cache
def _v2_plan(model_type: type[Model]) -> tuple[tuple[str, str, bool], ...]:
    """Per field of a model class that may show a v2 use: (name, YAML key, whether it is a v2 field
    itself). A field may when it is one, may hold a model, is a list of corridor ends or party codes,
    or holds a word of the vocabulary that may be a v2 word. Free text (titles, statements, notes)
    is never a v2 word; a field whose words are all v1 (a status, a level) holds none."""

    def leaves(annotation: Any) -> tuple[bool, set[Any], bool]:  # (a model, the words, any other text)
        if isinstance(annotation, type) and issubclass(annotation, Model):
            return True, set(), False
        if get_origin(annotation) is Literal:
            return False, set(get_args(annotation)), False
        found = [leaves(arg) for arg in get_args(annotation)]
        return (
            any(m for m, _, _ in found),
            {w for _, ws, _ in found for w in ws},
            (isinstance(annotation, type) and issubclass(annotation, str)) or any(t for *_, t in found),
        )

    plan = []
    for name, info in model_type.model_fields.items():
        holds_model, words, text = leaves(info.annotation)
        v2_word = bool(words & (vocab.V2_WORDS | {"unknown"})) or (bool(words) and text)
        if name in model_type.V2_FIELDS or holds_model or v2_word or name in PARTY_FIELDS:
            plan.append((name, info.alias or name, name in model_type.V2_FIELDS))
    return tuple(plan)


def v2_uses(model: Model, path: tuple = ()) -> list[tuple[tuple, str]]:
    """(YAML path, what) of every schema v2 field, form or vocabulary word a record uses."""
    if model.V2_FORM:
        return [(path, f"the {type(model).__name__} form")]
    found: list[tuple[tuple, str]] = []
    stated = model.model_fields_set
    for name, key, v2_field in _v2_plan(type(model)):
        if name not in stated:
            continue
        if v2_field:
            found.append(((*path, key), f"'{key}'"))
        else:
            found += _v2_in_value(getattr(model, name), (*path, key), name)
    return found


def _v2_in_value(value: Any, path: tuple, name: str) -> list[tuple[tuple, str]]:
    if isinstance(value, Model):
        return v2_uses(value, path)
    if isinstance(value, list):
        if name in ("origin", "destination"):
            return [(path, "a list of corridor ends")]
        if name not in PARTY_FIELDS and all(type(item) is str for item in value):  # a list of words: the common case
            return [((*path, i), f"'{item}'") for i, item in enumerate(value) if item in vocab.V2_WORDS]
        return [use for i, item in enumerate(value) for use in _v2_in_value(item, (*path, i), name)]
    if isinstance(value, str):
        if value in vocab.V2_WORDS or (name == "accepted_branches" and value == "unknown"):
            return [(path, f"'{value}'")]
        if name in PARTY_FIELDS and value != "any" and not parties.is_country(value):
            return [(path, f"the party code '{value}'")]
    return []
