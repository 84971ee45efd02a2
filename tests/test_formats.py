"""The sarif, github and junit formatters: what CI systems read from them, and that they are pure."""

import builtins
import json
import pathlib
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner
from conftest import LAW, STRATEGY
from hypothesis import given, settings
from hypothesis import strategies as st

from coherence_rules import cli, corpus_errors
from coherence_rules.corpus_errors import CORPUS_ERRORS
from coherence_rules.findings import Finding, Location, Suppressed
from coherence_rules.formats import FORMATS, formatter, github, junit, render, sarif
from coherence_rules.formats.json_format import pretty
from coherence_rules.report import Report

SCHEMA = json.loads((Path(__file__).parent / "data" / "sarif-2.1.0.json").read_text(encoding="utf-8"))

STRATEGY_LINE = "  - {id: O1, stance: facilitate, groups: [labour_migrant], areas: [entry]}"
LAW_LINE = "  - {id: O1, stance: restrict, groups: [low_skilled_worker], areas: [entry]}"
FILES = {"xaa/strategy.yaml": STRATEGY, "xaa/law.yaml": LAW}
# STRATEGY_LINE and LAW_LINE are the objectives of these two files: the lines findings point at.

IGNORED = Finding(
    rule="HC001",
    name="opposing-objectives",
    severity="error",
    message="XAA-OLD objective O1 (facilitate) and XAA-OLD objective O2 (deter) pursue opposing "
    "objectives for refugee in education",
    location=Location("xaa/old.yaml", 8, 5, 8, 60, "XAA-OLD", "objectives.0"),
    related=(Location("xaa/old.yaml", 9, 5, 9, 58, "XAA-OLD", "objectives.1"),),
    records=("XAA-OLD",),
)
BASELINED = Finding(
    rule="E004",
    name="unresolved-reference",
    severity="error",
    message="XAA-OLD: lead_agency names no record: XAA-GONE",
    location=Location("xaa/old.yaml", 5, 14, 5, 22, "XAA-OLD", "lead_agency"),
    records=("XAA-OLD",),
)


@pytest.fixture
def linted(corpus):
    """The HC001 conflict between XAA-STRATEGY and XAA-LAW, as lint() reports it."""
    report = corpus(FILES, select=["HC"])
    assert [(f.rule, f.location.path) for f in report.findings] == [("HC001", "xaa/strategy.yaml")]
    return report


@pytest.fixture
def report(linted):
    """The linted report plus two suppressed findings: one by an inline comment, one by a baseline."""
    return Report(
        as_of=linted.as_of,
        findings=linted.findings,
        files=linted.files,
        records=linted.records,
        rules=linted.rules,
        suppressed=[
            Suppressed(IGNORED, "inSource", "agreed by the ministry"),
            Suppressed(BASELINED, "external", "baseline"),
        ],
    )


def sarif_doc(report):
    return json.loads(sarif.render(report))


def sarif_errors(document):
    """Schema errors under the dialect the OASIS schema declares (draft-04) and under Draft 7."""
    errors = []
    for validator in (jsonschema.validators.validator_for(SCHEMA), jsonschema.Draft7Validator):
        validator.check_schema(SCHEMA)
        checker = validator(SCHEMA, format_checker=validator.FORMAT_CHECKER)
        errors += [
            f"{validator.__name__}: {'/'.join(map(str, e.absolute_path))}: {e.message}"
            for e in checker.iter_errors(document)
        ]
    return errors


def test_all_formats_are_registered():
    assert {"text", "json", "sarif", "github", "junit", "html"} <= set(FORMATS)
    assert formatter("sarif") is sarif.render and formatter("github") is github.render
    assert formatter("junit") is junit.render


# --- SARIF -------------------------------------------------------------------------------------------


def test_sarif_validates_against_the_oasis_schema(report):
    assert SCHEMA["title"] == "Static Analysis Results Format (SARIF) Version 2.1.0 JSON Schema"
    document = sarif_doc(report)
    assert sarif_errors(document) == []
    assert document["$schema"] == "https://json.schemastore.org/sarif-2.1.0.json"
    assert document["version"] == "2.1.0"
    assert len(document["runs"]) == 1


def test_sarif_schema_check_is_not_vacuous(report):
    document = sarif_doc(report)
    document["runs"][0]["results"][0]["level"] = "fatal"
    del document["runs"][0]["results"][0]["message"]
    document["runs"][0]["results"][0]["locations"][0]["physicalLocation"]["region"]["startLine"] = 0
    assert len(sarif_errors(document)) >= 6  # three errors, each found by both validators


