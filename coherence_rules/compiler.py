"""Compile rules (rulespec.py) into the typed middle form (ir.py).

The compiler resolves every name a rule uses against the fact catalogue (catalogue.py), records the
fields each rule reads (the engine gets no others), and lowers the language's shorthands to the
devices that keep durable-rules fast and correct (docs/engine-notes.md):

- `overlaps:` between two statements becomes an equality join on tree nodes: one statement as one
  fact per node it covers (its named nodes alone when nothing else needs the others), the other as
  one fact per node it spans (at, above or below its own), so each overlapping pair matches once;
- an `absent` item that overlaps a binding matches the span of what must not exist;
- `stated`/`unstated` test the catalogue's one "not stated" value; `pairs: unordered` keeps one
  of each mirrored pair;
- an `absent` item that compares with two bindings is rewritten to compare with one of them when
  the rule's joins make the values equal, and refused otherwise (durable-rules answers negations
  joined to two bindings wrongly).

What the engine cannot do at all (its rule limits, `in` beside a join) is the engine's business.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass, field
from typing import Any

from . import catalogue
from .catalogue import AUTHOR_TYPES, UNSTATED, FactType
from .catalogue import Field as CatalogueField
from .errors import RulePackError
from .ir import (
    AnyOf,
    At,
    Check,
    Compare,
    CompareOp,
    CompiledRule,
    CorridorsMeet,
    Differ,
    Disjoint,
    Distinct,
    FieldTest,
    Join,
    OneOf,
    Operand,
    Pattern,
    PeriodsOverlap,
    Query,
    Ref,
    ReportPlan,
    Value,
)
from .rulespec import (
    RESERVED_BINDINGS,
    Absent,
    AtLeast,
    Bind,
    InList,
    Items,
    LoadedRule,
    LocalCheck,
    LocalMessage,
    MatchAny,
    NotEqual,
    NotIn,
    Under,
)
from .schema_errors import suggest
from .template import Differences, FieldValue, Name, Only, Part, Template, TemplateError, Where, parse

TREE = ("group", "area")  # the nodes a statement applies to; named_group/named_area are what it names

# The old rule syntax's fact and field names, so that an old rule is told exactly what to write.
OLD_FACTS = {
    "cover": "statement (with `overlaps:`, or tests on group/area)",
    "span": "statement (with `overlaps:`)",
    "reach": "statement or admission in an `absent` item with `overlaps: <binding>.group`",
    "instrument_ref": "invocation",
    "agreement_cover": "admission",
    "ss_cover": "coverage",
    "agreement_record": "agreement",
    "agreement_party": "party",
    "link": "implements",
    "mandate": "mandate_area",
    "ratified": "ratification (or ratified_branch for the branches)",
    "coord_link": "policy (its `coordination`)",
}
OLD_FIELDS = {
    "rid": "record",
    "ri": "record",
    "yp": "report `at:`",
    "pfrom": "start",
    "pto": "end",
    "g": "group",
    "g_own": "named_group",
    "area_own": "named_area",
    "stype": "kind",
    "jkey": "jurisdiction",
    "resp_level": "responsible_level",
    "resp_inst": "responsible_institution",
    "lead_yp": "report `at: lead`",
    "coord_power": "coordination_power",
    "n_coordination": "coordination_count",
    "n_indicators": "indicator_count",
    "n_areas": "area_count",
    "n_sectors": "sector_count",
    "n_mandate": "mandate_count",
    "n_members": "member_count",
    "n_parties": "party_count",
    "n_codes": "code_count",
    "ss_branches": "branches",
    "export": "export_of_benefits",
    "fees": "fees_paid_by",
    "dx_classification": "data_classification",
    "dx_fields": "data_fields",
    "signed_over_3y": "signed_more_than_3_years_ago",
    "from_year": "start_year",
    "to_year": "end_year",
    "stmt": "objective (an indicator's objective key)",
    "own": "`overlaps:`",
}
OLD_CHECKS = {"overlap": "periods_overlap", "compatible": "corridors_meet"}
COMPARE_OPS: tuple[CompareOp, ...] = ("eq", "ne", "lt", "le", "gt", "ge")


def _fail(rule: LoadedRule, message: str, at: tuple = ()) -> RulePackError:
    return RulePackError(f"{rule.path}:{rule.line_of(at)}: {rule.spec.id}: {message}")


@dataclass
class _Alternative:
    """One alternative while it compiles: its bindings and what they read."""

    rule: LoadedRule
    items: list
    base: tuple = ("match",)  # the YAML path of this alternative's items
    at: tuple = ()  # the YAML path being compiled: errors point at its line
    types: dict[str, FactType] = field(default_factory=dict)  # binding -> author fact type
    views: dict[str, str] = field(default_factory=dict)  # binding -> engine fact type
    own: set[str] = field(default_factory=set)  # cover bindings matched on their named nodes only
    reads: dict[str, set[str]] = field(default_factory=dict)  # engine fact type -> fields

    def fail(self, message: str) -> RulePackError:
        return _fail(self.rule, message, self.at)

    def fact_type(self, name: str, what: str) -> FactType:
        if name in AUTHOR_TYPES:
            return AUTHOR_TYPES[name]
        hint = f" (renamed: {OLD_FACTS[name]})" if name in OLD_FACTS else suggest(name, AUTHOR_TYPES)
        raise self.fail(f"{what}: unknown fact type '{name}'{hint}; facts: {', '.join(AUTHOR_TYPES)}")

    def field_of(self, fact_type: FactType, name: str, what: str) -> CatalogueField:
        if name in fact_type.fields:
            return fact_type.fields[name]
        hint = f" (renamed: {OLD_FIELDS[name]})" if name in OLD_FIELDS else suggest(name, fact_type.fields)
        raise self.fail(f"{what}: fact '{fact_type.name}' has no field '{name}'{hint}")

    def read(self, view: str, *fields: str) -> None:
        self.reads.setdefault(view, set()).update(fields)

    def ref(self, text: Any, what: str) -> Ref:
        """`binding.field` of a binding bound so far; its field is recorded as read."""
        if not isinstance(text, str) or text.count(".") != 1:
            raise self.fail(f"{what}: '{text}' is not <binding>.<field>")
        binding, name = text.split(".")
        self.field_of(self.bound(binding, what), name, what)
        self.read(self.views[binding], name)
        return Ref(binding, name)

    def bound(self, binding: str, what: str) -> FactType:
        if binding not in self.types:
            raise self.fail(f"{what}: '{binding}' is not bound before this point")
        return self.types[binding]


def _targets(item) -> tuple[str, tuple[str, ...]] | None:
    """(binding, trees) of an item's `overlaps:`."""
    if item.overlaps is None:
        return None
    binding, _, tree = item.overlaps.partition(".")
    return binding, ((tree,) if tree else TREE)


