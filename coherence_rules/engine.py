"""Engine stage: compiled rules (ir.py) on durable-rules, walled in. The only module that imports
durable-rules or knows its format and its faults (docs/engine-notes.md):

- one host per process without the library's timer threads; each pack registered once;
- every rule starts with a trigger pattern, and the trigger fact is asserted after every data fact,
  so negations are evaluated once all facts are in;
- an `in` test in a pattern that also joins is expanded into one engine rule per value (the engine
  ignores the joins of such a pattern: every pair matched); a negation joined to two bindings is
  refused (answered wrongly); the number of engine rules is bounded (more than 512 hang);
- every run gets a fresh state id, deleted afterwards; an end-of-run rule guarantees an action ran
  (deleting a state where none ran segfaults); a spurious "already observed" fact (32-bit hash
  collision) makes the run retry with a fresh state; exceptions swallowed in actions come back.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import multiprocessing
import os
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass, field

from durable import engine as durable

from .errors import EngineError, RulePackError
from .ir import CompiledRule, Fact, FieldTest, Match, Pattern, Query

TRIGGER = "trigger"
END_RULE = "zz-end-of-run"
MAX_RULES = 400  # create_ruleset hangs past 512 rules hanging off the root
BATCH = 200  # facts per assert_facts call: small batches stay in the engine's correct regime
RETRIES = 3


class _QuietHost(durable.Host):
    """durable-rules' Host starts two self-re-arming timer threads per host; we dispatch ourselves."""

    def _run(self):
        pass


@dataclass
class RunResult:
    matches: list[tuple[str, int, Match]] = field(default_factory=list)  # rule id, query index, match
    errors: list[tuple[str, str]] = field(default_factory=list)  # (rule id or "", message)
    retries: int = 0


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


