"""Never a traceback, never a dead end: any file content beside a real corpus gives exit 0 or 1,
findings located in the files that exist, and every finding the corpus had before.

The suite runs a small budget; the long run is the same test with more examples (docs in README):

    COHERENCE_FUZZ_EXAMPLES=10000 python -m pytest tests/test_fuzz.py -p no:cacheprovider
"""

import json
import os
import string
from pathlib import Path

from conftest import AS_OF, LAW, STRATEGY
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coherence_rules import Settings, lint
from coherence_rules.schema import MODELS

EXAMPLES = int(os.environ.get("COHERENCE_FUZZ_EXAMPLES", "60"))
FIELDS = sorted({name for model in MODELS.values() for name in model.model_fields} | {"from", "to", "<<"})
HOSTILE = [
    ".inf", "-.inf", ".nan", "1e999", "-1e999", "0x" + "f" * 30, "0o17", "017", "1:20:30", "190:20:30.15",
    str(2**64), str(-(2**63) - 1), "99999999999999999999999", "<<", "~", "null", "yes", "No", "2026-02-30",
    "2026-13-01", "0000-01-01", "!!timestamp x", "!!bool x", "!!int ''", "!!float x", "!!merge x", "!!seq x",
    "!!str {a: 1}", "!!map [1]", "!!binary aGk=", "!!python/object/apply:os.system ['true']", "!foo bar",
    "*undefined", "&a x", "'\\x1b[2J'", '"\\n::add-mask::s"', '"\\u2028"', '"\\0"', "XAA", "XAA-MOL", "policy",
    "agreement", "institution", "commitments", "refugee", "labour_migrant", "entry", "facilitate", "restrict",
]  # fmt: skip
KINDS = ["policy", "agreement", "institution", "commitments"]

scalars = st.one_of(
    st.sampled_from(HOSTILE),
    st.integers(-(2**70), 2**70).map(str),
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.text(max_size=12).map(json.dumps),  # a JSON string is a YAML double-quoted scalar
    st.text(string.ascii_letters + "_-:@.", min_size=1, max_size=10),
)


def _flow(children):
    return st.one_of(
        st.lists(children, max_size=5).map(lambda items: "[" + ", ".join(items) + "]"),
        st.lists(st.tuples(st.sampled_from(FIELDS), children), max_size=6).map(
            lambda pairs: "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"
        ),
    )


values = st.recursive(scalars, _flow, max_leaves=20)


@st.composite
def records(draw):
    """A block mapping that often looks like a record, with anchors and aliases between values."""
    lines = ["coherence: 1"] if draw(st.booleans()) else []
    if draw(st.booleans()):
        lines.append(f"kind: {draw(st.sampled_from(KINDS))}")
    for n, (key, value) in enumerate(draw(st.lists(st.tuples(st.sampled_from(FIELDS), values), max_size=8))):
        anchor = f"&a{n} " if draw(st.integers(0, 4)) == 0 else ""
        alias = f"*a{draw(st.integers(0, max(n - 1, 0)))}" if n and draw(st.integers(0, 5)) == 0 else None
        lines.append(f"{key}: {alias or anchor + value}")
    return "\n".join(lines) + "\n"


contents = st.one_of(
    st.binary(max_size=300),
    st.text(max_size=300).map(lambda text: text.encode("utf-8", "surrogatepass")),
    st.lists(records(), min_size=1, max_size=3).map(lambda docs: "---\n".join(docs).encode()),
)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=contents)
def test_any_file_content_gives_located_findings_and_loses_no_other_finding(tmp_path_factory, data):
    root = tmp_path_factory.mktemp("fuzz")
    (root / "strategy.yaml").write_text(STRATEGY)
    (root / "law.yaml").write_text(LAW)
    (root / "zz-fuzzed.yaml").write_bytes(data)  # sorted last: the records above keep their ids
    report = lint(Settings(corpus=[root], cwd=root, as_of=AS_OF))
    assert report.exit_code("warning") in (0, 1)
    paths = {"strategy.yaml", "law.yaml", "zz-fuzzed.yaml"}
    for finding in report.findings:
        for location in finding.locations:
            assert location.path in paths and location.line >= 1 and location.column >= 1, finding
    assert any(f.rule == "HC001" and f.records == ("XAA-LAW", "XAA-STRATEGY") for f in report.findings)
    assert Path(root / "zz-fuzzed.yaml").read_bytes() == data  # data, never written to