def test_sarif_driver_lists_every_rule_that_can_report(report):
    driver = sarif_doc(report)["runs"][0]["tool"]["driver"]
    assert driver["name"] == "coherence"
    assert driver["version"] == report.version
    assert "informationUri" not in driver  # optional in SARIF; no page of ours that exists to point at
    ids = [rule["id"] for rule in driver["rules"]]
    assert len(ids) == len(set(ids))
    builtin = set(getattr(corpus_errors, "BUILTIN_RULES", CORPUS_ERRORS))  # E rules, and SUP rules if any
    assert set(CORPUS_ERRORS) <= builtin
    assert set(ids) == builtin | {r.id for r in report.rules}
    for rule in driver["rules"]:
        assert rule["name"] and rule["shortDescription"]["text"] and rule["fullDescription"]["text"]
        assert rule["help"]["text"] and rule["help"]["markdown"]
        assert rule["defaultConfiguration"]["level"] in ("error", "warning", "note")
        assert rule["properties"]["family"] in rule["properties"]["tags"]


def test_sarif_rule_metadata_carries_the_explanation(report):
    rules = {rule["id"]: rule for rule in sarif_doc(report)["runs"][0]["tool"]["driver"]["rules"]}
    spec = next(r for r in report.rules if r.id == "HC001")
    hc001 = rules["HC001"]
    assert hc001["name"] == "opposing-objectives"
    assert hc001["shortDescription"]["text"] == spec.summary
    assert hc001["fullDescription"]["text"] == " ".join(spec.rationale.split())
    assert hc001["defaultConfiguration"]["level"] == "error"
    assert hc001["properties"] == {
        "family": "HC",
        "tags": ["coherence", "HC", *spec.frameworks],
        "frameworks": list(spec.frameworks),
    }
    assert f"## What to do\n\n{spec.action}" in hc001["help"]["markdown"]
    markdown = hc001["help"]["markdown"]
    assert f"```yaml\n{spec.bad.rstrip()}\n```" in markdown
    assert f"```yaml\n{spec.good.rstrip()}\n```" in markdown
    assert all(f"- {source}" in markdown for source in spec.sources)
    assert "# coherence: ignore[HC001] -- reason" in markdown
    assert "# coherence: ignore[HC001] -- reason" in hc001["help"]["text"]
    assert markdown.index("Anti-pattern") < markdown.index("Best practice")
    e001 = rules["E001"]
    assert e001["shortDescription"]["text"] == CORPUS_ERRORS["E001"].summary
    assert e001["properties"]["family"] == "E"


def test_sarif_result_for_a_conflict(report):
    run = sarif_doc(report)["runs"][0]
    result = run["results"][0]
    assert result["ruleId"] == "HC001"
    assert run["tool"]["driver"]["rules"][result["ruleIndex"]]["id"] == "HC001"
    assert result["level"] == "error"
    primary = result["locations"][0]
    assert primary["physicalLocation"] == {
        "artifactLocation": {"uri": "xaa/strategy.yaml"},
        "region": {"startLine": 8, "startColumn": 5, "endLine": 8, "endColumn": len(STRATEGY_LINE) + 1},
    }
    assert primary["logicalLocations"] == [
        {"name": "XAA-STRATEGY", "fullyQualifiedName": "XAA-STRATEGY/objectives.0", "kind": "object"}
    ]
    assert result["message"]["text"] == report.findings[0].message + " — see also [XAA-LAW](1)"
    [related] = result["relatedLocations"]
    assert related["id"] == 1
    assert related["physicalLocation"]["artifactLocation"]["uri"] == "xaa/law.yaml"
    assert related["physicalLocation"]["region"]["startLine"] == 8
    assert related["physicalLocation"]["region"]["endColumn"] == len(LAW_LINE) + 1
    assert "XAA-LAW" in related["message"]["text"]
    fingerprint = report.findings[0].fingerprint
    assert result["partialFingerprints"] == {"primaryLocationLineHash": fingerprint, "coherence/v2": fingerprint}
    assert result["suppressions"] == []
    finding = report.findings[0]
    assert result["properties"] == {
        "records": ["XAA-LAW", "XAA-STRATEGY"],
        "sources": list(finding.sources),
        "action": finding.action,
        "frameworks": list(finding.frameworks),
        "countries": ["XAA"],
    }


def test_sarif_message_links_name_existing_related_locations(report):
    for result in sarif_doc(report)["runs"][0]["results"]:
        links = [int(i) for i in re.findall(r"(?<!\\)\[[^\]]*\]\((\d+)\)", result["message"]["text"])]
        ids = [loc["id"] for loc in result.get("relatedLocations", [])]
        assert links == ids == list(range(1, len(ids) + 1))


