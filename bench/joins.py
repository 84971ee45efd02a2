#!/usr/bin/env python3
"""Benchmark of the engine stage against plain-Python hash joins, rule family by rule family (the
directory of the rule file under rules/), on the same facts: each family's rules as a pack of their
own, each shard's facts as that pack prepares them, the engine run in this process (jobs 1) next to
a hash-index joiner over the same fact list. Prints, per family, the engine's and the joiner's
seconds, their ratio, the matches of the rules' patterns before their checks (the engine runs an
action for each), the engine's accepted matches, and how many accepted matches the two disagree on
(each match named by the positions of its facts in the shard's list); asserts nothing.

    python bench/joins.py [--records 10000] [--seed 1] [--density 20]

The engine keeps every match (no match limit): the limit only stops it keeping them, every match
still runs its action, so the engine does the work of a run. Building facts is timed on neither side.
"""

from __future__ import annotations

import argparse
import collections
import gc
import sys
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(HERE.parent))
import corpus_gen  # noqa: E402

from coherence_rules import Settings, engine, pipeline  # noqa: E402
from coherence_rules.cost import within_fact_budget  # noqa: E402
from coherence_rules.facts import Context, Fact, context, obligation_facts  # noqa: E402
from coherence_rules.ir import CompiledRule, Match, Pattern, Query  # noqa: E402
from coherence_rules.load import load_bytes, read_file  # noqa: E402
from coherence_rules.obligations import load_obligations  # noqa: E402
from coherence_rules.settings import builtin_rules_dir  # noqa: E402
from coherence_rules.shard_facts import ShardFacts  # noqa: E402
from coherence_rules.shards import Shard, pair_shards, shards  # noqa: E402
from coherence_rules.validate import Corpus, validate  # noqa: E402

MatchKey = tuple[str, int, tuple[tuple[str, int], ...]]  # rule id, query, (binding, fact position) sorted


class ShardIndex:
    """One shard's facts by type, and per pattern (type, constant tests, joined fields) the facts its
    tests accept hashed by the joined fields' values, built on first use (as Rete's alpha memories
    filter each fact once, not once per partial match)."""

    def __init__(self, facts: list[Fact]):
        self.by_type: dict[str, list[Fact]] = collections.defaultdict(list)
        for fact in facts:
            self.by_type[fact["t"]].append(fact)
        self._indexes: dict[tuple, dict[tuple, list[Fact]]] = {}

    def index(self, pattern: Pattern) -> dict[tuple, list[Fact]]:
        fields = tuple(j.field for j in pattern.joins)
        key = (pattern.fact, pattern.tests, fields)
        if key not in self._indexes:
            index: dict[tuple, list[Fact]] = collections.defaultdict(list)
            for fact in self.by_type.get(pattern.fact, ()):
                if all(test.accepts(fact) for test in pattern.tests):
                    index[tuple(fact[f] for f in fields)].append(fact)
            self._indexes[key] = index
        return self._indexes[key]


def joined(query: Query, shard: ShardIndex) -> list[Match]:
    """The query's patterns matched in order, before its checks: each partial match is extended by the
    facts its join key finds; a negation keeps it only when none is found."""
    partials: list[Match] = [{}]
    for pattern in query.patterns:
        index = shard.index(pattern)
        joins = [(j.binding, j.other) for j in pattern.joins]
        if pattern.binding is None:
            partials = [m for m in partials if tuple(m[b][o] for b, o in joins) not in index]
        else:
            bound = pattern.binding
            partials = [{**m, bound: f} for m in partials for f in index.get(tuple(m[b][o] for b, o in joins), ())]
    return partials


def load_corpus(root: Path, settings: Settings) -> Corpus:
    """The corpus as a run reads and validates it, less the records over the fact budget."""
    loaded = []
    for path in sorted(root.rglob("*.yaml")):
        shown = path.relative_to(root).as_posix()
        source = read_file(path, shown, settings.limits)
        loaded.append(load_bytes(source, shown, settings.limits) if isinstance(source, bytes) else source)
    corpus, _ = within_fact_budget(validate(loaded), settings.limits.max_facts_per_record)
    return corpus


def families(settings: Settings) -> dict[str, list[CompiledRule]]:
    """The pack's compiled rules by family: the directory of their rule file."""
    loaded = pipeline.load_rules(settings)[0]
    family = {r.spec.id: Path(r.path).parent.name for r in loaded}
    grouped: dict[str, list[CompiledRule]] = collections.defaultdict(list)
    for rule in pipeline.compiled(loaded):
        grouped[family[rule.id]].append(rule)
    return dict(sorted(grouped.items()))


