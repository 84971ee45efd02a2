"""The wall around durable-rules: what the compiler lowers, rewrites or refuses, what the engine
expands or refuses, and what the runner catches. Results are compared with expectations written
here, never with the engine itself."""

import collections
import datetime as dt
import itertools
import json
import random
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coherence_rules import engine
from coherence_rules.catalogue import ENGINE_FIELDS
from coherence_rules.compiler import compile_rule, compile_rules
from coherence_rules.errors import RulePackError
from coherence_rules.ir import FieldTest, Join
from coherence_rules.rulespec import LoadedRule, RuleSpec, load_rule_dirs
from coherence_rules.settings import builtin_rules_dir

BASE = {
    "family": "XT",
    "severity": "warning",
    "summary": "a test rule for the engine wall",
    "condition": "whatever the match below says, for a test",
    "rationale": "exercises one construct of the compiler",
    "sources": ["tests"],
    "action": "change what the test asks to change",
    "examples": {"bad": "x", "good": "y"},
}


def rule(id="XT001", name="test-rule", message="{a} matched here", **spec):
    return LoadedRule(
        RuleSpec.model_validate({**BASE, "id": id, "name": name, "message": message, **spec}), "test.yaml", 1
    )


def patterns(compiled, query=0):
    return {p.binding or f"absent{i}": p for i, p in enumerate(compiled.queries[query].patterns)}


def test_overlaps_pairs_one_statements_named_nodes_with_the_others_span():
    compiled = compile_rule(
        rule(
            match=[
                {"a": "objective", "where": {"pole": "positive"}},
                {"b": "objective", "where": {"pole": "negative"}, "same": {"jurisdiction": "a"}, "overlaps": "a"},
            ],
            report={"primary": "a"},
        )
    )
    p = patterns(compiled)
    assert p["a"].fact == "cover" and FieldTest("own", "eq", True) in p["a"].tests
    assert FieldTest("kind", "eq", "objective") in p["a"].tests
    assert p["b"].fact == "span"
    assert set(p["b"].joins) == {
        Join("jurisdiction", "a", "jurisdiction"),
        Join("group", "a", "group"),
        Join("area", "a", "area"),
    }


def test_a_tested_node_makes_both_sides_covers_that_meet_on_it():
    compiled = compile_rule(
        rule(
            match=[
                {"a": "measure", "where": {"group": "irregular_migrant"}},
                {"b": "objective", "same": {"country": "a"}, "overlaps": "a"},
            ],
            report={"primary": "a"},
        )
    )
    p = patterns(compiled)
    assert p["a"].fact == "cover" and FieldTest("own", "eq", True) not in p["a"].tests
    assert p["b"].fact == "cover"


def test_an_absent_overlap_matches_the_span_of_what_must_not_exist():
    compiled = compile_rule(
        rule(
            match=[
                {"a": "statement", "where": {"area": "exit"}},
                {"absent": "objective", "same": {"country": "a"}, "overlaps": "a.group"},
                {"absent": "admission", "same": {"party": "a.country"}, "overlaps": "a.group"},
            ],
            report={"primary": "a"},
        )
    )
    _, objective, admission = compiled.queries[0].patterns
    assert objective.fact == "span" and Join("group", "a", "named_group") in objective.joins
    assert admission.fact == "admission_span" and Join("group", "a", "named_group") in admission.joins


def test_stated_unstated_and_pairs_lower_to_tests_and_checks():
    compiled = compile_rule(
        rule(
            match=[
                {"a": "indicator", "stated": ["year"], "unstated": ["unit"]},
                {"b": "indicator", "same": {"name": "a"}},
            ],
            pairs="unordered",
            report={"primary": "a"},
        )
    )
    a = patterns(compiled)["a"]
    assert FieldTest("year", "ne", "") in a.tests and FieldTest("unit", "eq", "") in a.tests
    (check,) = compiled.queries[0].checks
    assert (check.op, check.left.field, check.right.field) == ("lt", "record", "record")


