"""The rule language: rule files (rules/<family>/<ID>-<name>.yaml), rule families (one template,
several rules: rules/<family>/<FAMILY>-<name>.yaml with `template:` and `rules:`), and loading
them. A rule file is validated by these models before the compiler (compiler.py) checks its names
against the fact catalogue; a malformed file is a RulePackError with file:line, never a crash.

A match item reads like the condition it states:

    - a: objective                    # bind an objective to `a`
      where: {active: true, pole: positive}
    - b: objective
      where: {active: true, pole: negative}
      same: {jurisdiction: a}         # b.jurisdiction == a.jurisdiction
      overlaps: a                     # b and a apply to a common group and area
    - absent: agreement               # no such agreement may exist
      same: {pair: a}
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, ValidationError, field_validator, model_validator

from . import frameworks
from .errors import RulePackError
from .load import Document
from .report import RuleDoc
from .schema_errors import first_error
from .toolfile import once_per_content, read_document, validate

RULE_ID = r"^[A-Z]{2,4}[0-9]{3}$"
NAME = r"^[a-z][a-z0-9]*(-[a-z0-9]+)*$"
BIND = r"^[a-z][a-z0-9_]*$"
PATTERN_KEYS = ("where", "same", "stated", "unstated", "overlaps")
# Names the engine uses itself, and the language's own keys, cannot name a binding.
RESERVED_BINDINGS = frozenset({"m", "s", "trigger", "sid", "id", "t", "n", "absent", "check", "message", *PATTERN_KEYS})

OLD_SYNTAX = (
    "this is the old rule syntax: write `- a: <fact>` instead of `bind: a` + `fact:`, and `same:` instead "
    "of `join:` (docs/writing-rules.md, 'From the old rule syntax', lists every renamed fact and field)"
)

Scalar = bool | int | float | str


class Spec(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class InList(Spec):
    in_: list[Scalar] = Field(alias="in", min_length=1)


class NotEqual(Spec):
    not_: Scalar = Field(alias="not")


class Under(Spec):
    under: str | list[str]


class NotIn(Spec):
    not_in: list[Scalar] = Field(min_length=1)


class AtLeast(Spec):
    at_least: int


Test = Scalar | InList | NotEqual | NotIn | Under | AtLeast


def _not_old_syntax(data: Any) -> None:
    if isinstance(data, dict) and {"bind", "fact", "join"} & set(data):
        raise ValueError(OLD_SYNTAX)


class Pattern(Spec):
    where: dict[str, Test] = Field({}, description="tests on the fact's own fields")
    same: dict[str, str] = Field({}, description="field: binding (the same field) or binding.field")
    stated: list[str] = Field([], description="fields the record must state")
    unstated: list[str] = Field([], description="fields the record must not state")
    overlaps: str | None = Field(
        None, description="a binding (groups and areas overlap) or binding.group / binding.area"
    )


class Bind(Pattern):
    """`- a: objective`: a fact that must exist, bound to a name."""

    bind: str = Field(pattern=BIND)
    fact: str

    @model_validator(mode="before")
    @classmethod
    def _binding_key(cls, data: Any) -> Any:
        _not_old_syntax(data)
        if not isinstance(data, dict):
            return data
        names = [k for k in data if k not in PATTERN_KEYS]
        if len(names) != 1:
            raise ValueError(
                "a match item binds one fact, `- a: objective` (plus where/same/stated/unstated/overlaps), "
                f"or is `absent: <fact>`, `check: [...]` or `message: ...`; found keys {sorted(data)}"
            )
        name = names[0]
        if not isinstance(name, str) or not isinstance(data[name], str):
            raise ValueError(f"`{name}: {data[name]!r}`: a binding names a fact type, e.g. `a: objective`")
        return {"bind": name, "fact": data[name], **{k: v for k, v in data.items() if k != name}}


class Absent(Pattern):
    """`- absent: agreement`: no fact like this may exist."""

    absent: str

    @model_validator(mode="before")
    @classmethod
    def _current_syntax(cls, data: Any) -> Any:
        _not_old_syntax(data)
        return data


class LocalCheck(Spec):
    """Checks that apply to one alternative of `match: {any: ...}` only."""

    check: list[dict[str, Any]] = Field(min_length=1)


class LocalMessage(Spec):
    """The message of one alternative of `match: {any: ...}`, when its facts differ from the others'."""

    message: str = Field(min_length=10)


