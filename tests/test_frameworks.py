"""Framework tags: every rule and obligation carries validated tags, findings carry them, and a
ministry can select by them, list rules by them and count findings by objective and country."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import LAW, STRATEGY

from coherence_rules import cli, frameworks
from coherence_rules.errors import RulePackError
from coherence_rules.explain import frameworks_markdown
from coherence_rules.obligations import load_obligations
from coherence_rules.rulespec import load_rule_dirs
from coherence_rules.settings import builtin_rules_dir

REPO = Path(__file__).resolve().parents[1]
SOCIAL_SECURITY_RULES = {"SS001", "SS002", "SS003", "SS004", "SS005", "SS006", "SS007"}


def run(*args):
    result = CliRunner().invoke(cli.main, [str(a) for a in args])
    return result.exit_code, result.output


@pytest.fixture
def corpus(tmp_path, monkeypatch):
    (tmp_path / "policies").mkdir()
    (tmp_path / "policies" / "strategy.yaml").write_text(STRATEGY)
    (tmp_path / "policies" / "law.yaml").write_text(LAW)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_every_shipped_rule_and_obligation_is_tagged_from_the_closed_vocabulary():
    rules = [r.spec for r in load_rule_dirs([builtin_rules_dir()])]
    assert all(spec.frameworks for spec in rules)
    assert all(set(spec.frameworks) <= set(frameworks.entries()) for spec in rules)
    # The first mapping: social security portability is GCM Objective 22.
    assert {s.id for s in rules if "gcm:22" in s.frameworks} >= SOCIAL_SECURITY_RULES
    table = load_obligations([builtin_rules_dir()])
    assert all(o.frameworks for o in table)
    # Every entry of the vocabulary names where it comes from.
    assert all(e.source and e.title for e in frameworks.entries().values())
    assert set(frameworks.sources()) == set(frameworks.FRAMEWORKS)


def test_an_unknown_tag_is_a_rule_pack_error_with_a_suggestion(tmp_path):
    builtin = builtin_rules_dir() / "LC" / "LC001-stale-status.yaml"
    pack = tmp_path / "pack" / "LC"
    pack.mkdir(parents=True)
    text = builtin.read_text().replace("frameworks: [", "frameworks: [gcm:222, ", 1)
    (pack / builtin.name).write_text(text.replace("id: LC001", "id: LC901").replace("LC001", "LC901"))
    with pytest.raises(RulePackError, match=r"unknown framework tag 'gcm:222' \(did you mean 'gcm:22'"):
        load_rule_dirs([tmp_path / "pack"])


def test_select_by_tag_runs_only_the_rules_tagged_with_it(corpus):
    code, out = run("lint", "--select", "gcm:22", "--format", "json", "--as-of", "2026-11-23")
    assert code == 0 and json.loads(out)["findings"] == []  # HC001 is not a social-protection rule
    code, out = run("lint", "--select", "gcm:whole-of-government", "--format", "json", "--as-of", "2026-11-23")
    found = json.loads(out)["findings"]
    assert "HC001" in {f["rule"] for f in found}
    assert all("gcm:whole-of-government" in f["frameworks"] for f in found)
    code, out = run("lint", "--select", "gcm:24")
    assert code == 2 and "unknown rule, family, name or framework tag" in out


def test_rules_by_framework_lists_every_objective_and_the_rules_under_it():
    code, out = run("rules", "--framework", "gcm", "--format", "json")
    tags = json.loads(out)
    assert code == 0 and [t["tag"] for t in tags][:3] == ["gcm:1", "gcm:2", "gcm:3"]
    by_tag = {t["tag"]: {r["id"] for r in t["rules"]} for t in tags}
    assert by_tag["gcm:22"] >= SOCIAL_SECURITY_RULES
    assert by_tag["gcm:2"] == set()  # uncovered objectives are listed, not hidden
    code, text = run("rules", "--framework", "gcm")
    assert "gcm:22  Objective 22:" in text and "    SS001  labour-agreement-without-social-security" in text


def test_summary_counts_findings_per_objective_and_country(corpus):
    code, out = run("lint", "--summary", "gcm", "--format", "json", "--select", "HC,LC", "--as-of", "2026-11-23")
    document = json.loads(out)
    assert code == 1 and document["countries"] == ["XAA"]
    rows = {row["tag"]: row for row in document["rows"]}
    assert rows["gcm:whole-of-government"]["findings"]["XAA"] == {"error": 1, "warning": 0, "info": 0}
    assert "HC001" in rows["gcm:whole-of-government"]["rules"]
    assert "gcm:22" in document["unchecked"]  # no rule that ran checks it: not reported as clean
    code, text = run("lint", "--summary", "gcm", "--select", "HC,LC", "--as-of", "2026-11-23")
    assert "Whole-of-government approach" in text and "1 (1E)" in text
    assert "Not checked by any rule that ran:" in text


def test_summary_prints_text_or_json_only(corpus):
    code, out = run("lint", "--summary", "gcm", "--format", "sarif")
    assert code == 2 and "--summary prints text or json" in out


def test_the_frameworks_page_is_the_vocabulary():
    """COHERENCE_UPDATE_DOCS=1 rewrites the generated part of docs/frameworks.md (then review the diff)."""
    page = REPO / "docs" / "frameworks.md"
    head, rest = page.read_text().split("-->\n", 1)
    documented, tail = rest.split("<!-- frameworks: end -->")
    if os.environ.get("COHERENCE_UPDATE_DOCS"):
        page.write_text(f"{head}-->\n\n{frameworks_markdown()}\n<!-- frameworks: end -->{tail}")
        return
    assert documented.strip() == frameworks_markdown().strip(), "run COHERENCE_UPDATE_DOCS=1 pytest -k frameworks_page"