def test_the_compiler_records_exactly_the_fields_a_rule_reads():
    compiled = compile_rule(
        rule(
            message="{a} ({a.stance}) in {b.year}",
            match=[
                {"a": "objective", "where": {"active": True}},
                {"b": "indicator", "same": {"objective": "a.key"}},
            ],
            check=[{"periods_overlap": ["a", "b"]}],
            report={"primary": "a"},
        )
    )
    reads = dict(compiled.reads)
    assert set(reads["statement"]) == {"ri", "yp", "record", "label", "kind", "active", "stance", "key", "start", "end"}
    assert set(reads["indicator"]) == {"ri", "yp", "record", "objective", "year", "start", "end"}


def test_an_absent_item_comparing_with_two_bindings_is_taken_from_one_when_joins_allow():
    compiled = compile_rule(
        rule(
            match=[
                {"a": "agreement"},
                {"o": "occupation", "same": {"record": "a", "pair": "a"}},
                {"absent": "occupation", "same": {"pair": "a", "code": "o"}},
            ],
            report={"primary": "a"},
        )
    )
    negation = compiled.queries[0].patterns[-1]
    assert {j.binding for j in negation.joins} == {"o"}
    assert set(negation.joins) == {Join("pair", "o", "pair"), Join("code", "o", "code")}


@pytest.mark.parametrize(
    "spec, error",
    [
        ({"match": [{"absent": "statement"}], "report": {"primary": "a"}}, "must start by binding"),
        ({"match": [{"a": "statement", "same": {"group": "b"}}], "report": {"primary": "a"}}, "not bound"),
        (
            {"match": [{"a": "statement", "where": {"group": {"under": "martians"}}}], "report": {"primary": "a"}},
            "'martians' is not a value of group",
        ),
        (
            {"match": [{"a": "statement", "where": {"stance": {"under": "x"}}}], "report": {"primary": "a"}},
            "needs a tree field",
        ),
        (
            {"match": [{"a": "statement", "where": {"stance": "facilitat"}}], "report": {"primary": "a"}},
            "did you mean 'facilitate'",
        ),
        ({"match": [{"a": "statement", "where": {"active": "yes"}}], "report": {"primary": "a"}}, "holds a bool"),
        (
            {"match": [{"a": "statement"}], "check": [{"lt": ["a.start", "z.end"]}], "report": {"primary": "a"}},
            "not <binding>.<field>|not bound",
        ),
        ({"match": [{"s": "statement"}], "report": {"primary": "s"}}, "reserved"),
        (
            {
                "match": [
                    {"a": "agreement"},
                    {"o": "occupation", "same": {"record": "a"}},
                    {"absent": "occupation", "same": {"pair": "a", "code": "o"}},
                ],
                "report": {"primary": "a"},
            },
            r"compares with a, o .*Join o to a",
        ),
        ({"match": [{"bind": "a", "fact": "cover"}], "report": {"primary": "a"}}, "old rule syntax"),
        ({"match": [{"a": "cover"}], "report": {"primary": "a"}}, r"renamed: statement"),
        ({"match": [{"a": "statement", "where": {"stype": "objective"}}], "report": {"primary": "a"}}, "renamed: kind"),
        ({"match": [{"a": "policy", "overlaps": "a"}], "report": {"primary": "a"}}, "cannot overlap"),
        (
            {"match": [{"a": "statement"}], "check": [{"overlap": ["a", "a"]}], "report": {"primary": "a"}},
            "renamed periods_overlap",
        ),
        ({"match": [{"a": "statement"}], "report": {"primary": "a", "every": "a.stance"}}, "one value per fact"),
    ],
)
def test_compiler_refuses_dangerous_or_broken_constructs(spec, error):
    with pytest.raises((RulePackError, ValueError), match=error):
        compile_rule(rule(**spec))


def test_in_beside_a_join_is_expanded_and_every_engine_rule_starts_with_the_trigger():
    compiled = compile_rule(
        rule(
            match=[
                {"a": "statement", "where": {"pole": {"in": ["positive", "negative"]}}},
                {"b": "statement", "where": {"stance": {"in": ["restrict", "deter"]}}, "same": {"country": "a"}},
                {"absent": "coverage", "where": {"branch": {"in": ["old_age", "invalidity"]}}, "same": {"pair": "a"}},
            ],
            report={"primary": "a"},
        )
    )
    definitions = engine._definitions(compiled, compiled.queries[0])
    assert len(definitions) == 2 == engine.engine_rule_count(compiled.queries[0])  # one per option of b's `in`
    for definition in definitions:
        assert definition[0] == {"trigger": {"t": "trigger"}}
        assert "$or" not in json.dumps(definition[2:]), "an $or beside a join makes the engine ignore the joins"
        assert sum(1 for part in definition if next(iter(part)).endswith("$not")) == 2
    assert "$or" in json.dumps(definitions[0][1])  # no join there: kept


