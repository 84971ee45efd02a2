"""Offline installs for the slow tool tests (test_precommit, test_packaging): a wheelhouse of this
project and its dependencies, built once per session from a clean copy of the working tree, and
fresh virtual environments that install from it with no package index."""

from __future__ import annotations

import functools
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# What a build must not see: local environments, caches and earlier build output.
NOT_SOURCE = shutil.ignore_patterns(
    ".git", ".venv", "build", "dist", "*.egg-info", "__pycache__", ".*_cache", ".hypothesis"
)


def run(*command, **options) -> subprocess.CompletedProcess:
    """Run a command; on failure, fail with its output."""
    result = subprocess.run([str(c) for c in command], capture_output=True, text=True, **options)
    assert result.returncode == 0, f"{command} exited {result.returncode}:\n{result.stdout}{result.stderr}"
    return result


@dataclass(frozen=True)
class Offline:
    source: Path  # a clean copy of the working tree
    wheelhouse: Path  # this project's wheel, its dependencies', and setuptools (to build from source)
    env: dict[str, str]  # pip installs from the wheelhouse only

    @property
    def wheel(self) -> Path:
        return next(self.wheelhouse.glob("coherence_rules-*.whl"))

    def venv(self, directory: Path, *requirements: str | Path) -> Path:
        """A fresh virtual environment with requirements installed offline; its bin directory."""
        run(sys.executable, "-m", "venv", directory)
        run(directory / "bin" / "pip", "install", "-q", *requirements, env=self.env)
        return directory / "bin"


@functools.cache
def _offline(base: Path) -> Offline:
    source = base / "source"
    shutil.copytree(REPO, source, ignore=NOT_SOURCE)
    wheelhouse = base / "wheelhouse"
    run(sys.executable, "-m", "pip", "wheel", "-q", source, "setuptools", "-w", wheelhouse)
    env = {**os.environ, "PIP_NO_INDEX": "1", "PIP_FIND_LINKS": str(wheelhouse)}
    return Offline(source, wheelhouse, env)


def offline(tmp_path_factory) -> Offline:
    """The session's Offline (built by the first test that asks)."""
    return _offline(tmp_path_factory.getbasetemp())
