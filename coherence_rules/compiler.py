"""Compile declarative rules into durable-rules rulesets, making the dangerous constructs
impossible (engine-notes.md):

- every rule starts with the trigger pattern (the runner asserts the trigger fact last,
  so negations are evaluated once all data facts are in);
- joins are equalities only; comparisons between facts become checks run on the matches;
- an `absent` pattern always tests the fact type positively (never a negative-only test);
- every field a rule names exists on its fact type (facts always carry every field);
- the number of rules per pack is bounded.
"""
from __future__ import annotations

import itertools
import operator
import re
from dataclasses import dataclass
from typing import Any, Callable

from .facts import FACT_FIELDS, TREE_FIELDS
from .rulespec import (RESERVED_BINDINGS, TEMPLATE_FIELD, Absent, AtLeast, Bind, InList, LoadedRule, LocalCheck,
                       LocalMessage, NotEqual, RulePackError, Under)

MAX_RULES = 400  # create_ruleset hangs past 512 rules hanging off the root
TRIGGER = "trigger"
TEMPLATE_NAMES = {"groups", "areas", "corridor"}
TEMPLATE_FUNCTIONS = {"only"}

Match = dict[str, dict]  # binding -> fact


@dataclass(frozen=True)
class Alternative:
    definition: list[dict]           # the durable-rules `all` list (without the action)
    bound_facts: dict[str, str]      # binding -> fact type
    check: Callable[[Match], bool]   # the rule's checks over one match
    message: str                     # the message template for its matches


@dataclass(frozen=True)
class CompiledRule:
    rule: LoadedRule
    alternatives: list[Alternative]
    fields: dict[str, frozenset[str]]  # fact type -> the fields this rule reads (the engine gets no others)

    @property
    def id(self) -> str:
        return self.rule.spec.id


def _fail(rule: LoadedRule, message: str) -> RulePackError:
    return RulePackError(f"{rule.path}:{rule.line}: {rule.spec.id}: {message}")


def _ref(rule: LoadedRule, text: Any, bound: dict[str, str], what: str) -> tuple[str, str]:
    if not isinstance(text, str) or text.count(".") != 1:
        raise _fail(rule, f"{what}: '{text}' is not <binding>.<field>")
    binding, field = text.split(".")
    if binding not in bound:
        raise _fail(rule, f"{what}: '{binding}' is not bound before this point")
    if field not in FACT_FIELDS[bound[binding]]:
        raise _fail(rule, f"{what}: fact '{bound[binding]}' has no field '{field}'")
    return binding, field


def _tests(rule: LoadedRule, pattern, bound: dict[str, str], what: str) -> list[dict]:
    if pattern.fact not in FACT_FIELDS:
        raise _fail(rule, f"{what}: unknown fact type '{pattern.fact}' (one of: {', '.join(FACT_FIELDS)})")
    fields = FACT_FIELDS[pattern.fact]
    tests: list[dict] = [{"t": pattern.fact}]
    for field, test in pattern.where.items():
        if field not in fields:
            raise _fail(rule, f"{what}: fact '{pattern.fact}' has no field '{field}'")
        if isinstance(test, Under):
            tree = TREE_FIELDS.get(field)
            if tree is None:
                raise _fail(rule, f"{what}: 'under' needs a tree field ({', '.join(TREE_FIELDS)}), not '{field}'")
            nodes = [test.under] if isinstance(test.under, str) else test.under
            unknown = [n for n in nodes if n not in tree.parent]
            if unknown:
                raise _fail(rule, f"{what}: unknown vocabulary node(s) {unknown} for '{field}'")
            below = sorted(set().union(*(tree.below(n) for n in nodes)))
            tests.append({"$or": [{field: node} for node in below]})
        elif isinstance(test, InList):
            tests.append({"$or": [{field: value} for value in test.in_]})
        elif isinstance(test, NotEqual):
            tests.append({"$neq": {field: test.not_}})
        elif isinstance(test, AtLeast):
            tests.append({"$gte": {field: test.at_least}})
        else:
            tests.append({field: test})
    for field, source in pattern.join.items():
        if field not in fields:
            raise _fail(rule, f"{what}: fact '{pattern.fact}' has no field '{field}'")
        binding, other = _ref(rule, source, bound, what)
        tests.append({field: {binding: other}})
    return tests


REFERENCE = re.compile(r"^[a-z][a-z0-9_]*\.[a-z][a-z0-9_]*$")
REFERENCE_IN_TEXT = re.compile(r"\b([a-z][a-z0-9_]*)\.([a-z][a-z0-9_]*)\b")
_COMPARE = {"eq": operator.eq, "ne": operator.ne, "lt": operator.lt, "le": operator.le,
            "gt": operator.gt, "ge": operator.ge}


