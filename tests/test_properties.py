"""Property-based tests: inputs vary, the invariants hold."""

import dataclasses
import datetime as dt
import gc
import pickle
import string
import sys
from array import array
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coherence_rules import Settings, lint, load, vocab
from coherence_rules.findings import finalise
from coherence_rules.load import POSITION_TYPE, Document, Span, _narrowed, load_bytes
from coherence_rules.schema import MODELS
from coherence_rules.validate import validate, validate_document


def pack_spans(data, spans: dict[tuple, Span]) -> array:
    """Positions as the loader packs them (in 16 bits where they fit), from each node's span by its
    path (a node without one has none: merged in by `<<`)."""
    packed = [dataclasses.astuple(spans[p]) if p in spans else (0, 0, 0, 0) for p in _paths(data)]
    return _narrowed(array(POSITION_TYPE, [n for span in packed for n in span]))


FIELD_NAMES = sorted({name for model in MODELS.values() for name in model.model_fields} | {"from", "to", "kind"})
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-5, 5000),
    st.text(string.ascii_letters + "_-", max_size=12),
    st.sampled_from(["policy", "agreement", "institution", "commitments", "XAA", "refugee", "entry"]),
    st.dates(dt.date(1990, 1, 1), dt.date(2040, 1, 1)),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.sampled_from(FIELD_NAMES), inner, max_size=5)
    ),
    max_leaves=25,
)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_loader_never_raises_on_any_bytes(data):
    loaded = load_bytes(data, "x.yaml")
    for finding in loaded.findings:
        assert finding.rule in {"E001", "E005", "E006"} and finding.location.line >= 1


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=string.printable + "äé€", max_size=300))
def test_loader_never_raises_on_any_text(text):
    load_bytes(text.encode("utf-8"), "x.yaml")


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(FIELD_NAMES), values, max_size=10))
def test_validation_turns_any_mapping_into_a_record_or_located_errors(data):
    data = {"coherence": 1, **data}
    document = Document("x.yaml", 0, data, pack_spans(data, {(): Span(1, 1, 1, 1)}))
    model, findings = validate_document(document)
    assert (model is None) == bool(findings)
    assert all(f.rule == "E002" and f.location.line == 1 for f in findings)


