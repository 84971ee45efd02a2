"""Engine stage: compiled rules (ir.py) on durable-rules, walled in. The only module that imports
durable-rules or knows its format and its faults (docs/engine-notes.md):

- one host per process without the library's timer threads; each pack registered once;
- every rule starts with a trigger pattern, and the trigger fact is asserted after every data fact,
  so negations are evaluated once all facts are in;
- an `in` test in a pattern that also joins is expanded into one engine rule per value (the engine
  ignores the joins of such a pattern: every pair matched); a negation joined to two bindings is
  refused (answered wrongly); the number of engine rules is bounded (more than 512 hang);
- every run gets a fresh state id, deleted afterwards; an end-of-run rule guarantees an action ran
  (deleting a state where none ran segfaults) and, running last, proves that every action did;
- actions are dispatched by our own loop, without durable-rules' 10-second cut-off that silently
  stops a state's remaining actions; a run that did not complete is retried, then an error;
- every fact carries an id whose 32-bit hash no other fact of its state shares, so no distinct
  fact is "already observed"; should one be dropped anyway, it is found and asserted again;
- a non-finite number is refused before it is serialised (the engine would discard the rest of
  its batch); exceptions swallowed in actions come back.

A match names its facts by their positions in the list the shard was run with (their ids tell the
action which they are), so the caller reads them as it gave them and can keep matches compactly.
"""

from __future__ import annotations

import collections
import functools
import hashlib
import itertools
import json
import math
import operator
import os
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from typing import Any, NamedTuple

import durable_rules_engine
import pydantic_core
from durable import engine as durable

from .errors import EngineError, RulePackError
from .ir import CompiledRule, Fact, FieldTest, Pattern, Query

TRIGGER = "trigger"
END_RULE = "zz-end-of-run"
MAX_RULES = 400  # create_ruleset hangs past 512 rules hanging off the root
MAX_PATTERNS = 4_000  # patterns over all engine rules, a negation's expanded `in` tests included
BATCH = 200  # facts per assert_facts call: small batches stay in the engine's correct regime
RETRIES = 3  # attempts at a shard whose run did not complete, or whose dropped facts would not stay
FNV_OFFSET, FNV_PRIME = 0x811C9DC5, 16777619  # durable-rules' 32-bit FNV-1 (src/rules/json.h)
# Fan-outs a record's facts hold as one seed (Pack.fan_out), by type: the fields its rows vary. Most
# of a dense corpus's spans meet nothing; a shard spreads a seed into the rows some pattern can join
# (Pack.taking_part), from the values facts.spread gives each field.
SEEDED = {"span": ("group", "area")}
SEED = "/seed"  # a seed's type: that of its rows, and this
Spread = Callable[[str, Fact], tuple[tuple, ...]]  # (type, seed) -> each varying field's values, in order


def _serialise(message) -> str:
    """What durable-rules sends to its C core, refusing NaN and infinities: they would be written as
    bare words the core cannot parse, and it silently discards the rest of the batch. Written by
    pydantic-core (a batch of facts in a third of json.dumps's time); json.dumps, which refuses a
    non-finite number, decides when the text names one (or a string holds the name) and writes what
    pydantic-core cannot."""
    try:
        text = pydantic_core.to_json(message).decode()
    except pydantic_core.PydanticSerializationError:  # a lone surrogate: json.dumps writes it
        text = None
    if text is None or "NaN" in text or "Infinity" in text:
        try:
            return json.dumps(message, ensure_ascii=False, allow_nan=False)
        except ValueError:
            raise EngineError("a fact holds a non-finite number: it must be reported before facts are built") from None
    return text


class _WalledRuleset(durable.Ruleset):
    """A durable-rules ruleset with our own action loop and serialisation."""

    def _flush_actions(self, state, result_container, state_offset, complete):
        """durable-rules' loop treats an action whose closure is older than 10 seconds as completed
        and returns without starting the state's next action: a GC pause, a starved worker or a
        loaded machine silently loses every remaining match. This loop has no clock: it runs every
        action the engine hands out until none is left; an error in the C core propagates. Our
        actions are plain functions of a match that never write the state, so none is given a
        closure and the engine's copy of the state is never sent back (per match, that was most
        of the cost of an action: a JSON round trip of the state, a closure and a promise)."""
        pending = result_container.get("message")
        while pending:
            action_name, message = next(iter(pending.items()))
            self._actions[action_name]._func(Fired(state["sid"], message))
            started = durable_rules_engine.complete_and_start_action(self._handle, state_offset)
            pending = pydantic_core.from_json(started) if started else None  # twice as fast as json.loads
        complete(None, state)

    def assert_fact(self, fact):
        return self._handle_result(durable_rules_engine.assert_fact(self._handle, _serialise(fact)), fact)

    def assert_facts(self, facts):
        return self._handle_result(durable_rules_engine.assert_facts(self._handle, _serialise(facts)), facts)


@dataclass(frozen=True, slots=True)
class Fired:
    """What an action is handed: its state's id and the facts matched (binding -> fact, with the
    engine's `sid` and `id`)."""

    sid: str
    facts: dict[str, Fact]