def test_sarif_suppressed_findings_stay_visible(report):
    results = sarif_doc(report)["runs"][0]["results"]
    assert len(results) == 3
    by_fingerprint = {r["partialFingerprints"]["coherence/v2"]: r for r in results}
    inline = by_fingerprint[IGNORED.fingerprint]
    assert inline["suppressions"] == [{"kind": "inSource", "justification": "agreed by the ministry"}]
    assert inline["message"]["text"].endswith(" — see also [XAA-OLD](1)")
    baselined = by_fingerprint[BASELINED.fingerprint]
    assert baselined["suppressions"] == [{"kind": "external", "justification": "baseline"}]
    assert baselined["ruleId"] == "E004" and "relatedLocations" not in baselined
    assert baselined["locations"][0]["logicalLocations"][0]["fullyQualifiedName"] == "XAA-OLD/lead_agency"


def test_sarif_levels_and_literal_brackets(linted):
    note = Finding(
        rule="TG003",
        name="objective-without-indicator",
        severity="info",
        message="XAA-LAW objectives[0] has no indicator",
        location=Location("xaa/law.yaml", 8, 5),
    )
    report = Report(as_of=linted.as_of, findings=[note], files=1, records=1, rules=linted.rules)
    document = sarif_doc(report)
    assert sarif_errors(document) == []
    [result] = document["runs"][0]["results"]
    assert result["level"] == "note"
    assert result["message"]["text"] == "XAA-LAW objectives\\[0\\] has no indicator"
    assert result["locations"][0]["physicalLocation"]["region"] == {"startLine": 8, "startColumn": 5}
    assert "logicalLocations" not in result["locations"][0]
    rules = document["runs"][0]["tool"]["driver"]["rules"]
    assert rules[result["ruleIndex"]]["id"] == "TG003"  # a rule outside report.rules is still described


# --- GitHub workflow commands ---------------------------------------------------------------------------


def test_github_annotation_line(report):
    assert github.render(report) == (
        "::error file=xaa/strategy.yaml,line=8,col=5,endLine=8,endColumn=75,title=HC001 opposing-objectives::"
        "Objective O1 of XAA-STRATEGY facilitates entry for lower-skilled workers, while objective O1 of XAA-LAW "
        "restricts it — see also XAA-LAW at xaa/law.yaml:8\n"
    )  # suppressed ones left out


def test_github_escaping_and_levels(linted):
    tricky = Finding(
        rule="XS001",
        name="odd-name",
        severity="warning",
        message="100% of quota, twice:\r\nsee notes",
        location=Location("p/a,b:c%.yaml", 3, 7, 4, 2, "XAA-P", "measures.0"),
    )
    info = Finding(
        rule="TG003",
        name="objective-without-indicator",
        severity="info",
        message="no indicator",
        location=Location("p/b.yaml", 2, 1),
    )
    report = Report(as_of=linted.as_of, findings=[tricky, info], files=2, records=2, rules=[])
    assert github.render(report).splitlines() == [
        "::warning file=p/a%2Cb%3Ac%25.yaml,line=3,col=7,endLine=4,endColumn=2,title=XS001 odd-name::"
        "100%25 of quota, twice:%0D%0Asee notes",
        "::notice file=p/b.yaml,line=2,col=1,title=TG003 objective-without-indicator::no indicator",
    ]
    assert github.escape_property("a:b,c%\n") == "a%3Ab%2Cc%25%0A"


# --- JUnit ----------------------------------------------------------------------------------------------


