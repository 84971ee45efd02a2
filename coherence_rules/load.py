"""Load stage: YAML files -> documents whose every value keeps its line and column.

libyaml composes the node tree (fast, and it never constructs objects from tags); one
pass over the nodes then builds plain Python values and the position map together,
enforcing the limits (settings.Limits) and reporting what PyYAML would silently accept
(duplicate keys) or should never see (non-standard tags, alias bombs, binary files).
A document that breaks a limit or holds a value its tag does not fit is a finding at
that place; the file's other documents, and every other file, are still read.
"""

from __future__ import annotations

import itertools
import os
import re
import sys
from array import array
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, TypeVar

import yaml

from . import resident, workers
from .corpus_errors import corpus_error
from .corpus_index import CachedFinding, CorpusIndex, FileEntry, FileSummaries, StoredSummary
from .errors import StaleIndexError
from .findings import Finding, Location, format_path
from .settings import DEFAULT_LIMITS, Limits

try:
    from yaml import CSafeLoader
except ImportError as exc:  # pragma: no cover - guarded at install time too
    raise ImportError("coherence needs PyYAML built with libyaml (yaml.CSafeLoader)") from exc

# SafeLoader's implicit tags of plain scalars, by first character, each list with the wildcard's after it.
_IMPLICIT = {
    first: tuple(resolvers + CSafeLoader.yaml_implicit_resolvers.get(None, []))
    for first, resolvers in CSafeLoader.yaml_implicit_resolvers.items()
    if first is not None
}
_NO_IMPLICIT = tuple(CSafeLoader.yaml_implicit_resolvers.get(None, []))
_DEFAULT_TAGS = {
    yaml.ScalarNode: CSafeLoader.DEFAULT_SCALAR_TAG,
    yaml.SequenceNode: CSafeLoader.DEFAULT_SEQUENCE_TAG,
    yaml.MappingNode: CSafeLoader.DEFAULT_MAPPING_TAG,
}


class _Loader(CSafeLoader):
    """CSafeLoader, each node's tag resolved as it does (libyaml asks for every node's) in two thirds of
    the time, measured on a generated corpus's nodes: its lists are joined once, not at every node, and
    a safe loader has no path resolvers to consult."""

    def resolve(self, kind: type, value: str | None, implicit: tuple[bool, bool]) -> str:
        if kind is yaml.ScalarNode and implicit[0]:
            for tag, pattern in _IMPLICIT.get(value[:1], _NO_IMPLICIT):  # type: ignore[index]
                if pattern.match(value):
                    return tag
        return _DEFAULT_TAGS[kind]


YamlPath = tuple  # of str keys and int indices
T = TypeVar("T")


@dataclass(frozen=True, slots=True)  # one per YAML node: keep it small
class Span:
    line: int
    column: int
    end_line: int
    end_column: int


# Positions are kept packed, four unsigned numbers per node in the pre-order of the document's data
# (mappings in key order), as the builder meets the nodes (a Span object and a path per node would be
# most of a corpus's memory, and most documents are never asked where a node is): 16 bits each when
# every line and column of the document fits, else 32 (as the index stores them).
POSITION_TYPE = next(code for code in "ILH" if array(code).itemsize == 4)
NARROW_POSITION_TYPE = "H"
_NO_SPAN = (0, 0, 0, 0)  # a node built without a position of its own (merged in by `<<`)


def _nodes(value: Any) -> int:
    """How many nodes a value built from YAML has: itself and its descendants."""
    if isinstance(value, dict):
        return 1 + sum(map(_nodes, value.values()))
    if isinstance(value, list):
        return 1 + sum(map(_nodes, value))
    return 1


def _narrowed(packed: array) -> array:
    """Unsigned 32-bit numbers (positions, sizes) in 16 bits each, if every one fits: the low halves,
    when all the high halves are zero (done on bytes in C; `max()` and a typecode conversion box every
    number and took 0.6 s a 10,000-record corpus)."""
    halves = array(NARROW_POSITION_TYPE, packed.tobytes())
    low, high = (halves[0::2], halves[1::2]) if sys.byteorder == "little" else (halves[1::2], halves[0::2])
    high_bytes = high.tobytes()
    return low if high_bytes.count(0) == len(high_bytes) else packed


def _stored_bytes(packed: array) -> bytes:
    """Packed positions as the corpus index keeps them: 32 bits little-endian, whatever the machine."""
    if packed.typecode != POSITION_TYPE:  # widened on bytes too: each 16-bit number beside a zero half
        halves = array(NARROW_POSITION_TYPE, bytes(4 * len(packed)))
        halves[0 if sys.byteorder == "little" else 1 :: 2] = packed
        packed = array(POSITION_TYPE, halves.tobytes())
    elif sys.byteorder == "big":
        packed = array(POSITION_TYPE, packed)  # a copy: the document's own stays as it is
    if sys.byteorder == "big":
        packed.byteswap()
    return packed.tobytes()


def _from_stored_bytes(raw: bytes) -> array | None:
    if len(raw) % 16:
        return None
    packed = array(POSITION_TYPE, raw)
    if sys.byteorder == "big":
        packed.byteswap()
    return _narrowed(packed)