class _QuietHost(durable.Host):
    """durable-rules' Host starts two self-re-arming timer threads per host (we dispatch ourselves)
    and builds its own rulesets (ours are walled)."""

    def _run(self):
        pass

    def register_rulesets(self, ruleset_definitions):
        for name, definition in ruleset_definitions.items():
            if name in self._ruleset_directory:
                raise EngineError(f"ruleset {name} is already registered")
            ruleset = _WalledRuleset(name, self, definition)
            self._ruleset_directory[name] = ruleset
            self._ruleset_list.append(ruleset)
        return list(ruleset_definitions)


@dataclass
class RunResult:
    # rule id, query index, binding -> the position of the matched fact in the facts run
    matches: list[tuple[str, int, dict[str, int]]] = field(default_factory=list)
    errors: list[tuple[str, str]] = field(default_factory=list)  # (rule id or "", message)
    retries: int = 0  # attempts that did not complete before this one
    completed: bool = False  # the end-of-run action ran: every action before it did
    reasserted: list[int] = field(default_factory=list)  # facts the engine dropped and got again
    match_limit: int = 0  # engine matches collected per rule; 0: no limit
    match_counts: collections.Counter[str] = field(default_factory=collections.Counter)


def _items(keys: tuple) -> Callable[[Any], tuple]:
    """These items of a fact (by name) or of a row (by place), as a tuple, in one C call."""
    if not keys:
        return lambda item: ()
    get = operator.itemgetter(*keys)
    return get if len(keys) > 1 else lambda item: (get(item),)


def _projection(names: tuple[str, ...]) -> tuple[tuple[str, ...], Callable[[Fact], tuple]]:
    """These fields of a fact, as (their names, a function giving their values as a tuple)."""
    return names, _items(names)


_UNNAMED = object()  # stands for every value no eq/ne/in test names
_NONE: set[tuple] = set()  # no row of a seed meets a join (Pack._spread)
_EVERY = {()}  # every row does: the join is on fields the rows do not vary, and the seed meets it


def _relevance_key(tests: list[FieldTest]) -> Callable[[Fact], tuple]:
    """What the tests' verdicts on a fact depend on, in one call: per field only eq/ne/in tests read,
    its value if one of them names it, else one mark for all the rest (a country code tested against
    `ne: ""` is decided once, not once per country); a field a `ge` test reads, its value and type.
    Built from C calls alone: it runs for every fact of a cold run."""
    exact = sorted({test.field for test in tests if test.op == "ge"})
    named: dict[str, dict] = {}
    for test in tests:
        if test.field not in exact:
            constants = test.value if isinstance(test.value, tuple) else (test.value,)
            named.setdefault(test.field, {}).update((c, c) for c in constants)
    fields = sorted(named)
    classed = _items(tuple(fields))
    lookups, unnamed = [named[f] for f in fields], [_UNNAMED] * len(fields)
    if not exact:
        return lambda fact: tuple(map(dict.get, lookups, classed(fact), unnamed))
    kept = _items(tuple(exact))
    return lambda fact: (
        tuple(map(dict.get, lookups, classed(fact), unnamed)),
        kept(fact),
        tuple(map(type, kept(fact))),
    )


def _test(test: FieldTest) -> dict:
    if test.op == "eq":
        return {test.field: test.value}
    if test.op == "ne":
        return {"$neq": {test.field: test.value}}
    if test.op == "ge":
        return {"$gte": {test.field: test.value}}
    assert isinstance(test.value, tuple)
    return {"$or": [{test.field: v} for v in test.value]}


EXPAND_AT_MOST = 8  # a joined pattern whose `in` tests have more combinations keeps them as a check


def _deferred(pattern: Pattern) -> tuple[FieldTest, ...]:
    """The `in` tests of a joined, positive pattern that are checked on its matches rather than expanded
    (expanding them all would multiply engine rules past the engine's limits)."""
    ins = [t for t in pattern.tests if isinstance(t.value, tuple)]
    combinations = math.prod(len(t.value) if isinstance(t.value, tuple) else 1 for t in ins)
    if pattern.negated or not pattern.joins or combinations <= EXPAND_AT_MOST:
        return ()
    return tuple(ins)


def _variants(pattern: Pattern) -> list[list[dict]]:
    """The pattern's engine tests; measured, an `$or` in a pattern that also joins makes durable-rules
    ignore the joins (every pair matched; 56 of 200 random negations wrong), so such a pattern
    becomes one variant per choice of its `in` values (disjunctive normal form), or, when there
    would be many, leaves those tests to be checked on each match (`_deferred`)."""
    head = [{"t": pattern.fact}]
    joins = [{j.field: {j.binding: j.other}} for j in pattern.joins]
    deferred = _deferred(pattern)
    choices = [
        [FieldTest(t.field, "eq", v) for v in t.value] if isinstance(t.value, tuple) and joins else [t]
        for t in pattern.tests
        if t not in deferred
    ]
    return [head + [_test(t) for t in combination] + joins for combination in itertools.product(*choices)]


