"""Adoption with the real pre-commit, offline: coherence installed from its wheel in a fresh virtual
environment, `coherence init` in a fresh git repository, `pre-commit install`, then commits. The first
commit (the scaffold) passes, a draft that contradicts the example policy is blocked, the fixed draft
passes. Once with the hook `init` writes (`repo: local`, installing coherence from the wheel), once
with the hook this repository ships (.pre-commit-hooks.yaml, from a tagged clone). pip installs from a
local wheelhouse only; no `coherence` is on PATH when git runs the hook. (The tagged clone is of the
committed HEAD: commit before running this test on a change to .pre-commit-hooks.yaml.)"""

import json
import os
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml
from conftest import serving
from offline import REPO, offline, run

PRE_COMMIT = Path(sys.executable).parent / "pre-commit"
HOOK_PASSED = re.compile(r"^coherence \(policy coherence\)\.+Passed$", re.MULTILINE)
# Restricts, on the same corridor, the work the example policy (XAA-LABOUR-MIGRATION-POLICY-2026) facilitates.
DRAFT = """\
coherence: 1
kind: policy
id: XAA-DEPLOYMENT-DECREE-DRAFT
title: Deployment decree (fictional draft)
type: decree
status: draft
jurisdiction: {country: XAA, level: national}
lead_agency: XAA-MOL
objectives:
  - id: O1
    stance: restrict
    groups: [low_skilled_worker]
    areas: [work]
    corridor: {origin: XAA, destination: XAB}
"""
FIXED = DRAFT.replace("stance: restrict", "stance: protect").replace("areas: [work]", "areas: [labour_rights]")
TAG = "v0.2.0"
SHIPPED_HOOK = """\
repos:
  - repo: {clone}
    rev: {tag}
    hooks: [{{id: coherence, files: ^policies/}}]
"""


@dataclass(frozen=True)
class Tools:
    coherence: Path  # installed from the wheel, in a venv that is not on PATH
    wheel: Path
    env: dict[str, str]  # what git and pre-commit run with


@pytest.fixture(scope="module")
def tools(tmp_path_factory):
    installs = offline(tmp_path_factory)
    bin_dir = installs.venv(tmp_path_factory.mktemp("venv"), installs.wheel)
    path = os.pathsep.join(d for d in os.environ["PATH"].split(os.pathsep) if not (Path(d) / "coherence").exists())
    env = {
        **installs.env,
        "PATH": path,
        "PRE_COMMIT_HOME": str(tmp_path_factory.mktemp("pre-commit-home")),
        "GIT_CONFIG_GLOBAL": os.devnull,  # no hooksPath, signing or templates of the machine's user
        "GIT_CONFIG_NOSYSTEM": "1",
    }
    return Tools(bin_dir / "coherence", installs.wheel, env)


def init_policy_repository(directory: Path, tools: Tools) -> subprocess.CompletedProcess:
    """`git init`, `coherence init`, `pre-commit install`, as a new user does; init's result."""
    directory.mkdir()
    run("git", "init", "-q", cwd=directory, env=tools.env)
    run("git", "config", "user.name", "Policy Officer", cwd=directory, env=tools.env)
    run("git", "config", "user.email", "officer@example.org", cwd=directory, env=tools.env)
    initialised = run(tools.coherence, "init", cwd=directory, env=tools.env)
    run(PRE_COMMIT, "install", cwd=directory, env=tools.env)
    return initialised


def commit(repository: Path, env: dict[str, str], message: str) -> tuple[int, str]:
    run("git", "add", "-A", cwd=repository, env=env)
    result = subprocess.run(
        ["git", "commit", "-q", "-m", message], cwd=repository, env=env, capture_output=True, text=True, timeout=900
    )
    return result.returncode, result.stdout + result.stderr


