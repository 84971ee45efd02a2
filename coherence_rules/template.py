"""The message template language: `{a}`, `{a.field}`, `{groups}`, `{areas}`, `{corridor}` and
`{only(a.list, b.list)}` in a rule's message. Parsed once here, checked against the rule's bindings
by the compiler, rendered from the matched facts when findings are built."""

from __future__ import annotations

import re
from dataclasses import dataclass

from . import vocab

_PLACEHOLDER = re.compile(r"\{([^{}]*)\}")
_REF = re.compile(r"^([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)$")
_BINDING = re.compile(r"^[a-z][a-z0-9_]*$")


class TemplateError(ValueError):
    pass


@dataclass(frozen=True)
class Text:
    text: str


@dataclass(frozen=True)
class FieldValue:
    """`{a.field}`: lists are comma-joined in facts and shown spaced; unstated is 'unspecified'."""

    binding: str
    field: str


@dataclass(frozen=True)
class Name:
    """`{a}`: how a message names what `a` matched — its record, and its label when its facts have
    one (`labelled`, which the compiler decides from the fact type)."""

    binding: str
    labelled: bool = False


@dataclass(frozen=True)
class Only:
    """`{only(a.x, b.y)}`: items of one comma-joined list missing from the other ('none')."""

    left: FieldValue
    right: FieldValue


@dataclass(frozen=True)
class Where:
    """`{groups}`, `{areas}`: where the matched statements meet (the narrower of two overlapping
    nodes); `{corridor}`: " on the X→Y corridor", or nothing when both ends are open."""

    what: str


Part = Text | FieldValue | Name | Only | Where


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

    def render(self, matches: list[dict]) -> str:
        """The message for a group of matches (binding -> fact); values come from the first."""
        first = matches[0]
        out = []
        for part in self.parts:
            if isinstance(part, Text):
                out.append(part.text)
            elif isinstance(part, FieldValue):
                out.append(_show(first[part.binding][part.field]))
            elif isinstance(part, Name):
                fact = first[part.binding]
                out.append(f"{fact['record']} {fact['label']}" if part.labelled else str(fact["record"]))
            elif isinstance(part, Only):
                only = sorted(
                    set(_items(first[part.left.binding][part.left.field]))
                    - set(_items(first[part.right.binding][part.right.field]))
                )
                out.append(", ".join(only) or "none")
            elif part.what == "corridor":
                out.append(_corridor(first))
            else:
                out.append(", ".join(_met(matches, part.what)))
        return "".join(out)


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


def _show(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"  # as the record writes it
    if value == "":
        return "unspecified"
    return re.sub(r",(?=\S)", ", ", str(value))  # lists are comma-joined in facts; free text keeps its commas


def _items(value) -> list[str]:
    return [v for v in str(value).split(",") if v]


def _corridor(match: dict) -> str:
    ends = []
    for end in ("origin", "destination"):
        specific = sorted({f[end] for f in match.values() if f.get(end, "any") != "any"})
        ends.append("/".join(specific) or "any")
    return "" if ends == ["any", "any"] else f" on the {ends[0]}→{ends[1]} corridor"


def _met(matches: list[dict], what: str) -> list[str]:
    """Where each match's statements meet: the deepest of their nodes (all on one chain of the
    tree, whether two covers met on a common node or a named node met another's span)."""
    key, tree = ("group", vocab.GROUPS) if what == "groups" else ("area", vocab.AREAS)
    met: set[str] = set()
    for match in matches:
        statements = [fact for fact in match.values() if f"named_{key}" in fact]
        nodes = {fact[key] for fact in statements} | {fact[f"named_{key}"] for fact in statements}
        if nodes:
            met.add(max(sorted(nodes), key=tree.depth))  # sorted: equally deep nodes tie in set order
    return tree.roots_of(met)