def _compared(items: list, text_refs: list[tuple[str, str]], fields: tuple[str, ...]) -> set[str]:
    """Bindings one of whose `fields` something compares (joins, checks, message, report), other than
    through `overlaps:`."""
    refs = {b for b, f in text_refs if f in fields}
    for item in items:
        if isinstance(item, (Bind, Absent)):
            for name, source in item.same.items():
                binding, _, other = source.partition(".")
                if (other or name) in fields:
                    refs.add(binding)
    return refs


def _decide_views(alt: _Alternative, text_refs: list[tuple[str, str]]) -> None:
    """Which engine view each binding is matched as (catalogue.py): the plain view, `cover` (one fact
    per node it applies to; only its named nodes, `own`, when nothing needs the others) or `span`.
    Of two overlapping statements at most one is a span; a tested node forces covers on both, so
    that they meet at a node that passes the test."""
    items = alt.items
    all_tree = ("group", "area", "named_group", "named_area")
    on_tree = _compared(items, text_refs, all_tree)  # need the tree fields at all
    on_nodes = _compared(items, text_refs, TREE)  # need every node they apply to
    tested = {i.bind for i in items if isinstance(i, Bind) and set(i.where) & set(TREE)}
    wants_nodes = any(isinstance(p, Where) and p.what != "corridor" for p in _parts(alt))
    overlapped_by: dict[str, list[str]] = {}
    for i, item in enumerate(items):
        if not isinstance(item, Bind):
            continue
        alt.at = (*alt.base, i, item.bind)
        fact_type = alt.fact_type(item.fact, f"binding '{item.bind}'")
        target = _targets(item)
        if target and not fact_type.cover:
            raise alt.fail(f"binding '{item.bind}': a {fact_type.name} cannot overlap; join it with `same:`")
        if target:
            if target[0] not in alt.types or not alt.types[target[0]].cover:
                raise alt.fail(f"binding '{item.bind}': overlaps '{target[0]}', which is not a statement bound before")
            overlapped_by.setdefault(target[0], []).append(item.bind)
            spanning = not ({item.bind, target[0]} & (tested | on_nodes)) and alt.views[target[0]] != fact_type.span
            view = fact_type.span if spanning else fact_type.cover
        elif fact_type.cover and (
            set([*item.where, *item.stated, *item.unstated]) & set(all_tree)
            or item.bind in on_tree
            or _overlapped_later(items, item.bind)
            or wants_nodes
        ):
            view = fact_type.cover
        else:
            view = fact_type.engine
        alt.types[item.bind] = fact_type
        alt.views[item.bind] = view
    for binding, view in alt.views.items():
        item = next(i for i in items if isinstance(i, Bind) and i.bind == binding)
        if (
            view == "cover"
            and binding not in tested | on_nodes
            and item.overlaps is None
            and all(alt.views[b] == "span" for b in overlapped_by.get(binding, []))
        ):
            alt.own.add(binding)