ITEM = 0  # an outline's key for a list's item (and for a document's root)
# Every key an outline names, numbered as this process meets them (ITEM first): an outline holds a
# number of 16 bits a node (32 past 65,536 keys), not a pointer of 64 (a third of a record's outline).
_KEYS: list[Any] = [object()]
_KEY_NUMBERS: dict[Any, int] = {}


def _key_number(key: Any) -> int:
    number = _KEY_NUMBERS.get(key)
    if number is None:
        number = _KEY_NUMBERS[key] = len(_KEYS)
        _KEYS.append(key)
    return number


class Outline(NamedTuple):
    """The tree of a document's data without its values, in the pre-order of its positions: what
    finding a node's packed position needs, at a fifth of the memory of the data's dicts and lists."""

    keys: array  # each node's key in its parent mapping, by its number in _KEYS (ITEM: a list's item, the root)
    sizes: array  # each node's subtree size: itself and its descendants

    @classmethod
    def of(cls, data: Any) -> Outline:
        keys, sizes = array(POSITION_TYPE), array(POSITION_TYPE)
        _outline(data, ITEM, keys, sizes)
        return cls(_narrowed(keys), _narrowed(sizes))

    def __reduce__(self) -> tuple:
        """To another process (a worker's documents), which numbers keys its own way: the keys."""
        return _outline_of_keys, ([None if n == ITEM else (_KEYS[n],) for n in self.keys], self.sizes)

    def node(self, yaml_path: YamlPath) -> list[int]:
        """The pre-order number of each node down the path, as far as the path exists: a list's item
        by an integer index, a mapping's by its key (compared as a dict compares keys)."""
        keys, sizes = self.keys, self.sizes
        found, n = [0], 0
        for part in yaml_path:
            child, end, ordinal = n + 1, n + sizes[n], 0
            while child < end:
                key = keys[child]
                if (type(part) is int and ordinal == part) if key == ITEM else (_KEYS[key] == part):
                    break
                child += sizes[child]
                ordinal += 1
            else:
                break
            n = child
            found.append(n)
        return found


def _outline_of_keys(keys: list[tuple | None], sizes: array) -> Outline:
    """An outline from its keys as Outline.__reduce__ gives them: None for ITEM, else (the key,)."""
    numbers = array(POSITION_TYPE, [ITEM if key is None else _key_number(key[0]) for key in keys])
    return Outline(_narrowed(numbers), sizes)


def _outline(value: Any, key: int, keys: array, sizes: array) -> None:
    """Outline.of's walk of a mapping or list, a scalar child noted without a call (most nodes are).
    Not a closure: one that calls itself is a reference cycle, and a one-shot run's collector is off
    (pipeline._lasting), so each document's would live to the end of the run."""
    at = len(sizes)
    keys.append(key)
    sizes.append(0)
    if isinstance(value, dict):
        for child_key, child in value.items():
            number = _KEY_NUMBERS.get(child_key)
            if number is None:
                number = _key_number(child_key)
            if isinstance(child, (dict, list)):
                _outline(child, number, keys, sizes)
            else:
                keys.append(number)
                sizes.append(1)
    elif isinstance(value, list):
        for child in value:
            if isinstance(child, (dict, list)):
                _outline(child, ITEM, keys, sizes)
            else:
                keys.append(ITEM)
                sizes.append(1)
    sizes[at] = len(sizes) - at


def _in_bytes(packed: array) -> tuple[array, int]:
    """16-bit positions in a byte each, and the line before the first they name (their base), when
    every column fits and every line counted from the base does (most records' positions: half the
    memory); else as they are, base 0 (so too when a node has no span: merged in by `<<`). Done on
    bytes and one big integer in C: a loop over the numbers took 3.6 times as long."""
    lines, end_lines = packed[0::4], packed[2::4]
    if packed.typecode != NARROW_POSITION_TYPE or not lines or lines.count(0):
        return packed, 0
    base, count = min(lines) - 1, len(lines)
    # Every line is over the base: subtracting it from all at once borrows across none of them.
    every = int.from_bytes(base.to_bytes(2, sys.byteorder) * count, sys.byteorder)
    starts, ends = (
        (int.from_bytes(numbers.tobytes(), sys.byteorder) - every).to_bytes(2 * count, sys.byteorder)
        for numbers in (lines, end_lines)
    )
    columns, end_columns = packed[1::4].tobytes(), packed[3::4].tobytes()
    low, high = (
        (slice(0, None, 2), slice(1, None, 2)) if sys.byteorder == "little" else (slice(1, None, 2), slice(0, None, 2))
    )
    if any(numbers[high].count(0) != count for numbers in (starts, ends, columns, end_columns)):
        return packed, 0
    shifted = bytearray(4 * count)
    shifted[0::4], shifted[1::4], shifted[2::4], shifted[3::4] = starts[low], columns[low], ends[low], end_columns[low]
    return array("B", shifted), base


def positions_fit(packed: array, lines: int) -> bool:
    """Stored positions that could be a document's of a file of this many lines: the document's own
    span first, every span ending within the file's lines, none before it starts. (The index's seal
    catches a damaged entry; its key and content hash, an entry for other bytes.)"""
    if not packed or not packed[0]:
        return False
    starts, end_lines = packed[0::4], packed[2::4]
    return max(end_lines) <= lines and all(map(int.__le__, starts, end_lines))


