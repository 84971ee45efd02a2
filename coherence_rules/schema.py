"""Schema v1 (schema.md) as pydantic models. The JSON Schema is generated from these."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING, Annotated, Any, Literal, TypeAlias

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

from . import vocab

SCHEMA_VERSION = 1
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@-]*$"  # schema.md plus "@", which its own agreement example uses

RecordId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
COUNTRY_PATTERN = r"^[A-Z]{3}$"
CORRIDOR_END_PATTERN = r"^([A-Z]{3}|any)$"
Country = Annotated[str, StringConstraints(pattern=COUNTRY_PATTERN)]
CorridorEnd = Annotated[str, StringConstraints(pattern=CORRIDOR_END_PATTERN)]
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


class Model(BaseModel):
    # Infinities and NaN (`.inf`, `1e999`) cannot be compared, and the rules engine loses facts after one.
    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)


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


class Corridor(Model):
    origin: CorridorEnd = "any"
    destination: CorridorEnd = "any"


class Indicator(Model):
    name: str
    baseline: float | None = None
    target: float | None = None
    unit: str | None = None
    year: Int64 | None = None


class Objective(Model):
    id: str
    statement: str | None = None
    stance: Stance
    groups: list[Group] = Field(min_length=1)
    areas: list[Area] = Field(min_length=1)
    corridor: Corridor | None = None
    lead_agency: RecordId | None = None
    indicators: list[Indicator] = []


class ResponsibleLevel(Model):
    level: Level


def _responsible_tag(value: Any) -> str:
    return "institution" if isinstance(value, str) else "level"


Responsible = Annotated[
    Annotated[RecordId, Tag("institution")] | Annotated[ResponsibleLevel, Tag("level")],
    Discriminator(_responsible_tag),
]


class Measure(Model):
    id: str
    statement: str | None = None
    effect: Effect
    areas: list[Area] = Field(min_length=1)
    groups: list[Group] = Field(min_length=1)
    responsible: Responsible | None = None
    budget: Budget | None = Field(None, description="explicit null = unfunded; omitted = unknown")
    serves: list[str] = []


class RecordBase(Model):
    coherence: Literal[1] = Field(description="schema version")
    id: RecordId
    source: Source | None = None
    notes: str | None = None


class Policy(RecordBase):
    kind: Literal["policy"]
    title: str | None = None
    type: PolicyType
    status: PolicyStatus
    period: Period | None = None
    jurisdiction: Jurisdiction
    sectors: list[Sector] = []
    lead_agency: RecordId | None = None
    coordination: list[RecordId] = []
    implements: list[RecordId] = []
    instruments: list[Instrument] = []
    objectives: list[Objective] = []
    measures: list[Measure] = []

    @model_validator(mode="after")
    def _unique_statement_ids(self):
        seen: set[str] = set()
        for statement in [*self.objectives, *self.measures]:
            if statement.id in seen:
                raise ValueError(f"objective/measure id '{statement.id}' is used twice in this policy")
            seen.add(statement.id)
        return self


class Occupations(Model):
    classification: str | None = None
    codes: list[str] = []


class Quota(Model):
    per_year: Int64 = Field(ge=0)


class SocialSecurityCoverage(Model):
    branches: list[Branch] = []
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
    kind: Literal["agreement"]
    title: str | None = None
    agreement: RecordId = Field(description="key shared by both parties' records")
    recorded_by: Country
    type: AgreementType
    parties: list[Country] = Field(min_length=2)
    status: AgreementStatus
    signed: dt.date | None = None
    period: Period | None = None
    groups: list[Group] = []
    occupations: Occupations | None = None
    quota: Quota | None = None
    social_security: SocialSecurityCoverage | None = None
    recruitment: Recruitment | None = None
    skills_recognition: SkillsRecognition | None = None
    data_exchange: DataExchange | None = None


class Institution(RecordBase):
    kind: Literal["institution"]
    name: str
    jurisdiction: Jurisdiction
    type: InstitutionType
    mandate: list[Area] = []
    decision_power: bool | None = None
    budget: Budget | None = Field(None, description="null = none; omitted = unknown")
    members: list[RecordId] = []
    parent: RecordId | None = None


class Ratification(Model):
    instrument: Instrument
    year: Int64 | None = None
    accepted_branches: list[C118Branch] = []


class Commitments(RecordBase):
    kind: Literal["commitments"]
    title: str | None = None
    country: Country
    ratified: list[Ratification] = []
    adopted: list[Instrument] = []


Record = Policy | Agreement | Institution | Commitments
MODELS: dict[str, type[RecordBase]] = {
    "policy": Policy,
    "agreement": Agreement,
    "institution": Institution,
    "commitments": Commitments,
}


class CoherenceRecord(RootModel[Annotated[Record, Field(discriminator="kind")]]):
    """One record of a coherence policy repository (schema v1)."""


def json_schema() -> dict:
    schema = CoherenceRecord.model_json_schema(by_alias=True)
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "title": "coherence record, schema v1",
        **schema,
    }
