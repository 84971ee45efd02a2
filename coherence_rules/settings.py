"""What one lint run is asked to do (filled by the command line, the configuration and tests)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Limits:
    """Bounds on what one input file may cost; going past one is an E006 finding."""

    max_file_bytes: int = 2 * 1024 * 1024
    max_alias_expansion: int = 10_000  # nodes reached through aliases, per file
    max_depth: int = 64


DEFAULT_LIMITS = Limits()


@dataclass
class Settings:
    corpus: list[Path] = field(default_factory=list)  # context roots; empty = the default corpus
    targets: list[Path] = field(default_factory=list)  # report only findings touching these; empty = all
    as_of: dt.date = field(default_factory=dt.date.today)
    select: list[str] = field(default_factory=list)
    ignore: list[str] = field(default_factory=list)
    rule_dirs: list[Path] = field(default_factory=list)  # extra rule packs
    fail_on: str = "warning"
    limits: Limits = field(default_factory=Limits)
    stdin: tuple[str, bytes] | None = None  # (display path, content) of a file read from stdin
    severity: dict[str, str] = field(default_factory=dict)  # rule id -> severity or "off"
    per_path_ignores: dict[str, list[str]] = field(default_factory=dict)  # glob -> rules
    baseline: Path | None = None
    progress: Callable[[str], None] | None = None  # told what the run is doing (a terminal's status line)
    jobs: int = 0  # worker processes for the shards; 0 = one per CPU when the corpus is large
    cache_dir: Path | None = None  # a warm cache of parsed files (cache.py); None = parse every file
    cwd: Path = field(default_factory=Path.cwd)
    config_root: Path | None = None  # where per-path globs are anchored (default: cwd)
    record_views: bool = False  # also return every record's view and the texts findings point into


def default_corpus(root: Path) -> list[Path]:
    """Without a configured corpus: `policies/` under the root if there is one, else the root."""
    policies = root / "policies"
    return [policies if policies.is_dir() else root]
