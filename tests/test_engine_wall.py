"""The wall around durable-rules: what the compiler refuses or rewrites, and what the runner
catches. Results are compared with expectations written here, never with the engine itself."""
import json
from pathlib import Path

import pytest
from durable import engine as durable

from coherence_rules import engine
from coherence_rules.compiler import compile_rule, compile_rules
from coherence_rules.rulespec import LoadedRule, RulePackError, RuleSpec, builtin_rules_dir, load_rule_dirs

BASE = {
    "family": "XT", "severity": "warning", "summary": "a test rule for the engine wall",
    "rationale": "exercises one construct of the compiler or runner", "sources": ["tests"],
    "examples": {"bad": "x", "good": "y"},
}


def rule(id="XT001", name="test-rule", message="{a.rid} matched here", **spec):
    return LoadedRule(RuleSpec.model_validate({**BASE, "id": id, "name": name, "message": message, **spec}),
                      "test.yaml", 1)


def facts(*items):
    return [{"t": "statement", **{f: "" for f in ("ri", "rid", "yp")}, **item} for item in items]


def test_every_rule_starts_with_the_trigger_and_in_beside_a_join_is_expanded():
    compiled = compile_rule(rule(match=[
        {"bind": "a", "fact": "cover", "where": {"pole": {"in": ["positive", "negative"]}}},
        {"bind": "b", "fact": "cover", "where": {"stance": {"in": ["restrict", "deter"]}}, "join": {"g": "a.g"}},
        {"absent": {"fact": "ss_cover", "where": {"branch": {"in": ["old_age", "invalidity"]}},
                    "join": {"pair": "a.pair"}}},
    ], report={"primary": "a"}))
    assert len(compiled.alternatives) == 2  # one per option of b's `in`
    for alternative in compiled.alternatives:
        definition = alternative.definition
        assert definition[0] == {"trigger": {"t": "trigger"}}
        text = json.dumps(definition[2:])
        assert "$or" not in text, "an $or beside a join makes the engine ignore the joins"
        assert sum(1 for part in definition if next(iter(part)).endswith("$not")) == 2
    assert "$or" in json.dumps(compiled.alternatives[0].definition[1])  # no join there: kept


@pytest.mark.parametrize("spec, error", [
    ({"match": [{"absent": {"fact": "cover"}}], "report": {"primary": "a"}}, "must start by binding"),
    ({"match": [{"bind": "a", "fact": "cover", "join": {"g": "b.g"}}], "report": {"primary": "a"}}, "not bound"),
    ({"match": [{"bind": "a", "fact": "cover", "where": {"g": {"under": "martians"}}}], "report": {"primary": "a"}},
     "unknown vocabulary node"),
    ({"match": [{"bind": "a", "fact": "cover", "where": {"stance": {"under": "x"}}}], "report": {"primary": "a"}},
     "needs a tree field"),
    ({"match": [{"bind": "a", "fact": "cover"}], "check": [{"lt": ["a.pfrom", "z.pto"]}], "report": {"primary": "a"}},
     "not bound"),
    ({"match": [{"bind": "s", "fact": "cover"}], "report": {"primary": "s"}}, "reserved"),
    ({"match": [{"bind": "a", "fact": "cover"}, {"bind": "b", "fact": "span", "join": {"g": "a.g"}},
                {"absent": {"fact": "span", "join": {"yp": "b.yp", "lead": "a.lead"}}}], "report": {"primary": "a"}},
     "may join to one binding only"),
])
def test_compiler_refuses_dangerous_or_broken_constructs(spec, error):
    with pytest.raises((RulePackError, ValueError), match=error):
        compile_rule(rule(**spec))


def test_rule_count_is_bounded(monkeypatch):
    monkeypatch.setattr("coherence_rules.compiler.MAX_RULES", 3)
    rules = [rule(id=f"XT00{i}", name=f"r-{i}", match=[{"bind": "a", "fact": "cover"}], report={"primary": "a"})
             for i in range(4)]
    with pytest.raises(RulePackError, match="at most 3"):
        compile_rules(rules)


def simple_pack():
    return engine.register(compile_rules([rule(
        match=[{"bind": "a", "fact": "statement", "where": {"stype": "measure"}},
               {"absent": {"fact": "statement", "where": {"stype": "objective"}, "join": {"country": "a.country"}}}],
        report={"primary": "a"})]))


