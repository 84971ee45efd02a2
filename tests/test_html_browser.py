"""The HTML report in a real browser: Debian's headless Chromium (/usr/bin/chromium) driven by
Playwright, no browser download. Screenshots go to $COHERENCE_ARTEFACTS if set, else to a temporary
directory. Run only these: `.venv/bin/python -m pytest -m browser`."""

import json
import os
import subprocess
import sys
from collections import Counter
from pathlib import Path

import pytest
from conftest import HOSTILE_FILES, HOSTILE_STATEMENT, HOSTILE_TITLE

from coherence_rules.formats import render

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
import headless  # noqa: E402

pytestmark = [
    pytest.mark.browser,
    pytest.mark.slow,
    pytest.mark.skipif(
        not headless.CHROMIUM.exists(),
        reason=f"no {headless.CHROMIUM}: install Debian's chromium package (apt-get install -y chromium)",
    ),
]
AS_OF = "2026-11-23"
VISIBLE_FINDINGS = "article.finding:visible"


def lint_cli(fmt: str, *extra: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [
            sys.executable,
            "-m",
            "coherence_rules",
            "lint",
            "policies",
            "--format",
            fmt,
            "--as-of",
            AS_OF,
            "--no-cache",
            *extra,
        ],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.fixture(scope="module")
def artefacts(tmp_path_factory) -> Path:
    chosen = os.environ.get("COHERENCE_ARTEFACTS")
    directory = Path(chosen) if chosen else tmp_path_factory.mktemp("artefacts")
    directory.mkdir(parents=True, exist_ok=True)
    return directory


@pytest.fixture(scope="module")
def expected() -> list[dict]:
    """The findings of the sample corpus, as the JSON report gives them."""
    result = lint_cli("json")
    assert result.returncode == 1, result.stderr
    return json.loads(result.stdout)["findings"]


@pytest.fixture(scope="module")
def report_file(tmp_path_factory) -> Path:
    """The HTML report of the sample corpus, written by the command line."""
    path = tmp_path_factory.mktemp("html") / "report.html"
    result = lint_cli("html", "-o", str(path))
    assert result.returncode == 1, result.stderr
    return path


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = headless.launch(playwright)
        yield launched
        launched.close()


@pytest.fixture
def open_report(browser):
    """Open a report file; the page records console errors, page errors and dialogs (dismissed)."""
    pages = []

    def open_(path: Path, viewport=headless.DESKTOP, scripts=True):
        context = browser.new_context(viewport=viewport, java_script_enabled=scripts)
        page = context.new_page()
        page.problems, page.dialogs = [], []
        page.on("console", lambda message: message.type == "error" and page.problems.append(message.text))
        page.on("pageerror", lambda error: page.problems.append(str(error)))
        page.on("dialog", lambda dialog: (page.dialogs.append(dialog.message), dialog.dismiss()))
        page.goto(path.as_uri(), wait_until="load")
        if scripts:
            page.wait_for_selector("body[data-filters-ready]", state="attached")
        pages.append(context)
        return page

    yield open_
    for context in pages:
        context.close()


def shown_count(page) -> int:
    count = page.locator(VISIBLE_FINDINGS).count()
    assert page.locator("#shown-count").inner_text() == str(count)
    return count


def test_the_sample_report_loads_clean_and_shows_every_finding(open_report, report_file, expected, artefacts):
    page = open_report(report_file)
    assert page.problems == []
    assert page.locator("#filters").is_visible()
    assert shown_count(page) == len(expected) > 0
    assert page.locator("svg.policy-map a").count() > 50
    page.screenshot(path=artefacts / "report-desktop.png")


def test_severity_filter_hides_and_shows_again(open_report, report_file, expected):
    page = open_report(report_file)
    errors = sum(f["severity"] == "error" for f in expected)
    assert errors and shown_count(page) == len(expected)
    page.get_by_role("checkbox", name="error").uncheck()
    assert shown_count(page) == len(expected) - errors
    assert page.locator(f'{VISIBLE_FINDINGS}[data-severity="error"]').count() == 0
    assert page.get_by_role("status").inner_text() == f"Showing {len(expected) - errors} of {len(expected)} findings."
    page.get_by_role("checkbox", name="error").check()
    assert shown_count(page) == len(expected)
    assert page.problems == []


def test_framework_country_and_family_filters(open_report, report_file, expected):
    page = open_report(report_file)
    tag, tagged = Counter(t for f in expected for t in f["frameworks"]).most_common(1)[0]
    option = page.locator("#filter-framework option").filter(has_text=f"{tag} ").first
    page.get_by_label("Framework objective", exact=True).select_option(option.get_attribute("value"))
    assert shown_count(page) == tagged < len(expected)
    page.get_by_role("button", name="Show all").click()
    page.wait_for_function("n => document.getElementById('shown-count').textContent === n", arg=str(len(expected)))
    page.get_by_label("Country", exact=True).select_option(label="XAB")
    assert shown_count(page) == sum("XAB" in f["countries"] for f in expected)
    page.get_by_label("Rule family", exact=True).select_option("BA")
    assert shown_count(page) == sum("XAB" in f["countries"] and f["rule"].startswith("BA") for f in expected)
    hidden_groups = page.locator("#findings section[data-findings-group][hidden]").count()
    assert hidden_groups > 0  # a country or severity with nothing left to show goes too
    assert page.problems == []


def test_following_a_link_to_a_filtered_out_finding_clears_the_filters(open_report, report_file, expected):
    page = open_report(report_file)
    page.get_by_role("checkbox", name="error").uncheck()
    error = next(f for f in expected if f["severity"] == "error")
    page.evaluate("anchor => { location.hash = anchor; }", f"f-{error['fingerprint']}")
    page.wait_for_function("n => document.getElementById('shown-count').textContent === n", arg=str(len(expected)))
    assert page.locator(f"#f-{error['fingerprint']}").is_visible()


def test_at_390_pixels_nothing_overflows_and_excerpts_stack(open_report, report_file, expected, artefacts):
    page = open_report(report_file, viewport=headless.MOBILE)
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    assert page.evaluate("document.body.scrollWidth") <= 390
    pair = next(
        f for f in expected if {loc["path"] for loc in [f["location"], *f["related"]]} != {f["location"]["path"]}
    )
    figures = page.locator(f"#f-{pair['fingerprint']} figure")
    first, second = figures.nth(0).bounding_box(), figures.nth(1).bounding_box()
    assert first["x"] == second["x"] and second["y"] > first["y"]  # stacked, not side by side
    page.screenshot(path=artefacts / "report-mobile.png")
    desktop = open_report(report_file)
    wide = desktop.locator(f"#f-{pair['fingerprint']} figure")
    assert wide.nth(1).bounding_box()["x"] > wide.nth(0).bounding_box()["x"]  # side by side
    assert page.problems == [] and desktop.problems == []


def test_keyboard_focus_is_visible(open_report, report_file):
    page = open_report(report_file)
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "[document.activeElement.textContent, getComputedStyle(document.activeElement).outlineStyle]"
    )
    assert focused == ["Skip to the findings", "solid"]
    assert page.locator("a.skip").is_visible()


def test_without_scripts_every_finding_shows(open_report, report_file, expected):
    page = open_report(report_file, scripts=False)
    assert page.locator(VISIBLE_FINDINGS).count() == len(expected)
    assert not page.locator("#filters").is_visible()


def test_hostile_records_run_no_script_and_show_as_text(open_report, corpus, tmp_path):
    report = corpus(HOSTILE_FILES, record_views=True)
    path = tmp_path / "hostile.html"
    path.write_text(render("html", report), encoding="utf-8")
    page = open_report(path)
    page.locator("svg.policy-map a").first.hover()
    page.get_by_text("XAA-LAW").first.hover()
    assert page.dialogs == [] and page.problems == []
    assert page.locator("img").count() == 0 and page.locator("b").count() == 0
    assert page.locator("script").count() == 1
    text = page.locator("body").inner_text()
    assert HOSTILE_TITLE in text and HOSTILE_STATEMENT in text
    assert "<b onmouseover=alert(3)>Law</b> & 'quotes'" in text