def _overlap(a: dict, b: dict) -> bool:
    """Periods overlap; an empty bound is open."""
    return (not a["pto"] or not b["pfrom"] or b["pfrom"] <= a["pto"]) and \
           (not b["pto"] or not a["pfrom"] or a["pfrom"] <= b["pto"])


def _compatible(a: dict, b: dict) -> bool:
    """Corridors agree at both ends; `any` matches anything."""
    return all(a[end] == "any" or b[end] == "any" or a[end] == b[end] for end in ("origin", "destination"))


def _compile_check(rule: LoadedRule, check: Any, bound: dict[str, str]) -> Callable[[Match], bool]:
    if not isinstance(check, dict) or len(check) != 1:
        raise _fail(rule, f"check {check!r}: a check is a mapping with exactly one operator")
    (op, args), = check.items()
    if op == "any":
        parts = [_compile_check(rule, part, bound) for part in args]
        return lambda m: any(part(m) for part in parts)
    if op in ("overlap", "compatible"):
        needs = {"overlap": ("pfrom", "pto"), "compatible": ("origin", "destination")}[op]
        if len(args) != 2 or any(a not in bound for a in args):
            raise _fail(rule, f"check {op}: needs two bindings, got {args}")
        for binding in args:
            if not set(needs) <= set(FACT_FIELDS[bound[binding]]):
                raise _fail(rule, f"check {op}: fact '{bound[binding]}' has no {'/'.join(needs)}")
        x, y = args
        test = _overlap if op == "overlap" else _compatible
        return lambda m: test(m[x], m[y])
    if op not in _COMPARE and op not in ("differ", "disjoint"):
        raise _fail(rule, f"unknown check '{op}'")
    if len(args) != 2:
        raise _fail(rule, f"check {op}: needs two operands, got {args}")
    getters = []
    for arg in args:
        if isinstance(arg, str) and REFERENCE.match(arg):  # never a literal: a typo must not pass silently
            binding, field = _ref(rule, arg, bound, f"check {op}")
            getters.append(lambda m, b=binding, f=field: m[b][f])
        else:
            getters.append(lambda m, v=arg: v)
    left, right = getters
    if op == "differ":  # both records state the field, and they state it differently
        return lambda m: left(m) != "" and right(m) != "" and left(m) != right(m)
    if op == "disjoint":  # two comma-joined lists share no item
        return lambda m: not set(str(left(m)).split(",")) & set(str(right(m)).split(",")) - {""}
    compare = _COMPARE[op]
    if op in ("eq", "ne"):
        return lambda m: compare(left(m), right(m))
    # An ordering needs both sides stated ("" is the facts' "not stated").
    return lambda m: left(m) != "" and right(m) != "" and compare(left(m), right(m))


def _check_template(rule: LoadedRule, message: str, bound: dict[str, str]) -> None:
    for expression in TEMPLATE_FIELD.findall(message):
        expression = expression.strip()
        if expression in TEMPLATE_NAMES:
            continue
        if "(" in expression:
            name, _, rest = expression.partition("(")
            if name not in TEMPLATE_FUNCTIONS or not rest.endswith(")"):
                raise _fail(rule, f"message: unknown function in '{{{expression}}}'")
            for arg in rest[:-1].split(","):
                _ref(rule, arg.strip(), bound, "message")
        else:
            _ref(rule, expression, bound, "message")


def _without_or_beside_joins(tests: list[dict]) -> list[list[dict]]:
    """Measured: an `$or` in a pattern that also holds a join test makes durable-rules ignore
    the joins (every pair matched; 56 of 200 random negations wrong). Such a pattern is
    expanded into one pattern per choice of the `$or` options (disjunctive normal form)."""
    if not any(isinstance(next(iter(t.values())), dict) and next(iter(t)) not in ("$or", "$neq", "$gte")
               for t in tests):
        return [tests]
    fixed = [t for t in tests if "$or" not in t]
    choices = [t["$or"] for t in tests if "$or" in t]
    return [fixed + list(choice) for choice in itertools.product(*choices)]


def _compile_alternative(rule: LoadedRule, patterns: list) -> list[Alternative]:
    bound: dict[str, str] = {}
    definitions: list[list[dict]] = [[{TRIGGER: {"t": TRIGGER}}]]
    local_checks = [check for pattern in patterns if isinstance(pattern, LocalCheck) for check in pattern.check]
    message = next((p.message for p in patterns if isinstance(p, LocalMessage)), rule.spec.message)
    for i, pattern in enumerate(patterns):
        if isinstance(pattern, (LocalCheck, LocalMessage)):
            continue
        if isinstance(pattern, Absent):  # not (A or B) == not A and not B
            joined = {source.split(".")[0] for source in pattern.absent.join.values()}
            if len(joined) > 1:  # measured: 104 of 200 random cases wrong
                raise _fail(rule, f"match[{i}]: an `absent` pattern may join to one binding only, not "
                                  f"{sorted(joined)} (durable-rules answers such negations wrongly)")
            variants = _without_or_beside_joins(_tests(rule, pattern.absent, bound, f"match[{i}]"))
            parts = [{f"absent{i}_{k}$not": {"$and": tests}} for k, tests in enumerate(variants)]
            definitions = [definition + parts for definition in definitions]
            continue
        assert isinstance(pattern, Bind)
        if pattern.bind in bound or pattern.bind in RESERVED_BINDINGS:
            raise _fail(rule, f"match[{i}]: binding name '{pattern.bind}' is reserved or already used")
        variants = _without_or_beside_joins(_tests(rule, pattern, bound, f"match[{i}]"))
        definitions = [definition + [{pattern.bind: {"$and": tests}}]
                       for definition in definitions for tests in variants]
        bound[pattern.bind] = pattern.fact
    checks = [_compile_check(rule, check, bound) for check in [*rule.spec.check, *local_checks]]
    check = lambda m: all(c(m) for c in checks)  # noqa: E731
    return [Alternative(definition, dict(bound), check, message) for definition in definitions]


