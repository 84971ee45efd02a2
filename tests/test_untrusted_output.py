"""Untrusted input is data on the way out too: record text cannot forge a CI workflow command,
drive the terminal or inject markup in any format, and a rule pack's fixtures are written only
inside their case directory."""

import json
import xml.etree.ElementTree as ET

import pytest
from click.testing import CliRunner

from coherence_rules import cli
from coherence_rules.formats import FORMATS, render

FORGED = (
    "x\\n::add-mask::s3cr3t\\n::error file=README.md::forged\\r##[error]old style\\e[2J\\u2028<script>]]>[a](http://x)"
)


@pytest.fixture
def hostile(corpus):
    name = "::add-mask::leak.yaml"
    report = corpus({"a.yaml": f'coherence: 1\nkind: "{FORGED}"\n', name: "coherence: 1\n", "b.yaml": "k: 1\nk: 2\n"})
    assert {f.location.path for f in report.findings} == {"a.yaml", name, "b.yaml"}
    return report


@pytest.mark.parametrize("fmt", ["text", "github", "junit", "html"])
def test_no_record_text_starts_a_line_or_reaches_the_terminal(hostile, fmt):
    out = render(fmt, hostile)
    for line in out.splitlines():
        stripped = line.lstrip()
        if fmt == "github":
            assert stripped.startswith(("::error ", "::warning ", "::notice ")) and "::add-mask::" not in stripped[:14]
        else:
            assert not stripped.startswith(("::", "##[")), line
    assert "\x1b" not in out and "\u2028" not in out and "\r" not in out
    assert "s3cr3t" in out  # shown, not lost


def test_the_text_format_shows_a_path_that_looks_like_a_command_as_a_relative_path(hostile):
    assert "./::add-mask::leak.yaml:1:1: E002" in render("text", hostile)


@pytest.mark.parametrize("fmt", ["json", "sarif"])
def test_structured_formats_keep_the_text_exact(hostile, fmt):
    document = json.loads(render(fmt, hostile))
    text = json.dumps(document, ensure_ascii=False)
    assert "::add-mask::s3cr3t" in text and "\x1b" not in render(fmt, hostile)  # escaped by JSON
    if fmt == "sarif":
        messages = [r["message"]["text"] for r in document["runs"][0]["results"]]
        assert any("\\[a\\](http://x)" in m for m in messages)  # never an embedded link


def test_markup_is_escaped_in_html_and_junit(hostile):
    html = render("html", hostile)
    assert "<script>]]>" not in html and "&lt;script&gt;]]&gt;" in html
    suite = ET.fromstring(render("junit", hostile).split("\n", 1)[1])
    failures = [f.get("message") for f in suite.iter("failure")]
    assert any("<script>]]>" in message for message in failures)  # parsed back exactly


def test_every_format_renders_hostile_text(hostile):
    for fmt in FORMATS:
        assert render(fmt, hostile)


# --- fixture files of an untrusted rule pack ------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "../escaped.yaml",
        "/tmp/coherence-absolute-fixture.yaml",
        "a/../../b.yaml",
        "sub/../c.pth",
        "C:x.yaml",
        "a\\..\\b",
    ],
)
def test_test_rules_writes_fixtures_only_inside_the_case(tmp_path, name):
    from test_engine_wall import BASE

    pack = tmp_path / "pack" / "XT"
    pack.mkdir(parents=True)
    rule = {
        **BASE,
        "id": "XT001",
        "name": "fixture-names",
        "message": "{a} matched here",
        "match": [{"a": "policy"}],
        "report": {"primary": "a"},
        "tests": [{"name": "evil", "files": {name: "coherence: 1\n"}, "expect": []}],
    }
    (pack / "XT001-fixture-names.yaml").write_text(json.dumps(rule))
    before = set(tmp_path.rglob("*"))
    result = CliRunner().invoke(cli.main, ["test-rules", str(tmp_path / "pack")])
    assert result.exit_code == 2 and "must be a relative path inside the case" in result.output
    assert result.output.count("\n") == 1 and "passed" not in result.output
    assert set(tmp_path.rglob("*")) == before
    assert not (tmp_path.parent / "escaped.yaml").exists()
    assert not __import__("os").path.exists("/tmp/coherence-absolute-fixture.yaml")
