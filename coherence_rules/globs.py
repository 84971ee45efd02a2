"""Path globs as the configuration writes them (`include`, `exclude`, `per_path_ignores`), matched
against `/`-separated paths relative to the configuration's directory: `*` and `?` stay within one
directory, `**` spans any number of them, and a pattern without `/` matches a file's name anywhere
(`docker-compose.yml`, `*.draft.yaml`), as in .gitignore."""

from __future__ import annotations

import os
import re
from collections.abc import Sequence
from functools import cache
from pathlib import Path


@cache
def _compiled(pattern: str) -> re.Pattern[str]:
    if "/" not in pattern.rstrip("/"):
        pattern = "**/" + pattern
    out, i = [], 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            out.append("(?:.*/)?")
            i += 3
        elif pattern.startswith("**", i):
            out.append(".*")
            i += 2
        elif pattern[i] == "*":
            out.append("[^/]*")
            i += 1
        elif pattern[i] == "?":
            out.append("[^/]")
            i += 1
        else:
            out.append(re.escape(pattern[i]))
            i += 1
    # A directory pattern (`archive/`, `policies/old`) takes everything below it too.
    return re.compile("".join(out).rstrip("/") + "(?:/.*)?")


def matches(path: str, pattern: str) -> bool:
    return _compiled(pattern).fullmatch(path.removeprefix("./")) is not None


def any_matches(path: str, patterns: Sequence[str]) -> bool:
    return any(matches(path, p) for p in patterns)


def relative(path: Path, root: Path) -> str:
    """The path as globs see it: relative to the configuration's directory (as given, outside it)."""
    for resolve in (os.path.abspath, os.path.realpath):  # realpath: a root reached through a link (/tmp)
        try:
            return Path(resolve(path)).relative_to(resolve(root)).as_posix()
        except ValueError:
            continue
    return path.as_posix()