def _choices(pattern: Pattern) -> int:
    """How many variants `_variants` makes of a pattern."""
    deferred = _deferred(pattern)
    return math.prod(
        len(t.value) if isinstance(t.value, tuple) and pattern.joins and t not in deferred else 1 for t in pattern.tests
    )


def engine_rule_count(query: Query) -> int:
    """How many engine rules a query becomes, counted before anything is expanded."""
    return math.prod(_choices(p) for p in query.patterns if not p.negated)


def engine_pattern_count(query: Query) -> int:
    """How many patterns its engine rules hold together (a negation holds one per variant),
    counted before anything is expanded."""
    per_rule = 1 + sum(_choices(p) if p.negated else 1 for p in query.patterns)
    return engine_rule_count(query) * per_rule


def _refuse_cross_joins(rule: CompiledRule) -> None:
    """A fact joined to nothing bound before it matches every fact of its type: the engine's
    partial matches grow as the product of the facts (four such patterns grew past 6 GB)."""
    for query in rule.queries:
        for pattern in query.patterns[1:]:
            if not pattern.negated and not pattern.joins:
                raise RulePackError(
                    f"{rule.origin}: {rule.id}: '{pattern.binding}' joins no fact bound before it: every pair would "
                    f"match (add `same:` to say how it relates to them)"
                )


def _definitions(rule: CompiledRule, query: Query) -> list[list[dict]]:
    """The durable-rules `all` lists of one query (several when `in` tests were expanded)."""
    definitions: list[list[dict]] = [[{TRIGGER: {"t": TRIGGER}}]]
    for i, pattern in enumerate(query.patterns):
        variants = _variants(pattern)
        if pattern.negated:  # not (A or B) == not A and not B
            if len({j.binding for j in pattern.joins}) > 1:  # measured: 104 of 200 random cases wrong
                raise RulePackError(f"{rule.origin}: {rule.id}: a negation may join to one binding only")
            parts = [{f"absent{i}_{k}$not": {"$and": tests}} for k, tests in enumerate(variants)]
            definitions = [definition + parts for definition in definitions]
        else:
            definitions = [
                definition + [{pattern.binding: {"$and": tests}}] for definition in definitions for tests in variants
            ]
    return definitions


class Meet(NamedTuple):
    """What a pattern's fact must meet of another binding's (Pack.taking_part): the same values of
    these fields (`mine`, named `fields`) as that binding's pattern's facts have of theirs."""

    mine: Callable[[Fact], tuple]
    other: Pattern
    theirs: Callable[[Fact], tuple]
    fields: tuple[str, ...]