def test_rule_count_is_bounded_before_anything_is_expanded(monkeypatch):
    monkeypatch.setattr("coherence_rules.engine.MAX_RULES", 3)
    rules = compile_rules(
        [rule(id=f"XT00{i}", name=f"r-{i}", match=[{"a": "statement"}], report={"primary": "a"}) for i in range(4)]
    )
    with pytest.raises(RulePackError, match="at most 3"):
        engine.Pack(rules)


def facts(*items):
    return [{"t": "statement", "ri": 0, "yp": "", "record": "", **item} for item in items]


def simple_pack():
    return engine.register(
        compile_rules(
            [rule(match=[{"a": "measure"}, {"absent": "objective", "same": {"country": "a"}}], report={"primary": "a"})]
        )
    )


def test_negation_sees_blocking_facts_asserted_after_the_fact_it_guards():
    pack = simple_pack()
    data = facts(
        {"kind": "measure", "country": "XAA"},
        {"kind": "objective", "country": "XAA"},
        {"kind": "measure", "country": "XAB"},
    )
    matched = sorted(data[m["a"]]["country"] for _, _, m in engine.run(pack, data).matches)
    assert matched == ["XAB"]


def test_states_are_deleted_and_runs_do_not_leak(monkeypatch):
    pack = simple_pack()
    deleted = []
    original = engine._HOST.delete_state
    monkeypatch.setattr(engine._HOST, "delete_state", lambda name, sid: (deleted.append(sid), original(name, sid)))
    for _ in range(1100):  # more than the 1,024 live states after which the engine raises MemoryError
        engine.run(pack, facts({"kind": "objective", "country": "XAA"}))
    assert len(deleted) == 1100 and not engine._COLLECTING


def test_an_exception_in_a_rule_becomes_an_e007_finding(corpus, tmp_path_factory):
    """A custom rule comparing a number with a text raises inside the engine's action: the engine
    would swallow it; the run reports it instead of looking clean."""
    root = tmp_path_factory.mktemp("pack")  # outside the corpus
    pack = root / "XT"
    pack.mkdir()
    (pack / "XT001-broken-compare.yaml").write_text(
        json.dumps(
            {
                **BASE,
                "id": "XT001",
                "name": "broken-compare",
                "message": "{a} matched here",
                "match": [{"a": "indicator"}],
                "check": [{"lt": ["a.year", "a.name"]}],
                "report": {"primary": "a"},
            }
        )
    )
    report = corpus(
        {
            "a.yaml": """\
        coherence: 1
        kind: policy
        id: XAA-A
        type: law
        status: in_force
        jurisdiction: {country: XAA, level: national}
        objectives:
          - {id: O1, stance: protect, groups: [refugee], areas: [education],
             indicators: [{name: enrolment_rate, target: 95, year: 2028}]}
        """
        },
        select=["XT001"],
        rule_dirs=[root],
    )
    assert [(f.rule, f.severity) for f in report.findings] == [("E007", "error")]
    assert "rule XT001 failed in shard XAA: TypeError" in report.findings[0].message


BUILTIN = compile_rules(load_rule_dirs([builtin_rules_dir()]))
BUILTIN_PATTERNS = [p for r in BUILTIN for q in r.queries for p in q.patterns]


def test_the_builtin_pack_compiles_to_a_bounded_number_of_engine_rules():
    assert sum(engine.engine_rule_count(q) for r in BUILTIN for q in r.queries) <= engine.MAX_RULES


def _field_values(fact_type: str, field: str) -> st.SearchStrategy:
    """The constants the builtin patterns compare this field with, and values none of them names."""
    named = {
        v
        for p in BUILTIN_PATTERNS
        if p.fact == fact_type
        for t in p.tests
        if t.field == field
        for v in (t.value if isinstance(t.value, tuple) else (t.value,))
    }
    others = st.sampled_from(["", "XAA", "XAB|XAC", "any"]) | st.integers(-2, 2030) | st.booleans()
    return st.sampled_from(sorted(named, key=repr)) | others if named else others


