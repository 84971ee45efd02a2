"""The message template language: `{a}`, `{a.field}`, `{groups}`, `{areas}`, `{corridor}`,
`{only(a.list, b.list)}` and `{differences}` in a rule's message. Parsed once here, checked against the
rule's bindings (and told how each field reads) by the compiler, rendered from the matched facts when
findings are built: in a policy reader's words, with instruments named by title and vocabulary nodes
and countries in plain words."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol

from . import parties, vocab

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_REF = re.compile(r"^([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)$")
_BINDING = re.compile(r"^[a-z][a-z0-9_]*$")


class Names(Protocol):
    """How a message names records: by title, not by id (the ids stay in the finding's records)."""

    def of_fact(self, fact: dict) -> str:
        """The record a fact comes from, and its objective or measure."""

    def of_record(self, record_id: str) -> str:
        """A record an id names (the id itself when the corpus has no such record)."""


class TemplateError(ValueError):
    pass


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class FieldValue:
    """`{a.field}`; `style` (set by the compiler from the fact catalogue) says how it reads: `node`
    and `nodes` are vocabulary words, `country`, `countries` and `end` are country codes or corridor
    ends, named; `record` is a record id, named by title; `verb` a stance or effect as a verb;
    `plain` is shown as it is (lists comma-spaced; unstated is 'unspecified')."""

    binding: str
    field: str
    style: str = "plain"
    label: str = ""  # how `{differences}` names the field


@dataclass(frozen=True)
class Name:
    """`{a}`: how a message names what `a` matched: its record by title, and the objective or measure."""

    binding: str


@dataclass(frozen=True)
class Only:
    """`{only(a.x, b.y)}`: items of one comma-joined list missing from the other ('none')."""

    left: FieldValue
    right: FieldValue


@dataclass(frozen=True)
class Where:
    """`{groups}`, `{areas}`: where the matched statements meet (the narrower of two overlapping
    nodes, with how a record narrows a group); `{corridor}`: " on the X→Y corridor", or nothing."""

    what: str


@dataclass(frozen=True)
class Differences:
    """`{differences}`: the fields two records state differently, and only those (the compiler
    takes the fields from the rule's `differ` check)."""

    a: str
    b: str
    fields: tuple[FieldValue, ...] = ()


Part = Text | FieldValue | Name | Only | Where | Differences


@dataclass(frozen=True)
class Template:
    parts: tuple[Part, ...]

    @property
    def references(self) -> list[FieldValue]:
        refs: list[FieldValue] = []
        for part in self.parts:
            if isinstance(part, FieldValue):
                refs.append(part)
            elif isinstance(part, Only):
                refs += [part.left, part.right]
        return refs

    def render(self, matches: list[dict], names: Names) -> str:
        """The message for a group of matches (binding -> fact); values come from the first."""
        first = matches[0]
        out = []
        for part in self.parts:
            if isinstance(part, Text):
                out.append(part.text)
            elif isinstance(part, FieldValue):
                value = first[part.binding][part.field]
                out.append(names.of_record(value) if part.style == "record" and value else show(value, part.style))
            elif isinstance(part, Name):
                out.append(names.of_fact(first[part.binding]))
            elif isinstance(part, Only):
                only = sorted(
                    set(_items(first[part.left.binding][part.left.field]))
                    - set(_items(first[part.right.binding][part.right.field]))
                )
                out.append(", ".join(show(item, part.left.style) for item in only) or "none")
            elif isinstance(part, Differences):
                out.append(_differences(first[part.a], first[part.b], part.fields))
            elif part.what == "corridor":
                out.append(_corridor(first))
            else:
                out.append(joined(_met(matches, part.what)))
        text = re.sub(r"(?<=s)'s\b", "'", "".join(out))  # a message's `{a.country}'s` for the Philippines
        return text[:1].upper() + text[1:]


def parse(text: str) -> Template:
    parts: list[Part] = []
    position = 0
    for placeholder in _PLACEHOLDER.finditer(text):
        if placeholder.start() > position:
            parts.append(Text(text[position : placeholder.start()]))
        parts.append(_placeholder(placeholder.group(1).strip()))
        position = placeholder.end()
    if position < len(text):
        parts.append(Text(text[position:]))
    return Template(tuple(parts))


def _ref(text: str) -> FieldValue:
    match = _REF.match(text.strip())
    if not match:
        raise TemplateError(f"'{text.strip()}' is not <binding>.<field>")
    return FieldValue(match.group(1), match.group(2))


def _placeholder(expression: str) -> Part:
    if expression in ("groups", "areas", "corridor"):
        return Where(expression)
    if expression == "differences":
        return Differences("", "")
    if expression.startswith("only(") and expression.endswith(")"):
        arguments = expression[5:-1].split(",")
        if len(arguments) != 2:
            raise TemplateError(f"'{{{expression}}}': only() takes two lists, e.g. only(a.codes, b.codes)")
        return Only(_ref(arguments[0]), _ref(arguments[1]))
    if "(" in expression:
        raise TemplateError(f"'{{{expression}}}': the only function is only(a.list, b.list)")
    if _BINDING.match(expression):
        return Name(expression)
    return _ref(expression)


def _end(value: str) -> str:
    """A corridor end in words: `any`, `Kuwait/Saudi Arabia`, `anywhere but Austria/Belgium`."""
    if value == "any":
        return "any"
    if value.startswith("!"):
        return "anywhere but " + "/".join(parties.country_name(c) for c in value[1:].split(","))
    return "/".join(parties.country_name(c) for c in value.split(","))


def show(value: object, style: str = "plain") -> str:
    """A fact value as a message shows it."""
    if isinstance(value, bool):
        return "true" if value else "false"  # as the record writes it
    if value == "":
        return "unspecified"
    text = str(value)
    if style == "node":
        return vocab.words(text)
    if style == "nodes":
        return joined([vocab.words(item) for item in _items(text)])
    if style in ("country", "countries"):
        return joined([parties.in_sentence(item) for item in _items(text)])
    if style == "end":  # one country reads as in a sentence; a set of ends as in a corridor
        return parties.in_sentence(text) if text.isalnum() or "-" in text else _end(text)
    if style == "verb":
        return vocab.VERBS.get(text, text)
    if style == "word":
        return text.replace("_", " ")
    return re.sub(r",(?=\S)", ", ", text)  # lists are comma-joined in facts; free text keeps its commas


def joined(items: list[str]) -> str:
    """`a`, `a and b`, `a, b and c`."""
    return f"{', '.join(items[:-1])} and {items[-1]}" if len(items) > 1 else "".join(items)


def _items(value) -> list[str]:
    return [v for v in str(value).split(",") if v]


def _differences(a: dict, b: dict, fields: tuple[FieldValue, ...]) -> str:
    """`period end: 2027-02-28 in Xaa's record, 2026-02-28 in Xab's`, for the fields stated differently."""
    owner_a = (
        f"{parties.possessive(parties.in_sentence(a['recorded_by']))} record" if a.get("recorded_by") else "one record"
    )
    owner_b = parties.possessive(parties.in_sentence(b["recorded_by"])) if b.get("recorded_by") else "the other's"
    out = []
    for field in fields:
        x, y = a[field.field], b[field.field]
        if x == "" or y == "" or x == y:
            continue
        if field.style in ("nodes", "countries") or "," in f"{x}{y}":
            only_a = [show(i, field.style.rstrip("s")) for i in _items(x) if i not in _items(y)]
            only_b = [show(i, field.style.rstrip("s")) for i in _items(y) if i not in _items(x)]
            sides = [
                f"{', '.join(only_a)} only in {owner_a}" if only_a else "",
                f"{', '.join(only_b)} only in {owner_b}" if only_b else "",
            ]
            out.append(f"{field.label}: {'; '.join(s for s in sides if s)}")
        else:
            out.append(f"{field.label}: {show(x, field.style)} in {owner_a}, {show(y, field.style)} in {owner_b}")
    return "; ".join(out) or "no stated difference"


def _corridor(match: dict) -> str:
    ends = []
    for end in ("origin", "destination"):
        specific = sorted({f[end] for f in match.values() if f.get(end, "any") != "any"})
        ends.append(" or ".join(_end(v) for v in specific) or "any")
    return "" if ends == ["any", "any"] else f" on the {ends[0]}→{ends[1]} corridor"


def _met(matches: list[dict], what: str) -> list[str]:
    """Where each match's statements meet: the deepest of their nodes (all on one chain of the
    tree, whether two covers met on a common node or a named node met another's span)."""
    key, tree = ("group", vocab.GROUPS) if what == "groups" else ("area", vocab.AREAS)
    met: set[str] = set()
    scopes: dict[str, str] = {}  # a met node the record narrows (a partial scope reads as partial)
    for match in matches:
        statements = [fact for fact in match.values() if f"named_{key}" in fact]
        nodes = {fact[key] for fact in statements} | {fact[f"named_{key}"] for fact in statements}
        if nodes:
            deepest = max(sorted(nodes), key=tree.depth)  # sorted: equally deep nodes tie in set order
            met.add(deepest)
            for fact in statements:  # groups only: a scope narrows a group
                if key == "group" and fact.get("scope") and fact["named_group"] == deepest:
                    scopes[deepest] = fact["scope"]
    return [
        f"{vocab.words(node)} ({scopes[node]})" if node in scopes else vocab.words(node) for node in tree.roots_of(met)
    ]