class Pack:
    """A set of compiled rules registered as one durable-rules ruleset."""

    def __init__(self, rules: list[CompiledRule]):
        count = sum(engine_rule_count(q) for r in rules for q in r.queries)
        if count > MAX_RULES:
            raise RulePackError(f"the rule pack compiles to {count} engine rules: at most {MAX_RULES} are allowed")
        patterns = sum(engine_pattern_count(q) for r in rules for q in r.queries)
        if patterns > MAX_PATTERNS:
            raise RulePackError(
                f"the rule pack compiles to {patterns} engine patterns (`in:` lists in negations multiply): "
                f"at most {MAX_PATTERNS} are allowed"
            )
        for rule in rules:
            _refuse_cross_joins(rule)
        self.by_id = {r.id: r for r in rules}
        self.engine_rules: dict[str, tuple[CompiledRule, int, list[dict]]] = {}
        for n, rule in enumerate(rules):
            for q, query in enumerate(rule.queries):
                for k, definition in enumerate(_definitions(rule, query)):
                    self.engine_rules[f"r{n:03d}-{rule.id}-{q}-{k}"] = (rule, q, definition)
        # Which facts some pattern can accept (the engine rejects a batch holding one that none
        # accepts, while storing the rest), and the fields rules read (the engine gets no others).
        self._accepts: dict[str, list[tuple[FieldTest, ...]]] = {}
        fields: dict[str, set[str]] = {}
        for rule in rules:
            for query in rule.queries:
                for pattern in query.patterns:
                    tests = self._accepts.setdefault(pattern.fact, [])
                    if pattern.tests not in tests:
                        tests.append(pattern.tests)
            for fact_type, read in rule.reads:
                fields.setdefault(fact_type, set()).update(read)
        # Per fact type, each read in one call (millions of facts): what its patterns' constant tests
        # decide on (relevance is decided once per such key), and the fields the engine gets.
        self._tested = {t: _relevance_key([test for ts in lists for test in ts]) for t, lists in self._accepts.items()}
        self._tested_fields = {t: {test.field for ts in lists for test in ts} for t, lists in self._accepts.items()}
        self._fan_outs: dict[tuple[str, tuple[str, ...]], tuple | None] = {}  # fan_out's plans
        self._fixed_verdicts: dict[tuple, bool] = {}
        self._excluding: dict[tuple, tuple[Callable[[Fact], tuple], dict[tuple, bool]]] = {}  # excludes' classes
        self._layout = {t: _projection(("t", *sorted(f))) for t, f in fields.items()}
        # A fan-out is kept as a seed (fan_out) when the rules read every field its rows vary (else its
        # rows are few once alike ones are merged); a pack of some of the rules spreads the seeds
        # built for all (shard_facts.py). A seed is laid out as its rows are.
        self._seeds = {kind + SEED: kind for kind in SEEDED if kind in self._accepts}
        self._layout.update({seed: self._layout[kind] for seed, kind in self._seeds.items()})
        # The engine itself is sent only the fields patterns test or join on: checks, messages and
        # reports read the run's own facts, found by the matched facts' ids (less JSON in and out of
        # the engine, and smaller copies of the facts in its states).
        engine_fields: dict[str, set[str]] = {t: set() for t in fields}
        for rule in rules:
            for query in rule.queries:
                bound = {p.binding: p.fact for p in query.patterns if p.binding}
                for pattern in query.patterns:
                    engine_fields.setdefault(pattern.fact, set()).update(t.field for t in pattern.tests)
                    for join in pattern.joins:
                        engine_fields[pattern.fact].add(join.field)
                        engine_fields.setdefault(bound[join.binding], set()).add(join.other)
        self._engine_layout = {t: _projection(("t", *sorted(f))) for t, f in engine_fields.items()}
        # Per pattern, what a fact it binds must meet: its constant tests and, per binding it is joined
        # to (by its own joins, or by those of a positive pattern joined to it), a fact of that binding
        # with the same values: (its joined fields, that binding's pattern, their fields) as projections.
        self._meets: dict[str, list[tuple[Pattern, tuple[Meet, ...]]]] = {}
        self._accepted_by: dict[tuple[str, tuple], tuple[Pattern, ...]] = {}
        for rule in rules:
            for query in rule.queries:
                pattern_of = {p.binding: p for p in query.patterns if p.binding}
                for pattern in query.patterns:
                    joined: dict[str, list[tuple[str, str]]] = {}
                    for join in pattern.joins:
                        joined.setdefault(join.binding, []).append((join.field, join.other))
                    for other in query.patterns:
                        for join in other.joins if not other.negated and pattern.binding is not None else ():
                            if join.binding == pattern.binding:
                                joined.setdefault(str(other.binding), []).append((join.other, join.field))
                    meets = tuple(
                        Meet(
                            _items(tuple(mine for mine, _ in pairs)),
                            pattern_of[binding],
                            _items(tuple(theirs for _, theirs in pairs)),
                            tuple(mine for mine, _ in pairs),
                        )
                        for binding, pairs in sorted(joined.items())
                    )
                    self._meets.setdefault(pattern.fact, []).append((pattern, meets))
        # Rules by the fact types their patterns read, in one order: a rule's matches in a shard are a
        # function of the shard's facts of those types alone, so shard_facts.py keeps a shard's
        # matches group by group, and an edit runs the engine only for the groups whose facts changed.
        grouped: dict[tuple[str, ...], list[CompiledRule]] = {}
        for rule in rules:
            types = {p.fact for q in rule.queries for p in q.patterns}
            types |= {seed for seed, kind in self._seeds.items() if kind in types}  # a seed gives its rows
            grouped.setdefault(tuple(sorted(types)), []).append(rule)
        self.groups: list[tuple[tuple[str, ...], list[CompiledRule]]] = sorted(grouped.items(), key=lambda g: g[0])
        self.group_of = {rule.id: g for g, (_, grouped_rules) in enumerate(self.groups) for rule in grouped_rules}
        # Named by everything that defines it: a changed rule is a new pack, never an old one's actions.
        digest = hashlib.sha256(
            json.dumps(
                [
                    [name, definition, rule.origin, [asdict(q) for q in rule.queries], asdict(rule.report), rule.reads]
                    for name, (rule, _, definition) in self.engine_rules.items()
                ],
                sort_keys=True,
                default=str,
            ).encode()
        )
        self.name = f"coherence-{digest.hexdigest()[:16]}"

    @functools.cached_property
    def fact_types(self) -> frozenset[str]:
        """The fact types some pattern reads, and the seeds of those built as seeds: facts.py builds no
        others for this pack (and asks which these are once per fact it might build)."""
        return frozenset(self._accepts) | frozenset(self._seeds)

    def fan_out(
        self, kind: str, fact: Fact, varying: tuple[str, ...], rows: Iterable[tuple], seed: tuple | None = None
    ) -> list[Fact]:
        """`fact` as a fact of type `kind` once per row of values of the `varying` fields, each as
        `prepare` gives it (a statement's cover and span facts, an agreement's admissions: most facts
        of a dense corpus). None is built when the tests on the fields the fact has already rule it
        out (decided once per class of their values). The fields the rules read are gathered once,
        not once per row; rows that differ only in fields no rule reads give one fact (equal facts
        give equal matches, and findings are de-duplicated); relevance is decided once per class of
        the rows' tested values, once for all when no test reads a varying field. A type in SEEDED
        given its `seed` (the values of the row that spreads into the others: facts.spread) is one
        fact, of type kind + SEED, with those values: taking_part spreads it."""
        plan = self._fan_outs[kind, varying] if (kind, varying) in self._fan_outs else self._fan_out_plan(kind, varying)
        if plan is None:
            return []
        names, slots, read_of, verdict_of, fixed_class = plan
        if not self._fixed_accepted(kind, varying, fixed_class(fact), fact):
            return []
        values = [kind if name == "t" else None if name in varying else fact[name] for name in names]
        if seed is not None and kind + SEED in self._seeds and varying == SEEDED[kind] and len(slots) == len(varying):
            values[0] = kind + SEED
            for slot, n in slots:
                values[slot] = seed[n]
            return [dict(zip(names, values, strict=True))]
        verdicts: dict = {}
        seen: set = set()
        made = []
        for row in rows:
            verdict, read = verdicts.get(verdict_of(row)), read_of(row)
            if verdict is False or read in seen:
                continue
            seen.add(read)
            for slot, n in slots:
                values[slot] = row[n]
            prepared = dict(zip(names, values, strict=True))
            if verdict is None:
                verdict = verdicts[verdict_of(row)] = self.relevant(prepared)
                if not verdict:
                    continue
            made.append(prepared)
        return made

    def excludes(self, kinds: tuple[str, ...], known: Fact) -> bool:
        """Whether no pattern of these types accepts a fact with these values, its tests on other
        fields aside (decided once per class of the values, as relevance is)."""
        fields = tuple(known)
        if (kinds, fields) not in self._excluding:
            tests = [test for kind in kinds for ts in self._accepts.get(kind, ()) for test in ts if test.field in known]
            self._excluding[kinds, fields] = (_relevance_key(tests), {})
        class_of, verdicts = self._excluding[kinds, fields]
        key = class_of(known)
        if key not in verdicts:
            verdicts[key] = not self._accepted_on(kinds, known, known.__contains__)
        return verdicts[key]

    def _accepted_on(self, kinds: tuple[str, ...], fact: Fact, judged: Callable[[str], bool]) -> bool:
        """Whether some pattern of these types accepts the fact by its tests on the judged fields."""
        return any(
            all(test.accepts(fact) for test in tests if judged(test.field))
            for kind in kinds
            for tests in self._accepts.get(kind, ())
        )

    def _fan_out_plan(self, kind: str, varying: tuple[str, ...]) -> tuple | None:
        """How fan_out builds facts of this type from rows of these fields (None: the rules read no
        such facts): the type's fields, where each varying one goes, what of a row is read, what of a
        row its tests read, and the class of a fact's values for the tests on the other fields."""
        plan = None
        if kind in self._layout and kind in self._accepts:
            names = self._layout[kind][0]
            slots = [(names.index(name), n) for n, name in enumerate(varying) if name in names]
            read = [n for _, n in slots]
            tested = [n for n, name in enumerate(varying) if name in self._tested_fields[kind]]
            fixed = [test for tests in self._accepts[kind] for test in tests if test.field not in varying]
            plan = (names, slots, _items(tuple(read)), _items(tuple(tested)), _relevance_key(fixed))
        self._fan_outs[kind, varying] = plan
        return plan

    def _fixed_accepted(self, kind: str, varying: tuple[str, ...], fixed_class: tuple, fact: Fact) -> bool:
        """Whether some pattern's tests on the fields other than the varying ones accept the fact."""
        key = (kind, varying, fixed_class)
        if key not in self._fixed_verdicts:
            self._fixed_verdicts[key] = self._accepted_on((kind,), fact, lambda field: field not in varying)
        return self._fixed_verdicts[key]

    def relevant(self, fact: Fact) -> bool:
        """Whether some pattern's constant tests accept the fact (decided once per class of values)."""
        kind = fact["t"]
        tested = self._tested.get(kind)
        if tested is None:
            return False
        key = tested(fact)
        accepting = self._accepted_by.get((kind, key))  # the common case, without a call
        return bool(accepting if accepting is not None else self._accepting(kind, key, fact))

    def prepare(self, fact: Fact) -> Fact | None:
        """The fact as a run holds it: None when no rule can use it, else projected onto the fields
        the rules read (their patterns, checks, messages and reports)."""
        if not self.relevant(fact):
            return None
        names, values = self._layout[fact["t"]]
        return dict(zip(names, values(fact), strict=True))

    def taking_part(self, facts: list[Fact], spread: Spread) -> list[Fact]:
        """The facts (of types the pack reads) that some pattern could bind among these: its constant
        tests accept the fact, and for each binding it is joined to, a fact that binding's tests accept
        has the values the joins ask for. No other can be in a match or block one (a negation is such a
        pattern too): the engine is given only these, in their order. One pass of the semi-join
        reduction: in a dense corpus it leaves a quarter of the facts (most spans meet no other
        statement's cover; most obligations no ratification). A seed (fan_out) stands, in its place,
        for those of its rows that meet what their patterns join them to on the fields they vary."""
        classes: dict[str, dict[tuple, list[Fact]]] = {}  # per type, its facts by what its tests read
        seeds: list[Fact] = []
        for fact in facts:
            kind = fact["t"]
            if kind in self._seeds:
                seeds.append(fact)
                continue
            classes.setdefault(kind, {}).setdefault(self._tested[kind](fact), []).append(fact)
        accepted: dict[int, list[Fact]] = {}  # by id(pattern): the facts its constant tests accept
        self._accept(classes, accepted)
        values: dict[int, set] = {}  # by id(projection): the values it gives of the facts it is for
        if seeds:
            rows = self._spread(seeds, accepted, values, spread)
            spread_classes: dict[str, dict[tuple, list[Fact]]] = {}
            for row in itertools.chain.from_iterable(rows.values()):
                spread_classes.setdefault(row["t"], {}).setdefault(self._tested[row["t"]](row), []).append(row)
            self._accept(spread_classes, accepted)
            for kind, alike in spread_classes.items():
                for key, those in alike.items():
                    classes.setdefault(kind, {}).setdefault(key, []).extend(those)
            facts = [row for fact in facts for row in (rows[id(fact)] if fact["t"] in self._seeds else (fact,))]
        taking: set[int] = set()
        for kind in classes:
            for pattern, meets in self._meets.get(kind, ()):
                those = accepted.get(id(pattern), [])
                for mine, other, theirs, _ in meets:
                    if id(theirs) not in values:
                        values[id(theirs)] = set(map(theirs, accepted.get(id(other), ())))
                    wanted = values[id(theirs)]
                    those = [fact for fact in those if mine(fact) in wanted]
                taking.update(map(id, those))
        return [fact for fact in facts if id(fact) in taking]

    def _accept(self, classes: dict[str, dict[tuple, list[Fact]]], accepted: dict[int, list[Fact]]) -> None:
        for kind, alike in classes.items():
            for key, those in alike.items():
                for pattern in self._accepting(kind, key, those[0]):
                    accepted.setdefault(id(pattern), []).extend(those)

    def _spread(
        self, seeds: list[Fact], accepted: dict[int, list[Fact]], values: dict[int, set], spread: Spread
    ) -> dict[int, list[Fact]]:
        """By id(seed), its rows (in the order fan_out builds them) that some pattern of their type
        could bind as far as its tests on the fields they do not vary and its joins tell: for each
        binding it is joined to, a fact accepted there has the same values. Every row that
        taking_part keeps is among them (it meets all its joins), and every row that lets another
        fact meet its join (that fact's join is this row's, reversed)."""
        targets: dict[str, list[tuple[Pattern, list[tuple[Callable, Callable, dict]]]] | None] = {}
        patterns_of: dict[tuple[str, tuple], list[list[tuple[Callable, Callable, dict]]] | None] = {}
        rows: dict[int, list[Fact]] = {}
        for seed in seeds:
            kind = self._seeds[seed["t"]]
            varying = SEEDED[kind]
            if kind not in targets:
                targets[kind] = self._targets(kind, varying, accepted, values)
            per_pattern = targets[kind]
            # The patterns whose tests on the other fields accept the seed, decided once per class.
            key = (kind, self._tested[kind](seed))
            if key not in patterns_of:
                patterns_of[key] = (
                    None
                    if per_pattern is None
                    else [
                        checks
                        for pattern, checks in per_pattern
                        if all(test.accepts(seed) for test in pattern.tests if test.field not in varying)
                    ]
                )
            # Per pattern that some row could meet, per join that not every row does: where a row's
            # values of the varying fields must be among.
            among: list[list[tuple[Callable, set]]] | None = None
            candidates = patterns_of[key]
            if candidates is not None:
                among = []
                for checks in candidates:
                    joins = [(row_of, wanted.get(fixed(seed), _NONE)) for fixed, row_of, wanted in checks]
                    if all(them for _, them in joins):
                        among.append([(row_of, them) for row_of, them in joins if them != _EVERY])
            made = []
            for row in itertools.product(*spread(kind, seed)) if among != [] else ():
                if among is not None and not any(all(row_of(row) in them for row_of, them in c) for c in among):
                    continue
                fact = dict(seed)
                fact["t"] = kind
                fact.update(zip(varying, row, strict=True))
                made.append(fact)
            rows[id(seed)] = made
        return rows

    def _targets(
        self, kind: str, varying: tuple[str, ...], accepted: dict[int, list[Fact]], values: dict[int, set]
    ) -> list[tuple[Pattern, list[tuple[Callable, Callable, dict]]]] | None:
        """Per pattern of the type, per join of it: (the seed's values of the joined fields its rows
        do not vary, a row's of those they do, the values facts accepted at the other end have: the
        varying part by the rest). None: every row may be bound (a pattern joined to a binding of a
        seeded type, whose rows are not spread yet)."""
        per_pattern = []
        for pattern, meets in self._meets.get(kind, ()):
            if any(meet.other.fact in SEEDED for meet in meets):
                return None
            checks = []
            for meet in meets:
                fixed = tuple(n for n, name in enumerate(meet.fields) if name not in varying)
                moving = tuple(n for n, name in enumerate(meet.fields) if name in varying)
                if id(meet.theirs) not in values:
                    values[id(meet.theirs)] = set(map(meet.theirs, accepted.get(id(meet.other), ())))
                wanted: dict[tuple, set[tuple]] = {}
                for them in values[id(meet.theirs)]:
                    wanted.setdefault(tuple(them[n] for n in fixed), set()).add(tuple(them[n] for n in moving))
                seed_fields = _items(tuple(meet.fields[n] for n in fixed))
                row_places = _items(tuple(varying.index(meet.fields[n]) for n in moving))
                checks.append((seed_fields, row_places, wanted))
            per_pattern.append((pattern, checks))
        return per_pattern

    def _accepting(self, kind: str, key: tuple, fact: Fact) -> tuple[Pattern, ...]:
        """The patterns of this type whose constant tests accept the facts of this class of values
        (`_tested`): decided once per class."""
        if (kind, key) not in self._accepted_by:
            self._accepted_by[kind, key] = tuple(
                pattern for pattern, _ in self._meets.get(kind, ()) if all(t.accepts(fact) for t in pattern.tests)
            )
        return self._accepted_by[kind, key]

    def compact(self, fact: Fact) -> tuple:
        """A prepared fact as the tuple of its values (its type first), to be expanded again."""
        return self._layout[fact["t"]][1](fact)

    def expand(self, values: tuple) -> Fact:
        return dict(zip(self._layout[values[0]][0], values, strict=True))

    def engine_view(self, fact: Fact) -> Fact:
        """A prepared fact as the engine is sent it: the fields patterns test or join on."""
        names, values = self._engine_layout[fact["t"]]
        return dict(zip(names, values(fact), strict=True))

    def definition(self) -> dict:
        # durable-rules hands out a state's pending actions lowest `pri` first: the end-of-run
        # action, with the highest, runs last, and so proves that every match was handed out.
        ruleset: dict[str, dict] = {END_RULE: {"all": [{TRIGGER: {"t": TRIGGER}}], "pri": 1, "run": _end_of_run}}
        for name, (rule, q, definition) in self.engine_rules.items():
            ruleset[name] = {"all": definition, "run": _action(rule, q)}
        return ruleset