@dataclass(slots=True)  # one per document and per file: keep them small
class Kept:
    """What was computed from this object (a document, a file as loaded) and what it was computed
    from, when `coherence serve` keeps it between runs (resident.py); a one-shot run keeps nothing."""

    memo: dict[str, Any] | None = field(default=None, repr=False, compare=False, kw_only=True)

    def remembered(self, name: str, compute: Callable[[], T]) -> T:
        """compute(), a function of this object alone: once per object that is kept."""
        if self.memo is None:
            return compute()
        if name not in self.memo:
            self.memo[name] = compute()
        return self.memo[name]

    def recall(self, name: str, inputs: object) -> Any:
        """What was kept under `name` for these inputs (None: nothing, or for other inputs; a tuple
        of inputs compares its items by identity first)."""
        kept = self.memo.get(name) if self.memo is not None else None
        return kept[1] if kept is not None and kept[0] == inputs else None

    @property
    def keeps(self) -> bool:
        """Whether this object keeps what is computed from it (a server's: resident.py)."""
        return self.memo is not None

    def keep(self, name: str, inputs: object, value: object) -> None:
        """Keep a function of this object and `inputs` (when it is kept: resident.py)."""
        if self.memo is not None:
            self.memo[name] = (inputs, value)


@dataclass(slots=True)
class Document(Kept):
    """One YAML document of a file: one record, if it validates."""

    path: str
    index: int
    data: Any  # its values; None once a run has let go of them (let_go)
    positions: array = field(repr=False)  # its nodes', in pre-order (_Builder)
    shape: Outline | None = field(default=None, repr=False, compare=False)  # its outline, once asked for
    base: int = field(default=0, repr=False)  # added to every line of `positions` but 0 (_in_bytes)
    # Its record's summary as the index keeps it, when an earlier run validated it (summaries.py);
    # then what that summary tells, which what is remembered of the document is taken from.
    summary: StoredSummary | None = field(default=None, repr=False, compare=False)
    told: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    def remembered(self, name: str, compute: Callable[[], T]) -> T:
        """What its record's summary tells under `name`, else compute() (Kept.remembered)."""
        told = self.told
        if told is not None and name in told:
            return told[name]
        return Kept.remembered(self, name, compute)

    def outline(self) -> Outline:
        if self.shape is None:
            self.shape = Outline.of(self.data)
        return self.shape

    def let_go(self, shapes: dict[tuple, Outline] | None = None) -> None:
        """Keep only where the data's nodes are, not their values: once validated, a record's model
        holds them, and a one-shot run's data are read no more (a fifth of a large run's memory).
        `shapes` gives documents of one shape one outline (half of a generated corpus's)."""
        shape = self.outline()
        if shapes is not None:
            self.shape = shapes.setdefault((shape.keys.tobytes(), shape.sizes.tobytes()), shape)
        self.data = None
        if self.positions.typecode != "B":
            self.positions, self.base = _in_bytes(self.positions)

    def span(self, yaml_path: YamlPath) -> Span:
        """The span of a path, or of its nearest ancestor that has one (a node's place among the packed
        positions is its pre-order number: _Builder)."""
        packed = self.positions
        placed = [n for n in self.outline().node(yaml_path) if 4 * n < len(packed) and packed[4 * n]]
        found = placed[-1] if placed else 0
        line, column, end_line, end_column = packed[4 * found : 4 * found + 4]
        base = self.base if line else 0
        return Span(line + base, column, end_line + base, end_column)

    def location(self, yaml_path: YamlPath = (), record: str | None = None) -> Location:
        span = self.span(yaml_path)
        return Location(
            self.path, span.line, span.column, span.end_line, span.end_column, record, format_path(yaml_path)
        )


_NO_POSITIONS = array("I")


def _read_when_asked(slot: Any) -> Any:
    """A Document slot's value (its descriptor: `slot`), on an UnreadDocument read before it is given."""

    def value(document: UnreadDocument) -> Any:
        if document.unread is not None:
            document.unread.read(None)
        return slot.__get__(document)

    return property(value, slot.__set__)


class UnreadDocument(Document):
    """A valid record's document, in a run naming files, taken from its summary (`told`) in the
    index without reading its file's entry: its values and positions are read when first asked for
    (read_unread reads many files' at once). A record such a run does not evaluate is one of
    these, its data never read (the files of the shards it evaluates are a third of a corpus)."""

    __slots__ = ("unread",)

    def __init__(self, path: str, index: int, summary: StoredSummary, unread: _Unread) -> None:
        Document.__init__(self, path, index, None, _NO_POSITIONS, summary=summary)
        self.unread: _Unread | None = unread

    data = _read_when_asked(vars(Document)["data"])
    positions = _read_when_asked(vars(Document)["positions"])


@dataclass(slots=True)
class _Unread:
    """A file whose documents are UnreadDocuments, until they are read."""

    path: str
    data: bytes
    key: str  # its entry's in the index
    content: str  # the hash of its bytes
    limits: Limits
    documents: list[UnreadDocument]

    def read(self, entry: FileEntry | None) -> None:
        """Give its documents their values and positions: from its entry in the index, else parsed
        from its bytes (no entry at hand, or one that does not fit them)."""
        loaded = _from_index(entry, self.data, self.path, False) if entry is not None else None
        if loaded is None:
            loaded = _parse(self.data, self.path, self.limits, False)
        found = {d.index: d for d in loaded.documents}
        for document in self.documents:
            read = found.get(document.index)
            if read is None:  # the index's summaries were made by this version from these bytes
                raise StaleIndexError(
                    f"{self.path}: the corpus index holds a document it does not; rerun with --no-cache"
                )
            document.unread = None
            document.data, document.positions = read.data, read.positions
        self.data = b""


