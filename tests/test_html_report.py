"""The HTML report as a file: its sections and counts, the excerpts, the links between findings and
records, escaping, determinism and what shows with scripts off. tests/test_html_browser.py drives it
in a real browser."""

import dataclasses
import datetime as dt
import re
import sys
from html import unescape
from html.parser import HTMLParser
from itertools import pairwise
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import AS_OF, HOSTILE_FILES, HOSTILE_STATEMENT, HOSTILE_TITLE, LAW, STRATEGY
from markupsafe import escape

from coherence_rules import Settings, cli, lint
from coherence_rules.findings import Finding, Location, Suppressed
from coherence_rules.formats import html_report, render
from coherence_rules.formats.html_excerpts import Gap, Line, excerpt
from coherence_rules.report import RecordView, Report

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib

REPO = Path(__file__).resolve().parents[1]


class Parsed(HTMLParser):
    """Start tags with their attributes, headings in order, and the text (entities decoded)."""

    def __init__(self, page: str):
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, dict]] = []
        self.headings: list[int] = []
        self.text: list[str] = []
        self.feed(page)

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        if re.fullmatch(r"h[1-6]", tag):
            self.headings.append(int(tag[1]))

    def handle_data(self, data):
        self.text.append(data)

    def all(self, tag: str, **attrs) -> list[dict]:
        return [a for t, a in self.tags if t == tag and all(a.get(k) == v for k, v in attrs.items())]


@pytest.fixture(scope="module")
def sample() -> Report:
    return lint(Settings(corpus=[REPO / "policies"], cwd=REPO, as_of=AS_OF, record_views=True))


@pytest.fixture(scope="module")
def page(sample) -> str:
    return render("html", sample)


def article(page: str, anchor: str) -> str:
    found = re.search(rf'<article id="{anchor}".*?</article>', page, re.S)
    assert found, anchor
    return found.group(0)


def record_anchors(page: str) -> list[str]:
    """The anchors of the records the page lists."""
    return re.findall(r'<tr id="(r-[^"]+)">', page)


def marked(number: int, text: str) -> str:
    """An offending line of an excerpt, as the page writes it."""
    return f'<mark class="line"><span class="ln">{number}</span>{escape(text)}</mark>'


def test_sections_headings_and_landmarks(page):
    parsed = Parsed(page)
    ids = [a["id"] for _, a in parsed.tags if "id" in a]
    sections = ["overview", "matrix", "map", "by-framework", "findings", "records", "suppressed", "rules"]
    assert [i for i in ids if i in sections] == sections
    assert parsed.headings[0] == 1 and parsed.headings.count(1) == 1
    assert all(b <= a + 1 for a, b in pairwise(parsed.headings)), "a heading level is skipped"
    assert parsed.all("html")[0]["lang"] == "en"
    assert parsed.all("meta", name="viewport")[0]["content"] == "width=device-width, initial-scale=1"
    assert all(a.get("scope") in ("col", "row") for a in parsed.all("th"))
    assert page.count("<table") == page.count("<caption>") > 5
    labels = {a.get("for") for a in parsed.all("label")}
    assert {a["id"] for a in parsed.all("select")} <= labels
    [svg] = parsed.all("svg", **{"class": "policy-map"})
    assert svg["role"] == "group" and svg["aria-labelledby"] == "map-title"
    assert parsed.all("title", id="map-title")
    start = page.index('<svg class="policy-map"')
    svg_links = Parsed(page[start : page.index("</svg>", start)])
    assert len(svg_links.all("a")) == len(record_anchors(page)) and all(a["aria-label"] for a in svg_links.all("a"))


def test_counts_match_the_report(sample, page):
    parsed = Parsed(page)
    findings = [a for a in parsed.all("article") if a["class"].split()[0] == "finding"]
    assert len(findings) == len(sample.findings) > 0
    assert {a["id"] for a in findings} == {f"f-{f.fingerprint}" for f in sample.findings}
    counts = sample.counts()
    for severity, n in counts.items():
        assert re.search(rf'<span class="sev sev-{severity}">{severity}</span></th><td class="n">{n}</td>', page)
    assert f'Showing <span id="shown-count">{len(sample.findings)}</span> of {len(sample.findings)} findings' in page
    assert f"<dt>Records</dt><dd>{sample.records}</dd>" in page and f"<dt>Files</dt><dd>{sample.files}</dd>" in page
    # Each finding is listed once, under the country whose record its primary location is in.
    listed = re.findall(r'<h3 id="g-[^"]+-h">[^<]*<span class="note">\((\d+) finding', page)
    assert sum(map(int, listed)) == len(sample.findings)


def test_every_finding_shows_the_lines_it_points_at(sample, page):
    for finding in sample.findings:
        shown = article(page, f"f-{finding.fingerprint}")
        assert escape(finding.message) in shown
        for loc in finding.locations:
            line = sample.texts[loc.path].splitlines()[loc.line - 1]
            assert marked(loc.line, line) in shown, (finding.rule, loc.path, loc.line)
            assert f"<code>{escape(loc.path)}:" in shown
        spans = [(loc.line, loc.last_line) for loc in finding.locations]
        for number in map(int, re.findall(r'<mark class="line"><span class="ln">(\d+)</span>', shown)):
            assert any(start <= number <= end for start, end in spans), (finding.rule, number)
        assert finding.action and escape(finding.action) in shown
        assert all(escape(source) in shown for source in finding.sources)
        assert all(f'">{tag}</abbr>' in shown for tag in finding.frameworks)