_HOST: _QuietHost | None = None
_REGISTERED: dict[str, Pack] = {}
_PACK_OF: dict[tuple[int, ...], tuple[tuple[CompiledRule, ...], Pack]] = {}  # by the ids of its rules
_SIDS = itertools.count(1)
# sid -> its result, each fact id's position, the facts run (in full: the engine holds their engine views)
_COLLECTING: dict[str, tuple[RunResult, dict[str, int], list[Fact]]] = {}


def _action(rule: CompiledRule, q: int) -> Callable[[Fired], None]:
    query = rule.queries[q]
    bound = [(p.binding, p) for p in query.patterns if p.binding is not None]
    bindings = [b for b, _ in bound]
    deferred = [(b, t) for b, p in bound for t in _deferred(p)]  # a negated pattern defers nothing

    def run(fired: Fired) -> None:
        collecting = _COLLECTING.get(fired.sid)
        if collecting is None:
            return
        result, position, facts = collecting
        try:
            places = {b: position[fired.facts[b]["id"]] for b in bindings}
            match = {b: facts[p] for b, p in places.items()}
            if not (all(test.accepts(match[b]) for b, test in deferred) and query.accepts(match)):
                return
            result.match_counts[rule.id] += 1
            if not result.match_limit or result.match_counts[rule.id] <= result.match_limit:
                # beyond the limit: counted, reported as cut short
                result.matches.append((rule.id, q, places))
        except Exception as exc:  # the engine would swallow it: record it against the rule
            result.errors.append((rule.id, f"{type(exc).__name__}: {exc}"))

    return run


