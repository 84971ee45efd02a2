"""The errors the tool raises instead of reporting a finding. Every one means exit code 2 with a
one-line message (cli.py); corpus problems are never errors: they are findings."""

from __future__ import annotations


class CoherenceError(Exception):
    """Base of every error the command line turns into one line on stderr and exit code 2."""


class UsageError(CoherenceError):
    """Bad paths or options."""


class ToolFileError(CoherenceError):
    """A file the tool reads for itself (rule, configuration, obligations table) that cannot be
    used; the message starts with `path:line:column`."""


class RulePackError(ToolFileError):
    """A rule pack that cannot be compiled; the message starts with `path:line`."""


class ConfigError(ToolFileError):
    """A configuration that cannot be used; the message starts with `path:line`."""


class BaselineError(CoherenceError):
    """A baseline file that cannot be read."""


class EngineError(CoherenceError):
    """The rules engine failed in a way no retry mends: reporting fewer findings would be wrong."""


class StaleIndexError(CoherenceError):
    """The corpus index said a record was valid and it is not: never expected (its entries are
    keyed by the tool's version and the file's bytes), and a report would be wrong."""


class WorkerError(CoherenceError):
    """A worker process died (killed, or out of memory) before handing back its part of the run."""
