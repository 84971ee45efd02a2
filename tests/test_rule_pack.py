"""Custom rule packs: the documented example works, malformed rules are clear errors, the pack is linted."""
from pathlib import Path

import pytest
from click.testing import CliRunner

import cli
from coherence_rules.compiler import compile_rules
from coherence_rules.explain import catalogue
from coherence_rules.facts import FACT_FIELDS
from coherence_rules.rulespec import RulePackError, builtin_rules_dir, load_rule_dirs

REPO = Path(__file__).resolve().parents[1]
DOC = (REPO / "docs" / "writing-rules.md").read_text()
# Every id of the rule catalogue v1 (shared/design/rules.md).
CATALOGUE_IDS = set("""
RI001 RI002 RI003 SS001 SS002 SS003 SS004 SS005 BA001 BA002
BA003 BA004 BA005 BA006 BA007 BA008 BA009 VC001 VC002 VC003
VC004 HC001 HC002 XS001 XS002 IN001 IN002 IN003 IN004 IN005
TG001 TG002 TG003 TG004 IC001 IC002 LC001
""".split())


def invoke(*args):
    result = CliRunner().invoke(cli.main, [str(a) for a in args])
    return result.exit_code, result.output


def worked_example(tmp_path) -> Path:
    block = DOC.split("`my-rules/ORG/ORG001-programme-without-parent.yaml`:")[1].split("```yaml\n")[1].split("```")[0]
    path = tmp_path / "my-rules" / "ORG" / "ORG001-programme-without-parent.yaml"
    path.parent.mkdir(parents=True)
    path.write_text(block)
    return tmp_path / "my-rules"


def test_the_documented_worked_example_passes_test_rules_and_lints(tmp_path, monkeypatch):
    pack = worked_example(tmp_path)
    code, out = invoke("test-rules", pack)
    assert code == 0, out
    assert out.splitlines()[-1] == "2 passed, 0 failed"
    corpus = tmp_path / "policies"
    corpus.mkdir()
    (corpus / "p.yaml").write_text("coherence: 1\nkind: policy\nid: XAA-PROG\ntype: programme\nstatus: adopted\n"
                                   "jurisdiction: {country: XAA, level: national}\n")
    monkeypatch.chdir(tmp_path)
    code, out = invoke("lint", "--rules", pack, "--select", "ORG")
    assert code == 0 and "policies/p.yaml:4:1: ORG001 info XAA-PROG is an active programme that implements nothing" in out
    code, out = invoke("explain", "ORG001", "--rules", pack)
    assert code == 0 and "Ministry planning manual" in out


def test_test_rules_reports_which_case_failed_and_why(tmp_path):
    pack = worked_example(tmp_path)
    path = next(pack.rglob("*.yaml"))
    path.write_text(path.read_text().replace("line: 4", "line: 5"))
    code, out = invoke("test-rules", pack)
    assert code == 1
    assert "missing:    p.yaml:5 ORG001 [XAA-PROG]" in out
    assert "unexpected: p.yaml:4 ORG001 [XAA-PROG]  -- XAA-PROG is an active programme that implements nothing" in out


@pytest.mark.parametrize("mutation, error", [
    (("severity: info", "severity: loud"), "severity"),
    (("fact: policy", "fact: polcy"), "unknown fact type 'polcy'"),
    (("join: {ri: a.ri}", "join: {ri: z.ri}"), "'z' is not bound"),
    (("where: {type: programme, active: true}", "where: {tipe: programme}"), "has no field 'tipe'"),
    (("name: programme-without-parent", "name: Programme"), "name"),
    (("message: \"{a.rid} is", "message: \"{a.nope} is"), "has no field 'nope'"),
    (("summary:", "summary: [oops\nx:"), "invalid YAML"),
])
def test_malformed_rule_is_a_clear_error_with_file_and_line(tmp_path, monkeypatch, mutation, error):
    pack = worked_example(tmp_path)
    path = next(pack.rglob("*.yaml"))
    path.write_text(path.read_text().replace(*mutation, 1))
    monkeypatch.chdir(tmp_path)
    code, out = invoke("lint", "--rules", pack)
    assert code == 2
    assert out.startswith(f"coherence: error: {path}:") and error in out and "Traceback" not in out


def test_every_fact_type_and_field_is_documented():
    for fact, fields in FACT_FIELDS.items():
        row = next((line for line in DOC.splitlines() if line.startswith(f"| `{fact}` |")), None)
        assert row is not None, f"fact type {fact} is missing from docs/writing-rules.md"
        inherited = FACT_FIELDS["statement"] if "everything of `statement`" in row else ()
        undocumented = [f for f in fields if f not in ("ri", "rid", "yp", *inherited) and f"`{f}`" not in row]
        assert not undocumented, f"{fact}: {undocumented} missing from docs/writing-rules.md"


def test_builtin_pack_compiles_and_every_rule_has_metadata():
    rules = load_rule_dirs([builtin_rules_dir()])
    compile_rules(rules)
    for rule in rules:
        spec = rule.spec
        assert spec.family == spec.id[:len(spec.family)] and spec.sources and spec.examples.bad and spec.examples.good
        assert Path(rule.path).parent.name == spec.family


def test_rules_command_lists_the_whole_catalogue():
    code, out = invoke("rules", "--format", "json")
    import json
    ids = {row["id"] for row in json.loads(out)}
    assert code == 0 and CATALOGUE_IDS <= ids, sorted(CATALOGUE_IDS - ids)
    assert {f"E00{i}" for i in range(1, 8)} <= ids
    listed = [row["id"] for row in catalogue()]
    builtin = [i for i in listed if i.startswith(("E", "SUP"))]
    assert listed == builtin + sorted(set(listed) - set(builtin))


def test_duplicate_rule_id_across_packs_is_an_error(tmp_path):
    pack = tmp_path / "dup"
    (pack / "HC").mkdir(parents=True)
    source = builtin_rules_dir() / "HC" / "HC001-opposing-objectives.yaml"
    (pack / "HC" / source.name).write_text(source.read_text())
    with pytest.raises(RulePackError, match="already defined"):
        load_rule_dirs([builtin_rules_dir(), pack])
