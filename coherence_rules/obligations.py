"""The obligations table: what international instruments forbid, as data (IC001).

The built-in table lives in the rule pack (`rules/obligations.yaml`); a custom rule pack may
add an `obligations.yaml` of its own. Every entry cites its article.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from . import frameworks
from .errors import RulePackError
from .schema import Area, FeesPaidBy, Group, Instrument
from .toolfile import load_model, once_per_content

OBLIGATIONS_FILE = "obligations.yaml"


class Obligation(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    instrument: Instrument
    article: str = Field(min_length=1, description="e.g. 'Art 28'")
    summary: str = Field(min_length=10)
    source: str = Field(min_length=5, description="where the article can be read")
    effects: list[Literal["deny", "condition"]] = []
    areas: list[Area] = []
    groups: list[Group] = []
    fees_paid_by: list[FeesPaidBy] = Field([], description="agreement recruitment fees the instrument forbids")
    frameworks: list[str] = Field([], description="framework tags a breach of this article bears on (gcm:15 …)")
    only_when: Literal["sex", "sex_or_family"] | None = Field(
        None,
        description="only measures aimed at one sex (sex), or at one sex or a family status such as mothers of "
        "young children (sex_or_family): the article forbids the discrimination, not every restriction",
    )

    @field_validator("frameworks")
    @classmethod
    def _known_tags(cls, tags):
        return frameworks.checked(tags)

    @model_validator(mode="after")
    def _one_shape(self):
        statement = bool(self.effects and self.areas and self.groups)
        if statement == bool(self.fees_paid_by) or (not statement and (self.effects or self.areas or self.groups)):
            raise ValueError(
                "an obligation forbids either measures (effects, areas and groups) "
                "or agreement recruitment fees (fees_paid_by)"
            )
        return self


class ObligationTable(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)
    obligations: list[Obligation] = Field(min_length=1)


def load_obligations(directories: list[Path]) -> list[Obligation]:
    table: list[Obligation] = []
    for directory in directories:
        path = directory / OBLIGATIONS_FILE
        if path.is_file():
            table.extend(once_per_content(path, _obligations_in))
    return table


def _obligations_in(path: Path) -> list[Obligation]:
    return load_model(path, ObligationTable, error=RulePackError)[0].obligations
