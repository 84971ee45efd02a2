"""coherence: find incoherences between national and sectoral migration policies."""
__version__ = "0.1.0"

from .api import Report, Settings, UsageError, lint  # noqa: E402

__all__ = ["lint", "Settings", "Report", "UsageError", "__version__"]