def _overlapped_later(items: list, binding: str) -> bool:
    return any(isinstance(i, (Bind, Absent)) and (_targets(i) or ("",))[0] == binding for i in items)


def _parts(alt: _Alternative):
    message = next((i.message for i in alt.items if isinstance(i, LocalMessage)), alt.rule.spec.message)
    try:
        return parse(message).parts
    except TemplateError:
        return ()  # reported when the message is checked


def _value(alt: _Alternative, spec: CatalogueField, value: Any, what: str) -> Any:
    """A constant a rule compares a field with, checked against what the field can hold."""
    ok = {
        "bool": isinstance(value, bool),
        "int": isinstance(value, int) and not isinstance(value, bool),
        "number": isinstance(value, (int, float)) and not isinstance(value, bool),
    }.get(spec.type, isinstance(value, str))
    if not ok:
        raise alt.fail(f"{what}: {spec.name} holds {'a' if spec.type != 'int' else 'an'} {spec.type}, not {value!r}")
    choices = spec.tree.nodes if spec.tree else spec.values
    if choices and value not in choices:
        raise alt.fail(f"{what}: '{value}' is not a value of {spec.name}{suggest(value, choices)}")
    return value


def _tests(alt: _Alternative, fact_type: FactType, item, what: str) -> list[FieldTest]:
    tests = [FieldTest(name, "eq", value) for name, value in fact_type.implied]
    item_at = alt.at
    for name, test in item.where.items():
        alt.at = (*item_at, "where", name)
        spec = alt.field_of(fact_type, name, what)
        if isinstance(test, Under):
            if spec.tree is None:
                raise alt.fail(f"{what}: `under` needs a tree field, not '{name}'")
            nodes = [test.under] if isinstance(test.under, str) else test.under
            below = set().union(*(spec.tree.below(_value(alt, spec, n, what)) for n in nodes))
            tests.append(FieldTest(name, "in", tuple(sorted(below))))
        elif isinstance(test, InList):
            values = tuple(_value(alt, spec, v, what) for v in test.in_)
            tests.append(FieldTest(name, "in", values) if len(values) > 1 else FieldTest(name, "eq", values[0]))
        elif isinstance(test, NotEqual):
            tests.append(FieldTest(name, "ne", _value(alt, spec, test.not_, what)))
        elif isinstance(test, NotIn):
            tests += [FieldTest(name, "ne", _value(alt, spec, v, what)) for v in test.not_in]
        elif isinstance(test, AtLeast):
            if spec.type not in ("int", "number"):
                raise alt.fail(f"{what}: `at_least` needs a number field, not '{name}'")
            tests.append(FieldTest(name, "ge", test.at_least))
        else:
            tests.append(FieldTest(name, "eq", _value(alt, spec, test, what)))
    for name in item.stated:
        alt.at = (*item_at, "stated")
        alt.field_of(fact_type, name, what)
        tests.append(FieldTest(name, "ne", UNSTATED))
    for name in item.unstated:
        alt.at = (*item_at, "unstated")
        alt.field_of(fact_type, name, what)
        tests.append(FieldTest(name, "eq", UNSTATED))
    alt.at = item_at
    return tests


