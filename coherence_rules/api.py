"""The one public entry point: lint(settings) -> Report. The CLI, the pre-commit hook, the tests and
the benchmarks all go through it. It finds and reads the corpus files; a run whose settings, rule
files, baseline and corpus bytes are those of the last such run takes that run's report from the
corpus index; any other runs the stages (pipeline.py), which are imported only then."""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

from . import globs, resident
from .baseline import load_baseline
from .corpus_errors import corpus_error
from .corpus_index import CorpusIndex
from .errors import UsageError
from .findings import Location
from .load import LoadedFile, Source, read_file
from .report import Report
from .settings import Settings, builtin_rules_dir, default_corpus

YAML_SUFFIXES = (".yaml", ".yml")
SKIP_DIRS = {".git", ".hg", ".svn", ".venv", "venv", "node_modules", "__pycache__", ".tox"}
OUTSIDE = "outside the corpus"


def display_paths(cwd: Path) -> Callable[[str | Path], str]:
    """Paths relative to the working directory (`../` when above it), with / separators; bytes of
    a file name that are not UTF-8 are shown as `\\xNN` (every report is UTF-8 text)."""
    here = os.path.abspath(cwd)
    in_process_directory = here == os.getcwd()

    def shown(path: str | Path) -> str:
        path = os.fspath(path)
        if in_process_directory and not os.path.isabs(path):  # a corpus's files: no directory to ask for
            relative = os.path.normpath(path)
            if not relative.startswith(".."):
                return relative.replace(os.sep, "/")
        try:
            return Path(os.path.relpath(os.path.abspath(path), here)).as_posix()
        except ValueError:  # another drive
            return Path(os.path.abspath(path)).as_posix()

    return lambda path: shown(path).encode("utf-8", "surrogateescape").decode("utf-8", "backslashreplace")


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


@dataclass
class Discovered:
    files: list[str]  # as found (a corpus of thousands: no Path built for each)
    skipped: list[tuple[Path, str]]  # what was not read, and why (E006 findings)


class Listing(NamedTuple):
    """What a directory holds for discover: files named like records, as (real path, path as found),
    those skipped (as (path, why): links to files outside the tree), subdirectories as (path, real
    path), directories skipped (links to directories outside), and whether it is a function of the
    directory's own entries (without links, whose targets may change while it does not)."""

    files: list[tuple[str, str]]
    skipped_files: list[tuple[Path, str]]
    below: list[tuple[str, str]]
    skipped: list[tuple[Path, str]]
    own: bool


def _listing(directory: str, real_directory: str, root_real: str) -> Listing:
    """Below the root, directories are never links (those are not followed), so a plain file's real
    path is its directory's joined with its name. Raises OSError when the directory cannot be read."""
    files: list[tuple[str, str]] = []
    skipped_files: list[tuple[Path, str]] = []
    below: list[tuple[str, str]] = []
    skipped: list[tuple[Path, str]] = []
    own = True
    with os.scandir(directory) as entries:
        for entry in sorted(entries, key=lambda e: e.name):
            name = entry.name
            if entry.is_dir(follow_symlinks=False):
                if name not in SKIP_DIRS and not name.startswith("."):
                    below.append((entry.path, os.path.join(real_directory, name)))
            elif entry.is_symlink():
                own = False
                real = os.path.realpath(entry.path)
                if os.path.isdir(real):
                    if not _inside(real, root_real):
                        skipped.append((Path(entry.path), f"symbolic link to a directory {OUTSIDE}: not followed"))
                elif _record_name(name):
                    if not _inside(real, root_real):
                        skipped_files.append((Path(entry.path), f"symbolic link to a file {OUTSIDE}: not read"))
                    elif os.path.isfile(real):
                        files.append((real, entry.path))
            # regular files only: a FIFO named *.yaml would block
            elif entry.is_file(follow_symlinks=False) and _record_name(name):
                files.append((os.path.join(real_directory, name), entry.path))
    return Listing(files, skipped_files, below, skipped, own)


def _record_name(name: str) -> bool:
    return name.endswith(YAML_SUFFIXES) and not name.startswith(".")


Listings = dict[tuple[str, str, str], Listing]  # a run's, by directory, its real path and its root's


