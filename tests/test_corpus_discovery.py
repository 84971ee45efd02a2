"""A corpus is found the way users expect, and suppressions mean the same thing in every run."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import LAW, STRATEGY
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from coherence_rules import api, cli, globs

DOCKER_COMPOSE = "services:\n  web:\n    image: nginx\nvolumes:\n  data: {}\n"
TYPO_HEADER = (
    "coherense: 1\nknd: policy\nidd: XAA-TYPO\njurisdiction: {country: XAA, level: national}\nstatus: adopted\n"
)


def lint(*args: str) -> tuple[int, dict, str]:
    result = CliRunner().invoke(cli.main, ["lint", "--format", "json", "--as-of", "2026-11-23", *args])
    try:
        return result.exit_code, json.loads(result.output), result.output
    except ValueError:
        return result.exit_code, {}, result.output


def found(document: dict) -> list[tuple[str, str]]:
    return sorted((f["rule"], f["location"]["path"]) for f in document["findings"])


@pytest.fixture
def workspace(tmp_path, monkeypatch):
    """A parent folder with unrelated YAML beside a policy repository without configuration."""
    (tmp_path / "unrelated.yaml").write_text("id: 1\nkind: chart\nname: x\n")
    (tmp_path / "other-project").mkdir()
    (tmp_path / "other-project" / "values.yaml").write_text("replicas: 3\n")
    repo = tmp_path / "repo"
    (repo / "policies").mkdir(parents=True)
    (repo / "policies" / "strategy.yaml").write_text(STRATEGY)
    (repo / "policies" / "law.yaml").write_text(LAW)
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_a_named_directory_is_its_own_corpus_without_a_configuration(workspace):
    code, document, output = lint("repo/policies", "--select", "HC")
    assert code == 1, output
    assert found(document) == [("HC001", "repo/policies/strategy.yaml")]
    assert document["summary"]["files"] == 2  # not the parent folder's unrelated YAML


def test_a_named_file_without_a_configuration_does_not_walk_the_working_directory(workspace):
    code, document, output = lint("repo/policies/law.yaml", "--select", "HC")
    assert code == 0 and document["findings"] == [] and document["summary"]["files"] == 1, output


def test_dot_files_and_the_tools_own_files_are_never_records(workspace):
    policies = workspace / "repo" / "policies"
    (policies / ".coherence.yaml").write_text("fail_on: error\n")
    (policies / ".pre-commit-config.yaml").write_text("repos: []\n")
    code, document, output = lint("repo/policies", "--select", "HC")
    assert found(document) == [("HC001", "repo/policies/strategy.yaml")], output
    # Named on the command line (pre-commit hands every staged YAML file), they are skipped, not errors.
    code, document, output = lint("repo/policies/.pre-commit-config.yaml")
    assert code == 0 and document["findings"] == [], output


def test_a_yaml_file_that_holds_no_record_is_one_warning_and_a_mistyped_header_is_an_error(workspace):
    policies = workspace / "repo" / "policies"
    (policies / "docker-compose.yml").write_text(DOCKER_COMPOSE)
    (policies / "typo.yaml").write_text(TYPO_HEADER)
    _, document, output = lint("repo/policies", "--select", "LC")
    rules = {(f["rule"], f["location"]["path"]) for f in document["findings"]}
    assert ("NR001", "repo/policies/docker-compose.yml") in rules, output
    assert ("E002", "repo/policies/typo.yaml") in rules  # never silence for a record with a typo in its header
    assert sum(f["rule"] == "NR001" for f in document["findings"]) == 1
    # Suppressible like any rule: in the file, in the run, or left out of the corpus.
    (policies / "docker-compose.yml").write_text("# coherence: ignore-file[NR001] -- the dev stack\n" + DOCKER_COMPOSE)
    assert "NR001" not in {f["rule"] for f in lint("repo/policies", "--select", "LC")[1]["findings"]}


def test_include_and_exclude_in_the_configuration(workspace, monkeypatch):
    repo = workspace / "repo"
    (repo / "policies" / "archive").mkdir()
    (repo / "policies" / "archive" / "old-law.yaml").write_text(LAW.replace("XAA-LAW", "XAA-OLD-LAW"))
    (repo / "policies" / "mkdocs.yml").write_text("site_name: Policies\nnav: []\n")
    (repo / ".coherence.yaml").write_text('corpus: [policies]\nexclude: ["policies/archive/**", mkdocs.yml]\n')
    monkeypatch.chdir(repo)
    _, document, output = lint("--select", "HC")
    assert found(document) == [("HC001", "policies/strategy.yaml")], output
    assert document["summary"]["files"] == 2
    (repo / ".coherence.yaml").write_text('corpus: [policies]\ninclude: ["**/*.yaml"]\n')  # .yml files are not
    _, document, output = lint("--select", "HC")
    assert "mkdocs.yml" not in output and len(document["findings"]) == 2  # the archived law conflicts too


def test_e_rules_cannot_be_ignored_and_saying_so_is_an_error_not_silence(workspace, monkeypatch):
    repo = workspace / "repo"
    (repo / ".coherence.yaml").write_text('per_path_ignores: {"policies/archive/**": [E002]}\n')
    monkeypatch.chdir(repo)
    code, _, output = lint()
    assert code == 2 and "names a corpus error" in output and "exclude" in output
    (repo / ".coherence.yaml").write_text("severity: {XS002: off}\n")  # bare off is YAML false: it means off
    assert lint()[0] in (0, 1)


SUPPRESSED_ON_THE_LAW = LAW.replace(
    "objectives:\n", "objectives:\n  # coherence: ignore[HC001] -- the cabinet settled it; review in 2027\n"
)


@pytest.mark.parametrize("targets", [[], ["policies/law.yaml"], ["policies/strategy.yaml"]])
def test_a_suppression_on_either_record_holds_in_every_run(workspace, monkeypatch, targets):
    repo = workspace / "repo"
    (repo / "policies" / "law.yaml").write_text(SUPPRESSED_ON_THE_LAW)
    monkeypatch.chdir(repo)
    code, document, output = lint("--select", "HC,SUP", *targets)
    assert code == 0 and document["findings"] == [], output  # no HC001, and no SUP001 "unused"


def test_a_suppression_in_the_adopted_corpus_holds_for_a_draft_linted_against_it(workspace, monkeypatch):
    repo = workspace / "repo"
    (repo / "policies" / "strategy.yaml").write_text(
        STRATEGY.replace("objectives:\n", "objectives:\n  # coherence: ignore[HC001] -- a pilot; see memo 12\n")
    )
    (repo / "policies" / "law.yaml").unlink()
    (repo / "drafts").mkdir()
    (repo / "drafts" / "law.yaml").write_text(LAW)
    monkeypatch.chdir(repo)
    code, document, output = lint("--against", "policies", "drafts", "--select", "HC,SUP")
    assert code == 0 and document["findings"] == [], output


def test_an_unused_suppression_is_reported_only_when_the_whole_corpus_does_not_use_it(workspace, monkeypatch):
    repo = workspace / "repo"
    (repo / "policies" / "law.yaml").write_text(SUPPRESSED_ON_THE_LAW.replace("stance: restrict", "stance: protect"))
    monkeypatch.chdir(repo)
    _, document, output = lint("--select", "HC,SUP")
    assert found(document) == [("SUP001", "policies/law.yaml")], output
    # Linting the other file says nothing about the law's comment.
    assert lint("policies/strategy.yaml", "--select", "HC,SUP")[1]["findings"] == []


def test_the_baseline_can_be_set_in_the_configuration(workspace, monkeypatch):
    repo = workspace / "repo"
    monkeypatch.chdir(repo)
    assert lint("--select", "HC", "--write-baseline", "known.json")[0] == 0
    (repo / ".coherence.yaml").write_text("baseline: known.json\nselect: [HC]\n")
    code, document, output = lint()
    assert code == 0 and document["findings"] == [], output


SEGMENTS = st.sampled_from(["repo", "policies", "..", ".", "link", "a b", "x.yaml", "ünï"])


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(SEGMENTS, max_size=5), st.lists(SEGMENTS, max_size=5), st.booleans(), st.booleans())
def test_a_path_relative_to_a_root_is_what_resolving_both_and_comparing_their_parts_gives(
    workspace, root_parts, path_parts, root_absolute, path_absolute
):
    """globs.relative_to (by strings, the root resolved once) agrees with Path.relative_to on the
    resolved paths: an absolute path first, then a real one (a root reached through a link)."""
    (workspace / "repo" / "link").unlink(missing_ok=True)
    (workspace / "repo" / "link").symlink_to(workspace / "repo" / "policies")
    root = os.path.join(str(workspace) if root_absolute else "", *root_parts) or "."
    path = os.path.join(str(workspace) if path_absolute else "", *path_parts) or "."

    def expected() -> str:
        for resolve in (os.path.abspath, os.path.realpath):
            try:
                return Path(resolve(path)).relative_to(resolve(root)).as_posix()
            except ValueError:
                continue
        return Path(path).as_posix()

    assert globs.relative_to(root)(path) == globs.relative_to(Path(root))(Path(path)) == expected()


def test_the_corpus_is_walked_once_when_it_is_also_the_target(workspace, monkeypatch):
    """`coherence lint policies` names the corpus itself: its files are found, and tested against
    the include and exclude globs, once (a pre-commit run walks thousands of files)."""
    monkeypatch.chdir(workspace / "repo")
    listed, tested = [], []
    monkeypatch.setattr(api, "_listing", lambda *a, _real=api._listing: listed.append(a[0]) or _real(*a))
    relative_to = globs.relative_to

    def counted(root):
        of = relative_to(root)
        return lambda path: tested.append(path) or of(path)

    monkeypatch.setattr(globs, "relative_to", counted)
    _, document, output = lint("policies", "--select", "HC", "--no-cache")
    assert found(document) == [("HC001", "policies/strategy.yaml")], output
    assert listed == ["policies"] and sorted(tested) == ["policies/law.yaml", "policies/strategy.yaml"]


@settings(max_examples=200, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(SEGMENTS, max_size=5), st.booleans(), st.booleans())
def test_a_path_is_shown_as_relpath_shows_it_from_the_working_directory(workspace, parts, absolute, elsewhere):
    """A report's paths (api.display_paths, by strings for a corpus's relative paths) are those
    os.path.relpath gives from the run's working directory, which need not be the process's."""
    cwd = workspace / "repo" if elsewhere else Path.cwd()
    path = os.path.join(str(workspace) if absolute else "", *parts) or "."
    expected = Path(os.path.relpath(os.path.abspath(path), os.path.abspath(cwd))).as_posix()
    assert api.display_paths(cwd)(path) == api.display_paths(cwd)(Path(path)) == expected