def _joins(alt: _Alternative, fact_type: FactType, item, what: str) -> list[Join]:
    joins = []
    item_at = alt.at
    for name, source in item.same.items():
        alt.at = (*item_at, "same", name)
        alt.field_of(fact_type, name, what)
        ref = alt.ref(source if "." in source else f"{source}.{name}", f"{what}: same")
        joins.append(Join(name, ref.binding, ref.field))
    alt.at = (*item_at, "overlaps")
    target = _targets(item)
    if target:
        binding, trees = target
        for tree in trees:
            if tree not in TREE or tree not in fact_type.fields:
                raise alt.fail(
                    f"{what}: overlaps '{item.overlaps}': a {fact_type.name} overlaps on "
                    f"{' and '.join(t for t in TREE if t in fact_type.fields)} only"
                )
            # A positive pattern meets the target's nodes; a negation meets the target's named nodes.
            other = tree if isinstance(item, Bind) else f"named_{tree}"
            joins.append(Join(tree, binding, alt.ref(f"{binding}.{other}", f"{what}: overlaps").field))
    alt.at = item_at
    return joins


class _Equalities:
    """Which <binding>.<field>s the rule's positive joins make equal (union-find)."""

    def __init__(self) -> None:
        self.parent: dict[tuple[str, str], tuple[str, str]] = {}

    def find(self, ref: tuple[str, str]) -> tuple[str, str]:
        while self.parent.get(ref, ref) != ref:
            ref = self.parent[ref]
        return ref

    def union(self, a: tuple[str, str], b: tuple[str, str]) -> None:
        self.parent[self.find(a)] = self.find(b)

    def on(self, binding: str, ref: tuple[str, str], fields: set[str]) -> str | None:
        """A field of `binding` equal to `ref`, if the joins make one so."""
        if ref[0] == binding:
            return ref[1]
        root = self.find(ref)
        return next((f for f in sorted(fields) if self.find((binding, f)) == root), None)


def _single_binding(alt: _Alternative, joins: list[Join], equal: _Equalities, what: str) -> list[Join]:
    """A negation joined to two bindings is answered wrongly by durable-rules (104 of 200 random
    cases): take every value from one binding, or refuse."""
    bindings = sorted({j.binding for j in joins})
    if len(bindings) <= 1:
        return joins
    for candidate in sorted(bindings, key=lambda b: -list(alt.types).index(b)):
        fields = set(alt.types[candidate].fields)
        rewritten = [equal.on(candidate, (j.binding, j.other), fields) for j in joins]
        if all(rewritten):
            for other in rewritten:
                alt.read(alt.views[candidate], str(other))
            return [Join(j.field, candidate, str(other)) for j, other in zip(joins, rewritten, strict=False)]
    shown = ", ".join(f"{j.binding}.{j.other}" for j in joins)
    first, last = bindings[0], bindings[-1]
    raise alt.fail(
        f"{what}: an `absent` item compares with {', '.join(bindings)} ({shown}); it may compare "
        f"with one binding only (durable-rules answers negations joined to two bindings wrongly). "
        f"Join {last} to {first} on the field it needs from {first} (e.g. `same: {{<field>: {first}}}` "
        f"on {last}) so that {last} carries every value"
    )


REFERENCE = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")


def _operand(alt: _Alternative, value: Any, what: str) -> Operand:
    if isinstance(value, str) and REFERENCE.match(value):
        return alt.ref(value, what)  # never a literal: a typo must not pass silently
    return Value(value)


def _binding(alt: _Alternative, name: Any, what: str) -> str:
    if not isinstance(name, str):
        raise alt.fail(f"{what}: '{name}' is not a binding")
    alt.bound(name, what)
    return name