def discover(
    paths: list[Path],
    trusted: Sequence[Path] = (),
    keep: Callable[[str], bool] = lambda path: True,
    listings: Listings | None = None,
) -> Discovered:
    """YAML files named or found under directories (those `keep` accepts), each once, in a stable
    order; dot-files are never records (.coherence.yaml, .pre-commit-config.yaml). Symbolic links
    never lead out of the tree they were found in: a link to a file or directory outside it is
    skipped (and reported); a file named directly may link into `trusted` directories or into
    a directory named beside it. Links are never followed into directories (no loops): a linked
    directory inside the tree is read where it really is. A server keeps each directory's listing
    while the directory's stat says it is unchanged (resident.py); `listings`, those this run has
    read (a directory named as a target and as the corpus is read once)."""
    found: dict[str, str] = {}
    skipped: list[tuple[Path, str]] = []

    def listed(directory: str, real_directory: str, root_real: str) -> Listing:
        def compute() -> tuple[Listing, bool]:
            listing = _listing(directory, real_directory, root_real)
            return listing, listing.own

        if listings is not None and (directory, real_directory, root_real) in listings:
            return listings[directory, real_directory, root_real]
        if resident.CURRENT is None:
            listing = compute()[0]
        else:
            listing = resident.CURRENT.listing(directory, (real_directory, root_real), compute)
        if listings is not None:
            listings[directory, real_directory, root_real] = listing
        return listing

    walked: set[str] = set()  # the files found under directories, as found

    @functools.cache
    def roots() -> list[str]:  # where a file named directly may link to
        return [*(os.path.realpath(p) for p in paths if p.is_dir()), *(os.path.realpath(t) for t in trusted)]

    for path in paths:
        if os.fspath(path) in walked:
            continue  # named, and found under a directory named before it (the targets, then the corpus)
        if path.is_dir():
            root_real = os.path.realpath(path)
            pending = [(str(path), root_real)]  # (directory, its real path)
            while pending:
                directory, real_directory = pending.pop()
                try:
                    listing = listed(directory, real_directory, root_real)
                except OSError as error:
                    skipped.append((Path(directory), f"cannot read directory: {error.strerror}"))
                    continue
                for real, file in listing.files:
                    if keep(file):
                        found.setdefault(real, file)
                        walked.add(file)
                skipped += [(file, why) for file, why in listing.skipped_files if keep(str(file))]
                skipped += listing.skipped
                pending.extend(reversed(listing.below))
        elif path.is_file():
            real = os.path.realpath(path)
            if path.is_symlink() and not any(_inside(real, root) for root in roots()):
                skipped.append((path, f"symbolic link to a file {OUTSIDE}: not read"))
            else:
                found.setdefault(real, str(path))
        else:
            raise UsageError(f"{path}: no such file or directory")
    return Discovered([found[key] for key in sorted(found)], sorted(skipped))


def _checkout(directory: Path) -> Path | None:
    """The git work tree holding a directory, if any."""
    for candidate in [directory, *directory.parents]:
        if (candidate / ".git").exists():
            return candidate
    return None


def _index(settings: Settings, corpus: list[Path]) -> CorpusIndex | None:
    """The corpus index, unless its directory lies in the repository or a corpus: a change under
    review could plant entries there (an entry matching its file's bytes is trusted)."""
    if settings.cache_dir is None:
        return None
    directory = os.path.realpath(settings.cache_dir)
    repository = [settings.config_root, _checkout(settings.cwd.resolve()), *corpus]
    if any(root is not None and _inside(directory, os.path.realpath(root)) for root in repository):
        return None
    return CorpusIndex(settings.cache_dir)


def corpus_roots(settings: Settings) -> list[Path]:
    """The configured corpus; without one, the directories named on the command line (never the
    working directory's unrelated files), else `policies/` or the working directory."""
    if settings.corpus:
        return settings.corpus
    named = [t for t in settings.targets if t.is_dir()]
    if named:
        return named
    policies = settings.cwd / "policies"
    if settings.targets or settings.stdin:
        return [policies] if policies.is_dir() else []
    return default_corpus(settings.cwd)


def _records(settings: Settings) -> Callable[[str], bool]:
    """Which files under the corpus roots are records: the configuration's include and exclude globs."""
    root = settings.config_root or settings.cwd
    include, exclude = tuple(settings.include), tuple(settings.exclude)
    relative = globs.relative_to(root)

    def kept(path: str) -> bool:
        where = relative(path)
        return globs.any_matches(where, include) and not globs.any_matches(where, exclude)

    # By path, kept by a server from run to run (resident.remember).
    known: dict[str, bool] = resident.remember(("records", str(root), include, exclude), dict)

    def record(path: str) -> bool:
        found = known.get(path)
        if found is None:
            found = known[path] = kept(path)
        return found

    return record


def _excluded(settings: Settings) -> Callable[[str], bool]:
    """Whether a file named on the command line is not a record (a dot-file, or excluded): pre-commit
    hands every staged YAML file, and these are skipped, not reported."""
    relative = globs.relative_to(settings.config_root or settings.cwd)
    return lambda path: (
        os.path.basename(path).startswith(".")
        or (bool(settings.exclude) and globs.any_matches(relative(path), settings.exclude))
    )