def read_unread(files: Iterable[LoadedFile], paths: set[str], index: CorpusIndex) -> None:
    """Read the values and positions of the UnreadDocuments of the files at `paths`, from the index
    at once."""
    pending: dict[str, list[_Unread]] = {}
    for file in files:
        first = file.documents[0] if file.path in paths and file.documents else None
        if isinstance(first, UnreadDocument) and first.unread is not None:
            pending.setdefault(first.unread.key, []).append(first.unread)
    for key, entry in index.files({key: those[0].content for key, those in pending.items()}):
        for unread in pending.pop(key):
            unread.read(entry)
    for those in pending.values():
        for unread in those:
            unread.read(None)


def _unread_file(
    held: FileSummaries,
    data: bytes,
    display: str,
    key: str,
    content: str,
    keep_text: bool,
    limits: Limits,
    summarised: Callable[[Document], bool],
) -> LoadedFile | None:
    """A file the index holds, from the summaries of its records, all valid (`held.whole`), its
    documents unread; None when its text or a summary cannot be read."""
    if not held.whole or not held.records:
        return None
    text = _decode(data, display)[0]
    if text is None:
        return None
    unread = _Unread(display, data, key, content, limits, [])
    for place, summary in sorted(held.records.items()):
        document = UnreadDocument(display, place, summary, unread)
        if not summarised(document):
            return None
        unread.documents.append(document)
    return LoadedFile(display, _kept_text(text, keep_text), list(unread.documents), readable=True)


@dataclass(slots=True)
class LoadedFile(Kept):
    path: str
    text: str = ""  # kept only if it may hold a suppression comment, unless the run keeps texts (load_each)
    documents: list[Document] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    content: str = ""  # the sha256 of its bytes, when the corpus index is used (it keys records' facts)
    readable: bool = False  # its bytes are UTF-8 text within the size limit


# What every suppression holds (directives.py): a file or line without it holds none (a record's
# `coherence: 1` is not one), and the text of a file without it is not kept.
COMMENT = re.compile(r"#\s*coherence:")


def _kept_text(text: str, keep: bool) -> str:
    """A file's text is a tenth of its records' memory: kept when a run shows it or reads it."""
    return text if keep or COMMENT.search(text) else ""


Source = tuple[str, "bytes | LoadedFile"]  # a corpus file's display path and its bytes (or why it has none)

_TAG = "tag:yaml.org,2002:"
SCALAR_TAGS = frozenset(_TAG + name for name in ("str", "int", "float", "bool", "null", "timestamp"))
NUMBER_TAGS = frozenset((_TAG + "int", _TAG + "float"))
MERGE_TAG = _TAG + "merge"
STR_TAG = _TAG + "str"
SHARED_STRING_CHARS = 40  # strings up to this long are interned as they are read (_Builder._scalar_value)
STANDARD_TAGS = SCALAR_TAGS | {_TAG + "seq", _TAG + "map", MERGE_TAG}
# The tags each kind of node may carry: `!!seq x` would construct a generator, `!!str {a: 1}` a mapping.
KIND_TAGS = {
    yaml.ScalarNode: SCALAR_TAGS | {MERGE_TAG},
    yaml.SequenceNode: frozenset((_TAG + "seq",)),
    yaml.MappingNode: frozenset((_TAG + "map",)),
}


class _InputError(Exception):
    def __init__(self, rule: str, message: str, mark):
        super().__init__(message)
        self.rule, self.message, self.mark = rule, message, mark


def _tag_name(tag: str) -> str:
    return tag.rsplit(":", 1)[-1] if tag.startswith(_TAG) else tag