def test_junit_one_case_per_file_one_failure_per_finding(report, linted):
    extra = Finding(
        rule="TG003",
        name="objective-without-indicator",
        severity="info",
        message="XAA-STRATEGY objective O1 has no indicator & <none>",
        location=Location("xaa/strategy.yaml", 8, 5, record="XAA-STRATEGY"),
    )
    other = Finding(
        rule="E001",
        name="yaml-syntax",
        severity="error",
        message="invalid YAML\x00",
        location=Location("bad.yaml", 2, 1),
    )
    findings = sorted([*report.findings, extra, other], key=Finding.sort_key)
    suite = ET.fromstring(
        junit.render(
            Report(
                as_of=report.as_of,
                findings=findings,
                files=3,
                records=2,
                rules=report.rules,
                suppressed=report.suppressed,
            )
        )
    )
    assert suite.tag == "testsuite" and suite.get("name") == "coherence"
    cases = suite.findall("testcase")
    assert [c.get("name") for c in cases] == ["bad.yaml", "xaa/strategy.yaml"]
    assert {c.get("classname") for c in cases} == {"coherence"}
    assert suite.get("tests") == "2" and suite.get("failures") == "2" and suite.get("errors") == "0"
    failures = cases[1].findall("failure")
    assert len(failures) == 2
    assert len(list(suite.iter("failure"))) == len(findings)
    hc = failures[0]
    assert hc.get("message") == f"HC001: {report.findings[0].message}"
    assert hc.get("type") == "error"
    assert hc.text.splitlines() == [
        f"xaa/strategy.yaml:8:5: HC001 error {report.findings[0].message}",
        "  --> xaa/law.yaml:8:5 (XAA-LAW)",
    ]
    assert failures[1].get("type") == "info" and failures[1].get("message").endswith("& <none>")
    assert cases[0].find("failure").get("message") == "E001: invalid YAML\ufffd"


def test_junit_without_findings_has_one_passing_case(linted):
    clean = Report(
        as_of=linted.as_of,
        findings=[],
        files=2,
        records=2,
        rules=linted.rules,
        suppressed=[Suppressed(IGNORED, "inSource", "agreed")],
    )
    suite = ET.fromstring(junit.render(clean))
    [case] = suite.findall("testcase")
    assert case.get("name") == "corpus" and case.find("failure") is None
    assert suite.get("tests") == "1" and suite.get("failures") == "0"


# --- all formats: deterministic and pure -------------------------------------------------------------------


@pytest.mark.parametrize("name", ["sarif", "github", "junit", "html"])
def test_same_report_same_bytes_and_no_io(name, report, corpus, monkeypatch):
    first = render(name, report)
    again = corpus({}, select=["HC"])  # the same corpus linted afresh
    rebuilt = Report(
        as_of=again.as_of,
        findings=again.findings,
        files=again.files,
        records=again.records,
        rules=again.rules,
        suppressed=list(report.suppressed),
    )

    def no_io(*args, **kwargs):
        raise AssertionError("a formatter touched the file system")

    monkeypatch.setattr(builtins, "open", no_io)
    for method in ("open", "read_text", "read_bytes", "write_text", "write_bytes", "exists", "stat"):
        monkeypatch.setattr(pathlib.Path, method, no_io)
    second = render(name, report)
    third = render(name, rebuilt)
    monkeypatch.undo()
    assert first == second == third
    assert first.encode("utf-8") == render(name, report).encode("utf-8")


# --- the command line -------------------------------------------------------------------------------------


@pytest.fixture
def repo(tmp_path, monkeypatch):
    for name, text in FILES.items():
        path = tmp_path / "policies" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_cli_lint_format_sarif(repo):
    result = CliRunner().invoke(cli.main, ["lint", "--format", "sarif", "--as-of", "2026-11-23", "--select", "HC"])
    assert result.exit_code == 1, result.output
    document = json.loads(result.stdout)
    assert sarif_errors(document) == []
    [found] = document["runs"][0]["results"]
    assert found["ruleId"] == "HC001"
    assert found["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "policies/xaa/strategy.yaml"
    assert found["relatedLocations"][0]["physicalLocation"]["artifactLocation"]["uri"] == "policies/xaa/law.yaml"


@pytest.mark.parametrize(
    "name, start", [("github", "::error file=policies/xaa/strategy.yaml,line=8,"), ("junit", "<?xml")]
)
def test_cli_lint_other_formats(repo, name, start):
    result = CliRunner().invoke(cli.main, ["lint", "--format", name, "--as-of", "2026-11-23", "--select", "HC"])
    assert result.exit_code == 1, result.output
    assert result.stdout.startswith(start)


# What a report's JSON holds: strings (any text: control characters, quotes, RTL marks, astral
# characters), integers of any size, booleans, None, lists and dicts with string keys.
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=300, deadline=None)
@given(JSON_VALUES)
def test_reports_are_written_as_json_dumps_writes_them_with_an_indent(document):
    """The JSON, SARIF and summary reports are written by pydantic-core (json_format.pretty), byte
    for byte as `json.dumps(indent=2, ensure_ascii=False)` writes them, on any value a report holds."""
    assert pretty(document) == json.dumps(document, indent=2, ensure_ascii=False) + "\n"


def test_what_pydantic_core_cannot_write_json_dumps_writes_as_before():
    assert pretty({"a": "\ud800"}) == '{\n  "a": "\ud800"\n}\n'
