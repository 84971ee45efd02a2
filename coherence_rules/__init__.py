"""coherence: find incoherences between national and sectoral migration policies."""

from __future__ import annotations

from .errors import CoherenceError, UsageError

__version__ = "0.2.0"

# Not typing.TYPE_CHECKING: importing typing is half of what the client of a server imports (client.py);
# mypy reads a constant of this name as true.
TYPE_CHECKING = False
if TYPE_CHECKING:
    from .api import lint
    from .report import Report
    from .settings import Settings

__all__ = ["CoherenceError", "Report", "Settings", "UsageError", "__version__", "lint"]


def __getattr__(name: str):
    """`lint`, `Report` and `Settings` are imported when first used: `coherence --version` and
    `--help` need none of the pipeline, and the client of a server (client.py) none of them (PEP 562)."""
    if name == "lint":
        from .api import lint

        return lint
    if name == "Report":
        from .report import Report

        return Report
    if name == "Settings":
        from .settings import Settings

        return Settings
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