@st.composite
def _facts_one_field_apart(draw):
    """Facts of one type, each the one before with one field changed: what tells apart the facts a
    memo may confuse."""
    pattern = draw(st.sampled_from([p for p in BUILTIN_PATTERNS if p.tests]))
    fact_type = pattern.fact  # only the fields some pattern tests: relevance reads no others
    fields = sorted({t.field for p in BUILTIN_PATTERNS if p.fact == fact_type for t in p.tests})
    fact = {"t": fact_type, **{f: draw(_field_values(fact_type, f)) for f in fields}}
    for test in pattern.tests:  # the first fact is one this pattern accepts
        if test.op in ("eq", "ge"):
            fact[test.field] = test.value
        elif test.op == "in":
            fact[test.field] = draw(st.sampled_from(test.value))
        elif not test.accepts(fact):
            fact[test.field] = draw(_field_values(fact_type, test.field).filter(lambda v, no=test.value: v != no))
    made = [fact]
    for field in draw(st.lists(st.sampled_from(fields), max_size=120)):
        fact = {**fact, field: draw(_field_values(fact_type, field))}
        made.append(fact)
    return made


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(_facts_one_field_apart())
def test_a_pack_keeps_a_fact_exactly_when_some_pattern_s_constant_tests_accept_it(made):
    """Relevance is decided once per class of values and remembered: whatever the pack decided
    before, a fact is kept exactly when all constant tests of some pattern of its type accept it."""
    pack = engine.Pack(BUILTIN)
    for fact in made:
        expected = any(all(t.accepts(fact) for t in p.tests) for p in BUILTIN_PATTERNS if p.fact == fact["t"])
        assert pack.relevant(fact) == expected, fact


RATIFYING_SHARD = {
    # XAA ratified ICRMW and ILO C097 (not REF-1951, C181 or C189); its residence law denies health
    # care and education to all migrants and conditions housing and pensions for labour migrants.
    "commitments.yaml": """
        coherence: 1
        kind: commitments
        id: XAA-COMMITMENTS
        country: XAA
        ratified:
          - {instrument: ICRMW, year: 2010}
          - {instrument: ILO-C097, year: 1990}
    """,
    "law.yaml": """
        coherence: 1
        kind: policy
        id: XAA-RESIDENCE-LAW
        type: law
        status: in_force
        jurisdiction: {country: XAA, level: national}
        measures:
          - {id: M1, effect: deny, groups: [all_migrants], areas: [health, education]}
          - {id: M2, effect: condition, groups: [labour_migrant], areas: [housing, old_age]}
    """,
}


def test_a_shard_is_given_only_the_obligations_its_ratifications_and_measures_can_join(corpus):
    """The obligations table is shared by every shard; a shard gets the entries some pattern could
    bind there: of an instrument its country ratified, with an effect, area and group of one of its
    measures. IC001 still finds the three breaches (planted), and a shard without commitments gets none."""
    from coherence_rules import pipeline
    from coherence_rules.facts import context, obligation_facts
    from coherence_rules.load import load_file
    from coherence_rules.obligations import load_obligations
    from coherence_rules.settings import Settings
    from coherence_rules.shard_facts import ShardFacts
    from coherence_rules.shards import shards
    from coherence_rules.validate import validate

    report = corpus(RATIFYING_SHARD, select=["IC001"])
    assert sorted((f.location.line, f.message.split("breaches ")[1].split(",")[0]) for f in report.findings) == [
        (9, "ICRMW Art 28"),
        (9, "ICRMW Art 30"),
        (10, "ILO-C097 Art 6"),
    ]
    root = corpus.root
    rules = [r for r in pipeline.compiled(pipeline.load_rules(Settings(cwd=root))[0]) if r.scope == "country"]
    valid = validate([load_file(p, p.name) for p in sorted(root.glob("*.yaml"))])
    pack, ctx = engine.register(rules), context(valid, dt.date(2026, 11, 23))
    shared = obligation_facts(load_obligations([builtin_rules_dir()]))
    table = ShardFacts(pack, ctx, shared, None, 0).shared
    given = [f for f in ShardFacts(pack, ctx, shared, None, 0).plan(shards(valid)[0]).facts if f["t"] == "obligation"]
    assert {f["record"] for f in given} == {"ICRMW Art 28", "ICRMW Art 30", "ILO-C097 Art 6"}
    assert {f["instrument"] for f in given} == {"ICRMW", "ILO-C097"}
    assert 0 < len(given) < len(table) / 10
    (root / "commitments.yaml").unlink()
    valid = validate([load_file(p, p.name) for p in sorted(root.glob("*.yaml"))])
    ctx = context(valid, dt.date(2026, 11, 23))
    assert not [
        f for f in ShardFacts(pack, ctx, shared, None, 0).plan(shards(valid)[0]).facts if f["t"] == "obligation"
    ]


