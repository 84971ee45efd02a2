"""Ground truth that does not come from the engine: a seeded generator plants known incoherences in a
large shuffled random corpus (bench/corpus_gen.py); exactly those must come back."""

import collections
import re
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coherence_rules import Settings, lint

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
import corpus_gen

pytestmark = pytest.mark.slow

PLANTABLE = [
    "HC001",
    "HC002",
    "VC001",
    "VC002",
    "BA001",
    "BA002",
    "BA003",
    "BA004",
    "BA005",
    "BA006",
    "BA007",
    "BA008",
    "BA009",
    "SS001",
    "SS002",
    "LC001",
]


def lint_generated(corpus, root, select, **more):
    if corpus is not None:  # else lint what the root holds
        corpus_gen.write(corpus, root)
    report = lint(Settings(corpus=[root], cwd=root, as_of=corpus_gen.REFERENCE_DATE, select=select, **more))
    return collections.Counter((f.rule, tuple(f.records)) for f in report.findings), report


@pytest.mark.parametrize("seed, records, density", [(1, 3000, 1), (20261123, 1500, 1), (3, 2000, 10)])
def test_exactly_the_planted_incoherences_come_back(tmp_path, seed, records, density):
    corpus = corpus_gen.generate(seed, records, density=density)
    found, report = lint_generated(corpus, tmp_path, PLANTABLE)
    expected = collections.Counter((rule, tuple(ids)) for rule, ids in corpus.expected)
    assert {rule for rule, _ in expected} == set(PLANTABLE)
    assert found - expected == collections.Counter(), "false alarms"
    assert expected - found == collections.Counter(), "missed (silently dropped?) findings"
    assert report.records >= records


def test_the_coherent_background_yields_nothing_from_any_rule(tmp_path):
    corpus = corpus_gen.generate(5, 2000, plant=False)
    found, report = lint_generated(corpus, tmp_path, [])
    assert report.records >= 2000 and found == collections.Counter()


@settings(max_examples=6, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(seed=st.integers(0, 10**9), records=st.integers(300, 900))
def test_planted_truth_holds_for_any_seed(tmp_path_factory, seed, records):
    corpus = corpus_gen.generate(seed, records)
    found, _ = lint_generated(corpus, tmp_path_factory.mktemp("seed"), PLANTABLE)
    assert found == collections.Counter((rule, tuple(ids)) for rule, ids in corpus.expected)


def test_the_planted_truth_comes_back_through_the_corpus_index(tmp_path_factory):
    """Cold and warm with the corpus index, in worker processes: the planted findings exactly; after
    files change, the report of a run without the index."""
    root, index = tmp_path_factory.mktemp("corpus"), tmp_path_factory.mktemp("index")
    corpus = corpus_gen.generate(7, 1500)
    expected = collections.Counter((rule, tuple(ids)) for rule, ids in corpus.expected)
    runs = [lint_generated(corpus, root, PLANTABLE, cache_dir=index, jobs=2) for _ in range(2)]
    assert [found for found, _ in runs] == [expected, expected]
    assert runs[0][1].findings == runs[1][1].findings
    for path in sorted(root.rglob("*.yaml"))[::25]:  # one file in 25 stops being in force
        path.write_text(path.read_text().replace("status: in_force", "status: suspended"))
    _, changed = lint_generated(None, root, PLANTABLE, cache_dir=index, jobs=2)
    _, unindexed = lint_generated(None, root, PLANTABLE, jobs=2)
    assert changed.findings == unindexed.findings and changed.findings != runs[0][1].findings
    # Changes that reach other records' facts: lines of authority, coordination bodies' power.
    wider = [*PLANTABLE, "IN002", "IN003"]
    _, before = lint_generated(None, root, wider, cache_dir=index, jobs=2)
    for path in sorted(root.rglob("*.yaml")):
        text = path.read_text().replace("decision_power: true", "decision_power: false")
        path.write_text(re.sub(r"\n *parent: [A-Z-]+", "", text))
    _, again = lint_generated(None, root, wider, cache_dir=index, jobs=2)
    _, unindexed = lint_generated(None, root, wider, jobs=2)
    assert again.findings == unindexed.findings and again.findings != before.findings
