"""Path globs as the configuration writes them (`include`, `exclude`, `per_path_ignores`), matched
against `/`-separated paths relative to the configuration's directory: `*` and `?` stay within one
directory, `**` spans any number of them, and a pattern without `/` matches a file's name anywhere
(`docker-compose.yml`, `*.draft.yaml`), as in .gitignore."""

from __future__ import annotations

import functools
import os
import re
from collections.abc import Callable, Sequence
from pathlib import Path


@functools.cache
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


def relative_to(root: str | Path) -> Callable[[str | Path], str]:
    """Paths as globs see them: relative to the root, the configuration's directory (as given, outside
    it). The root is resolved once for many paths (a corpus's thousands of files), each path by string
    operations rather than Path objects."""
    cwd = os.getcwd()

    def absolute(path: str | Path) -> str:  # os.path.abspath, without asking for the directory each time
        return os.path.normpath(os.path.join(cwd, path))

    def under(resolve: Callable[[str | Path], str]) -> Callable[[], tuple[str, str]]:
        """The root resolved (once, when a path needs it) and the start of the paths below it."""
        return functools.cache(lambda: (resolve(root), resolve(root).rstrip(os.sep) + os.sep))

    # realpath: a root reached through a link (/tmp)
    resolvers = ((absolute, under(absolute)), (os.path.realpath, under(os.path.realpath)))

    def of(path: str | Path) -> str:
        for resolve, base in resolvers:
            where, (above, below) = resolve(path), base()
            if where == above:
                return "."
            if where.startswith(below):
                return where[len(below) :].replace(os.sep, "/")
        return Path(path).as_posix()

    return of