def test_a_run_leaves_no_cycle_a_record_made_for_the_collector_it_turns_off(tmp_path):
    """A one-shot run turns the garbage collector off (pipeline._lasting): a reference cycle made for
    each document or record would live to the run's end (each outline's walk, a closure calling
    itself, once held a tenth of a large run's memory so). Only a few, made once, remain."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))
    import corpus_gen

    corpus_gen.write(corpus_gen.generate(3, 300, density=10), tmp_path / "policies")
    gc.collect()
    report = lint(Settings(cwd=tmp_path, as_of=dt.date(2026, 11, 23), targets=[], jobs=1))
    assert gc.collect() < report.records / 2, report.records


def test_empty_lists_of_validated_records_are_one_list_that_refuses_to_change():
    """Models are frozen; their empty lists are one object (a copy per model was seven lists a record)."""
    made = [
        MODELS["policy"].model_validate(
            {
                "coherence": 1,
                "kind": "policy",
                "id": f"XAA-{n}",
                "type": "law",
                "status": "in_force",
                "jurisdiction": {"country": "XAA", "level": "national"},
                "sectors": [],
            }
        )
        for n in range(2)
    ]
    assert made[0].objectives is made[1].objectives is made[0].sectors
    with pytest.raises(TypeError):
        made[0].objectives.append("O1")
    dumped = made[0].model_dump()
    assert dumped["objectives"] == [] and type(dumped["objectives"]) is list
    assert made[0] == made[0].model_copy() and made[0].measures == []


def _paths(value, path=()):
    yield path
    children = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) else ()
    for key, child in children:
        yield from _paths(child, (*path, key))


def _expected_span(data, spans, path):
    """The span of the deepest node down the path that exists and has one (the root has one)."""
    node, found = data, spans[()]
    for depth, part in enumerate(path, 1):
        in_list = isinstance(node, list) and type(part) is int and 0 <= part < len(node)
        if not (in_list or (isinstance(node, dict) and part in node)):
            break
        node = node[part]
        found = spans.get(path[:depth], found)
    return found


trees = st.recursive(
    st.integers(0, 3),
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.dictionaries(st.sampled_from(["a", "b", "id", 0, 1, 2, None]), inner, max_size=4),
    ),
    max_leaves=30,
)


@settings(max_examples=300, deadline=None)
@given(trees, st.data())
def test_a_node_is_located_the_same_with_or_without_its_documents_values(data, draw):
    """A finding's node is found among the packed positions (the nearest ancestor's when it has none,
    a node merged in by `<<`) from the document's data, and from its outline once a run lets go of the
    data, an outline another document of the same shape may share."""
    paths = list(_paths(data))
    asked = [*paths, *((*p, extra) for p in paths for extra in ("zz", 7, -1, 0, True))]
    shapes: dict = {}
    # The same data, its nodes elsewhere in another file: from line 1, from line 1,001 (its positions
    # kept a byte each from a base line), and in columns past 255 (kept as they were).
    for copy, (first, width) in enumerate([(1, 9), (1001, 9), (1, 300)]):
        spans = {
            p: Span(first + n, 1, first + n, width) for n, p in enumerate(paths) if not p or draw.draw(st.booleans())
        }
        document = Document(f"{copy}.yaml", 0, data, pack_spans(data, spans))
        before = [document.span(path) for path in asked]
        document.let_go(shapes)
        in_bytes = width < 256 and len(spans) == len(paths)  # a node without a span keeps them as they were
        assert document.data is None and document.positions.typecode == ("B" if in_bytes else "H")
        assert before == [document.span(path) for path in asked] == [_expected_span(data, spans, p) for p in asked]
        sent = pickle.loads(pickle.dumps(document))  # to or from a worker process: the outline's keys go as they are
        assert [sent.span(path) for path in asked] == before
    assert len(shapes) == 1


YAML_WORDS = [
    "",
    "~",
    "null",
    "Yes",
    "off",
    "0x1F",
    "0o17",
    "1_000",
    "-.5",
    ".inf",
    "1e3",
    "+1",
    "<<",
    "=",
    "2024-01-02",
]


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.sampled_from(YAML_WORDS), st.text(max_size=12), st.from_regex(r"[-+.0-9:eExT_ ]{1,20}")))
def test_every_node_gets_the_tag_pyyamls_safe_loader_gives_it(value):
    ours, theirs = load._Loader(""), yaml.SafeLoader("")
    for kind, implicit in [
        (yaml.ScalarNode, (True, False)),
        (yaml.ScalarNode, (False, True)),
        (yaml.MappingNode, None),
    ]:
        assert ours.resolve(kind, value, implicit) == theirs.resolve(kind, value, implicit)
    assert ours.resolve(yaml.SequenceNode, None, None) == theirs.resolve(yaml.SequenceNode, None, None)


def _text_at(lines: list[str], span: Span) -> str:
    """The document's text a span covers, its first line indented as it stands in the file."""
    if span.line == span.end_line:
        return " " * (span.column - 1) + lines[span.line - 1][span.column - 1 : span.end_column - 1]
    inner = lines[span.line : span.end_line - 1]
    return "\n".join(
        [
            " " * (span.column - 1) + lines[span.line - 1][span.column - 1 :],
            *inner,
            lines[span.end_line - 1][: span.end_column - 1],
        ]
    )


