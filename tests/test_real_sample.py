"""The real part of the sample corpus: what the checker says on records of real instruments.

Pinned as (rule, sorted record ids, file the finding points at), never as messages (their wording
changes). Each expected finding is one an expert or a supervisory body has made, or an expert would
accept on the cited sources (policies/README.md gives the verdict and the source of each). The same
corpus is also read on earlier days (`--as-of`): dated histories make past incoherences visible and
show them ending when the instrument that resolved them took effect.
"""

import collections
import datetime as dt
from pathlib import Path

import pytest

from coherence_rules import Settings, lint

REPO = Path(__file__).resolve().parents[1]
REAL = ("phl", "kor", "lka", "che", "mda", "ita", "bgr", "eu")  # folders of real countries and partners
TODAY = dt.date(2026, 11, 23)

LKA_KOR_EPS = ("SS001", ("LKA-KOR-EPS-MOU:KOR", "LKA-KOR-EPS-MOU:LKA"), "policies/kor/agreement-lka-eps-mou.yaml")
FBR_2022 = ("IC001", ("LKA-COMMITMENTS", "LKA-FBR-RELAXATION-2022"), "policies/lka/exit-restrictions.yaml")
MDA_ITA = [
    ("SS001", ("MDA-ITA-LABOUR-2003:ITA", "MDA-ITA-LABOUR-2003:MDA"), "policies/ita/agreement-mda-labour.yaml"),
    (
        "SS001",
        ("MDA-ITA-LABOUR-MIGRATION-2011:ITA", "MDA-ITA-LABOUR-MIGRATION-2011:MDA"),
        "policies/ita/agreement-mda-labour.yaml",
    ),
]

EXPECTED = {
    # Today: Sri Lankan EPS workers' pensions end in a lump-sum refund; the 2022 Cabinet decision
    # still bars mothers of children under two from domestic work abroad (ICRMW Art 8, ILO C111).
    TODAY: [LKA_KOR_EPS, FBR_2022, FBR_2022],
    # The CEACR's C118 comments on s.15 of the 1997 Social Security Act (reached through C097 Art 6);
    # Moldova-Italy labour agreements without a social security agreement.
    dt.date(2016, 12, 31): [
        LKA_KOR_EPS,
        *MDA_ITA,
        ("IC001", ("PHL-COMMITMENTS", "PHL-SOCIAL-SECURITY-ACT-1997"), "policies/phl/social-security-acts.yaml"),
        ("SS004", ("PHL-COMMITMENTS", "PHL-SOCIAL-SECURITY-ACT-1997"), "policies/phl/social-security-acts.yaml"),
    ],
    # RA 11199 makes SSS cover compulsory for OFWs while Korea insures EPS workers; no Philippines-Korea
    # agreement yet, so Korea's lump-sum refund is all Filipino EPS workers get.
    dt.date(2019, 6, 1): [
        LKA_KOR_EPS,
        *MDA_ITA,
        (
            "SS001",
            ("PHL-KOR-EPS-MOU-2017:KOR", "PHL-KOR-EPS-MOU-2017:PHL"),
            "policies/kor/agreement-phl-eps-mou-2017.yaml",
        ),
        (
            "SS007",
            ("KOR-NATIONAL-PENSION-ACT", "PHL-SOCIAL-SECURITY-ACT-2018"),
            "policies/phl/social-security-acts.yaml",
        ),
    ],
    # The Philippines-Korea agreement signed in 2019 is still not in force (it took effect in April 2024):
    # SS005, and until then it does not decide which compulsory scheme applies (SS007, as in 2019).
    dt.date(2023, 6, 1): [
        (
            "SS007",
            ("KOR-NATIONAL-PENSION-ACT", "PHL-SOCIAL-SECURITY-ACT-2018"),
            "policies/phl/social-security-acts.yaml",
        ),
        LKA_KOR_EPS,
        *MDA_ITA,
        FBR_2022,
        FBR_2022,
        (
            "SS005",
            (
                "PHL-KOR-EPS-MOU-2017:KOR",
                "PHL-KOR-EPS-MOU-2017:PHL",
                "PHL-KOR-SOCIAL-SECURITY-2019:KOR",
                "PHL-KOR-SOCIAL-SECURITY-2019:PHL",
            ),
            "policies/kor/agreement-phl-social-security-2019.yaml",
        ),
    ],
}

# Real instruments that are coherent on the sources: no finding on any of the days above.
KNOWN_SILENT = (
    "PHL-CHE-SOCIAL-SECURITY-2001:PHL",
    "PHL-CHE-SOCIAL-SECURITY-2001:CHE",
    "CHE-KOR-SOCIAL-SECURITY-2014:CHE",
    "CHE-KOR-SOCIAL-SECURITY-2014:KOR",
    "LKA-CHE-MIGRATION-AGREEMENT-2016:LKA",
    "LKA-CHE-MIGRATION-PARTNERSHIP-2018:CHE",
    "MDA-BGR-LABOUR-MIGRATION-2018:MDA",
    "MDA-BGR-SOCIAL-SECURITY-2008:BGR",
    "MDA-ITA-SOCIAL-SECURITY-2024:MDA",
    "EU-MDA-READMISSION-2007:EU",
    "CHE-MDA-READMISSION-2010:CHE",
    "PHL-DMW-ACT-2021",
    "PHL-NAGA-MIGRATION-DEV-PLANNING",
    "KOR-FOREIGN-WORKERS-ACT-2003",
    "CHE-FNIA-2005",
    "LKA-SLBFE-ACT-1985",
    "LKA-SLBFE-AMENDMENT-ACT-1994",
    "LKA-DW-MINIMUM-AGE-2011",
    "LKA-MIGRATION-EMPLOYMENT-POLICY-2023",
    "MDA-REINTEGRATION-PLAN-2017-2020",
    "MDA-DIASPORA-2025",
)


def report_on(day: dt.date):
    return lint(Settings(cwd=REPO, as_of=day, targets=[REPO / "policies"]))


def touches_real(finding) -> bool:
    return any(loc.path.split("/")[1] in REAL for loc in finding.locations)


def real_findings(report) -> list[tuple[str, tuple[str, ...], str]]:
    """(rule, sorted record ids, path) of every finding that touches a real-country folder."""
    return sorted((f.rule, tuple(sorted(f.records)), f.location.path) for f in report.findings if touches_real(f))


@pytest.mark.parametrize("day", sorted(EXPECTED), ids=str)
def test_the_real_part_gives_exactly_the_pinned_findings(day):
    report = report_on(day)
    assert collections.Counter(real_findings(report)) == collections.Counter(EXPECTED[day])


@pytest.mark.parametrize("day", sorted(EXPECTED), ids=str)
def test_real_findings_involve_only_real_records(day):
    for finding in report_on(day).findings:
        if touches_real(finding):
            assert all(loc.path.split("/")[1] in REAL for loc in finding.locations), finding


def test_known_silent_instruments_give_no_finding():
    for day in EXPECTED:
        named = {record for finding in report_on(day).findings for record in finding.records}
        assert not named & set(KNOWN_SILENT), (day, sorted(named & set(KNOWN_SILENT)))


def test_known_silent_instruments_exist():
    text = "\n".join(
        p.read_text(encoding="utf-8") for folder in REAL for p in (REPO / "policies" / folder).glob("*.yaml")
    )
    missing = [record for record in KNOWN_SILENT if f"id: {record}\n" not in text]
    assert not missing, missing


def test_no_corpus_error_in_the_real_part():
    assert not [f for f in report_on(TODAY).findings if f.rule.startswith("E") and touches_real(f)]