@dataclass
class Tally:
    """One family's (or all families') shards, facts, seconds and matches."""

    shards: int = 0
    facts: int = 0
    engine_seconds: float = 0.0
    python_seconds: float = 0.0
    joined: int = 0  # matches of the patterns before the checks: the engine runs an action for each
    matches: int = 0  # the engine's accepted matches
    disagreements: int = 0  # matches only one side found (a multiset difference)
    errors: int = 0  # the engine's (E007 in a run)

    def add(self, other: Tally) -> None:
        for name, value in vars(other).items():
            setattr(self, name, getattr(self, name) + value)

    def row(self, family: str, rules: str) -> str:
        ratio = self.engine_seconds / self.python_seconds if self.python_seconds else float("nan")
        errors = f"  engine errors: {self.errors}" if self.errors else ""
        return (
            f"{family:<7}{rules:>6}{self.shards:>8}{self.facts:>11}{self.engine_seconds:>10.2f}"
            f"{self.python_seconds:>10.2f}{ratio:>10.1f}{self.joined:>9}{self.matches:>9}{self.disagreements:>9}{errors}"
        )


def measure(rules: list[CompiledRule], evaluated: list[Shard], ctx: Context, shared: list[Fact], tally: Tally) -> None:
    """Run one family's rules of one scope on every shard, both ways, into the tally."""
    pack = engine.register(rules)
    shard_facts = ShardFacts(pack, ctx, shared, None, 0)
    for shard in evaluated:
        facts = shard_facts.plan(shard).facts
        assert facts is not None  # no index: every shard's facts are built
        started = time.perf_counter()
        result = engine.run(pack, facts)
        tally.engine_seconds += time.perf_counter() - started

        started = time.perf_counter()
        index = ShardIndex(facts)
        found: list[tuple[str, int, list[Match]]] = []
        for rule in rules:
            for q, query in enumerate(rule.queries):
                matches = joined(query, index)
                tally.joined += len(matches)
                found.append((rule.id, q, [m for m in matches if query.accepts(m)]))
        tally.python_seconds += time.perf_counter() - started

        position = {id(fact): n for n, fact in enumerate(facts)}
        by_engine = collections.Counter(match_key(rule_id, q, ps) for rule_id, q, ps in result.matches)
        by_python = collections.Counter(
            match_key(rule_id, q, {b: position[id(f)] for b, f in m.items()})
            for rule_id, q, matches in found
            for m in matches
        )
        tally.shards += 1
        tally.facts += len(facts)
        tally.matches += len(result.matches)
        tally.errors += len(result.errors)
        tally.disagreements += sum(((by_engine - by_python) + (by_python - by_engine)).values())


def match_key(rule_id: str, query: int, positions: dict[str, int]) -> MatchKey:
    return rule_id, query, tuple(sorted(positions.items()))


def rows(corpus: Corpus, settings: Settings) -> Iterator[tuple[str, int, Tally]]:
    ctx = context(corpus, settings.as_of)
    shared = obligation_facts(load_obligations([builtin_rules_dir()]))
    scoped = {"country": shards(corpus), "pair": pair_shards(corpus)}
    for family, rules in families(settings).items():
        tally = Tally()
        for scope, evaluated in scoped.items():
            in_scope = [r for r in rules if r.scope == scope]
            if in_scope:
                measure(in_scope, evaluated, ctx, shared, tally)
        yield family, len(rules), tally


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--records", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--density", type=int, default=20, help="plants per rule and 1,000 records")
    args = parser.parse_args()
    settings = Settings(as_of=corpus_gen.REFERENCE_DATE)
    with tempfile.TemporaryDirectory() as tmp:
        corpus_gen.write(corpus_gen.generate(args.seed, args.records, density=args.density), Path(tmp))
        corpus = load_corpus(Path(tmp), settings)
    gc.freeze()  # the corpus lives throughout: full collections walking it would land in either timed stage
    print(f"corpus: seed {args.seed}, {len(corpus.records)} records, density {args.density}")
    header = (
        "family",
        "rules",
        "shards",
        "facts",
        "engine s",
        "python s",
        "engine/py",
        "joined",
        "matches",
        "disagree",
    )
    print("{:<7}{:>6}{:>8}{:>11}{:>10}{:>10}{:>10}{:>9}{:>9}{:>9}".format(*header))
    total = Tally()
    for family, count, tally in rows(corpus, settings):
        print(tally.row(family, str(count)), flush=True)
        total.add(tally)
    print(total.row("all", ""))


if __name__ == "__main__":
    main()