def assert_scaffold_passes_and_a_contradicting_draft_is_blocked(repository: Path, env: dict[str, str]):
    code, output = commit(repository, env, "Adopt coherence")
    assert code == 0 and HOOK_PASSED.search(output), output
    (repository / "policies" / "draft.yaml").write_text(DRAFT)
    code, output = commit(repository, env, "Draft deployment decree")
    assert code == 1 and "coherence (policy coherence)" in output and "Failed" in output, output
    assert "policies/draft.yaml:10:5: HC001 error" in output, output
    (repository / "policies" / "draft.yaml").write_text(FIXED)
    code, output = commit(repository, env, "Draft deployment decree, protecting rights")
    assert code == 0 and HOOK_PASSED.search(output), output
    log = run("git", "log", "--format=%s", cwd=repository, env=env).stdout.splitlines()
    assert log == ["Draft deployment decree, protecting rights", "Adopt coherence"]


@pytest.mark.slow
def test_the_hook_init_writes_installs_coherence_itself(tools, tmp_path):
    repository = tmp_path / "policy-repository"
    initialised = init_policy_repository(repository, tools)
    requirement = json.dumps(f"coherence-rules @ {tools.wheel.as_uri()}")
    assert f"additional_dependencies: [{requirement}]" in (repository / ".pre-commit-config.yaml").read_text()
    assert "--source REQUIREMENT" in initialised.stderr  # a wheel on this disk is no source for CI
    # The draft really contradicts the example policy (linted as an editor would, from stdin).
    result = subprocess.run(
        [tools.coherence, "lint", "-", "--stdin-filename", "policies/draft.yaml"],
        input=DRAFT,
        cwd=repository,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 1 and "policies/draft.yaml:10:5: HC001 error" in result.stdout, result.stdout
    assert_scaffold_passes_and_a_contradicting_draft_is_blocked(repository, tools.env)


@pytest.mark.slow
def test_the_hook_this_repository_ships_from_a_tag(tools, tmp_path):
    clone = tmp_path / "coherence"
    run("git", "clone", "-q", REPO, clone, env=tools.env)
    run("git", "tag", "-f", TAG, cwd=clone, env=tools.env)
    repository = tmp_path / "policy-repository"
    init_policy_repository(repository, tools)
    (repository / ".pre-commit-config.yaml").write_text(SHIPPED_HOOK.format(clone=clone, tag=TAG))
    assert_scaffold_passes_and_a_contradicting_draft_is_blocked(repository, tools.env)


def test_the_shipped_hook_takes_yaml_records_and_leaves_dot_files():
    (hook,) = yaml.safe_load((REPO / ".pre-commit-hooks.yaml").read_text())
    assert (hook["language"], hook["entry"], hook["require_serial"]) == ("python", "coherence lint", True)
    paths = [
        "policies/xaa/policy.yaml",
        "agreements/mou.yml",
        "policies/README.md",
        "schema/coherence.schema.json",
        ".coherence.yaml",
        ".pre-commit-config.yaml",
        ".github/workflows/coherence.yml",
        "policies/.draft.yaml",
    ]
    taken = [p for p in paths if re.search(hook["files"], p) and not re.search(hook["exclude"], p)]
    assert taken == ["policies/xaa/policy.yaml", "agreements/mou.yml"]


@pytest.mark.slow
def test_the_hooks_runs_are_answered_by_a_server_running_in_the_repository(tools, tmp_path):
    """`coherence serve`, started from an installation of the same coherence, answers the runs of the
    hook pre-commit installed on its own: the same commits pass and fail, with the same output."""
    repository = tmp_path / "policy-repository"
    init_policy_repository(repository, tools)
    log = tmp_path / "server.log"
    with serving([tools.coherence, "serve"], repository, tools.env, log) as (_, env):
        assert_scaffold_passes_and_a_contradicting_draft_is_blocked(repository, env)
    answered = [line for line in log.read_text().splitlines() if line.startswith("coherence lint")]
    assert len(answered) == 3 and "exit 1" in answered[1], log.read_text()
