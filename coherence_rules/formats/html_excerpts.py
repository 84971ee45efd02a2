"""The YAML excerpts of the HTML report: for each record a finding involves, the record's lines with
line numbers and the offending lines marked; long records trimmed to the offending lines and their
surroundings, the lines left out shown as gaps."""

from __future__ import annotations

from dataclasses import dataclass

from ..findings import Finding, Location
from ..report import RecordView

WHOLE_UP_TO = 30  # lines: a record this short is shown whole
CONTEXT = 2  # lines shown before and after an offending span
LONG_SPAN = 12  # an offending span longer than this shows its first lines and its last
SPAN_TAIL = 3
OUTSIDE_RECORD = 3  # lines shown around a location that is in no record (a YAML syntax error)


@dataclass(frozen=True)
class Line:
    number: int
    text: str
    offending: bool


@dataclass(frozen=True)
class Gap:
    """Lines of the record left out of the excerpt."""

    first: int
    last: int


@dataclass(frozen=True)
class Excerpt:
    path: str
    record: str | None  # the record's id; None for a location in no record
    first: int
    last: int
    rows: tuple[Line | Gap, ...]  # empty when the report does not carry the file's text


def _shown_numbers(first: int, last: int, spans: list[tuple[int, int]]) -> list[int]:
    """The line numbers an excerpt of first..last shows, given the offending spans."""
    if last - first + 1 <= WHOLE_UP_TO:
        return list(range(first, last + 1))
    shown = {first}  # the record's first line says which record this is
    for start, end in spans:
        if end - start + 1 > LONG_SPAN:
            shown.update(range(start - CONTEXT, start + LONG_SPAN - SPAN_TAIL))
            shown.update(range(end - SPAN_TAIL + 1, end + CONTEXT + 1))
        else:
            shown.update(range(start - CONTEXT, end + CONTEXT + 1))
    return sorted(n for n in shown if first <= n <= last)


def _rows(lines: list[str], first: int, last: int, spans: list[tuple[int, int]]) -> tuple[Line | Gap, ...]:
    rows: list[Line | Gap] = []
    numbers = _shown_numbers(first, last, spans)
    previous = first - 1
    for number in numbers:
        if number - previous == 2:  # a gap of one line costs as much as the line: show it
            rows.append(_line(lines, number - 1, spans))
        elif number - previous > 2:
            rows.append(Gap(previous + 1, number - 1))
        rows.append(_line(lines, number, spans))
        previous = number
    if previous < last:
        rows.append(Gap(previous + 1, last))
    return tuple(rows)


def _line(lines: list[str], number: int, spans: list[tuple[int, int]]) -> Line:
    return Line(number, lines[number - 1], any(start <= number <= end for start, end in spans))


def _last_line(loc: Location, lines: list[str]) -> int:
    """The last line a location covers. A block node's end mark is where the next token starts: at
    column 1 of the line after it (Location.last_line), or after that line's indentation."""
    last = loc.last_line
    if (
        last == loc.end_line
        and loc.line < last <= len(lines)
        and not lines[last - 1][: (loc.end_column or 1) - 1].strip()
    ):
        return last - 1
    return last


def excerpt(text: str | None, path: str, record: RecordView | None, locations: list[Location]) -> Excerpt:
    """The excerpt of one record (or, for locations in no record, of the lines around them)."""
    lines = text.splitlines() if text is not None else []
    spans = [(loc.line, _last_line(loc, lines)) for loc in locations]
    if record is not None:
        first = min(record.line, *(start for start, _ in spans))
        last = max(record.end_line, *(end for _, end in spans))
    else:
        first = min(start for start, _ in spans) - OUTSIDE_RECORD
        last = max(end for _, end in spans) + OUTSIDE_RECORD
    if text is None:
        return Excerpt(path, locations[0].record, max(first, 1), last, ())
    first, last = max(first, 1), min(last, len(lines))
    if first > last:  # a location past the end of the file (an error at end of input)
        first = last = max(len(lines), 1)
        lines = lines or [""]
    return Excerpt(path, locations[0].record, first, last, _rows(lines, first, last, spans))


def excerpts(finding: Finding, views: dict[tuple[str, str], RecordView], texts: dict[str, str]) -> list[Excerpt]:
    """One excerpt per record the finding's locations point into, the primary location's first."""
    grouped: dict[tuple[str, str | None], list[Location]] = {}
    for loc in finding.locations:
        grouped.setdefault((loc.path, loc.record), []).append(loc)
    return [
        excerpt(texts.get(path), path, views.get((path, record)) if record else None, locations)
        for (path, record), locations in grouped.items()
    ]
