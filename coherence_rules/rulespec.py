"""The declarative rule format (rules/<family>/<ID>-<name>.yaml) and its loader.

A rule file is validated by these models, then checked against the fact catalogue
(compiler.py) before anything reaches the engine. A malformed rule file is a
RulePackError with file:line, never a crash mid-run.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal, Optional, Union

from pydantic import BaseModel, ConfigDict, Field, field_validator

from .validate import ModelFileError, load_model

RULE_ID = r"^[A-Z]{2,4}[0-9]{3}$"
NAME = r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$"
BIND = r"^[a-z][a-z0-9_]*$"
RESERVED_BINDINGS = {"m", "s", "trigger", "sid", "id", "t"}

Scalar = Union[bool, int, str]


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InList(Spec):
    in_: list[Scalar] = Field(alias="in", min_length=1)


class NotEqual(Spec):
    not_: Scalar = Field(alias="not")


class Under(Spec):
    under: Union[str, list[str]]


class AtLeast(Spec):
    at_least: int


Test = Union[Scalar, InList, NotEqual, Under, AtLeast]


class Pattern(Spec):
    """A fact the rule needs (bind) or one that must not exist (absent)."""
    fact: str
    where: dict[str, Test] = {}
    join: dict[str, str] = Field({}, description="field: <binding>.<field> equalities with earlier facts")


class Bind(Pattern):
    bind: str = Field(pattern=BIND)


class Absent(Spec):
    absent: Pattern


CheckOp = Literal["eq", "ne", "lt", "le", "gt", "ge", "differ", "disjoint", "overlap", "compatible", "any"]
# A check is a one-key mapping `{op: [args]}` comparing matched facts. Checks run on the
# engine's matches because inequality joins inside the engine overflow a heap buffer
# (engine-notes.md); `any` holds nested checks of which one must hold.
Check = dict[CheckOp, list[Any]]


class AllOf(Spec):
    """Report a group of matches only when it holds every value: `each` (a <binding>.<field>)
    must take as many distinct values as `count` (a <binding>.<field>) says there are."""
    each: str
    count: str


class Report(Spec):
    primary: str
    at: str = Field("", description="a YAML path inside the primary record, or $field to take it from a fact field")
    related: list[str] = []
    related_at: dict[str, str] = {}
    group_by: list[str] = Field([], description="bindings or <binding>.<field>s: one finding per distinct value")
    all_of: Optional[AllOf] = None


class Examples(Spec):
    bad: str
    good: str


class Expectation(Spec):
    rule: str
    path: str
    line: int
    records: list[str]


class FixtureCase(Spec):
    name: str
    files: dict[str, str] = Field(min_length=1)
    expect: list[Expectation] = []
    as_of: Optional[str] = None


class LocalCheck(Spec):
    """Checks that apply to one alternative of `match: {any: ...}` only."""
    check: list[Check] = Field(min_length=1)


class LocalMessage(Spec):
    """The message of one alternative of `match: {any: ...}`, when its facts differ from the others'."""
    message: str = Field(min_length=10)


Patterns = list[Union[Bind, Absent, LocalCheck, LocalMessage]]


class MatchAny(Spec):
    """Alternative pattern lists: the rule fires when any of them matches."""
    any: list[Patterns] = Field(min_length=2)


class RuleSpec(Spec):
    id: str = Field(pattern=RULE_ID)
    name: str = Field(pattern=NAME)
    family: str = Field(pattern=r"^[A-Z]{2,4}$")
    severity: Literal["error", "warning", "info"]
    summary: str = Field(min_length=10)
    rationale: str = Field(min_length=20)
    sources: list[str] = Field(min_length=1)
    message: str = Field(min_length=10)
    match: Union[Patterns, MatchAny]
    check: list[Check] = []
    report: Report
    examples: Examples
    tests: list[FixtureCase] = []

    @field_validator("match")
    @classmethod
    def _first_binds(cls, match):
        for patterns in match.any if isinstance(match, MatchAny) else [match]:
            if not patterns or not isinstance(patterns[0], Bind):
                raise ValueError("each pattern list must start by binding a fact (never with `absent`)")
        return match

    @field_validator("check")
    @classmethod
    def _one_op_per_check(cls, checks):
        for check in checks:
            if len(check) != 1:
                raise ValueError("each check is a mapping with exactly one operator, e.g. {differ: [a.x, b.x]}")
        return checks

    @property
    def alternatives(self) -> list[Patterns]:
        return self.match.any if isinstance(self.match, MatchAny) else [self.match]


@dataclass(frozen=True)
class LoadedRule:
    spec: RuleSpec
    path: str
    line: int  # where the rule's mapping starts


class RulePackError(Exception):
    """A rule file that cannot be used: the message starts with file:line."""


def builtin_rules_dir() -> Path:
    """`rules/` ships in the wheel as coherence_rules/rulepack; a checkout uses rules/ itself."""
    installed = Path(__file__).resolve().parent / "rulepack"
    return installed if installed.is_dir() else Path(__file__).resolve().parent.parent / "rules"


def load_rule_file(path: Path) -> LoadedRule:
    try:
        spec, document = load_model(path, RuleSpec)
    except ModelFileError as exc:
        raise RulePackError(str(exc)) from None
    stem = f"{spec.id}-{spec.name}"
    if path.stem != stem:
        raise RulePackError(f"{path}:1: file name must be {stem}.yaml (the rule's id and name)")
    return LoadedRule(spec, str(path), document.span(()).line)


def load_rule_dirs(directories: list[Path]) -> list[LoadedRule]:
    """Every `*.yaml` rule under the directories, in id order; ids and names unique."""
    rules: list[LoadedRule] = []
    for directory in directories:
        if not directory.is_dir():
            raise RulePackError(f"{directory}: not a directory of rules")
        for path in sorted(directory.rglob("*.yaml")):
            if path.name != "obligations.yaml":  # data for IC001, not a rule (obligations.py)
                rules.append(load_rule_file(path))
    seen: dict[str, LoadedRule] = {}
    for rule in rules:
        for key in (rule.spec.id, rule.spec.name):
            if key in seen:
                raise RulePackError(f"{rule.path}:{rule.line}: '{key}' is already defined in {seen[key].path}")
            seen[key] = rule
    return sorted(rules, key=lambda r: r.spec.id)


TEMPLATE_FIELD = re.compile(r"\{([^{}]*)\}")
