"""The HTML coherence report: one self-contained file (inline CSS and script, nothing fetched) that
prints and reads with scripts off. An overview (counts, the coherence matrix, the policy map), the
findings by country and severity with side-by-side excerpts of every record involved, the records,
the suppressed findings and the rules that ran. The page is a Jinja2 template (templates/report.html)
with autoescape on, so no text from the corpus reaches it as markup; this module computes what it
shows, in a deterministic order."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass
from functools import cache

import jinja2
import markupsafe

from .. import frameworks, parties
from ..corpus_errors import BUILTIN_RULES
from ..findings import SEVERITIES, Finding, severity_counts
from ..report import RecordView, Report
from . import html_map
from .escape import printable
from .html_excerpts import Excerpt, excerpts
from .html_map import records_of

MAP_LIMIT = 300  # records: a larger corpus maps and lists only the records findings involve, at most this many
MATRIX_RECORDS = 40  # a single-country matrix shows at most this many records
SEVERITY_ORDER = tuple(reversed(SEVERITIES))  # error first
GLYPHS = {"error": "✖", "warning": "▲", "info": "●"}  # severity signs besides colour (report.css draws them too)


@cache
def _template() -> jinja2.Template:
    environment = jinja2.Environment(
        loader=jinja2.PackageLoader("coherence_rules", "templates"),
        autoescape=True,
        auto_reload=False,  # loaded once per process: rendering reads no file
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_one_line,
    )
    environment.filters["country"] = _country
    return environment.get_template("report.html")


def _country(code: str) -> str:
    """`KOR (Republic of Korea)`; a user-assigned code or a regional body as it is."""
    name = parties.country_name(code)
    return code if name == code else f"{code} ({name})"


def _one_line(value: object) -> object:
    """Text from the corpus stays on its line (a line break or terminal escape in a title must not
    start a line of the page a CI log prints, nor reach a terminal); markup the report makes passes."""
    return printable(value) if isinstance(value, str) and not isinstance(value, markupsafe.Markup) else value


def render(report: Report, color: bool = False) -> str:
    return _template().render(page=_page(report))


@dataclass(frozen=True)
class Tag:
    tag: str
    title: str  # the framework's wording ("" for a tag outside the vocabulary)
    short: str
    key: str  # the filter's value


@dataclass(frozen=True)
class FindingView:
    finding: Finding
    anchor: str
    family: str
    country_keys: str  # the country filter's values, space-separated
    tags: tuple[Tag, ...]
    records: tuple[tuple[str, str], ...]  # (record id, its anchor; "" when the report does not list it), primary first
    excerpts: tuple[Excerpt, ...]
    action: str


@dataclass(frozen=True)
class Group:
    """The findings listed under one country, by severity."""

    country: str  # "" for findings in no country's records
    anchor: str
    severities: tuple[tuple[str, tuple[FindingView, ...]], ...]

    @property
    def count(self) -> int:
        return sum(len(items) for _, items in self.severities)


@dataclass(frozen=True)
class RecordRow:
    view: RecordView
    anchor: str
    findings: tuple[FindingView, ...]


@dataclass(frozen=True)
class Cell:
    count: int
    heat: int  # 0 (none) to 4 (the most in the matrix); the count is always shown too


@dataclass(frozen=True)
class MatrixRow:
    label: str
    anchor: str
    cells: tuple[Cell, ...]
    total: int


@dataclass(frozen=True)
class Matrix:
    caption: str
    corner: str  # what the rows are
    columns: tuple[tuple[str, str], ...]  # (header, its full wording)
    rows: tuple[MatrixRow, ...]
    note: str
    key: str = ""  # the columns in words, for print and for readers who cannot hover


def _families(report: Report) -> dict[str, str]:
    """Rule id -> family, for the rules that ran and every rule that reported."""
    docs = {doc.id: doc for doc in [*BUILTIN_RULES.values(), *report.rules]}
    rules = {f.rule for f in report.findings} | {s.finding.rule for s in report.suppressed} | set(docs)
    return {rule: docs[rule].family if rule in docs else rule.rstrip("0123456789") or rule for rule in rules}


def _listed(report: Report, involved: Counter[str]) -> tuple[list[RecordView], str]:
    """The records the map draws and the records section lists, and a note when not all of them:
    a large corpus shows those findings involve (the ones involved in most, when even they are too many)."""
    views = report.record_views
    if len(views) <= MAP_LIMIT:
        return views, ""
    candidates = [v for v in views if v.id in involved]
    listed = sorted(candidates, key=lambda v: (-involved[v.id], v.id, v.path))[:MAP_LIMIT]
    which = (
        f"the {len(listed):,} records that findings involve."
        if len(listed) == len(candidates)
        else f"the {len(listed):,} records involved in the most findings ({len(candidates):,} are involved in some)."
    )
    return listed, f"The corpus has {len(views):,} records: the map and the list of records show {which}"


def _anchors(views: list[RecordView]) -> dict[tuple[str, str], str]:
    """An HTML id per record, from its id (a character outside [A-Za-z0-9_-] becomes '-'), unique."""
    taken: set[str] = set()
    anchors = {}
    for view in sorted(views, key=lambda v: (v.id, v.path, v.line)):
        base = "r-" + re.sub(r"[^A-Za-z0-9_-]", "-", view.id)
        anchor, n = base, 1
        while anchor in taken:
            n += 1
            anchor = f"{base}-{n}"
        taken.add(anchor)
        anchors[(view.path, view.id)] = anchor
    return anchors


def _tag(tag: str, key: str) -> Tag:
    entry = frameworks.entries().get(tag)
    return Tag(tag, entry.title if entry else "", entry.short if entry else "", key)


def _groups(items: list[FindingView], home: dict[str, str], country_keys: dict[str, str]) -> list[Group]:
    """Findings under the country whose record their primary location is in, then by severity."""
    by_home: dict[str, list[FindingView]] = {}
    for item in items:
        by_home.setdefault(home[item.finding.fingerprint], []).append(item)
    return [
        Group(
            country,
            f"g-{country_keys[country]}" if country else "g-none",
            tuple(
                (severity, chosen)
                for severity in SEVERITY_ORDER
                if (chosen := tuple(i for i in by_home[country] if i.finding.severity == severity))
            ),
        )
        for country in sorted(by_home, key=lambda c: (not c, c))
    ]


def _heat(count: int, top: int) -> Cell:
    return Cell(count, 0 if not count else min(4, -(-4 * count // top)))  # ceil(4 * count / top)


def _matrix_rows(rows: list[tuple[str, str, list[int], int]]) -> tuple[MatrixRow, ...]:
    top = max((n for _, _, counts, _ in rows for n in counts), default=0)
    return tuple(
        MatrixRow(label, anchor, tuple(_heat(n, top) for n in counts), total) for label, anchor, counts, total in rows
    )


def _country_matrix(report: Report, countries: list[str], family_of: dict[str, str]) -> Matrix:
    """Countries × the GCM objectives some rule that ran checks, or × rule families when no rule that
    ran bears a GCM objective."""
    checked = {t for doc in report.rules for t in doc.frameworks} | {t for f in report.findings for t in f.frameworks}
    objectives = sorted((t for t in checked if t.startswith("gcm:") and t[4:].isdigit()), key=frameworks.order)
    families = sorted({family_of[doc.id] for doc in report.rules} | {family_of[f.rule] for f in report.findings})
    if objectives:
        columns = tuple((t[4:], _tag(t, "").title or t) for t in objectives)
        key = "Objectives: " + "; ".join(f"{t[4:]} {_tag(t, '').short}".rstrip() for t in objectives) + "."
        bears_on = [lambda f, t=t: t in f.frameworks for t in objectives]
        caption = "Findings by country and Global Compact for Migration objective"
        note = (
            "A cell counts the findings that involve the country's records and bear on the objective (a finding "
            "can bear on several). Columns: the objectives some rule that ran checks; 0 is checked, nothing found."
        )
    else:
        columns = tuple((family, f"rule family {family}") for family in families)
        key = ""
        bears_on = [lambda f, family=family: family_of[f.rule] == family for family in families]
        caption = "Findings by country and rule family"
        note = "A cell counts the findings of the family that involve the country's records."
    rows = []
    for country in countries:
        involved = [f for f in report.findings if country in f.countries]
        rows.append((country, "", [sum(map(test, involved)) for test in bears_on], len(involved)))
    rows.sort(key=lambda row: (-row[3], row[0]))  # where the findings are first
    return Matrix(
        caption, "Country", columns, _matrix_rows(rows), note + " Countries with the most findings first.", key
    )


def _record_matrix(report: Report, country: str, anchor_of_id: dict[str, str]) -> Matrix:
    """For a single-country corpus: the records findings involve, pairwise."""
    involved = Counter(r for f in report.findings for r in records_of(f))
    records = sorted(sorted(involved, key=lambda r: (-involved[r], r))[:MATRIX_RECORDS])
    sets = [set(records_of(f)) for f in report.findings]
    rows = []
    for a in records:
        counts = [sum(s == {a} if a == b else {a, b} <= s for s in sets) for b in records]
        rows.append((a, anchor_of_id.get(a, ""), counts, involved[a]))
    left_out = len(involved) - len(records)
    note = (
        "A cell counts the findings that involve both records; the diagonal, those that involve the record "
        "alone. Columns are numbered as the rows."
        + (f" {left_out} more records, with fewer findings, are left out." if left_out > 0 else "")
    )
    columns = tuple((str(i), record) for i, record in enumerate(records, 1))
    return Matrix(f"Findings between the records of {country}", "Record", columns, _matrix_rows(rows), note)


def _family_rows(report: Report, family_of: dict[str, str]) -> list[dict]:
    ran = Counter(doc.family for doc in report.rules)
    families = sorted(set(ran) | {family_of[f.rule] for f in report.findings})
    return [
        {
            "family": family,
            "rules": ran[family],
            "counts": severity_counts([f for f in report.findings if family_of[f.rule] == family]),
        }
        for family in families
    ]


def _framework_rows(report: Report) -> list[dict]:
    tags = sorted({t for f in report.findings for t in f.frameworks}, key=frameworks.order)
    return [
        {
            "tag": _tag(tag, ""),
            "framework": frameworks.FRAMEWORKS.get(tag.split(":", 1)[0], ""),
            "counts": severity_counts([f for f in report.findings if tag in f.frameworks]),
        }
        for tag in tags
    ]


def _page(report: Report) -> dict:
    """Everything the template shows."""
    family_of = _families(report)
    actions = {doc.id: doc.action for doc in [*BUILTIN_RULES.values(), *report.rules]}
    views_at = {(v.path, v.id): v for v in report.record_views}
    involved = Counter(r for f in report.findings for r in records_of(f))
    listed, map_note = _listed(report, involved)
    anchors = _anchors(listed)
    anchor_of_id: dict[str, str] = {}
    for (_, record_id), anchor in sorted(anchors.items(), key=lambda item: item[1]):
        anchor_of_id.setdefault(record_id, anchor)

    countries = sorted({v.country for v in report.record_views} | {c for f in report.findings for c in f.countries})
    country_keys = {country: f"c{i}" for i, country in enumerate(countries)}
    every = [*report.findings, *(s.finding for s in report.suppressed)]
    tag_keys = {
        t: f"t{i}" for i, t in enumerate(sorted({t for f in every for t in f.frameworks}, key=frameworks.order))
    }

    def view_of(finding: Finding, prefix: str) -> FindingView:
        return FindingView(
            finding=finding,
            anchor=f"{prefix}-{finding.fingerprint}",
            family=family_of[finding.rule],
            country_keys=" ".join(country_keys[c] for c in finding.countries if c in country_keys),
            tags=tuple(_tag(t, tag_keys[t]) for t in sorted(finding.frameworks, key=frameworks.order)),
            records=tuple((r, anchor_of_id.get(r, "")) for r in records_of(finding)),
            excerpts=tuple(excerpts(finding, views_at, report.texts)),
            action=finding.action or actions.get(finding.rule, ""),
        )

    def home(finding: Finding) -> str:
        view = views_at.get((finding.location.path, finding.location.record or ""))
        return view.country if view else (finding.countries[0] if finding.countries else "")

    shown = [view_of(f, "f") for f in report.findings]
    findings_of: dict[str, list[FindingView]] = {}
    for item in shown:
        for record_id in records_of(item.finding):
            findings_of.setdefault(record_id, []).append(item)
    records: dict[str, list[RecordRow]] = {}
    for view in sorted(listed, key=lambda v: (v.country, v.id, v.path, v.line)):
        row = RecordRow(view, anchors[(view.path, view.id)], tuple(findings_of.get(view.id, ())))
        records.setdefault(view.country, []).append(row)
    matrix = (
        _record_matrix(report, countries[0], anchor_of_id)
        if len(countries) == 1
        else _country_matrix(report, countries, family_of)
    )
    in_findings = {t for f in report.findings for t in f.frameworks}
    return {
        "report": report,
        "counts": report.counts(),
        "total": len(report.findings),
        "severities": SEVERITY_ORDER,
        "glyphs": GLYPHS,
        "family_rows": _family_rows(report, family_of),
        "framework_rows": _framework_rows(report),
        "matrix": matrix if matrix.rows and matrix.columns else None,
        "map": html_map.layout(listed, report.findings, family_of) if listed else None,
        "map_note": map_note,
        "styles": html_map.family_styles(
            sorted(set(family_of[f.rule] for f in every) | {d.family for d in report.rules})
        ),
        "node": {"width": html_map.NODE_W, "height": html_map.NODE_H},
        "groups": _groups(shown, {f.fingerprint: home(f) for f in report.findings}, country_keys),
        "records": sorted(records.items()),
        "anchor_of_id": anchor_of_id,
        "suppressed": [(view_of(s.finding, "s"), s) for s in report.suppressed],
        "rules": sorted(report.rules, key=lambda d: d.id),
        "filter_families": sorted({item.family for item in shown}),
        "filter_countries": [
            (c, key) for c, key in country_keys.items() if any(c in f.countries for f in report.findings)
        ],
        "filter_tags": [
            (name, [_tag(t, key) for t, key in tag_keys.items() if t in in_findings and t.startswith(f"{framework}:")])
            for framework, name in frameworks.FRAMEWORKS.items()
        ],
    }
