"""The frameworks ministries report against (the Global Compact for Migration's objectives and
guiding principles, IOM's MiGOF and MGI, the KNOMAD/OECD PICMD dashboard): closed vocabularies for
rule tags and finding summaries, each entry with its source (frameworks.yaml)."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

FRAMEWORKS = {
    "gcm": "Global Compact for Safe, Orderly and Regular Migration",
    "migof": "IOM Migration Governance Framework",
    "mgi": "IOM Migration Governance Indicators",
    "picmd": "KNOMAD/OECD dashboard of policy and institutional coherence for migration and development",
}


@dataclass(frozen=True)
class Entry:
    tag: str  # `gcm:22`
    title: str
    short: str
    source: str
    verified: bool = True
    note: str = ""

    @property
    def framework(self) -> str:
        return self.tag.split(":", 1)[0]


@cache
def entries() -> dict[str, Entry]:
    data = yaml.safe_load((Path(__file__).parent / "frameworks.yaml").read_text(encoding="utf-8"))
    return {tag: Entry(tag, **fields) for tag, fields in data["tags"].items()}


@cache
def sources() -> dict[str, str]:
    return yaml.safe_load((Path(__file__).parent / "frameworks.yaml").read_text(encoding="utf-8"))["sources"]


def checked(tags: list[str]) -> list[str]:
    """The tags, if every one is in the vocabulary (a pydantic validator: ValueError otherwise)."""
    for tag in tags:
        if tag not in entries():
            from .schema_errors import suggest  # the schema's models: not needed to name the frameworks

            raise ValueError(f"unknown framework tag '{tag}'{suggest(tag, entries())}")
    return tags


def order(tag: str) -> tuple:
    """Framework order, then objectives by number before principles by name."""
    framework, _, key = tag.partition(":")
    number = key.rsplit("-", 1)[-1]
    return (
        list(FRAMEWORKS).index(framework) if framework in FRAMEWORKS else 99,
        key.split("-")[0] if not key.isdigit() else "",
        int(number) if number.isdigit() else 0,
        key,
    )