def _item_kind(value: Any) -> str:
    if isinstance(value, dict):
        for key in ("absent", "check", "message"):
            if key in value:
                return key
    return "bind"


Item = Annotated[
    Annotated[Bind, Tag("bind")]
    | Annotated[Absent, Tag("absent")]
    | Annotated[LocalCheck, Tag("check")]
    | Annotated[LocalMessage, Tag("message")],
    Discriminator(_item_kind),
]
Items = list[Item]


class MatchAny(Spec):
    """Alternative item lists: the rule fires when any of them matches."""

    any: list[Items] = Field(min_length=2)


class Report(Spec):
    primary: str
    at: str = Field(
        "", description="a YAML path inside the primary's record (a.b.0), or a field that says where it is stated"
    )
    related: list[str] = []
    related_at: dict[str, str] = {}
    one_per: list[str] = Field([], description="bindings or binding.fields: one finding per distinct value")
    every: str | None = Field(
        None, description="binding.field: report only when the matches hold every value the record has"
    )


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
    as_of: str | None = None


class RuleSpec(Spec):
    id: str = Field(pattern=RULE_ID)
    name: str = Field(pattern=NAME)
    family: str = Field(pattern=r"^[A-Z]{2,4}$")
    severity: Literal["error", "warning", "info"]
    summary: str = Field(min_length=10)
    condition: str = Field(min_length=20, description="the precise condition, in one or two sentences")
    rationale: str = Field(min_length=20, description="why it matters")
    sources: list[str] = Field(min_length=1)
    action: str = Field(min_length=10, description="what a reviewer would ask the drafters to do")
    frameworks: list[str] = Field(
        [], description="tags: gcm:22, gcm:whole-of-government, migof:principle-2, mgi:2, picmd:1"
    )
    message: str = Field(min_length=10)
    match: Items | MatchAny
    pairs: Literal["unordered"] | None = None
    scope: Literal["country", "pair"] = Field(
        "country", description="pair: the rule joins two countries' own policies (shards.py)"
    )
    check: list[dict[str, Any]] = []
    report: Report
    examples: Examples
    tests: list[FixtureCase] = []

    @field_validator("match")
    @classmethod
    def _first_binds(cls, match):
        for items in match.any if isinstance(match, MatchAny) else [match]:
            if not items or not isinstance(items[0], Bind):
                raise ValueError("each item list must start by binding a fact (never with `absent`)")
        return match

    @field_validator("frameworks")
    @classmethod
    def _known_tags(cls, tags):
        return frameworks.checked(tags)

    @field_validator("check")
    @classmethod
    def _one_op_per_check(cls, checks):
        for check in checks:
            if len(check) != 1:
                raise ValueError("each check is a mapping with exactly one operator, e.g. {differ: [a.x, b.x]}")
        return checks

    @property
    def alternatives(self) -> list[Items]:
        return self.match.any if isinstance(self.match, MatchAny) else [self.match]

    def doc(self) -> RuleDoc:
        return RuleDoc(
            id=self.id,
            name=self.name,
            family=self.family,
            severity=self.severity,
            summary=self.summary,
            condition=" ".join(self.condition.split()),
            rationale=" ".join(self.rationale.split()),
            sources=tuple(self.sources),
            bad=self.examples.bad,
            good=self.examples.good,
            action=" ".join(self.action.split()),
            frameworks=tuple(self.frameworks),
        )


class FamilyFile(Spec):
    """Several rules from one template: each entry of `rules` is the template with the entry's own
    keys added (an entry's key replaces the template's), after every template value that is exactly
    `$name` is replaced by the entry's `params[name]`."""

    family: str = Field(pattern=r"^[A-Z]{2,4}$")
    template: dict[str, Any]
    shared_tests: list[FixtureCase] = Field([], description="fixture cases every rule of the family must pass")
    rules: list[dict[str, Any]] = Field(min_length=1)