def test_the_engine_is_given_only_facts_that_meet_the_facts_their_patterns_join(corpus):
    """A strategy facilitating labour migrants' entry and a law restricting low-skilled workers' entry
    conflict (HC001, planted). Of their spans (every node pair at, above or below what they name, held
    as one seed per named pair), the engine is given those that meet a cover on the same group and
    area: the law's that meet what the strategy names. No other span can be in a match, nor block one."""
    from conftest import LAW, STRATEGY

    from coherence_rules import pipeline
    from coherence_rules.facts import context, record_facts, spread
    from coherence_rules.load import load_file
    from coherence_rules.settings import Settings
    from coherence_rules.shard_facts import ShardFacts
    from coherence_rules.shards import shards
    from coherence_rules.validate import validate

    report = corpus({"strategy.yaml": STRATEGY, "law.yaml": LAW})
    assert ("HC001", "strategy.yaml") in {(f.rule, f.location.path) for f in report.findings}
    root = corpus.root
    rules = [r for r in pipeline.compiled(pipeline.load_rules(Settings(cwd=root))[0]) if r.scope == "country"]
    valid = validate([load_file(p, p.name) for p in sorted(root.glob("*.yaml"))])
    pack, ctx = engine.register(rules), context(valid, dt.date(2026, 11, 23))
    planned = ShardFacts(pack, ctx, [], None, 0)
    given = planned.plan(shards(valid)[0]).facts
    seeds = [f for entry in valid.records for f in record_facts(entry, planned.ctx) if f["t"] == "span" + engine.SEED]
    spans = [f for f in given if f["t"] == "span"]
    covers = {(f["record"], f["group"], f["area"]) for f in given if f["t"] == "cover"}
    assert spans and all({(r, s["group"], s["area"]) for r in ("XAA-LAW", "XAA-STRATEGY")} & covers for s in spans)
    assert {f["record"] for f in spans} == {"XAA-LAW"}
    assert len(spans) < len([row for seed in seeds for row in itertools.product(*spread("span", seed))]) / 4
    assert not any(f["t"].endswith(engine.SEED) for f in given)


def _every_row(pack: engine.Pack, facts: list[dict]) -> list[dict]:
    """The facts with each seed in place of every row of it that a pattern's tests accept: the
    facts as a fan-out built them before seeds (Pack.fan_out)."""
    from coherence_rules.facts import spread

    made = []
    for fact in facts:
        kind = fact["t"].removesuffix(engine.SEED)
        if kind == fact["t"]:
            made.append(fact)
            continue
        for row in itertools.product(*spread(kind, fact)):
            spread_row = {**fact, "t": kind, **dict(zip(engine.SEEDED[kind], row, strict=True))}
            made += [spread_row] if pack.relevant(spread_row) else []
    return made


