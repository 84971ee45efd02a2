"""The typed middle between the rule compiler and the engine: what one compiled rule asks for.

The compiler (compiler.py) turns a rule file into these values; only the engine (engine.py) turns
them into durable-rules' format and knows its workarounds. A `Query` is a list of patterns over
engine facts (constant tests, equality joins, negations) plus checks evaluated on each match;
the checks' semantics live here, as plain Python over matched facts.
"""

from __future__ import annotations

import operator
from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

from .catalogue import ends_meet
from .report import RuleDoc
from .template import Template

Scalar = bool | int | float | str
Fact = dict  # an engine fact: field -> scalar
Match = dict  # binding -> Fact
UNSTATED = ""


@dataclass(frozen=True)
class FieldTest:
    """A constant test on one field of the fact: eq, ne, ge (a number at least), in (one of)."""

    field: str
    op: Literal["eq", "ne", "ge", "in"]
    value: Scalar | tuple[Scalar, ...]

    def accepts(self, fact: Fact) -> bool:
        actual = fact[self.field]
        if self.op == "eq":
            return bool(actual == self.value)
        if self.op == "ne":
            return bool(actual != self.value)
        if isinstance(self.value, tuple):  # in
            return actual in self.value
        number = isinstance(actual, (int, float)) and not isinstance(actual, bool)  # ge
        return number and isinstance(self.value, (int, float)) and actual >= self.value


@dataclass(frozen=True)
class Join:
    """field == <binding>.<other> (a fact bound earlier)."""

    field: str
    binding: str
    other: str


@dataclass(frozen=True)
class Pattern:
    fact: str  # an engine fact type (catalogue.ENGINE_FIELDS)
    binding: str | None  # None: no fact like this may exist
    tests: tuple[FieldTest, ...] = ()
    joins: tuple[Join, ...] = ()

    @property
    def negated(self) -> bool:
        return self.binding is None


@dataclass(frozen=True)
class Ref:
    binding: str
    field: str

    def __call__(self, match: Match) -> Scalar:
        value: Scalar = match[self.binding][self.field]
        return value


@dataclass(frozen=True)
class Value:
    value: Scalar

    def __call__(self, match: Match) -> Scalar:
        return self.value


Operand = Ref | Value
_ORDER: dict[str, Callable[[Scalar, Scalar], bool]] = {
    "lt": operator.lt,
    "le": operator.le,
    "gt": operator.gt,
    "ge": operator.ge,
}


CompareOp = Literal["eq", "ne", "lt", "le", "gt", "ge"]


@dataclass(frozen=True)
class Compare:
    """eq, ne: exact; lt, le, gt, ge: false unless both sides are stated."""

    op: CompareOp
    left: Operand
    right: Operand

    def holds(self, match: Match) -> bool:
        left, right = self.left(match), self.right(match)
        if self.op == "eq":
            return left == right
        if self.op == "ne":
            return left != right
        return left != UNSTATED and right != UNSTATED and _ORDER[self.op](left, right)


@dataclass(frozen=True)
class Differ:
    """Both sides state the value, and they state it differently."""

    left: Operand
    right: Operand

    def holds(self, match: Match) -> bool:
        left, right = self.left(match), self.right(match)
        return left != UNSTATED and right != UNSTATED and left != right


@dataclass(frozen=True)
class Disjoint:
    """Two comma-joined lists share no item."""

    left: Operand
    right: Operand

    def holds(self, match: Match) -> bool:
        return not set(str(self.left(match)).split(",")) & set(str(self.right(match)).split(",")) - {UNSTATED}


@dataclass(frozen=True)
class OneOf:
    operand: Operand
    values: tuple[Scalar, ...]

    def holds(self, match: Match) -> bool:
        return self.operand(match) in self.values


@dataclass(frozen=True)
class PeriodsOverlap:
    """The two facts' periods overlap; an unstated bound is open."""

    a: str
    b: str

    def holds(self, match: Match) -> bool:
        a, b = match[self.a], match[self.b]
        return (not a["end"] or not b["start"] or b["start"] <= a["end"]) and (
            not b["end"] or not a["start"] or a["start"] <= b["end"]
        )


@dataclass(frozen=True)
class CorridorsMeet:
    """The two facts' corridors meet at both ends: each end shares a country (`any` meets anything)."""

    a: str
    b: str

    def holds(self, match: Match) -> bool:
        a, b = match[self.a], match[self.b]
        return all(ends_meet(a[end], b[end]) for end in ("origin", "destination"))


@dataclass(frozen=True)
class Distinct:
    """The two facts come from different places (records or YAML paths)."""

    a: str
    b: str

    def holds(self, match: Match) -> bool:
        a, b = match[self.a], match[self.b]
        return (a["ri"], a["yp"]) != (b["ri"], b["yp"])


@dataclass(frozen=True)
class AnyOf:
    checks: tuple[Check, ...]

    def holds(self, match: Match) -> bool:
        return any(check.holds(match) for check in self.checks)


Check = Compare | Differ | Disjoint | OneOf | PeriodsOverlap | CorridorsMeet | Distinct | AnyOf


@dataclass(frozen=True)
class Query:
    """One way the rule can match: its patterns (in order), the checks every match must pass,
    and the message its findings carry."""

    patterns: tuple[Pattern, ...]
    checks: tuple[Check, ...]
    message: Template

    def accepts(self, match: Match) -> bool:
        return all(check.holds(match) for check in self.checks)


@dataclass(frozen=True)
class At:
    """Where in a fact's record a finding points: a YAML path below the fact's own, or the path a
    hidden field of the fact holds (`field`)."""

    path: tuple[str | int, ...] = ()
    field: str = ""


@dataclass(frozen=True)
class ReportPlan:
    primary: str
    related: tuple[str, ...] = ()
    places: tuple[tuple[int, str, At], ...] = ()  # (query, binding, where its facts point): a binding's
    # fact type may differ between alternatives, and so may where its record states a field
    one_per: tuple[tuple[str, str], ...] = ()  # (binding, field or ""): one finding per distinct value
    every: tuple[str, str, str] | None = None  # (binding, field, count field): report only complete groups

    def place(self, query: int, binding: str) -> At:
        return next((at for q, b, at in self.places if q == query and b == binding), At())


@dataclass(frozen=True)
class CompiledRule:
    doc: RuleDoc
    origin: str  # "path:line" of the rule's definition
    queries: tuple[Query, ...]
    report: ReportPlan
    reads: tuple[tuple[str, tuple[str, ...]], ...]  # engine fact type -> the fields the rule reads
    scope: str = "country"  # the shards it runs in: one country's, or a linked pair of countries'

    @property
    def id(self) -> str:
        return self.doc.id
