"""Schema v1 (schema.md) as pydantic models. The JSON Schema is generated from these."""
from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import (BaseModel, ConfigDict, Discriminator, Field, RootModel, StringConstraints, Tag,
                      model_validator)

from . import vocab

SCHEMA_VERSION = 1
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@-]*$"  # schema.md plus "@", which its own agreement example uses

RecordId = Annotated[str, StringConstraints(pattern=ID_PATTERN)]
COUNTRY_PATTERN = r"^[A-Z]{3}$"
CORRIDOR_END_PATTERN = r"^([A-Z]{3}|any)$"
Country = Annotated[str, StringConstraints(pattern=COUNTRY_PATTERN)]
CorridorEnd = Annotated[str, StringConstraints(pattern=CORRIDOR_END_PATTERN)]
Group = Literal[vocab.GROUPS.nodes]  # type: ignore[valid-type]
Area = Literal[vocab.AREAS.nodes]  # type: ignore[valid-type]
Branch = Literal[vocab.SOCIAL_SECURITY_BRANCHES]  # type: ignore[valid-type]
# ILO C118 Art 2 accepts branch by branch; its "medical care" is the `health` area.
C118Branch = Literal[("health", *vocab.SOCIAL_SECURITY_BRANCHES)]  # type: ignore[valid-type]
Sector = Literal[vocab.SECTORS]  # type: ignore[valid-type]
Instrument = Literal[vocab.INSTRUMENTS]  # type: ignore[valid-type]


class Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(Model):
    citation: str
    url: Optional[str] = None
    date: Optional[Union[dt.date, int, str]] = None


class Period(Model):
    start: Optional[dt.date] = Field(None, alias="from")
    end: Optional[dt.date] = Field(None, alias="to")

    @model_validator(mode="after")
    def _ordered(self):
        if self.start and self.end and self.end < self.start:
            raise ValueError(f"period ends ({self.end}) before it starts ({self.start})")
        return self


class Budget(Model):
    amount: float = Field(ge=0)
    currency: str


class Jurisdiction(Model):
    country: Optional[Country] = None
    level: Literal[vocab.LEVELS]  # type: ignore[valid-type]
    subdivision: Optional[str] = None
    within: Optional[str] = None
    body: Optional[str] = None
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
    baseline: Optional[float] = None
    target: Optional[float] = None
    unit: Optional[str] = None
    year: Optional[int] = None


class Objective(Model):
    id: str
    statement: Optional[str] = None
    stance: Literal[vocab.STANCES]  # type: ignore[valid-type]
    groups: list[Group] = Field(min_length=1)
    areas: list[Area] = Field(min_length=1)
    corridor: Optional[Corridor] = None
    lead_agency: Optional[RecordId] = None
    indicators: list[Indicator] = []


class ResponsibleLevel(Model):
    level: Literal[vocab.LEVELS]  # type: ignore[valid-type]


def _responsible_tag(value: Any) -> str:
    return "institution" if isinstance(value, str) else "level"


Responsible = Annotated[
    Union[Annotated[RecordId, Tag("institution")], Annotated[ResponsibleLevel, Tag("level")]],
    Discriminator(_responsible_tag),
]


class Measure(Model):
    id: str
    statement: Optional[str] = None
    effect: Literal[vocab.EFFECTS]  # type: ignore[valid-type]
    areas: list[Area] = Field(min_length=1)
    groups: list[Group] = Field(min_length=1)
    responsible: Optional[Responsible] = None
    budget: Optional[Budget] = Field(None, description="explicit null = unfunded; omitted = unknown")
    serves: list[str] = []


class RecordBase(Model):
    coherence: Literal[1] = Field(description="schema version")
    id: RecordId
    source: Optional[Source] = None
    notes: Optional[str] = None


class Policy(RecordBase):
    kind: Literal["policy"]
    title: Optional[str] = None
    type: Literal[vocab.POLICY_TYPES]  # type: ignore[valid-type]
    status: Literal[vocab.POLICY_STATUSES]  # type: ignore[valid-type]
    period: Optional[Period] = None
    jurisdiction: Jurisdiction
    sectors: list[Sector] = []
    lead_agency: Optional[RecordId] = None
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
    classification: Optional[str] = None
    codes: list[str] = []


class Quota(Model):
    per_year: int = Field(ge=0)


class SocialSecurityCoverage(Model):
    branches: list[Branch] = []
    totalisation: Optional[bool] = None
    export_of_benefits: Optional[bool] = None


class Recruitment(Model):
    fees_paid_by: Literal[vocab.FEES_PAID_BY]  # type: ignore[valid-type]


class SkillsRecognition(Model):
    occupations: list[str] = []


class DataExchange(Model):
    fields: list[str] = []
    classification: Optional[str] = None
    frequency: Optional[str] = None


class Agreement(RecordBase):
    kind: Literal["agreement"]
    title: Optional[str] = None
    agreement: RecordId = Field(description="key shared by both parties' records")
    recorded_by: Country
    type: Literal[vocab.AGREEMENT_TYPES]  # type: ignore[valid-type]
    parties: list[Country] = Field(min_length=2)
    status: Literal[vocab.AGREEMENT_STATUSES]  # type: ignore[valid-type]
    signed: Optional[dt.date] = None
    period: Optional[Period] = None
    groups: list[Group] = []
    occupations: Optional[Occupations] = None
    quota: Optional[Quota] = None
    social_security: Optional[SocialSecurityCoverage] = None
    recruitment: Optional[Recruitment] = None
    skills_recognition: Optional[SkillsRecognition] = None
    data_exchange: Optional[DataExchange] = None


class Institution(RecordBase):
    kind: Literal["institution"]
    name: str
    jurisdiction: Jurisdiction
    type: Literal[vocab.INSTITUTION_TYPES]  # type: ignore[valid-type]
    mandate: list[Area] = []
    decision_power: Optional[bool] = None
    budget: Optional[Budget] = Field(None, description="null = none; omitted = unknown")
    members: list[RecordId] = []
    parent: Optional[RecordId] = None


class Ratification(Model):
    instrument: Instrument
    year: Optional[int] = None
    accepted_branches: list[C118Branch] = []


class Commitments(RecordBase):
    kind: Literal["commitments"]
    title: Optional[str] = None
    country: Country
    ratified: list[Ratification] = []
    adopted: list[Instrument] = []


Record = Union[Policy, Agreement, Institution, Commitments]
MODELS: dict[str, type[RecordBase]] = {
    "policy": Policy, "agreement": Agreement, "institution": Institution, "commitments": Commitments,
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
