"""The shipped pre-commit hook, driven by the real `pre-commit try-repo` against a scratch policy
repository, offline: pip installs the hook from a local wheelhouse (PIP_NO_INDEX)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[1]
POLICY = """\
coherence: 1
kind: policy
id: {id}
type: {type}
status: {status}
jurisdiction: {{country: XAA, level: national}}
objectives:
  - {{id: O1, stance: {stance}, groups: [{group}], areas: [entry]}}
"""


@pytest.fixture(scope="module")
def hook_env(tmp_path_factory):
    """A wheelhouse of this project and its dependencies (built once), and a pre-commit home."""
    wheelhouse = tmp_path_factory.mktemp("wheelhouse")
    subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "-q", str(REPO), "setuptools", "-w", str(wheelhouse)],
        check=True,
        capture_output=True,
    )
    env = {
        **os.environ,
        "PIP_NO_INDEX": "1",
        "PIP_FIND_LINKS": str(wheelhouse),
        "PRE_COMMIT_HOME": str(tmp_path_factory.mktemp("pre-commit-home")),
    }
    return env


@pytest.fixture
def scratch(tmp_path):
    subprocess.run(["git", "init", "-q"], cwd=tmp_path, check=True)
    (tmp_path / ".coherence.yaml").write_text("select: [HC, LC]\n")
    policies = tmp_path / "policies"
    policies.mkdir()
    (policies / "strategy.yaml").write_text(
        POLICY.format(
            id="XAA-STRATEGY", type="strategy", status="in_force", stance="facilitate", group="labour_migrant"
        )
    )
    # An old, unstaged conflict in the corpus: context, never reported by a commit that does not touch it.
    (policies / "old.yaml").write_text(
        POLICY.format(id="XAA-OLD", type="law", status="in_force", stance="deter", group="labour_migrant")
    )
    return tmp_path


def try_repo(scratch: Path, env: dict, *staged: str) -> subprocess.CompletedProcess:
    subprocess.run(["git", "add", *staged], cwd=scratch, check=True)
    pre_commit = Path(sys.executable).parent / "pre-commit"
    return subprocess.run(
        [str(pre_commit), "try-repo", str(REPO), "coherence"],
        cwd=scratch,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )


def test_hook_reports_a_new_conflict_in_the_staged_file_only(scratch, hook_env):
    (scratch / "policies" / "draft.yaml").write_text(
        POLICY.format(id="XAA-DRAFT", type="law", status="draft", stance="restrict", group="low_skilled_worker")
    )
    result = try_repo(scratch, hook_env, "policies/draft.yaml")
    output = result.stdout + result.stderr
    assert result.returncode == 1, output
    # The finding points at the staged draft, says it is a draft, and relates the adopted strategy.
    assert (
        "policies/draft.yaml:8:5: HC001 error Objective O1 of XAA-STRATEGY facilitates entry for lower-skilled "
        "workers, while objective O1 of XAA-DRAFT restricts it [draft: XAA-DRAFT]"
    ) in output
    assert "--> policies/strategy.yaml:8:5 (XAA-STRATEGY)" in output
    assert "XAA-OLD" not in output  # the staged file does not touch the old conflict


def test_hook_passes_a_clean_staged_file(scratch, hook_env):
    (scratch / "policies" / "programme.yaml").write_text(
        POLICY.format(id="XAA-PROGRAMME", type="programme", status="adopted", stance="facilitate", group="student")
    )
    result = try_repo(scratch, hook_env, "policies/programme.yaml")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Passed" in result.stdout
