"""Engine stage: run compiled rules over one shard's facts on durable-rules, walled in.

What the wall does (engine-notes.md):
- one host per process without the library's timer threads; each pack registered once;
- every run gets a fresh state id and its state is deleted afterwards; an end-of-run rule
  on the trigger fact guarantees an action ran (deleting a state where none ran segfaults);
- data facts first, trigger fact last, so negations see every blocking fact;
- a spurious "already observed" fact (32-bit hash collision) makes the run retry with a
  fresh state id; exceptions the engine swallows in actions come back as rule errors.
"""
from __future__ import annotations

import hashlib
import itertools
import json
import multiprocessing
import os
from dataclasses import dataclass, field
from typing import Iterable, Iterator

from durable import engine as durable

from .compiler import TRIGGER, Alternative, CompiledRule, Match

END_RULE = "zz-end-of-run"
BATCH = 200  # facts per assert_facts call: small batches stay in the engine's correct regime
RETRIES = 3


class _QuietHost(durable.Host):
    """durable-rules' Host starts two self-re-arming timer threads per host; we dispatch ourselves."""

    def _run(self):
        pass


@dataclass
class RunResult:
    matches: list[tuple[str, str, Match]] = field(default_factory=list)  # rule id, message template, match
    errors: list[tuple[str, str]] = field(default_factory=list)  # (rule id or "", message)
    retries: int = 0


class EngineError(Exception):
    pass


_HOST: _QuietHost | None = None
_REGISTERED: dict[str, "Pack"] = {}
_SIDS = itertools.count(1)
_COLLECTING: dict[str, RunResult] = {}


class Pack:
    """A set of compiled rules registered as one durable-rules ruleset."""

    def __init__(self, rules: list[CompiledRule]):
        self.by_id = {r.id: r for r in rules}
        self.by_name = {f"r{i:03d}-{r.id}-{k}": (r, alternative)
                        for i, r in enumerate(rules) for k, alternative in enumerate(r.alternatives)}
        alpha: dict[str, set[str]] = {}  # fact type -> distinct constant-test lists (as JSON)
        for _, alternative in self.by_name.values():
            for part in alternative.definition[1:]:
                for pattern in part.values():
                    type_test, *tests = pattern["$and"]
                    constants = [t for t in tests if not any(isinstance(v, dict) for v in t.values())
                                 or next(iter(t)) in ("$or", "$neq", "$gte")]
                    alpha.setdefault(type_test["t"], set()).add(json.dumps(constants, sort_keys=True))
        self._alpha = {t: [_predicate(json.loads(c)) for c in sorted(lists)] for t, lists in alpha.items()}
        # Relevance depends only on the fields the constant tests read: decide each projection once.
        self._tested = {t: tuple(sorted(set().union(*(_fields(json.loads(c)) for c in lists))))
                        for t, lists in alpha.items()}
        self._relevance: dict[tuple, bool] = {}
        self._fields: dict[str, tuple[str, ...]] = {}
        for rule in rules:
            for fact_type, fields in rule.fields.items():
                self._fields[fact_type] = tuple(sorted(set(self._fields.get(fact_type, ())) | fields))
        # Named by everything that defines it (checks and messages live in the specs, not in the
        # engine definitions): a changed rule is a new pack, never an old one's actions.
        digest = hashlib.sha256(json.dumps(
            [[name, a.definition, r.rule.spec.model_dump_json()] for name, (r, a) in self.by_name.items()],
            sort_keys=True).encode()).hexdigest()
        self.name = f"coherence-{digest[:16]}"

    def relevant(self, fact: dict) -> bool:
        """Whether some pattern's constant tests accept the fact. The engine rejects a batch
        holding a fact no pattern accepts (MessageNotHandledException) while storing the rest,
        so only relevant facts are asserted and a rejection always means a real fault."""
        kind = fact["t"]
        if kind not in self._alpha:
            return False
        key = (kind, *(fact[field] for field in self._tested[kind]))
        if key not in self._relevance:
            self._relevance[key] = any(accepts(fact) for accepts in self._alpha[kind])
        return self._relevance[key]

    def prepare(self, fact: dict) -> dict | None:
        """The fact as the engine gets it: None when no rule can use it, else projected onto the
        fields the rules read (smaller facts: less JSON in and out of the engine)."""
        if not self.relevant(fact):
            return None
        return {"t": fact["t"], **{field: fact[field] for field in self._fields[fact["t"]]}}

    def definition(self) -> dict:
        ruleset = {name: {"all": alternative.definition, "run": _action(rule, alternative)}
                   for name, (rule, alternative) in self.by_name.items()}
        ruleset[END_RULE] = {"all": [{TRIGGER: {"t": TRIGGER}}], "run": _end_of_run}
        return ruleset


def _fields(tests: list[dict]) -> set[str]:
    """The fact fields a list of constant tests reads."""
    fields: set[str] = set()
    for test in tests:
        (key, value), = test.items()
        if key == "$or":
            fields |= _fields(value)
        elif key in ("$neq", "$gte"):
            fields |= set(value)
        else:
            fields.add(key)
    return fields


def _predicate(tests: list[dict]):
    """A Python predicate for a pattern's constant tests (equality, $or, $neq, $gte)."""
    def one(test: dict):
        (key, value), = test.items()
        if key == "$or":
            options = [one(option) for option in value]
            return lambda fact: any(option(fact) for option in options)
        if key in ("$neq", "$gte"):
            (field, operand), = value.items()
            if key == "$neq":
                return lambda fact: fact[field] != operand
            return lambda fact: isinstance(fact[field], (int, float)) and fact[field] >= operand
        return lambda fact: fact[key] == value
    checks = [one(test) for test in tests]
    return lambda fact: all(check(fact) for check in checks)


def _action(rule: CompiledRule, alternative: Alternative):
    bindings = list(alternative.bound_facts)

    def run(c):
        result = _COLLECTING.get(c.s.sid)
        if result is None:
            return
        try:
            facts = c._m  # the binding -> fact dict durable-rules hands to 'all' rules
            match = {b: {k: v for k, v in facts[b].items() if k not in ("sid", "n")} for b in bindings}
            if alternative.check(match):
                result.matches.append((rule.id, alternative.message, match))
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


def run(pack: Pack, facts: list[dict]) -> RunResult:
    """Evaluate one shard's facts (each accepted by `pack.relevant`) in a state of its own;
    retry on spurious duplicates."""
    assert _HOST is not None
    for attempt in range(RETRIES):
        sid = _fresh_sid()
        result = RunResult(retries=attempt)
        _COLLECTING[sid] = result
        observed = False
        trigger = {"t": TRIGGER, "sid": sid, "n": len(facts)}
        try:
            payload = [dict(f, sid=sid, n=i) for i, f in enumerate(facts)]
            for start in range(0, len(payload), BATCH):
                try:
                    _HOST.assert_facts(pack.name, payload[start:start + BATCH])
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


def _run_in_worker(facts: list[dict]) -> RunResult:
    assert _POOL_PACK is not None
    return run(_POOL_PACK, facts)


def run_all(pack: Pack, fact_lists: Iterable[list[dict]], jobs: int = 1) -> Iterator[RunResult]:
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