class _Builder:
    """Builds values and their positions from a composed node tree in one pass.

    An alias makes the builder visit a node it has built before: what it builds again counts as
    alias expansion (nodes and scalar characters, per file). Nodes are known by `id()`, which is
    unique only while a document's tree is alive: the set of built nodes is per document."""

    _scalar = yaml.constructor.SafeConstructor()

    def __init__(self, path: str, limits: Limits, aliased: bool = True):
        self.path, self.limits = path, limits
        self.aliased = aliased  # the text may hold an alias (a `*`): a node may be met more than once
        self.shared_chars = min(SHARED_STRING_CHARS, limits.max_scalar_chars)  # interned as read, within the limit
        self.findings: list[Finding] = []
        self.expanded_nodes = 0
        self.expanded_chars = 0
        self.built: set[int] = set()  # nodes of the current document built so far
        self.positions: list[int] = []  # the current document's, in pre-order (POSITION_TYPE)
        self.open: set[int] = set()  # nodes being built (an alias to one is recursion)
        self.expanding = 0  # how many aliased nodes are being built again
        self.duplicates = 0  # duplicate keys seen in the file

    def document(self, node, index: int) -> Document:
        self.built, self.positions = set(), []
        data = self.build(node, 0, node)
        return Document(self.path, index, data, _narrowed(array(POSITION_TYPE, self.positions)))

    def _loc(self, mark) -> Location:
        return Location(self.path, mark.line + 1, mark.column + 1)

    def _expansion(self, node) -> None:
        limits = self.limits
        self.expanded_nodes += 1
        if isinstance(node, yaml.ScalarNode):
            self.expanded_chars += len(node.value)
        if self.expanded_nodes > limits.max_alias_expansion:
            raise _InputError(
                "E006",
                f"aliases expand to more than {limits.max_alias_expansion} extra nodes (alias bomb?)",
                node.start_mark,
            )
        if self.expanded_chars > limits.max_alias_bytes:
            raise _InputError(
                "E006",
                f"aliases expand to more than {limits.max_alias_bytes} characters (alias bomb?)",
                node.start_mark,
            )

    def build(self, node, depth: int, span_node, placed: bool = True) -> Any:
        """The node's value; its position (from span_node's start to its end) and its descendants' are
        added to `positions` in pre-order, unless it is not `placed` (a key, a mapping merged in)."""
        if depth > self.limits.max_depth:
            raise _InputError("E006", f"nesting deeper than {self.limits.max_depth} levels", node.start_mark)
        if not self.aliased:  # each node is met once: no alias can expand or recurse
            return self._value(node, depth, span_node, placed)
        key = id(node)
        if key in self.open:
            raise _InputError("E006", "recursive alias: a node contains itself", node.start_mark)
        again = key in self.built
        self.built.add(key)
        self.expanding += again
        try:
            if self.expanding:
                self._expansion(node)
            self.open.add(key)
            try:
                return self._value(node, depth, span_node, placed)
            finally:
                self.open.discard(key)
        finally:
            self.expanding -= again

    def _value(self, node, depth: int, span_node, placed: bool) -> Any:
        tag, kind = node.tag, type(node)
        if tag not in KIND_TAGS[kind]:
            if tag not in STANDARD_TAGS:
                raise _InputError(
                    "E006", f"non-standard tag '{tag}' is not allowed (never constructed)", node.start_mark
                )
            what = {yaml.ScalarNode: "a scalar", yaml.SequenceNode: "a sequence", yaml.MappingNode: "a mapping"}
            raise _InputError("E001", f"'!!{_tag_name(tag)}' cannot tag {what[kind]}", node.start_mark)
        if placed:
            start, end = span_node.start_mark, node.end_mark
            self.positions.extend((start.line + 1, start.column + 1, end.line + 1, end.column + 1))
        value = node.value
        if kind is yaml.ScalarNode:
            # Short strings recur across records (keys, codes, statuses): one object each, not one per
            # node (a third of a loaded record's memory). Interned strings are freed when unused.
            if tag == STR_TAG and len(value) <= self.shared_chars:  # the common case, without a call
                return sys.intern(value)
            return self._scalar_value(node)
        if len(value) > self.limits.max_list_items:
            noun = "sequence" if kind is yaml.SequenceNode else "mapping"
            raise _InputError(
                "E006",
                f"a {noun} of {len(value)} items, over the {self.limits.max_list_items}-item limit",
                node.start_mark,
            )
        if kind is yaml.SequenceNode:
            return [self.build(item, depth + 1, item, placed) for item in value]
        return self._mapping(node, depth, placed)

    def _scalar_value(self, node) -> Any:
        value, limits = node.value, self.limits
        if len(value) > limits.max_scalar_chars:
            raise _InputError(
                "E006",
                f"a scalar of {len(value)} characters, over the {limits.max_scalar_chars}-character limit",
                node.start_mark,
            )
        if node.tag == STR_TAG:  # without the constructor's detour
            return sys.intern(value) if len(value) <= SHARED_STRING_CHARS else value
        if node.tag == MERGE_TAG:
            raise _InputError(
                "E001", "'<<' merges a mapping into another: quote it ('<<') to write the text", node.start_mark
            )
        if node.tag in NUMBER_TAGS and len(value) > limits.max_number_chars:
            raise _InputError(
                "E006",
                f"a number written with {len(value)} characters, over the {limits.max_number_chars}-character limit",
                node.start_mark,
            )
        try:
            return self._scalar.yaml_constructors[node.tag](self._scalar, node)
        except Exception as exc:  # a value its tag does not fit: `!!bool x` (KeyError), `!!timestamp x` …
            why = f": {exc}" if isinstance(exc, ValueError) else ""
            raise _InputError("E001", f"invalid {_tag_name(node.tag)} value {value!r}{why}", node.start_mark) from None

    def _duplicate(self, key, mark, first) -> None:
        """An E005 finding, up to the per-file limit; the rest are counted (a 2 MB file of repeated
        keys would make 400,000 of them: `duplicates_beyond` reports the count once)."""
        self.duplicates += 1
        if self.duplicates > self.limits.max_findings_per_rule_per_record:
            return
        self.findings.append(
            corpus_error(
                "E005",
                f"duplicate key '{key}': the earlier value on line {first.line + 1} is lost",
                self._loc(mark),
                related=(self._loc(first),),
            )
        )

    def duplicates_beyond(self) -> list[Finding]:
        limit = self.limits.max_findings_per_rule_per_record
        if self.duplicates <= limit:
            return []
        first = self.findings[0].location if self.findings else Location(self.path, 1, 1)
        return [
            corpus_error(
                "E006",
                f"E005 reports {self.duplicates} duplicate keys in this file, over the limit of {limit}: "
                f"only the first {limit} are listed",
                first,
            )
        ]

    def _mapping(self, node, depth: int, placed: bool) -> dict:
        result: dict = {}
        merged: dict = {}
        # Each key, in the document's order, with where its value's positions start and its node.
        starts: list[tuple[Any, int, yaml.Node]] = []
        regular = True  # no key repeats and none merges: the values' positions are in the dict's order
        for key_node, value_node in node.value:
            if key_node.tag == MERGE_TAG:
                sources = value_node.value if isinstance(value_node, yaml.SequenceNode) else [value_node]
                for source in sources:
                    if not isinstance(source, yaml.MappingNode):
                        raise _InputError("E001", "merge key '<<' needs a mapping", source.start_mark)
                    for k, v in self.build(source, depth + 1, source, placed=False).items():
                        merged.setdefault(k, v)
                regular = False
                continue
            if not isinstance(key_node, yaml.ScalarNode):
                raise _InputError("E001", "mapping keys must be scalars", key_node.start_mark)
            key = self.build(key_node, depth + 1, key_node, placed=False)
            if key in result:
                first = next(node for k, _, node in starts if k == key)
                self._duplicate(key, key_node.start_mark, first.start_mark)
                regular = False
            starts.append((key, len(self.positions), key_node))
            result[key] = self.build(value_node, depth + 1, key_node, placed)
        for k, v in merged.items():
            result.setdefault(k, v)
        if placed and not regular:
            self._reorder(result, starts)
        return result

    def _reorder(self, result: dict, starts: list[tuple[Any, int, yaml.Node]]) -> None:
        """The positions of a mapping's values in its dict's order: a repeated key's value where the key
        first came (the last value is kept, and points at itself), then the keys merged in (no
        positions of their own: a node that has none is located at its nearest ancestor's)."""
        positions = self.positions
        ends = [start for _, start, _ in starts[1:]] + [len(positions)] if starts else []  # none: only merged keys
        kept = {key: positions[start:end] for (key, start, _), end in zip(starts, ends, strict=True)}
        ordered: list[int] = []
        for key, value in result.items():
            ordered += kept[key] if key in kept else _NO_SPAN * _nodes(value)
        del positions[starts[0][1] if starts else len(positions) :]
        positions += ordered


