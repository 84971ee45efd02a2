"""Record text is data in every report: file names, keys and values from records reach messages, and
a line break or a terminal escape in them must not start a line of its own (a CI log would read
`::add-mask::` or `::error` there as a workflow command) nor drive the terminal."""

from __future__ import annotations

import re

# C0 and C1 controls, DEL, and the Unicode line and paragraph separators.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029]")


def _escaped(match: re.Match) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def printable(text: str) -> str:
    """The text on one line, each control character shown as `\\xNN` (`\\u2028` for the separators)."""
    return _CONTROL.sub(_escaped, text)


def line_start(path: str) -> str:
    """A path that begins a report line: one beginning with `::` or `##[` would read as a workflow
    command, so it is shown as `./path`."""
    return f"./{path}" if path.startswith(("::", "##")) else path