def _check(alt: _Alternative, check: dict, what: str = "check") -> Check:
    ((op, args),) = check.items()
    what = f"{what} {op}"
    if op in OLD_CHECKS:
        raise alt.fail(f"{what}: renamed {OLD_CHECKS[op]}")
    if op == "any":
        if not isinstance(args, list) or not args:
            raise alt.fail(f"{what}: needs a list of checks")
        return AnyOf(tuple(_check(alt, part) for part in args))
    if op == "differ" and isinstance(args, dict):
        if set(args) != {"between", "fields"} or len(args["between"]) != 2 or not args["fields"]:
            raise alt.fail(f"{what}: write {{differ: {{between: [a, b], fields: [f, …]}}}}")
        a, b = (_binding(alt, x, what) for x in args["between"])
        parts = tuple(Differ(alt.ref(f"{a}.{f}", what), alt.ref(f"{b}.{f}", what)) for f in args["fields"])
        return parts[0] if len(parts) == 1 else AnyOf(parts)
    if not isinstance(args, list) or len(args) != 2:
        raise alt.fail(f"{what}: needs two operands, got {args!r}")
    if op in ("periods_overlap", "corridors_meet", "distinct"):
        if any(isinstance(x, str) and "." in x for x in args):
            raise alt.fail(f"{what}: takes two bindings, e.g. {{{op}: [a, b]}}, not fields ({args})")
        a, b = (_binding(alt, x, what) for x in args)
        needs = {"periods_overlap": ("start", "end"), "corridors_meet": ("origin", "destination"), "distinct": ()}[op]
        for x in (a, b):
            for name in needs:
                alt.ref(f"{x}.{name}", what)
        if op == "periods_overlap":
            return PeriodsOverlap(a, b)
        return CorridorsMeet(a, b) if op == "corridors_meet" else Distinct(a, b)
    if op == "in":
        if not isinstance(args[1], list):
            raise alt.fail(f"{what}: write {{in: [a.field, [value, …]]}}")
        return OneOf(alt.ref(args[0], what), tuple(args[1]))
    left, right = (_operand(alt, arg, what) for arg in args)
    if op == "differ":
        return Differ(left, right)
    if op == "disjoint":
        return Disjoint(left, right)
    if op in COMPARE_OPS:
        return Compare(op, left, right)
    raise alt.fail(
        f"unknown check '{op}'{suggest(op, [*COMPARE_OPS, 'differ', 'disjoint', 'in', 'any', 'distinct', 'periods_overlap', 'corridors_meet'])}"
    )


def _text_refs(rule: LoadedRule, items: list) -> list[tuple[str, str]]:
    """(binding, field) named in checks, the message and the report: they decide views."""
    refs = []
    texts: list[Any] = [
        rule.spec.check,
        [i.check for i in items if isinstance(i, LocalCheck)],
        rule.spec.report.one_per,
        rule.spec.report.every,
    ]
    stack = texts
    while stack:
        value = stack.pop()
        if isinstance(value, str) and value.count(".") == 1:
            refs.append(tuple(value.split(".")))
        elif isinstance(value, dict):
            stack.extend(value.values())
        elif isinstance(value, list):
            stack.extend(value)
    message = next((i.message for i in items if isinstance(i, LocalMessage)), rule.spec.message)
    with contextlib.suppress(TemplateError):
        refs += [(r.binding, r.field) for r in parse(message).references]
    return refs  # type: ignore[return-value]