def test_a_shard_spreads_its_seeds_into_the_rows_that_taking_part_keeps_of_them_all(tmp_path, monkeypatch):
    """A statement's spans are held as one seed per named pair; a shard spreads each seed only into
    the rows that meet what their patterns join them to. The engine is given exactly the facts, in
    the same order, that it is given when every row is built and reduced: in every shard of the sample
    corpus and of a dense generated one, for both packs and for the packs of some of their rules
    that a warm run makes."""
    import sys

    from coherence_rules import Settings, lint

    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    import corpus_gen

    corpus_gen.write(corpus_gen.generate(11, 400, density=20), tmp_path / "dense" / "policies")
    (tmp_path / "dense" / "policies" / "notes.yaml").write_text(
        "coherence: 1\nkind: policy\nid: XAA-EDITED\ntype: law\nstatus: in_force\n"
        "jurisdiction: {country: XAA, level: national}\n"
        "objectives: [{id: O1, stance: restrict, groups: [low_skilled_worker], areas: [entry]}]\n"
    )
    taking_part, compared = engine.Pack.taking_part, collections.Counter()

    def checked(pack, facts, spread):
        given = taking_part(pack, facts, spread)
        assert given == taking_part(pack, _every_row(pack, facts), spread)
        compared["seeds"] += sum(f["t"].endswith(engine.SEED) for f in facts)
        compared["spans"] += sum(f["t"] == "span" for f in given)
        return given

    monkeypatch.setattr(engine.Pack, "taking_part", checked)
    repo = Path(__file__).resolve().parents[1]
    cache = tmp_path / "index"
    for root in (repo, tmp_path / "dense", tmp_path / "dense"):  # the second dense run is warm
        lint(Settings(cwd=root, as_of=dt.date(2026, 11, 23), targets=[], cache_dir=cache, jobs=1))
        if root != repo:
            (root / "policies" / "notes.yaml").write_text(
                (root / "policies" / "notes.yaml").read_text().replace("restrict", "deter")
            )
    assert compared["seeds"] > 1000 and compared["spans"] > 0


def _statements_corpus(rng: random.Random) -> str:
    """National and local policies of one country (and one of another) whose objectives and measures
    name random groups and areas of the vocabularies, with random stances, effects and corridors."""
    from coherence_rules import vocab

    docs = [  # one restriction at least: a statement that HC001 spans
        "coherence: 1\nkind: policy\nid: XAA-LAW\ntype: law\nstatus: in_force\n"
        "jurisdiction: {country: XAA, level: national}\nobjectives:\n"
        f"  - {{id: O1, stance: restrict, groups: [{rng.choice(vocab.GROUPS.nodes)}], areas: [{rng.choice(vocab.AREAS.nodes)}]}}\n"
    ]
    for n in range(rng.randint(2, 10)):
        country, level = rng.choice([("XAA", "national"), ("XAA", "national"), ("XAA", "local"), ("XAB", "national")])
        where = f"{{country: {country}, level: {level}" + (", area: XAA-North}" if level == "local" else "}")
        statements = ""
        for section, word, values in (
            ("objectives", "stance", ["facilitate", "protect", "restrict", "deter", "neutral"]),
            ("measures", "effect", ["grant", "deny", "fund", "require", "condition"]),
        ):
            items = [
                f"  - {{id: {section[0].upper()}{k}, {word}: {rng.choice(values)}, "
                f"groups: [{', '.join(rng.sample(vocab.GROUPS.nodes, rng.randint(1, 2)))}], "
                f"areas: [{', '.join(rng.sample(vocab.AREAS.nodes, rng.randint(1, 2)))}]"
                + (", corridor: {origin: XAB, destination: XAA}" if rng.random() < 0.2 else "")
                + "}\n"
                for k in range(rng.randint(0, 3))
            ]
            statements += f"{section}:\n{''.join(items)}" if items else ""
        docs.append(
            f"coherence: 1\nkind: policy\nid: {country}-P{n}\ntype: {rng.choice(['law', 'strategy', 'plan'])}\n"
            f"status: {rng.choice(['adopted', 'in_force', 'draft'])}\njurisdiction: {where}\n{statements}"
        )
    return "---\n".join(docs)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**32))
def test_spreading_seeds_gives_the_facts_every_row_gives_on_random_statements(seed):
    """On random statements (any groups and areas of the vocabularies, any stance or effect, national
    and local), each shard's engine facts are those of every span row built and reduced, in order."""
    from coherence_rules import pipeline
    from coherence_rules.facts import context
    from coherence_rules.load import load_bytes
    from coherence_rules.settings import Settings
    from coherence_rules.shard_facts import ShardFacts
    from coherence_rules.shards import pair_shards, shards
    from coherence_rules.validate import validate

    corpus = validate([load_bytes(_statements_corpus(random.Random(seed)).encode(), "random.yaml")])
    ctx = context(corpus, dt.date(2026, 11, 23))
    rules = pipeline.compiled(pipeline.load_rules(Settings(cwd=Path(__file__).resolve().parents[1]))[0])
    taking_part, seeds = engine.Pack.taking_part, []

    def checked(pack, facts, spread):
        seeds.extend(f for f in facts if f["t"].endswith(engine.SEED))
        given = taking_part(pack, facts, spread)
        assert given == taking_part(pack, _every_row(pack, facts), spread)
        return given

    with pytest.MonkeyPatch.context() as patched:
        patched.setattr(engine.Pack, "taking_part", checked)
        for scope, make in (("country", shards), ("pair", pair_shards)):
            pack = engine.register([r for r in rules if r.scope == scope])
            planned = make(corpus, None)
            shard_facts = ShardFacts(pack, ctx, [], None, 0, planned)
            for shard in planned:
                shard_facts.plan(shard)
    assert seeds


