"""What one lint run is asked to do (filled by the command line, the configuration and tests)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path


@dataclass(frozen=True)
class Limits:
    """Bounds on what one input may cost, so that no file can stall or exhaust a run. Going past
    one is a finding at the place where it happened (E006; E007 for a rule cut short), and the
    rest of the corpus is still checked. README.md, "Limits", measures what each one guards."""

    max_file_bytes: int = 2 * 1024 * 1024
    max_depth: int = 64  # nesting of mappings and sequences
    max_records_per_file: int = 10_000  # YAML documents
    max_list_items: int = 1_000  # items of one sequence
    max_scalar_chars: int = 100_000  # one string, key or number as written
    max_number_chars: int = 100  # an integer or a float as written (base-60 and huge integers are slow)
    max_alias_expansion: int = 10_000  # nodes reached through aliases, per file
    max_alias_bytes: int = 1_000_000  # characters of the scalars reached through aliases, per file
    max_comment_line_chars: int = 10_000  # a longer line is not searched for `# coherence:` suppressions
    max_facts_per_record: int = 50_000  # engine facts one record may yield (its statements x tree nodes)
    max_findings_per_rule_per_record: int = 100  # the rest are counted, not listed
    max_matches_per_rule: int = 200_000  # engine matches one rule may collect in one shard (join fan-out)


DEFAULT_LIMITS = Limits()


DEFAULT_INCLUDE = ("**/*.yaml", "**/*.yml")


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
    jobs: int = 0  # worker processes that parse files and evaluate shards; 0 = one per CPU when there are many
    cache_dir: Path | None = None  # the corpus index (corpus_index.py); None = parse and evaluate all
    cwd: Path = field(default_factory=Path.cwd)
    config_root: Path | None = None  # where per-path globs are anchored (default: cwd)
    include: list[str] = field(default_factory=lambda: list(DEFAULT_INCLUDE))  # record files (globs.py)
    exclude: list[str] = field(default_factory=list)  # files under the corpus that are not records
    record_views: bool = False  # also return every record's view and the texts findings point into


def builtin_rules_dir() -> Path:
    """`rules/` ships in the wheel as coherence_rules/rulepack; a checkout uses rules/ itself."""
    installed = Path(__file__).resolve().parent / "rulepack"
    return installed if installed.is_dir() else Path(__file__).resolve().parent.parent / "rules"


def default_corpus(root: Path) -> list[Path]:
    """Without a configured corpus: `policies/` under the root if there is one, else the root."""
    policies = root / "policies"
    return [policies if policies.is_dir() else root]
