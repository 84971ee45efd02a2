"""Rule packs: the documented examples work, malformed rules are clear errors, the pack is linted."""

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from coherence_rules import cli
from coherence_rules.catalogue import markdown
from coherence_rules.compiler import OLD_FIELDS, compile_rules
from coherence_rules.errors import RulePackError
from coherence_rules.explain import catalogue
from coherence_rules.rulespec import load_rule_dirs
from coherence_rules.settings import builtin_rules_dir

REPO = Path(__file__).resolve().parents[1]
DOC = (REPO / "docs" / "writing-rules.md").read_text()
# Every id of the rule catalogue v1.
CATALOGUE_IDS = set(
    [
        "RI001",
        "RI002",
        "RI003",
        "SS001",
        "SS002",
        "SS003",
        "SS004",
        "SS005",
        "BA001",
        "BA002",
        "BA003",
        "BA004",
        "BA005",
        "BA006",
        "BA007",
        "BA008",
        "BA009",
        "VC001",
        "VC002",
        "VC003",
        "VC004",
        "HC001",
        "HC002",
        "XS001",
        "XS002",
        "IN001",
        "IN002",
        "IN003",
        "IN004",
        "IN005",
        "TG001",
        "TG002",
        "TG003",
        "TG004",
        "IC001",
        "IC002",
        "LC001",
    ]
)
EXAMPLES = ["ORG001-programme-without-parent", "ORG002-programme-against-law"]


def invoke(*args):
    result = CliRunner().invoke(cli.main, [str(a) for a in args])
    return result.exit_code, result.output


def worked_example(tmp_path, name=EXAMPLES[0]) -> Path:
    block = DOC.split(f"`my-rules/ORG/{name}.yaml`:")[1].split("```yaml\n")[1].split("```")[0]
    path = tmp_path / "my-rules" / "ORG" / f"{name}.yaml"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(block)
    return tmp_path / "my-rules"


def test_the_documented_worked_examples_pass_test_rules_and_lint(tmp_path, monkeypatch):
    for name in EXAMPLES:
        pack = worked_example(tmp_path, name)
    code, out = invoke("test-rules", pack)
    assert code == 0, out
    assert out.splitlines()[-1] == "4 passed, 0 failed"
    corpus = tmp_path / "policies"
    corpus.mkdir()
    (corpus / "p.yaml").write_text(
        "coherence: 1\nkind: policy\nid: XAA-PROG\ntype: programme\nstatus: adopted\n"
        "jurisdiction: {country: XAA, level: national}\n"
    )
    monkeypatch.chdir(tmp_path)
    code, out = invoke("lint", "--rules", pack, "--select", "ORG")
    assert (
        code == 0 and "policies/p.yaml:4:1: ORG001 info XAA-PROG is an active programme that implements nothing" in out
    )
    code, out = invoke("explain", "ORG001", "--rules", pack)
    assert code == 0 and "Ministry planning manual" in out and "Condition:" in out


def test_test_rules_reports_which_case_failed_and_why(tmp_path):
    pack = worked_example(tmp_path)
    path = next(pack.rglob("*.yaml"))
    path.write_text(path.read_text().replace("line: 4", "line: 5"))
    code, out = invoke("test-rules", pack)
    assert code == 1
    assert "missing:    p.yaml:5 ORG001 [XAA-PROG]" in out
    assert "unexpected: p.yaml:4 ORG001 [XAA-PROG]  -- XAA-PROG is an active programme that implements nothing" in out