def compile_rule(rule: LoadedRule) -> CompiledRule:
    alternatives = [a for patterns in rule.spec.alternatives for a in _compile_alternative(rule, patterns)]
    report = rule.spec.report
    # What the report and message name must be bound, with the fields they use, whichever
    # alternative matched (the fact types may differ between alternatives).
    for alternative in alternatives:
        bound = alternative.bound_facts
        if report.primary not in bound:
            raise _fail(rule, f"report: primary '{report.primary}' is not bound in every alternative")
        if report.at.startswith("$"):
            _ref(rule, f"{report.primary}.{report.at[1:]}", bound, "report.at")
        for key in report.group_by:
            if "." in key:
                _ref(rule, key, bound, "report.group_by")
            elif key not in bound:
                raise _fail(rule, f"report.group_by: '{key}' is not bound in every alternative")
        if report.all_of:
            _ref(rule, report.all_of.count, bound, "report.all_of.count")
        _check_template(rule, alternative.message, bound)
    anywhere = {b: f for a in alternatives for b, f in a.bound_facts.items()}
    for binding in [*report.related, *report.related_at]:
        if binding not in anywhere:
            raise _fail(rule, f"report: '{binding}' is not a binding of this rule")
    if report.all_of:
        _ref(rule, report.all_of.each, anywhere, "report.all_of.each")
    return CompiledRule(rule, alternatives, _used_fields(rule, alternatives))


IMPLIED = {"overlap": ("pfrom", "pto"), "compatible": ("origin", "destination"),
           "groups": ("g", "g_own", "area", "area_own"), "areas": ("g", "g_own", "area", "area_own"),
           "corridor": ("origin", "destination")}


def _used_fields(rule: LoadedRule, alternatives: list[Alternative]) -> dict[str, frozenset[str]]:
    """Every field of every fact type the rule reads: engine tests and joins, checks, the
    message and the report. Facts are projected onto these before they reach the engine."""
    used: dict[str, set[str]] = {}

    def add(fact_type: str, *fields: str) -> None:
        known = FACT_FIELDS[fact_type]
        used.setdefault(fact_type, {"ri", "rid", "yp"}).update(f for f in fields if f in known)

    def tests(fact_type: str, items: list[dict], bound: dict[str, str]) -> None:
        for test in items:
            (key, value), = test.items()
            if key == "$or":
                tests(fact_type, value, bound)
            elif key in ("$neq", "$gte"):
                add(fact_type, *value)
            else:
                add(fact_type, key)
                if isinstance(value, dict):  # a join: {field: {binding: other_field}}
                    (binding, other), = value.items()
                    add(bound[binding], other)

    spec = rule.spec
    # The message, checks (the rule's and each alternative's), report and alternative messages.
    texts = [spec.model_dump_json(include={"message", "match", "check", "report"})]
    for alternative in alternatives:
        bound = alternative.bound_facts
        for part in alternative.definition[1:]:
            for name, pattern in part.items():
                type_test, *rest = pattern["$and"]
                tests(type_test["t"], rest, bound)
        every = [alternative.message, *texts]
        for binding, field in REFERENCE_IN_TEXT.findall(" ".join(every)):
            if binding in bound:
                add(bound[binding], field)
        for word, fields in IMPLIED.items():
            if any(word in text for text in every):
                for fact_type in bound.values():
                    add(fact_type, *fields)
        if spec.report.at.startswith("$"):
            add(bound[spec.report.primary], spec.report.at[1:])
    return {fact_type: frozenset(fields) for fact_type, fields in used.items()}



def compile_rules(rules: list[LoadedRule]) -> list[CompiledRule]:
    compiled = [compile_rule(rule) for rule in rules]
    count = sum(len(rule.alternatives) for rule in compiled)
    if count > MAX_RULES:
        raise RulePackError(f"the rule pack compiles to {count} engine rules: at most {MAX_RULES} are allowed")
    return compiled
