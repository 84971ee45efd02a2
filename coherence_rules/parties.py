"""Who can be a party: countries (ISO 3166-1 alpha-3, or the user-assigned codes that fictional and
test jurisdictions use), regional blocs with their members over time, and subnational entities.

The ISO 3166-1 table comes from the `iso3166` package (a small, self-contained, maintained copy of
the standard: hand-kept lists of 249 codes go stale). Bloc memberships are cited below; a bloc code
such as `EU` stands for its members as of the reference date wherever a corridor or a party names it.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

import iso3166

# ISO 3166-1 leaves these alpha-3 ranges to users: AAA-AAZ, QMA-QZZ, XAA-XZZ, ZZA-ZZZ.
_USER_ASSIGNED = re.compile(r"^(AA[A-Z]|Q[M-Z][A-Z]|X[A-Z]{2}|ZZ[A-Z])$")
SUBNATIONAL = re.compile(r"^(?P<country>[A-Z]{3})-(?P<unit>[A-Z0-9]{1,3})$")  # e.g. CAN-QC, KOR-11


def is_country(code: str) -> bool:
    return code in iso3166.countries_by_alpha3 or bool(_USER_ASSIGNED.match(code))


def country_name(code: str) -> str:
    """The English name of a country as a sentence reads it ("Republic of Korea" for ISO's "Korea,
    Republic of"); the code itself for user-assigned codes."""
    country = iso3166.countries_by_alpha3.get(code)
    if country is None:
        return code
    name, _, form = country.apolitical_name.partition(", ")
    return f"{form} {name}" if form.endswith((" of", " of the")) else country.apolitical_name


# Names a sentence gives an article: "the Philippines", "the Republic of Korea".
_THE_FIRST_WORDS = ("Republic", "Democratic", "United", "Federated", "Islamic", "Plurinational", "Bolivarian", "State")
_THE_LAST_WORDS = ("Republic", "Federation", "Islands", "Emirates", "Kingdom")
_THE_NAMES = frozenset(
    {"Philippines", "Netherlands", "Bahamas", "Gambia", "Maldives", "Comoros", "Seychelles", "Holy See"}
)


def in_sentence(code: str) -> str:
    """A country as a sentence names it, with its article where English uses one."""
    name = country_name(code)
    if code in iso3166.countries_by_alpha3 and (
        name in _THE_NAMES or name.startswith(_THE_FIRST_WORDS) or name.endswith(_THE_LAST_WORDS)
    ):
        return f"the {name}"
    return name


def possessive(name: str) -> str:
    """`Sri Lanka's`, `the Philippines'`."""
    return f"{name}'" if name.endswith("s") else f"{name}'s"


@dataclass(frozen=True)
class Member:
    country: str
    joined: dt.date | None = None  # None: a member since before any date a corpus is likely to ask about
    left: dt.date | None = None  # the first day it was no longer a member


@dataclass(frozen=True)
class Bloc:
    code: str
    name: str
    source: str
    members: tuple[Member, ...]

    def members_on(self, day: dt.date) -> tuple[str, ...]:
        return tuple(
            m.country
            for m in self.members
            if (m.joined is None or m.joined <= day) and (m.left is None or day < m.left)
        )


def _members(codes: str, joined: dt.date | None = None) -> tuple[Member, ...]:
    return tuple(Member(code, joined) for code in codes.split())


BLOCS: dict[str, Bloc] = {
    b.code: b
    for b in (
        Bloc(
            "EU",
            "European Union",
            "europa.eu, 'EU countries'; accession treaties of 2003 (in force 1 May 2004), 2005 (1 Jan 2007) "
            "and 2011 (1 Jul 2013); withdrawal of the United Kingdom on 31 Jan 2020",
            _members("AUT BEL DNK FIN FRA DEU GRC IRL ITA LUX NLD PRT ESP SWE")
            + _members("CYP CZE EST HUN LVA LTU MLT POL SVK SVN", dt.date(2004, 5, 1))
            + _members("BGR ROU", dt.date(2007, 1, 1))
            + _members("HRV", dt.date(2013, 7, 1))
            + (Member("GBR", None, dt.date(2020, 2, 1)),),
        ),
        Bloc("EFTA", "European Free Trade Association", "efta.int, 'The EFTA States'", _members("ISL LIE NOR CHE")),
        Bloc(
            "EEA",
            "European Economic Area",
            "EEA Agreement (in force 1 Jan 1994): the EU member states and Iceland, Liechtenstein, Norway",
            (),  # the EU's members and three EFTA states: see members_of()
        ),
        Bloc(
            "ASEAN",
            "Association of Southeast Asian Nations",
            "asean.org, 'Member States'; Declaration on the Admission of Timor-Leste into ASEAN, 26 Oct 2025",
            _members("BRN KHM IDN LAO MYS MMR PHL SGP THA VNM") + (Member("TLS", dt.date(2025, 10, 26)),),
        ),
        Bloc(
            "GCC",
            "Gulf Cooperation Council",
            "gcc-sg.org, Charter of the Cooperation Council for the Arab States of the Gulf (1981)",
            _members("ARE BHR KWT OMN QAT SAU"),
        ),
    )
}


def members_of(bloc: str, day: dt.date) -> tuple[str, ...]:
    if bloc == "EEA":
        return tuple(sorted(BLOCS["EU"].members_on(day) + ("ISL", "LIE", "NOR")))
    return tuple(sorted(BLOCS[bloc].members_on(day)))


def is_party(code: str) -> bool:
    """A country, a bloc, or a subnational entity of a country (`CAN-QC`)."""
    match = SUBNATIONAL.match(code)
    return is_country(code) or code in BLOCS or bool(match and is_country(match["country"]))


def home_country(code: str) -> str:
    """The country a party belongs to: itself, or the country of a subnational entity ("" for a bloc)."""
    match = SUBNATIONAL.match(code)
    if match:
        return match["country"]
    return "" if code in BLOCS else code


def describe_codes() -> str:
    return (
        "an ISO 3166-1 alpha-3 country code (e.g. PHL) or a user-assigned one (XAA-XZZ, QMA-QZZ, AAA-AAZ, "
        "ZZA-ZZZ for fictional jurisdictions)"
    )