def _decode(data: bytes, display: str) -> tuple[str | None, Finding | None]:
    if b"\x00" in data:
        line = data[: data.index(b"\x00")].count(b"\n") + 1
        return None, corpus_error("E006", "binary file (NUL byte): not YAML text", Location(display, line, 1))
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        return None, corpus_error(
            "E006", f"not UTF-8 text (byte 0x{data[exc.start]:02x})", Location(display, line, column)
        )


def load_bytes(
    data: bytes, display: str, limits: Limits = DEFAULT_LIMITS, index: CorpusIndex | None = None
) -> LoadedFile:
    return next(load_each([(display, data)], limits, index))


PARSE_IN_WORKERS_FROM = 400  # files to parse: below this, starting worker processes costs more than it saves


def load_each(
    sources: list[Source],
    limits: Limits = DEFAULT_LIMITS,
    index: CorpusIndex | None = None,
    jobs: int = 1,
    progress: Callable[[str], None] = lambda message: None,
    texts: bool = False,
    unread: Callable[[Document], bool] | None = None,
) -> Iterator[LoadedFile]:
    """The files, in order, each as soon as it is loaded: from the index when it holds the file's
    bytes, else parsed (in `jobs` forked worker processes when there are many) and then kept in the
    index. Their texts are kept when `texts` (a report that shows them) or a server keeps the files,
    else only those that may hold a suppression comment. `sources` is emptied: a file's bytes are
    let go once it is loaded, and the index's entries are read a window at a time, so a caller that
    validates each file as it comes (pipeline) never holds every file's bytes, values and model.
    With `unread` (a run naming files, not a server's), a file the index holds whose documents are
    all valid records is taken from their summaries (`unread` decodes one), unread (UnreadDocument)."""
    kept = resident.CURRENT
    texts = texts or kept is not None
    hashed = index is not None or kept is not None
    given = dict(enumerate(sources))
    count = len(sources)
    sources.clear()
    ready = {place: s for place, (_, s) in given.items() if not isinstance(s, bytes)}  # place -> the file
    # Files whose bytes were read (a server hands the others over as loaded): the file as a server
    # loaded it, else their key in the index (and whether it holds one), else they are parsed.
    contents = {place: resident.content_hash(_bytes(given[place])) if hashed else "" for place in given.keys() - ready}
    for place, content in contents.items():
        memory = kept.loaded(given[place][0], content, limits) if kept is not None and content else None
        if memory is not None:
            ready[place] = memory
    keys = {p: index.file_key(c, limits) for p, c in contents.items() if c and p not in ready} if index else {}
    held = index.held_files(list(keys.values())) if index is not None else set()
    in_index = sorted(p for p, key in keys.items() if key in held)
    held_places = set(in_index)
    to_parse = sorted(contents.keys() - ready.keys() - held_places)
    for place in ready:
        del given[place]  # their bytes: only those to read from the index or parse are still needed
    data = (_bytes(given.pop(place)) for place in to_parse)
    # A file is parsed, and its entry for the index made, where the work is (in workers, in a large run).
    stored_as = [(keys[p], contents[p]) if p in keys else None for p in to_parse]
    parsed_files = zip(
        to_parse,
        _parse_all(data, [given[p][0] for p in to_parse], stored_as, limits, texts, jobs, progress),
        strict=True,
    )
    window: dict[int, LoadedFile] = {}  # the next files the index holds, read ahead
    read_up_to = 0  # how many of in_index have had their entries read
    for place in range(count):
        if place in ready:
            yield ready.pop(place)
            continue
        if place in held_places:
            if read_up_to < len(in_index) and in_index[read_up_to] == place:  # the first of a window
                ahead = in_index[read_up_to : read_up_to + WINDOW]
                read_up_to += len(ahead)
                assert index is not None  # which held them
                window.update(
                    _indexed(
                        index,
                        [(p, given[p][0], _bytes(given[p])) for p in ahead],
                        contents,
                        keys,
                        texts,
                        limits,
                        unread,
                    )
                )
            source = given.pop(place)
            found = window.pop(place, None)
            if found is not None:
                found.content = contents[place]
                if kept is not None:
                    kept.keep(found, limits)
                yield found
                continue
            # Its entry did not fit after all.
            parsed, entry = _parsed(_bytes(source), source[0], (keys[place], contents[place]), limits, texts)
        else:
            parsed_place, (parsed, entry) = next(parsed_files)
            assert parsed_place == place
        parsed.content = contents[place]
        if kept is not None:
            kept.keep(parsed, limits)
        if index is not None and entry is not None:
            index.put_file(keys[place], entry)
        yield parsed
    assert next(parsed_files, None) is None  # the parsing ends (its workers with it)


