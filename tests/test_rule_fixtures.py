"""Every rule's fixture cases, collected by one parametrized test (sqlfluff's yaml_test_cases)."""

import pytest

from coherence_rules.rulespec import load_rule_dirs
from coherence_rules.ruletest import fixture_problems, run_case
from coherence_rules.settings import builtin_rules_dir

RULES = load_rule_dirs([builtin_rules_dir()])
CASES = [pytest.param(rule, case, id=f"{rule.spec.id}:{case.name}") for rule in RULES for case in rule.spec.tests]


@pytest.mark.parametrize("rule, case", CASES)
def test_fixture_case(rule, case):
    result = run_case(rule, case)
    assert result.passed, result.explain()


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.spec.id)
def test_rule_has_failing_and_passing_cases(rule):
    assert fixture_problems(rule) == []