def _compile_alternative(rule: LoadedRule, items: Items, base: tuple) -> tuple[Query, _Alternative]:
    alt = _Alternative(rule, list(items), base)
    for i, item in enumerate(alt.items):
        alt.at = (*base, i)
        if isinstance(item, Bind) and (
            item.bind in RESERVED_BINDINGS
            or item.bind in [i.bind for i in alt.items[: alt.items.index(item)] if isinstance(i, Bind)]
        ):
            raise alt.fail(f"binding name '{item.bind}' is reserved or already used")
    alt.at = base
    _decide_views(alt, _text_refs(rule, alt.items))
    types, alt.types = alt.types, {}  # rebound in order below, so that joins see earlier bindings only
    equal = _Equalities()
    patterns: list[Pattern] = []
    for i, item in enumerate(alt.items):
        what = f"match[{i}]"
        alt.at = (*base, i)
        if isinstance(item, Bind):
            fact_type, view = types[item.bind], alt.views[item.bind]
            tests = _tests(alt, fact_type, item, what)
            if item.bind in alt.own:
                tests.append(FieldTest("own", "eq", True))
            joins = _joins(alt, fact_type, item, what)
            for join in joins:
                equal.union((item.bind, join.field), (join.binding, join.other))
            alt.types[item.bind] = fact_type
            alt.read(view, *catalogue.HIDDEN, "record", *(t.field for t in tests), *(j.field for j in joins))
            patterns.append(Pattern(view, item.bind, tuple(tests), tuple(joins)))
        elif isinstance(item, Absent):
            fact_type = alt.fact_type(item.absent, what)
            view = (
                fact_type.span
                if _targets(item)
                else fact_type.cover
                if set([*item.where, *item.same]) & set(fact_type.tree_fields)
                else fact_type.engine
            )
            if not view:
                raise alt.fail(f"{what}: a {fact_type.name} cannot overlap")
            tests = _tests(alt, fact_type, item, what)
            joins = _single_binding(alt, _joins(alt, fact_type, item, what), equal, what)
            alt.read(view, *(t.field for t in tests), *(j.field for j in joins))
            patterns.append(Pattern(view, None, tuple(tests), tuple(joins)))
    checks = []
    for j, check in enumerate(rule.spec.check):
        alt.at = ("check", j)
        checks.append(_check(alt, check))
    for i, item in enumerate(alt.items):
        if isinstance(item, LocalCheck):
            for j, check in enumerate(item.check):
                alt.at = (*base, i, "check", j)
                checks.append(_check(alt, check))
    alt.at = ("pairs",)
    if rule.spec.pairs == "unordered":
        binds = [i.bind for i in alt.items if isinstance(i, Bind) and not alt.types[i.bind].join_only]
        a, b = binds[:2] if len(binds) >= 2 else (binds[0], "")
        if not b or alt.types[a].pair_key != alt.types[b].pair_key or alt.types[a].engine != alt.types[b].engine:
            raise alt.fail("pairs: unordered needs the first two bindings to be facts of one type")
        key = alt.types[a].pair_key
        checks.append(Compare("lt", alt.ref(f"{a}.{key}", "pairs"), alt.ref(f"{b}.{key}", "pairs")))
    local = [i for i, item in enumerate(alt.items) if isinstance(item, LocalMessage)]
    alt.at = (*base, local[0]) if local else ("message",)
    message = alt.items[local[0]].message if local else rule.spec.message
    return Query(tuple(patterns), tuple(checks), _template(alt, message, tuple(checks))), alt


def _styled(alt: _Alternative, ref: FieldValue) -> FieldValue:
    """A message field, checked and told how it reads (the catalogue's style and label)."""
    resolved = alt.ref(f"{ref.binding}.{ref.field}", "message")
    spec = alt.types[resolved.binding].fields[resolved.field]
    return FieldValue(ref.binding, ref.field, spec.shows_as, spec.says)


def _differed(checks: tuple[Check, ...]) -> tuple[str, str, list[str]]:
    """The two bindings and the fields a rule's `differ` checks compare (for `{differences}`)."""
    found: list[Differ] = []
    for check in checks:
        found += [c for c in (check.checks if isinstance(check, AnyOf) else (check,)) if isinstance(c, Differ)]
    refs = [(c.left, c.right) for c in found if isinstance(c.left, Ref) and isinstance(c.right, Ref)]
    pairs = {(left.binding, right.binding) for left, right in refs}
    if len(pairs) != 1:
        return "", "", []
    ((a, b),) = pairs
    return a, b, [left.field for left, _ in refs]