def engine_rule_count(query: Query) -> int:
    """How many engine rules a query becomes, counted before anything is expanded."""
    return math.prod(
        len(t.value) if isinstance(t.value, tuple) and p.joins and not p.negated and t not in _deferred(p) else 1
        for p in query.patterns
        for t in p.tests
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


class Pack:
    """A set of compiled rules registered as one durable-rules ruleset."""

    def __init__(self, rules: list[CompiledRule]):
        count = sum(engine_rule_count(q) for r in rules for q in r.queries)
        if count > MAX_RULES:
            raise RulePackError(f"the rule pack compiles to {count} engine rules: at most {MAX_RULES} are allowed")
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
        self._fields = {t: tuple(sorted(f)) for t, f in fields.items()}
        self._tested = {
            t: tuple(sorted({test.field for tests in lists for test in tests})) for t, lists in self._accepts.items()
        }
        self._relevance: dict[tuple, bool] = {}
        # Named by everything that defines it: a changed rule is a new pack, never an old one's actions.
        digest = hashlib.sha256(
            json.dumps(
                [
                    [name, definition, rule.origin, [asdict(q) for q in rule.queries], asdict(rule.report)]
                    for name, (rule, _, definition) in self.engine_rules.items()
                ],
                sort_keys=True,
                default=str,
            ).encode()
        )
        self.name = f"coherence-{digest.hexdigest()[:16]}"

    def relevant(self, fact: Fact) -> bool:
        """Whether some pattern's constant tests accept the fact (decided once per projection)."""
        kind = fact["t"]
        if kind not in self._accepts:
            return False
        key = (kind, *(fact[f] for f in self._tested[kind]))
        if key not in self._relevance:
            self._relevance[key] = any(all(t.accepts(fact) for t in tests) for tests in self._accepts[kind])
        return self._relevance[key]

    def prepare(self, fact: Fact) -> Fact | None:
        """The fact as the engine gets it: None when no rule can use it, else projected onto the
        fields the rules read (smaller facts: less JSON in and out of the engine)."""
        if not self.relevant(fact):
            return None
        return {"t": fact["t"], **{f: fact[f] for f in self._fields[fact["t"]]}}

    def definition(self) -> dict:
        ruleset: dict[str, dict] = {
            name: {"all": definition, "run": _action(rule, q)}
            for name, (rule, q, definition) in self.engine_rules.items()
        }
        ruleset[END_RULE] = {"all": [{TRIGGER: {"t": TRIGGER}}], "run": _end_of_run}
        return ruleset


_HOST: _QuietHost | None = None
_REGISTERED: dict[str, Pack] = {}
_SIDS = itertools.count(1)
_COLLECTING: dict[str, RunResult] = {}


def _action(rule: CompiledRule, q: int) -> Callable:
    query = rule.queries[q]
    bindings = [p.binding for p in query.patterns if p.binding]
    deferred = [(p.binding, t) for p in query.patterns for t in _deferred(p)]

    def run(c):
        result = _COLLECTING.get(c.s.sid)
        if result is None:
            return
        try:
            facts = c._m  # the binding -> fact dict durable-rules hands to 'all' rules
            match = {b: {k: v for k, v in facts[b].items() if k not in ("sid", "n")} for b in bindings}
            if all(test.accepts(match[b]) for b, test in deferred) and query.accepts(match):
                result.matches.append((rule.id, q, match))
        except Exception as exc:  # the engine would swallow it: record it against the rule
            result.errors.append((rule.id, f"{type(exc).__name__}: {exc}"))

    return run


def _end_of_run(c):
    pass


def register(rules: list[CompiledRule]) -> Pack:
    """Register a pack once per process (ruleset names are global and cannot be removed)."""
    global _HOST
    pack = Pack(rules)
    if pack.name in _REGISTERED:
        return _REGISTERED[pack.name]
    if _HOST is None:
        _HOST = _QuietHost()
    _HOST.register_rulesets({pack.name: pack.definition()})
    _REGISTERED[pack.name] = pack
    return pack


def _fresh_sid() -> str:
    return f"{os.getpid()}-{next(_SIDS)}"


def run(pack: Pack, facts: list[Fact]) -> RunResult:
    """Evaluate one shard's facts (each accepted by `pack.relevant`) in a state of its own;
    retry on spurious duplicates."""
    assert _HOST is not None
    for attempt in range(RETRIES):
        sid = _fresh_sid()
        result = RunResult(retries=attempt)
        _COLLECTING[sid] = result
        observed = False
        trigger: dict | None = {"t": TRIGGER, "sid": sid, "n": len(facts)}
        try:
            payload = [dict(f, sid=sid, n=i) for i, f in enumerate(facts)]
            for start in range(0, len(payload), BATCH):
                try:
                    _HOST.assert_facts(pack.name, payload[start : start + BATCH])
                except durable.MessageObservedException:
                    observed = True  # a distinct fact hashed like an earlier one: it was dropped
                except durable.MessageNotHandledException as exc:
                    raise EngineError(f"the engine did not accept a fact: {str(exc)[:200]}") from None
            _HOST.assert_fact(pack.name, trigger)
            trigger = None
            state = _HOST.get_state(pack.name, sid)
            if state.get("exception"):
                result.errors.append(("", str(state["exception"])[:500]))
        finally:
            del _COLLECTING[sid]
            if trigger is not None:  # make sure an action ran: deleting a state where none ran segfaults
                _HOST.assert_fact(pack.name, trigger)
            _HOST.delete_state(pack.name, sid)
        if not observed:
            return result
    raise EngineError(f"facts were dropped as duplicates in {RETRIES} attempts")


_POOL_PACK: Pack | None = None


def _run_in_worker(facts: list[Fact]) -> RunResult:
    assert _POOL_PACK is not None
    return run(_POOL_PACK, facts)


def run_all(pack: Pack, fact_lists: Iterable[list[Fact]], jobs: int = 1) -> Iterator[RunResult]:
    """Run shards in order; with jobs > 1 in forked worker processes (the engine's C core never
    releases the GIL, so threads would not help). A forked worker inherits the registered pack;
    results come back in shard order, so output does not depend on scheduling."""
    global _POOL_PACK
    if jobs <= 1 or "fork" not in multiprocessing.get_all_start_methods():
        yield from (run(pack, facts) for facts in fact_lists)
        return
    _POOL_PACK = pack
    try:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            yield from pool.imap(_run_in_worker, fact_lists)
    finally:
        _POOL_PACK = None
