"""`lint --summary FRAMEWORK`: findings per framework objective (or principle, domain, dimension) and
country, as a policy unit reports them. Only tags some rule that ran carries are rows (a row of
zeros says "checked, nothing found"); the tags no rule checks are listed apart, never shown as clean."""

from __future__ import annotations

from .. import frameworks
from ..findings import severity_counts
from ..report import Report
from .json_format import FORMAT_VERSION, pretty


def _rows(report: Report, framework: str) -> tuple[list[str], list[dict], list[str]]:
    """(countries, one row per checked tag, the framework's tags no rule that ran carries)."""
    tags = sorted((t for t in frameworks.entries() if t.startswith(f"{framework}:")), key=frameworks.order)
    checked_by: dict[str, list[str]] = {t: [] for t in tags}
    for doc in report.rules:
        for tag in doc.frameworks:
            if tag in checked_by:
                checked_by[tag].append(doc.id)
    countries = sorted({c for f in report.findings for c in f.countries})
    rows = []
    for tag in tags:
        found = [f for f in report.findings if tag in f.frameworks]
        if not checked_by[tag] and not found:
            continue
        rows.append(
            {
                "tag": tag,
                "title": frameworks.entries()[tag].title,
                "short": frameworks.entries()[tag].short,
                "rules": sorted({*checked_by[tag], *(f.rule for f in found)}),
                "findings": {c: severity_counts([f for f in found if c in f.countries]) for c in countries},
                "total": severity_counts(found),
            }
        )
    shown = {row["tag"] for row in rows}
    return countries, rows, [t for t in tags if t not in shown]


def render(report: Report, framework: str, fmt: str) -> str:
    countries, rows, unchecked = _rows(report, framework)
    untagged = sum(not any(t.startswith(f"{framework}:") for t in f.frameworks) for f in report.findings)
    if fmt == "json":
        document = {
            "tool": "coherence",
            "format_version": FORMAT_VERSION,
            "version": report.version,
            "as_of": report.as_of.isoformat(),
            "framework": {
                "id": framework,
                "title": frameworks.FRAMEWORKS[framework],
                "source": frameworks.sources()[framework],
            },
            "countries": countries,
            "rows": rows,
            "unchecked": unchecked,
            "findings_without_tag": untagged,
        }
        return pretty(document)
    return _text(report, framework, countries, rows, unchecked, untagged)


def _text(
    report: Report, framework: str, countries: list[str], rows: list[dict], unchecked: list[str], untagged: int
) -> str:
    header = ["TAG", "SHORT TITLE", *countries, "TOTAL"]
    table = [
        [
            row["tag"],
            row["short"],
            *(_cell(row["findings"][c]) for c in countries),
            _cell(row["total"]),
        ]
        for row in rows
    ]
    widths = [max(len(line[i]) for line in [header, *table]) for i in range(len(header))]

    def line(cells: list[str]) -> str:
        left = [cells[0].ljust(widths[0]), cells[1].ljust(widths[1])]
        return "  ".join([*left, *(c.rjust(w) for c, w in zip(cells[2:], widths[2:], strict=True))]).rstrip()

    out = [
        f"Findings by {frameworks.FRAMEWORKS[framework]} ({framework}) and country, as of {report.as_of.isoformat()}",
        "(a cell counts the findings that involve the country's records; E = errors among them)",
        "",
        line(header),
        *(line(cells) for cells in table),
    ]
    if not rows:
        out.append("(no rule that ran is tagged with this framework)")
    if unchecked:
        out += ["", f"Not checked by any rule that ran: {', '.join(unchecked)}"]
    if untagged:
        out.append(f"Findings without a {framework} tag: {untagged}")
    return "\n".join(out) + "\n"


def _cell(counts: dict[str, int]) -> str:
    total = sum(counts.values())
    if not total:
        return "0"
    return f"{total} ({counts['error']}E)" if counts["error"] else str(total)
