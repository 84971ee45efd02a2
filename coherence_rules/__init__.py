"""coherence: find incoherences between national and sectoral migration policies."""

__version__ = "0.2.0"

from .api import lint
from .errors import CoherenceError, UsageError
from .report import Report
from .settings import Settings

__all__ = ["CoherenceError", "Report", "Settings", "UsageError", "__version__", "lint"]