def test_excerpts_keep_short_records_whole_and_trim_long_ones():
    text = "".join(f"line {n}\n" for n in range(1, 101))
    view = RecordView("XAA-P", "policy", "P", "XAA", "national", "law", "in_force", "p.yaml", 3, 90)
    rows = excerpt(text, "p.yaml", view, [Location("p.yaml", 50, 5, 50, 9, "XAA-P")]).rows
    assert rows == (
        Line(3, "line 3", False),
        Gap(4, 47),
        *(Line(n, f"line {n}", n == 50) for n in range(48, 53)),
        Gap(53, 90),
    )
    whole = excerpt(text, "p.yaml", view, [Location("p.yaml", 3, 1, 91, 1, "XAA-P")]).rows
    assert [row.number for row in whole if isinstance(row, Line)] == [*range(3, 12), *range(88, 91)]
    assert all(row.offending for row in whole if isinstance(row, Line) and row.number >= 3)
    short = dataclasses.replace(view, line=10, end_line=20)
    assert [row.number for row in excerpt(text, "p.yaml", short, [Location("p.yaml", 12)]).rows] == list(range(10, 21))
    # A block node ends where the next token starts: here after the indentation of line 13.
    nested = excerpt(text.replace("line 13", "  - line 13"), "p.yaml", short, [Location("p.yaml", 11, 5, 13, 3)])
    assert [row.number for row in nested.rows if isinstance(row, Line) and row.offending] == [11, 12]
    assert excerpt(None, "p.yaml", view, [Location("p.yaml", 50)]).rows == ()
    syntax_error = excerpt("a: [\n", "bad.yaml", None, [Location("bad.yaml", 2, 1)])
    assert syntax_error.rows == (Line(1, "a: [", False),)


def test_findings_and_records_link_both_ways(sample, page):
    anchors = dict(re.findall(r'<tr id="(r-[^"]+)"><th scope="row"><code>([^<]+)</code>', page))
    anchor_of = {unescape(record): anchor for anchor, record in anchors.items()}
    assert set(anchor_of) == {v.id for v in sample.record_views}
    rows = {anchor: row for anchor, row in re.findall(r'<tr id="(r-[^"]+)">(.*?)</tr>', page, re.S)}
    for finding in sample.findings:
        shown = article(page, f"f-{finding.fingerprint}")
        for record in finding.records:
            assert f'href="#{anchor_of[record]}"' in shown
            assert f'href="#f-{finding.fingerprint}"' in rows[anchor_of[record]]


def test_same_report_same_bytes(sample, page):
    assert render("html", sample) == page
    again = lint(Settings(corpus=[REPO / "policies"], cwd=REPO, as_of=AS_OF, record_views=True))
    assert render("html", again) == page
    shuffled = dataclasses.replace(
        sample,
        record_views=list(reversed(sample.record_views)),
        texts=dict(reversed(list(sample.texts.items()))),
    )
    assert render("html", shuffled) == page


def test_without_scripts_everything_shows_and_nothing_is_fetched(sample, page):
    parsed = Parsed(page)
    [form] = parsed.all("form")
    assert form["id"] == "filters" and "hidden" in form
    assert not any("hidden" in a for a in parsed.all("article"))
    assert not any("hidden" in a for a in parsed.all("section"))
    [script] = parsed.all("script")
    assert "src" not in script
    assert not parsed.all("link") and not parsed.all("img") and not parsed.all("iframe")
    assert not [a for _, a in parsed.tags if "src" in a]
    assert "@import" not in page and "url(http" not in page
    assert [a["href"] for a in parsed.all("a") if not a["href"].startswith("#")] == []
    text = "".join(parsed.text)
    assert all(f.message in text for f in sample.findings)


def hostile_report() -> Report:
    """Markup and script in every string the report shows."""
    evil = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'
    path = f"pol/{evil}.yaml"
    view = RecordView(evil, "policy", evil, evil, "national", evil, evil, path, 1, 3, (evil,))
    other = dataclasses.replace(view, id="XAB-P", country="XAB", implements=())
    loc = Location(path, 2, 1, 2, 9, evil, evil)
    finding = Finding(
        rule="HC001",
        name=evil,
        severity="error",
        message=evil,
        location=loc,
        related=(Location(path, 3, 1, 3, 5, "XAB-P", evil),),
        records=(evil, "XAB-P"),
        rationale=evil,
        sources=(evil,),
        action=evil,
        frameworks=("gcm:22",),
        drafts=(evil,),
        countries=(evil, "XAB"),
    )
    hidden = dataclasses.replace(finding, message=f"{evil} hidden", fingerprint="")
    return Report(
        as_of=AS_OF,
        findings=[finding],
        files=1,
        records=2,
        rules=[],
        suppressed=[Suppressed(hidden, "inSource", evil)],
        record_views=[view, other],
        texts={path: f"id: {evil}\ntitle: '</script><script>alert(3)</script>'\n{evil}\n"},
    )