@pytest.mark.parametrize(
    "mutation, error",
    [
        (("severity: info", "severity: loud"), "severity"),
        (("a: policy\n", "a: polcy\n"), "unknown fact type 'polcy' (did you mean 'policy'?)"),
        (("same: {record: a}", "same: {record: z}"), "'z' is not bound"),
        (
            ("where: {type: programme, active: true}", "where: {tipe: programme}"),
            "has no field 'tipe' (did you mean 'type'?)",
        ),
        (("where: {type: programme, active: true}", "where: {type: programe}"), "'programe' is not a value of type"),
        (("name: programme-without-parent", "name: Programme"), "name"),
        (('message: "{a} is', 'message: "{a.nope} is'), "has no field 'nope'"),
        (("summary:", "summary: [oops\nx:"), "invalid YAML"),
        (("  - a: policy\n", "  - bind: a\n    fact: policy\n"), "old rule syntax"),
        (
            ("  - absent: implements\n    same: {record: a}", "  - absent: implements\n    join: {rid: a.rid}"),
            "old rule syntax",
        ),
        (("condition:", "conditions:"), "unknown field 'conditions' (did you mean 'condition'?)"),
    ],
)
def test_malformed_rule_is_a_clear_error_with_file_and_line(tmp_path, monkeypatch, mutation, error):
    pack = worked_example(tmp_path)
    path = next(pack.rglob("*.yaml"))
    text = path.read_text()
    assert mutation[0] in text
    path.write_text(text.replace(*mutation, 1))
    # the YAML parser reports where it gave up: the line after the broken one
    line = text[: text.index(mutation[0])].count("\n") + 1 + ("invalid YAML" in error)
    monkeypatch.chdir(tmp_path)
    code, out = invoke("lint", "--rules", pack)
    assert code == 2
    assert out.startswith(f"coherence: error: {path}:{line}:") and error in out and "Traceback" not in out


def test_the_fact_catalogue_in_the_docs_is_the_catalogue():
    """COHERENCE_UPDATE_DOCS=1 rewrites the section from the catalogue (then review the diff)."""
    head, rest = DOC.split("-->\n", 1)
    documented, tail = rest.split("<!-- facts: end -->")
    if os.environ.get("COHERENCE_UPDATE_DOCS"):
        (REPO / "docs" / "writing-rules.md").write_text(f"{head}-->\n\n{markdown()}\n<!-- facts: end -->{tail}")
        return
    assert documented.strip() == markdown().strip(), "run COHERENCE_UPDATE_DOCS=1 pytest -k catalogue"


def test_every_renamed_field_is_in_the_migration_table():
    table = DOC.split("## From the old rule syntax")[1].split("## The obligations table")[0]
    for old in OLD_FIELDS:
        if old not in ("ri", "yp", "lead_yp", "own"):  # engine plumbing, named in the prose
            assert f"`{old}" in table, old


def test_builtin_pack_compiles_and_every_rule_has_metadata():
    rules = load_rule_dirs([builtin_rules_dir()])
    compile_rules(rules)
    for rule in rules:
        spec = rule.spec
        assert spec.family == spec.id[: len(spec.family)] and spec.sources and spec.examples.bad and spec.examples.good
        assert spec.condition and "Reading:" not in spec.rationale
        assert Path(rule.path).parent.name == spec.family


def test_rules_command_lists_the_whole_catalogue():
    code, out = invoke("rules", "--format", "json")
    ids = {row["id"] for row in json.loads(out)}
    assert code == 0 and ids >= CATALOGUE_IDS, sorted(CATALOGUE_IDS - ids)
    assert {f"E00{i}" for i in range(1, 8)} <= ids
    listed = [row["id"] for row in catalogue()]
    builtin = [i for i in listed if i.startswith(("E", "SUP", "NR"))]
    assert listed == builtin + sorted(set(listed) - set(builtin))


def test_duplicate_rule_id_across_packs_is_an_error(tmp_path):
    pack = tmp_path / "dup"
    (pack / "HC").mkdir(parents=True)
    source = builtin_rules_dir() / "HC" / "HC001-opposing-objectives.yaml"
    (pack / "HC" / source.name).write_text(source.read_text())
    with pytest.raises(RulePackError, match="already defined"):
        load_rule_dirs([builtin_rules_dir(), pack])


def test_a_family_member_error_points_at_its_entry(tmp_path):
    source = (builtin_rules_dir() / "BA" / "BA-record-mismatch.yaml").read_text()
    pack = tmp_path / "pack" / "BA"
    pack.mkdir(parents=True)
    (pack / "BA-record-mismatch.yaml").write_text(source.replace("name: quota-mismatch", "name: Quota"))
    line = source[: source.index("name: quota-mismatch")].count("\n") + 1
    with pytest.raises(RulePackError, match=rf"BA-record-mismatch.yaml:{line}: name"):
        load_rule_dirs([tmp_path / "pack"])