def _end_of_run(fired: Fired) -> None:
    collecting = _COLLECTING.get(fired.sid)
    if collecting is not None:
        collecting[0].completed = True


def register(rules: list[CompiledRule]) -> Pack:
    """Register a pack once per process (ruleset names are global and cannot be removed). The very
    same rule objects (a `coherence serve` process compiles a pack once) give their pack at once."""
    global _HOST
    known = _PACK_OF.get(tuple(map(id, rules)))
    if known is not None:  # kept alive with it, the rules' ids are still theirs
        return known[1]
    pack = Pack(rules)
    if pack.name not in _REGISTERED:
        if _HOST is None:
            _HOST = _QuietHost()
        _HOST.register_rulesets({pack.name: pack.definition()})
        _REGISTERED[pack.name] = pack
    _PACK_OF[tuple(map(id, rules))] = (tuple(rules), _REGISTERED[pack.name])
    return _REGISTERED[pack.name]


def _fresh_sid() -> str:
    return f"{os.getpid()}-{next(_SIDS)}"


def fnv1_32(text: str) -> int:
    """durable-rules' hash of a message id (src/rules/state.c, storeMessage): a second message of a
    state whose id hashes alike is dropped as "already observed"."""
    value = FNV_OFFSET
    for byte in text.encode():
        value = ((value ^ byte) * FNV_PRIME) & 0xFFFFFFFF
    return value