@dataclass(frozen=True)
class LoadedRule:
    spec: RuleSpec
    path: str
    line: int  # where the rule's mapping starts
    document: Document | None = field(default=None, compare=False, repr=False)
    prefix: tuple = ()  # the rule's YAML path inside its file (a family member's entry)

    @property
    def origin(self) -> str:
        return f"{self.path}:{self.line}"

    def line_of(self, yaml_path: tuple) -> int:
        """The line of a YAML path inside the rule (the nearest that is written there)."""
        if self.document is None:
            return self.line
        if self.prefix and yaml_path and yaml_path[0] not in (self.document.data["rules"][self.prefix[1]]):
            return self.document.span(("template", *yaml_path)).line  # a key the member takes from the template
        return self.document.span((*self.prefix, *yaml_path)).line


def _substitute(value: Any, params: dict[str, Any]) -> Any:
    if isinstance(value, str) and value.startswith("$") and value[1:] in params:
        return copy.deepcopy(params[value[1:]])
    if isinstance(value, dict):
        return {k: _substitute(v, params) for k, v in value.items()}
    if isinstance(value, list):
        return [_substitute(v, params) for v in value]
    return value


def _family_rules(path: Path, family: FamilyFile, document: Document) -> list[LoadedRule]:
    rules = []
    shared = [case.model_dump(by_alias=True, exclude_defaults=True) for case in family.shared_tests]
    for i, entry in enumerate(family.rules):
        params = entry.get("params", {})
        if not isinstance(params, dict):
            raise RulePackError(f"{path}:{document.span(('rules', i, 'params')).line}: params must be a mapping")
        data = {
            "family": family.family,
            **_substitute(family.template, params),
            **{k: v for k, v in entry.items() if k != "params"},
        }
        data["tests"] = [*data.get("tests", []), *shared]
        try:
            spec = RuleSpec.model_validate(data)
        except ValidationError as exc:
            message, at = first_error(RuleSpec, data, exc)
            where = ("rules", i, *at) if at and at[0] in entry else ("template", *at)
            raise RulePackError(f"{path}:{document.span(where).line}: {message}") from None
        rules.append(LoadedRule(spec, str(path), document.span(("rules", i)).line, document, ("rules", i)))
    return rules


def load_rule_file(path: Path) -> list[LoadedRule]:
    """The rules of one file: a rule, or a family of rules (a file with `template:`)."""
    document = read_document(path, RulePackError)
    data = document.data if document else None
    if isinstance(data, dict) and "template" in data:
        assert document is not None
        family = validate(FamilyFile, data, document, path, RulePackError)
        if not path.stem.startswith(f"{family.family}-"):
            raise RulePackError(f"{path}:1: a family file's name starts with its family: {family.family}-<name>.yaml")
        return _family_rules(path, family, document)
    spec = validate(RuleSpec, data, document, path, RulePackError)
    stem = f"{spec.id}-{spec.name}"
    if path.stem != stem:
        raise RulePackError(f"{path}:1: file name must be {stem}.yaml (the rule's id and name)")
    return [LoadedRule(spec, str(path), document.span(()).line if document else 1, document)]


def load_rule_dirs(directories: list[Path]) -> list[LoadedRule]:
    """Every rule under the directories, in id order; ids and names unique."""
    rules: list[LoadedRule] = []
    for directory in directories:
        if not directory.is_dir():
            raise RulePackError(f"{directory}: not a directory of rules")
        for path in sorted(directory.rglob("*.yaml")):
            if path.name != "obligations.yaml":  # data for IC001, not a rule (obligations.py)
                rules.extend(once_per_content(path, load_rule_file))
    seen: dict[str, LoadedRule] = {}
    for rule in rules:
        for key in (rule.spec.id, rule.spec.name):
            if key in seen:
                raise RulePackError(f"{rule.origin}: '{key}' is already defined in {seen[key].path}")
            seen[key] = rule
    return sorted(rules, key=lambda r: r.spec.id)