def test_every_fact_carries_exactly_the_fields_of_its_type():
    """A join over a missing field makes the engine raise: facts always carry every field."""
    from coherence_rules.api import discover, display_paths
    from coherence_rules.facts import context, obligation_facts, record_facts, shard_level_facts
    from coherence_rules.load import load_file
    from coherence_rules.obligations import load_obligations
    from coherence_rules.settings import default_corpus
    from coherence_rules.shards import Shard
    from coherence_rules.validate import validate

    repo = Path(__file__).resolve().parents[1]
    corpus = validate([load_file(p, display_paths(repo)(p)) for p in discover(default_corpus(repo)).files])
    ctx = context(corpus, dt.date(2026, 11, 23))
    made = [f for entry in corpus.records for f in record_facts(entry, ctx)]
    made += obligation_facts(load_obligations([builtin_rules_dir()]))
    made += shard_level_facts(
        Shard("XAA|XAB", range(len(corpus.records)), corpus.records, "pair"), ctx
    )  # the whole sample as one shard
    seen = set()
    for fact in made:
        assert set(fact) == {"t", *ENGINE_FIELDS[fact["t"]]}, fact["t"]
        assert all(isinstance(v, (str, int, float, bool)) for v in fact.values())
        seen.add(fact["t"])
    assert seen == set(ENGINE_FIELDS)  # the sample corpus exercises every fact type


@pytest.mark.parametrize("scope", ["country", "pair"])
def test_a_pack_is_built_only_the_facts_of_the_types_its_rules_read(scope):
    """facts.py builds a pack only facts of the types its patterns read (the pair pack reads 3 of the
    21 types), and of those, field by field and in order, the facts a build of every type gives once
    prepared (the equal ones of a fan-out once; a seed as the rows it stands for)."""
    import dataclasses

    from coherence_rules import pipeline
    from coherence_rules.api import discover, display_paths
    from coherence_rules.facts import context, record_facts
    from coherence_rules.load import load_file
    from coherence_rules.settings import Settings, default_corpus
    from coherence_rules.validate import validate

    repo = Path(__file__).resolve().parents[1]
    corpus = validate([load_file(p, display_paths(repo)(p)) for p in discover(default_corpus(repo)).files])
    pack = engine.register(
        [r for r in pipeline.compiled(pipeline.load_rules(Settings(cwd=repo))[0]) if r.scope == scope]
    )
    every = context(corpus, dt.date(2026, 11, 23))
    packs = dataclasses.replace(every, shape=pack)
    for entry in corpus.records:
        built = record_facts(entry, packs)
        assert {f["t"] for f in built} <= pack.fact_types, entry.id
        built = _every_row(pack, built)
        prepared = [p for p in map(pack.prepare, record_facts(entry, every)) if p is not None]
        # Field by field in order (a record's facts are hashed by their values in order), but for
        # the equal facts of a fan-out's rows that differ only in fields the pack does not read.
        assert list(dict.fromkeys(tuple(f.items()) for f in built)) == list(
            dict.fromkeys(tuple(p.items()) for p in prepared)
        ), entry.id
        assert len(built) <= len(prepared), entry.id