def assert_inert(page: str) -> Parsed:
    """Nothing but the page's own markup: one inline script, no element or handler from the data."""
    parsed = Parsed(page)
    assert page.count("<script") == 1 and page.count("</script>") == 1
    assert "<script>alert" not in page and "<img" not in page and "<b " not in page
    assert not parsed.all("img") and not parsed.all("b")
    assert not [name for _, attrs in parsed.tags for name in attrs if name.startswith("on")]
    return parsed


def test_hostile_strings_show_as_text():
    page = render("html", hostile_report())
    text = "".join(assert_inert(page).text)
    assert '<script>alert(1)</script>"><img src=x onerror=alert(2)>' in text
    assert "title: '</script><script>alert(3)</script>'" in text


def test_hostile_corpus_shows_as_text(corpus):
    report = corpus(HOSTILE_FILES, record_views=True)
    assert report.findings
    text = "".join(assert_inert(render("html", report)).text)
    assert HOSTILE_TITLE in text and HOSTILE_STATEMENT in text
    assert "<b onmouseover=alert(3)>Law</b> & 'quotes'" in text


def test_empty_report():
    page = render("html", Report(as_of=dt.date(2026, 1, 1), findings=[], files=0, records=0, rules=[]))
    assert_inert(page)
    assert "<p>No findings.</p>" in page and "<p>No suppressed findings.</p>" in page
    assert "No findings to chart." in page and "The report carries no records to draw." in page
    assert 'Showing <span id="shown-count">0</span> of 0 findings' in page


def test_a_suppressed_finding_shows_its_justification(corpus):
    suppressed = STRATEGY.replace(
        "objectives:\n", "objectives:\n  # coherence: ignore[HC001] -- cabinet decision of 3 May\n"
    )
    report = corpus({"xaa/strategy.yaml": suppressed, "xaa/law.yaml": LAW}, select=["HC"], record_views=True)
    assert not report.findings and [s.finding.rule for s in report.suppressed] == ["HC001"]
    page = render("html", report)
    card = article(page, f"s-{report.suppressed[0].finding.fingerprint}")
    assert "<strong>Suppressed in the source:</strong> cabinet decision of 3 May" in card
    assert marked(9, "  - {id: O1, stance: facilitate, groups: [labour_migrant], areas: [entry]}") in card
    assert '<article id="f-' not in page and "<p>No findings.</p>" in page


def test_single_country_corpus_charts_its_records_pairwise(corpus):
    report = corpus({"xaa/strategy.yaml": STRATEGY, "xaa/law.yaml": LAW}, select=["HC"], record_views=True)
    page = render("html", report)
    assert "<caption>Findings between the records of XAA</caption>" in page
    row = re.search(r'<th scope="row">1 <a href="#r-XAA-LAW">XAA-LAW</a></th>(.*?)</tr>', page).group(1)
    assert re.findall(r'<td class="heat-(\d)">(\d+)</td>', row) == [("0", "0"), ("4", "1")]


def test_a_large_corpus_maps_only_the_records_findings_involve(sample):
    filler = [
        RecordView(f"XZZ-P{n:04d}", "policy", "filler", "XZZ", "national", "law", "in_force", "z.yaml", n, n)
        for n in range(html_report.MAP_LIMIT + 1)
    ]
    big = dataclasses.replace(sample, record_views=[*sample.record_views, *filler])
    page = render("html", big)
    involved = {r for f in sample.findings for r in [*f.records, *(loc.record for loc in f.locations)] if r}
    assert f"the map and the list of records show the {len(involved)} records that findings involve." in page
    assert len(record_anchors(page)) == len(involved)
    assert "XZZ-P0001" not in page


def test_cli_writes_the_report(tmp_path, monkeypatch):
    for name, text in {"policies/xaa/strategy.yaml": STRATEGY, "policies/xaa/law.yaml": LAW}.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    args = ["lint", "--format", "html", "-o", "report.html", "--as-of", "2026-11-23", "--select", "HC"]
    result = CliRunner().invoke(cli.main, args)
    assert result.exit_code == 1, result.output
    page = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>") and 'class="finding error"' in page
    assert marked(8, "  - {id: O1, stance: restrict, groups: [low_skilled_worker], areas: [entry]}") in page


def test_templates_ship_in_the_wheel():
    """The fast check; tests/test_packaging.py builds the wheel and finds every file in it."""
    setuptools = tomllib.loads((REPO / "pyproject.toml").read_text())["tool"]["setuptools"]
    package = REPO / "coherence_rules" / "templates"
    shipped = {p for glob in setuptools["package-data"]["coherence_rules.templates"] for p in package.glob(glob)}
    assert "coherence_rules.templates" in setuptools["packages"]
    assert {"report.html", "report.css", "report.js"} <= {p.name for p in shipped}