def test_negation_sees_blocking_facts_asserted_after_the_fact_it_guards():
    pack = simple_pack()
    data = facts({"stype": "measure", "country": "XAA"}, {"stype": "objective", "country": "XAA"},
                 {"stype": "measure", "country": "XAB"})
    matched = sorted(m["a"]["country"] for _, _, m in engine.run(pack, data).matches)
    assert matched == ["XAB"]


def test_states_are_deleted_and_runs_do_not_leak(monkeypatch):
    pack = simple_pack()
    deleted = []
    original = engine._HOST.delete_state
    monkeypatch.setattr(engine._HOST, "delete_state", lambda name, sid: (deleted.append(sid), original(name, sid)))
    for _ in range(1100):  # more than the 1,024 live states after which the engine raises MemoryError
        engine.run(pack, facts({"stype": "objective", "country": "XAA"}))
    assert len(deleted) == 1100 and not engine._COLLECTING


def test_spurious_duplicate_is_retried_with_a_fresh_state(monkeypatch):
    pack = simple_pack()
    calls = {"n": 0}
    original = engine._HOST.assert_facts

    def flaky(name, batch):
        calls["n"] += 1
        if calls["n"] == 1:
            raise durable.MessageObservedException(batch[0])
        return original(name, batch)
    monkeypatch.setattr(engine._HOST, "assert_facts", flaky)
    result = engine.run(pack, facts({"stype": "measure", "country": "XAA"}))
    assert result.retries == 1 and len(result.matches) == 1


def test_an_exception_in_a_rule_becomes_an_e007_finding(corpus, tmp_path_factory):
    """A custom rule comparing a number with a text raises inside the engine's action: the engine
    would swallow it; the run reports it instead of looking clean."""
    root = tmp_path_factory.mktemp("pack")  # outside the corpus
    pack = root / "XT"
    pack.mkdir()
    (pack / "XT001-broken-compare.yaml").write_text(json.dumps({
        **BASE, "id": "XT001", "name": "broken-compare", "message": "{a.rid} matched here",
        "match": [{"bind": "a", "fact": "indicator"}], "check": [{"lt": ["a.year", "a.name"]}],
        "report": {"primary": "a"}}))
    report = corpus({"a.yaml": """\
        coherence: 1
        kind: policy
        id: XAA-A
        type: law
        status: in_force
        jurisdiction: {country: XAA, level: national}
        objectives:
          - {id: O1, stance: protect, groups: [refugee], areas: [education],
             indicators: [{name: enrolment_rate, target: 95, year: 2028}]}
        """}, select=["XT001"], rule_dirs=[root])
    assert [(f.rule, f.severity) for f in report.findings] == [("E007", "error")]
    assert "rule XT001 failed in shard XAA: TypeError" in report.findings[0].message


def test_the_builtin_pack_compiles_to_a_bounded_number_of_engine_rules():
    compiled = compile_rules(load_rule_dirs([builtin_rules_dir()]))
    count = sum(len(r.alternatives) for r in compiled)
    assert count <= 400


def test_every_fact_carries_exactly_the_fields_of_its_type():
    """A join over a missing field makes the engine raise: facts always carry every field."""
    import datetime as dt
    from coherence_rules.api import default_corpus, discover, display_path
    from coherence_rules.facts import FACT_FIELDS, obligation_facts, record_facts
    from coherence_rules.load import load_file
    from coherence_rules.obligations import load_obligations
    from coherence_rules.validate import validate
    repo = Path(__file__).resolve().parents[1]
    corpus = validate([load_file(p, display_path(p, repo)) for p in discover(default_corpus(repo))])
    facts = [f for entry in corpus.records for f in record_facts(entry, corpus, dt.date(2026, 11, 23))]
    facts += obligation_facts(load_obligations([builtin_rules_dir()]))
    seen = set()
    for fact in facts:
        assert set(fact) == {"t", *FACT_FIELDS[fact["t"]]}, fact["t"]
        assert all(isinstance(v, (str, int, float, bool)) for v in fact.values())
        seen.add(fact["t"])
    assert seen == set(FACT_FIELDS)  # the sample corpus exercises every fact type