def _unused_id(base: str, used: set[int]) -> tuple[str, int]:
    for salt in itertools.count(1):
        candidate = f"{base}~{salt}"
        value = fnv1_32(candidate)
        if value not in used:
            return candidate, value
    raise AssertionError("unreachable")


def distinct_ids(count: int, sid: str) -> tuple[list[str], set[int]]:
    """Ids for a state's `count` facts whose 32-bit hashes differ from each other's and from the
    state's own message (`sid-<sid>`), with the set of hashes they use. Fact i is `i` (its hash
    extends the hash of `i // 10` by one digit: one step per fact), salted as `i~k` in the rare
    case of a collision."""
    used = {fnv1_32(f"sid-{sid}")}
    ids: list[str] = []
    plain: list[int] = []  # the hash of str(i), salted or not
    for i in range(count):
        text = str(i)
        value = (((plain[i // 10] if i >= 10 else FNV_OFFSET) ^ ord(text[-1])) * FNV_PRIME) & 0xFFFFFFFF
        plain.append(value)
        if value in used:
            text, value = _unused_id(text, used)
        used.add(value)
        ids.append(text)
    return ids, used


def _assert_all(pack: Pack, facts: list[Fact]) -> bool:
    """Assert facts in batches; whether the engine dropped any as already observed."""
    assert _HOST is not None
    dropped = False
    for start in range(0, len(facts), BATCH):
        try:
            _HOST.assert_facts(pack.name, facts[start : start + BATCH])
        except durable.MessageObservedException:
            dropped = True  # the rest of the batch is stored: only that fact is missing
        except durable.MessageNotHandledException as exc:
            raise EngineError(f"the engine did not accept a fact: {str(exc)[:200]}") from None
    return dropped


def _reassert_dropped(
    pack: Pack, sid: str, payload: list[Fact], used: set[int], result: RunResult, position: dict[str, int]
) -> bool:
    """Find the facts the engine dropped as already observed (those it does not hold) and assert
    them again under fresh ids; whether they all stayed. Only reached if `distinct_ids` and the
    engine disagree about the hash."""
    assert _HOST is not None
    for _ in range(RETRIES):
        held = {fact["id"] for fact in _HOST.get_facts(pack.name, sid)}
        missing = [i for i, fact in enumerate(payload) if fact["id"] not in held]
        if not missing:
            return True
        for i in missing:
            payload[i]["id"], value = _unused_id(payload[i]["id"], used)
            used.add(value)
            position[payload[i]["id"]] = i
        result.reasserted.extend(missing)
        _assert_all(pack, [payload[i] for i in missing])
    return False


def _attempt(pack: Pack, facts: list[Fact], match_limit: int) -> RunResult:
    """One run of a shard in a fresh state."""
    assert _HOST is not None
    sid = _fresh_sid()
    result = RunResult(match_limit=match_limit)
    ids, used = distinct_ids(len(facts) + 1, sid)
    position = {fact_id: i for i, fact_id in enumerate(ids[:-1])}
    _COLLECTING[sid] = (result, position, facts)
    trigger: dict | None = {"t": TRIGGER, "sid": sid, "id": ids[-1]}
    try:
        payload = [dict(pack.engine_view(f), sid=sid, id=ids[i]) for i, f in enumerate(facts)]
        if _assert_all(pack, payload) and not _reassert_dropped(pack, sid, payload, used, result, position):
            raise EngineError(f"the engine kept dropping {len(result.reasserted)} facts as already observed")
        _HOST.assert_fact(pack.name, trigger)
        trigger = None
        state = _HOST.get_state(pack.name, sid)
        if state.get("exception"):
            result.errors.append(("", str(state["exception"])[:500]))
        result.errors += [
            (rule_id, f"it matched {count} times, over the limit of {match_limit}: only the first {match_limit} count")
            for rule_id, count in sorted(result.match_counts.items())
            if match_limit and count > match_limit
        ]
    finally:
        del _COLLECTING[sid]
        if trigger is not None:  # make sure an action ran: deleting a state where none ran segfaults
            _HOST.assert_fact(pack.name, trigger)
        _HOST.delete_state(pack.name, sid)
    return result


def run(pack: Pack, facts: list[Fact], match_limit: int = 0) -> RunResult:
    """Evaluate one shard's facts (each accepted by `pack.relevant`) in a state of its own,
    keeping at most `match_limit` matches per rule (0: all); a run whose end-of-run action did
    not run is retried, and never reported as it is."""
    for attempt in range(RETRIES):
        result = _attempt(pack, facts, match_limit)
        if result.completed:
            result.retries = attempt
            return result
    raise EngineError(f"the engine did not finish evaluating a shard in {RETRIES} attempts")