@settings(max_examples=300, deadline=None)
@given(trees, st.sampled_from([False, True, None]), st.integers(0, 3))
def test_every_node_is_located_at_the_text_that_writes_it(data, flow, blank_lines):
    """The loader's position of each node (a list's item; a mapping's key and value) covers the text
    that writes it, whatever the style: that text alone reads back as the node (as {key: value})."""
    text = "\n" * blank_lines + yaml.safe_dump(data, default_flow_style=flow, sort_keys=False)
    document = load_bytes(text.encode(), "x.yaml").documents[0]
    lines = text.split("\n")
    for path in _paths(data):
        parent = _at(data, path[:-1])
        written = yaml.safe_load(_text_at(lines, document.span(path)))
        assert written == ({path[-1]: parent[path[-1]]} if path and isinstance(parent, dict) else _at(data, path))


def _at(data, path):
    for part in path:
        data = data[part]
    return data


def test_a_repeated_key_points_at_the_value_kept_and_a_merged_key_at_its_mapping():
    text = "base: &b {x: 1, y: [2, 3]}\na: {x: 1, y: 2}\nc: 3\na:\n  x: 4\nn:\n  <<: *b\n  y: 5\n"
    loaded = load_bytes(text.encode(), "x.yaml")
    document = loaded.documents[0]
    assert document.data == {"base": {"x": 1, "y": [2, 3]}, "a": {"x": 4}, "c": 3, "n": {"y": 5, "x": 1}}
    assert [f.rule for f in loaded.findings] == ["E005"]
    assert [(s.line, s.column) for s in map(document.span, [("a",), ("a", "x"), ("c",), ("n", "y")])] == [
        (4, 1),
        (5, 3),
        (3, 1),
        (8, 3),
    ]
    assert document.span(("n", "x")) == document.span(("n",)) == Span(6, 1, 9, 1)  # merged in: its mapping's
    assert document.span(("base", "y", 1)) == Span(1, 24, 1, 25)


@given(st.sampled_from(vocab.GROUPS.nodes), st.sampled_from(vocab.GROUPS.nodes))
def test_tree_overlap_is_a_common_covered_node_and_reach_is_overlap(a, b):
    overlap = vocab.GROUPS.overlaps(a, b)
    assert overlap == bool(vocab.GROUPS.below(a) & vocab.GROUPS.below(b))
    assert overlap == (a in vocab.GROUPS.reach(b)) == (b in vocab.GROUPS.reach(a))


POLICY = """\
coherence: 1
kind: policy
id: XAA-{n}
type: law
status: in_force
period: {{from: 2020-01-01, to: 202{end}-12-31}}
jurisdiction: {{country: XAA, level: national}}
objectives:
  - {{id: O1, stance: {stance}, groups: [{group}], areas: [{area}]}}
"""


@settings(max_examples=25, deadline=None)
@given(
    st.lists(
        st.tuples(
            st.sampled_from(["facilitate", "restrict", "protect", "deter"]),
            st.sampled_from(["labour_migrant", "low_skilled_worker", "refugee", "student"]),
            st.sampled_from(["entry", "work", "education"]),
            st.integers(4, 9),
        ),
        min_size=2,
        max_size=6,
    ),
    st.randoms(use_true_random=False),
    st.integers(0, 3),
)
def test_findings_do_not_depend_on_file_order_and_survive_moved_text(specs, rng, padding):
    from coherence_rules.evaluate import evaluate
    from coherence_rules.pipeline import compiled, load_rules
    from coherence_rules.settings import Settings

    files = [
        (f"p{n}.yaml", POLICY.format(n=n, stance=s, group=g, area=a, end=e)) for n, (s, g, a, e) in enumerate(specs)
    ]
    rules = compiled(load_rules(Settings(select=["HC", "LC"]))[0])

    def run(order, pad=0):
        loaded = [load_bytes(("# moved\n" * pad + text).encode(), name) for name, text in order]
        corpus = validate(loaded)
        return finalise(evaluate(corpus, rules, dt.date(2026, 11, 23)))

    reference = run(files)
    shuffled = list(files)
    rng.shuffle(shuffled)
    assert run(shuffled) == reference
    moved = run(files, padding)
    assert [f.fingerprint for f in moved] == [f.fingerprint for f in reference]
    assert [f.location.line for f in moved] == [f.location.line + padding for f in reference]