def _read(
    settings: Settings, named: Discovered, records: Callable[[str], bool], listings: Listings
) -> tuple[list[Source], set[str]]:
    """The corpus files (the `named` targets included) among `records`, as read, and the display
    paths of the targets (those skipped too: their findings are the run's)."""
    cwd = settings.cwd
    roots = corpus_roots(settings)
    here = str(cwd)

    displays: dict[str, str] = resident.remember(("display", here), dict)  # kept by a server
    display_path = display_paths(cwd)

    def display(path: str | Path) -> str:
        key = os.fspath(path)
        shown = displays.get(key)
        if shown is None:
            shown = displays[key] = display_path(path)
        return shown

    targets: list[str | Path] = [*named.files, *(path for path, _ in named.skipped)]
    found = discover([*roots, *map(Path, named.files)], trusted=[cwd], keep=records, listings=listings)
    sources: list[Source] = []
    read = resident.CURRENT.read if resident.CURRENT is not None else read_file
    for file in found.files:
        shown = display(file)
        sources.append((shown, read(file, shown, settings.limits)))
    for path, why in sorted({*found.skipped, *named.skipped}):
        shown = display(path)
        sources.append((shown, LoadedFile(shown, findings=[corpus_error("E006", why, Location(shown, 1, 1))])))
    target_paths = {display(p) for p in targets}
    if settings.stdin is not None:
        name, data = settings.stdin
        shown = display(Path(name))
        sources = [s for s in sources if s[0] != shown] + [(shown, data)]
        target_paths.add(shown)
    return sources, target_paths


def _run_keys(
    settings: Settings, baseline: set[str] | None, sources: list[Source], target_paths: set[str]
) -> tuple[str, str] | None:
    """Where the index keeps this run's report: a hash of everything but the corpus that shapes it
    (the settings, the rule files, the baseline's findings), and a hash of the corpus as read. None
    when a rule file cannot be read: the run reports that."""
    # Progress, workers and the index never change a report; stdin's bytes are the corpus's.
    parts = [repr(dataclasses.replace(settings, progress=None, jobs=0, cache_dir=None, stdin=None))]
    parts.append(repr(sorted(baseline)) if baseline is not None else "")
    try:
        for directory in [builtin_rules_dir(), *settings.rule_dirs]:
            for path in sorted(p for p in Path(directory).rglob("*") if p.is_file()):
                parts.append(f"{path}\0{hashlib.sha256(path.read_bytes()).hexdigest()}")
    except OSError:
        return None
    corpus = hashlib.sha256()
    for shown, source in sources:
        read = resident.content_hash(source) if isinstance(source, bytes) else source.content or repr(source.findings)
        corpus.update(f"{shown}\0{read}\0".encode())
    corpus.update(repr(sorted(target_paths)).encode())
    return CorpusIndex.run_key(*parts), corpus.hexdigest()


def prime(settings: Settings) -> int:
    """What `coherence serve` does before it answers: the stages of a whole run with these settings
    (never its report from the index), into its memory (resident.CURRENT): every file as loaded and
    validated, every record's facts key, facts and their hash, so that its first run on any file,
    even after runs the index answered whole, does only what changed. The number of records."""
    from .pipeline import run_stages

    corpus_index = _index(settings, corpus_roots(settings))
    try:
        sources, _ = _read(settings, Discovered([], []), _records(settings), {})
        return run_stages(settings, corpus_index, None, sources, set(), priming=True).records
    finally:
        _end_run(corpus_index, resident.CURRENT)


def lint(settings: Settings) -> Report:
    corpus_index = _index(settings, corpus_roots(settings))
    try:
        return _lint(settings, corpus_index)
    finally:
        kept = resident.CURRENT
        resident.later(lambda: _end_run(corpus_index, kept))  # a server's client need not wait for it


def _end_run(corpus_index: CorpusIndex | None, kept: resident.Resident | None) -> None:
    if corpus_index is not None:
        corpus_index.close()  # what this run learnt, in one transaction
    if kept is not None:
        kept.end_run()


def _lint(settings: Settings, corpus_index: CorpusIndex | None) -> Report:
    # A directory, and a file's test against the globs, once, though the corpus is found after the targets.
    records = _records(settings)
    listings: Listings = {}
    named = discover(settings.targets, trusted=[settings.cwd], keep=records, listings=listings)
    excluded = _excluded(settings)
    named.files = [f for f in named.files if not excluded(f)]
    if settings.targets and not named.files and not named.skipped and settings.stdin is None:
        # Only files that are not records were named (pre-commit staged a workflow): nothing to report.
        from .pipeline import load_rules

        rules = load_rules(settings)[0]
        return Report(as_of=settings.as_of, findings=[], files=0, records=0, rules=[r.spec.doc() for r in rules])
    baseline = load_baseline(settings.baseline) if settings.baseline else None
    sources, target_paths = _read(settings, named, records, listings)
    keys = _run_keys(settings, baseline, sources, target_paths) if corpus_index is not None else None
    if corpus_index is not None and keys is not None:
        remembered = corpus_index.report(*keys)
        if remembered is not None:
            return remembered  # the same settings over the same bytes: the same report
    from .pipeline import run_stages  # only now: a run answered by the index needs none of the stages

    report = run_stages(settings, corpus_index, baseline, sources, target_paths)
    if corpus_index is not None and keys is not None:
        corpus_index.put_report(*keys, report)
    return report