def _template(alt: _Alternative, message: str, checks: tuple[Check, ...]) -> Template:
    try:
        template = parse(message)
    except TemplateError as exc:
        raise alt.fail(f"message: {exc}") from None
    parts: list[Part] = []
    for part in template.parts:
        if isinstance(part, Name):
            fact_type = alt.bound(part.binding, "message")
            alt.read(alt.views[part.binding], "record", *(("label",) if fact_type.labelled else ()))
        elif isinstance(part, FieldValue):
            part = _styled(alt, part)
        elif isinstance(part, Only):
            part = Only(_styled(alt, part.left), _styled(alt, part.right))
        elif isinstance(part, Differences):
            a, b, fields = _differed(checks)
            if not fields:
                raise alt.fail("message: {differences} needs a `differ` check between two bindings")
            for binding in (a, b):
                if "recorded_by" in alt.types[binding].fields:
                    alt.read(alt.views[binding], "recorded_by")
            part = Differences(a, b, tuple(_styled(alt, FieldValue(a, f)) for f in fields))
        elif isinstance(part, Where):
            for binding in alt.types:
                wanted = (
                    ("origin", "destination")
                    if part.what == "corridor"
                    else (*TREE, "named_group", "named_area", "scope")
                )
                present = [f for f in wanted if f in catalogue.ENGINE_FIELDS[alt.views[binding]]]
                alt.read(alt.views[binding], *present)
        parts.append(part)
    return Template(tuple(parts))


def _at(alt: _Alternative, binding: str, at: str, what: str) -> At:
    fact_type = alt.bound(binding, what)
    spec = fact_type.fields.get(at)
    if spec is not None and spec.located_by:
        alt.read(alt.views[binding], spec.located_by)
        return At(field=spec.located_by)
    return At(path=tuple(int(p) if p.isdigit() else p for p in at.split(".") if p))


def _report(rule: LoadedRule, alternatives: list[_Alternative]) -> ReportPlan:
    report = rule.spec.report
    anywhere = {b for alt in alternatives for b in alt.types}
    for binding in [*report.related, *report.related_at]:
        if binding not in anywhere:
            raise _fail(rule, f"report: '{binding}' is not a binding of this rule", ("report",))
    places: list[tuple[int, str, At]] = []
    one_per: list[tuple[str, str]] = []
    every = None
    for q, alt in enumerate(alternatives):
        alt.at = ("report",)
        if report.primary not in alt.types:
            where = " in every alternative" if len(alternatives) > 1 else ""
            raise alt.fail(f"report: primary '{report.primary}' is not bound{where}")
        places.append((q, report.primary, _at(alt, report.primary, report.at, "report.at")))
        for binding, at in report.related_at.items():
            if binding in alt.types:
                places.append((q, binding, _at(alt, binding, at, "report.related_at")))
        one_per = []
        for key in report.one_per:
            if "." in key:
                ref = alt.ref(key, "report.one_per")
                one_per.append((ref.binding, ref.field))
            else:
                alt.bound(key, "report.one_per")
                one_per.append((key, ""))
        if report.every:
            ref = alt.ref(report.every, "report.every")
            count = alt.types[ref.binding].fields[ref.field].count
            if not count:
                raise alt.fail(
                    f"report.every: '{report.every}' is not a field with one value per fact "
                    f"(fields that are: {', '.join(f.name for f in alt.types[ref.binding].fields.values() if f.count)})"
                )
            alt.read(alt.views[ref.binding], count)
            every = (ref.binding, ref.field, count)
    return ReportPlan(
        primary=report.primary,
        related=tuple(report.related),
        places=tuple(places),
        one_per=tuple(one_per),
        every=every,
    )


def compile_rule(rule: LoadedRule) -> CompiledRule:
    several = isinstance(rule.spec.match, MatchAny)
    compiled = [
        _compile_alternative(rule, items, ("match", "any", k) if several else ("match",))
        for k, items in enumerate(rule.spec.alternatives)
    ]
    alternatives = [alt for _, alt in compiled]
    report = _report(rule, alternatives)
    reads: dict[str, set[str]] = {}
    for alt in alternatives:
        for view, fields in alt.reads.items():
            reads.setdefault(view, set()).update(fields)
    return CompiledRule(
        doc=rule.spec.doc(),
        origin=rule.origin,
        queries=tuple(q for q, _ in compiled),
        report=report,
        reads=tuple((v, tuple(sorted(f))) for v, f in sorted(reads.items())),
        scope=rule.spec.scope,
    )


def compile_rules(rules: list[LoadedRule]) -> list[CompiledRule]:
    return [compile_rule(rule) for rule in rules]