WINDOW = 2_000  # files read from the index at once, ahead of those validated


def _bytes(source: Source) -> bytes:
    data = source[1]
    assert isinstance(data, bytes)  # a file whose bytes were read (not one handed over as loaded)
    return data


def _parse_all(
    data: Iterable[bytes],
    displays: list[str],
    stored_as: list[tuple[str, str] | None],
    limits: Limits,
    texts: bool,
    jobs: int,
    progress: Callable[[str], None],
) -> Iterator[tuple[LoadedFile, bytes | None]]:
    """The files' bytes parsed, in order (`displays`: their paths), each with its entry for the index
    (_parsed). libyaml holds the GIL: many files are parsed in forked worker processes, a few chunks
    of files ahead of the caller (the parent's index connection is never used there: a worker only
    parses). A worker that ran further ahead would hold its files' values twice in the parent, which
    takes them as it validates: parsing now outruns validation."""
    files = zip(data, displays, stored_as, strict=True)
    parsed: Iterable[tuple[LoadedFile, bytes | None]]
    if jobs > 1 and len(displays) >= PARSE_IN_WORKERS_FROM and workers.can_fork():
        size = max(1, min(64, len(displays) // (8 * jobs)))
        chunks = ((chunk, limits, texts) for chunk in iter(lambda: list(itertools.islice(files, size)), []))
        parsed = itertools.chain.from_iterable(workers.in_order(_parsed_chunk, chunks, jobs, "parsing files"))
    else:
        parsed = (_parsed(*file, limits, texts) for file in files)
    for number, file in enumerate(parsed, 1):
        if number % 200 == 0:
            progress(f"reading files: {number}/{len(displays)}")
        yield file


def _parsed_chunk(
    task: tuple[list[tuple[bytes, str, tuple[str, str] | None]], Limits, bool],
) -> list[tuple[LoadedFile, bytes | None]]:
    """In a worker process: a chunk of files (bytes, display path, where the index keeps it) parsed."""
    files, limits, texts = task
    return [_parsed(*file, limits, texts) for file in files]


def _indexed(
    index: CorpusIndex,
    files: list[tuple[int, str, bytes]],
    contents: dict[int, str],
    keys: dict[int, str],
    texts: bool,
    limits: Limits,
    unread: Callable[[Document], bool] | None,
) -> dict[int, LoadedFile]:
    """The files (place, display path, bytes) the index holds, by place, built as its entries come;
    with `unread` (a run naming files: it decodes a document's summary), those whose records'
    summaries are whole are taken from them (_unread_file), their entries not read."""
    holding: dict[str, list[tuple[int, str, bytes]]] = {}  # a key -> the files with those bytes
    for file in files:
        holding.setdefault(keys[file[0]], []).append(file)
    found: dict[int, LoadedFile] = {}
    summaries = index.summaries(list(holding))
    wanted: dict[str, str] = {}
    for key, those in holding.items():
        held = summaries.get(key)
        for place, display, data in those:
            taken = None
            if unread is not None and held is not None:
                taken = _unread_file(held, data, display, key, contents[place], texts, limits, unread)
            if taken is None:
                wanted[key] = contents[place]
            else:
                found[place] = taken
    for key, hit in index.files(wanted):
        for place, display, data in holding[key]:
            loaded = _from_index(hit, data, display, texts) if place not in found else None
            if loaded is not None:
                records = summaries[key].records if key in summaries else {}
                for document in loaded.documents:
                    document.summary = records.get(document.index)
                found[place] = loaded
    return found


def _from_index(hit: FileEntry, data: bytes, display: str, keep_text: bool) -> LoadedFile | None:
    """The file as the index has it, if its positions fit its documents and its text (else a miss)."""
    text = _decode(data, display)[0]
    if text is None:
        return None
    lines = len(text.splitlines()) + 1  # at least as many as YAML's line breaks (CR, NEL … too) make
    documents = []
    for i, value, raw in hit.documents:
        packed = _from_stored_bytes(raw)
        if packed is None or not positions_fit(packed, lines):
            return None
        documents.append(Document(display, i, value, packed))
    findings = [corpus_error(f.rule, f.message, *_locations(f.where, display)) for f in hit.findings]
    return LoadedFile(display, _kept_text(text, keep_text), documents, findings, readable=True)


def _cached(finding: Finding) -> CachedFinding:
    return CachedFinding(
        rule=finding.rule, message=finding.message, where=[(loc.line, loc.column) for loc in finding.locations]
    )


def _locations(where: list[tuple[int, int]], display: str) -> tuple[Location, tuple[Location, ...]]:
    primary, *related = (Location(display, line, column) for line, column in where)
    return primary, tuple(related)


def _parsed(
    data: bytes, display: str, stored_as: tuple[str, str] | None, limits: Limits, keep_text: bool
) -> tuple[LoadedFile, bytes | None]:
    """The file parsed, and its entry for the index under `stored_as` (its key there and the hash of
    its bytes; None: no index), unless it is not text (a file that is not is rejected again, cheaply)."""
    loaded = _parse(data, display, limits, keep_text)
    if stored_as is None or not (loaded.readable or not data):
        return loaded, None
    documents = [(d.index, d.data, _stored_bytes(d.positions)) for d in loaded.documents]
    return loaded, CorpusIndex.file_entry(*stored_as, documents, [_cached(f) for f in loaded.findings])


def _parse(data: bytes, display: str, limits: Limits, keep_text: bool) -> LoadedFile:
    loaded = LoadedFile(display)
    if len(data) > limits.max_file_bytes:
        loaded.findings.append(
            corpus_error(
                "E006",
                f"file is {len(data)} bytes, over the {limits.max_file_bytes}-byte limit",
                Location(display, 1, 1),
            )
        )
        return loaded
    text, problem = _decode(data, display)
    if problem:
        loaded.findings.append(problem)
        return loaded
    assert text is not None
    loaded.text, loaded.readable = _kept_text(text, keep_text), True
    builder = _Builder(display, limits, aliased="*" in text)
    index = 0
    try:
        for node in yaml.compose_all(text, Loader=_Loader):
            if index == limits.max_records_per_file:
                loaded.findings.append(
                    corpus_error(
                        "E006",
                        f"more than {limits.max_records_per_file} YAML documents in one file: the rest are not read",
                        builder._loc(node.start_mark) if node is not None else Location(display, 1, 1),
                    )
                )
                break
            try:
                document = builder.document(node, index) if node is not None else None
                if document is not None and document.data is not None:  # skip empty documents
                    loaded.documents.append(document)
            except _InputError as exc:  # this document is unusable; the next ones may be fine
                loaded.findings.append(corpus_error(exc.rule, exc.message, builder._loc(exc.mark)))
            index += 1
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        column = exc.position - (text.rfind("\n", 0, exc.position) + 1) + 1
        code = exc.character if isinstance(exc.character, int) else ord(exc.character)
        loaded.findings.append(
            corpus_error("E006", f"unacceptable character #x{code:04x}: {exc.reason}", Location(display, line, column))
        )
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None) or getattr(exc, "context_mark", None)
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        what = getattr(exc, "problem", None) or str(exc)
        context = getattr(exc, "context", None)
        message = f"{context}, {what}" if context else what
        loaded.findings.append(corpus_error("E001", f"invalid YAML: {message}", Location(display, line, column)))
    loaded.findings.extend(builder.findings + builder.duplicates_beyond())
    return loaded


def read_file(path: str | Path, display: str, limits: Limits = DEFAULT_LIMITS) -> bytes | LoadedFile:
    """A file's bytes, or, when it cannot be read or is over the size limit, the file with that finding."""
    try:
        with open(path, "rb") as handle:
            data = handle.read(limits.max_file_bytes + 1)
    except OSError as exc:
        loaded = LoadedFile(display)
        loaded.findings.append(corpus_error("E006", f"cannot read file: {exc.strerror}", Location(display, 1, 1)))
        return loaded
    if len(data) > limits.max_file_bytes:
        size = os.stat(path).st_size
        loaded = LoadedFile(display)
        loaded.findings.append(
            corpus_error(
                "E006", f"file is {size} bytes, over the {limits.max_file_bytes}-byte limit", Location(display, 1, 1)
            )
        )
        return loaded
    return data


def load_file(
    path: str | Path, display: str, limits: Limits = DEFAULT_LIMITS, index: CorpusIndex | None = None
) -> LoadedFile:
    data = read_file(path, display, limits)
    return load_bytes(data, display, limits, index) if isinstance(data, bytes) else data