def test_a_pack_builds_nothing_of_a_statement_none_of_whose_facts_it_can_use(monkeypatch):
    """The pair pack reads the covers of active measures requiring insurance (SS007): of the other
    statements (objectives, measures that grant or deny, inactive ones), not even the fields that
    every statement fact shares are worked out (their corridor, here)."""
    import dataclasses

    from coherence_rules import facts, pipeline
    from coherence_rules.api import discover, display_paths
    from coherence_rules.load import load_file
    from coherence_rules.settings import Settings, default_corpus
    from coherence_rules.validate import validate

    repo = Path(__file__).resolve().parents[1]
    corpus = validate([load_file(p, display_paths(repo)(p)) for p in discover(default_corpus(repo)).files])
    rules = pipeline.compiled(pipeline.load_rules(Settings(cwd=repo))[0])
    every = facts.context(corpus, dt.date(2026, 11, 23))
    worked_out = []
    corridor = facts._corridor
    monkeypatch.setattr(facts, "_corridor", lambda *args: worked_out.append(args) or corridor(*args))
    usable = 0
    for entry in corpus.records:
        model = entry.model
        statements = [*getattr(model, "objectives", ()), *getattr(model, "measures", ())]
        active = every.standing[entry.index].status in ("adopted", "in_force")
        usable += sum(active and getattr(s, "effect", None) == "require" for s in statements)

    def worked_out_for(scope: str) -> int:
        pack = engine.register([r for r in rules if r.scope == scope])
        worked_out.clear()
        for entry in corpus.records:
            facts.record_facts(entry, dataclasses.replace(every, shape=pack))
        return len(worked_out)

    assert 0 < worked_out_for("pair") <= usable < worked_out_for("country")


def _silo_corpus(rng: random.Random) -> str:
    """Policies of one country with random leads and coordination lists (often none), overlapping."""
    bodies, leads = ["XAA-C1", "XAA-C2", "XAA-C3"], ["XAA-L1", "XAA-L2", "XAA-L3"]
    docs = [
        f"coherence: 1\nkind: institution\nid: {i}\nname: {i} (fictional)\n"
        f"jurisdiction: {{country: XAA, level: national}}\ntype: {'committee' if i in bodies else 'ministry'}\n"
        for i in bodies + leads
    ]
    for n in range(24):
        coordination = rng.sample(bodies, rng.choice([0, 0, 1, 1, 2]))
        objectives = "".join(
            f"  - {{id: O{k}, stance: facilitate, groups: [{rng.choice(['returnee', 'emigrant'])}], "
            f"areas: [{rng.choice(['reintegration', 'housing'])}]"
            + (f", lead_agency: {rng.choice(leads)}" if rng.random() < 0.3 else "")
            + "}\n"
            for k in range(rng.choice([1, 2]))
        )
        docs.append(
            f"coherence: 1\nkind: policy\nid: XAA-P{n:02d}\ntype: strategy\nstatus: adopted\n"
            f"jurisdiction: {{country: XAA, level: national}}\nlead_agency: {rng.choice(leads)}\n"
            + (f"coordination: [{', '.join(coordination)}]\n" if coordination else "")
            + f"objectives:\n{objectives}"
        )
    return "---\n".join(docs)


@pytest.mark.parametrize("seed", range(4))
def test_a_join_through_coordination_pairs_finds_exactly_what_a_disjoint_check_finds(corpus, tmp_path_factory, seed):
    """IN003 joins its objectives' coordination lists through `coordination_pair` facts (lists that
    share no body), so that the engine makes no match for a pair of policies that share one. The
    same rule with a `disjoint` check on every match instead is the ground truth."""
    as_checked = yaml.safe_load((builtin_rules_dir() / "IN" / "IN003-competing-leads.yaml").read_text(encoding="utf-8"))
    del as_checked["tests"]
    as_checked["id"], as_checked["name"], as_checked["family"] = "XI003", "competing-leads-checked", "XI"
    as_checked["match"] = [item for item in as_checked["match"] if "silos" not in item]
    as_checked["match"][1]["same"] = {"country": "a"}
    as_checked["check"] = [{"disjoint": ["a.coordination", "b.coordination"]}, *as_checked["check"]]
    pack = tmp_path_factory.mktemp("pack") / "XI"
    pack.mkdir()
    (pack / "XI003-competing-leads-checked.yaml").write_text(json.dumps(as_checked), encoding="utf-8")
    report = corpus(
        {"policies.yaml": _silo_corpus(random.Random(seed))}, rule_dirs=[pack.parent], select=["IN003", "XI003"]
    )
    found = {rule: [] for rule in ("IN003", "XI003")}
    for f in report.findings:
        found[f.rule].append((f.records, f.location, f.related, f.message))
    assert found["IN003"] and found["IN003"] == found["XI003"]
