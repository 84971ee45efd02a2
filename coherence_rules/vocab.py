"""The closed vocabularies of schema v1, with the group and area trees, and the forms of codes and ids.

A statement about a node applies to every node below it, so tree overlap is the
basis of most joins: two statements overlap when one's node is the other's node
or one of its ancestors (docs/record-format.md).
"""

from __future__ import annotations

from collections.abc import Iterator

Tree = dict[str, "Tree"]

# The forms of codes and ids (schema.py's fields; schema_errors.py explains them in words).
ID_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._:@-]*$"  # ids as the record format allows, plus "@" (agreement keys)
COUNTRY_PATTERN = r"^[A-Z]{3}$"
PARTY_PATTERN = r"^([A-Z]{3}|[A-Z]{2,5}|[A-Z]{3}-[A-Z0-9]{1,3})$"

GROUP_TREE: Tree = {
    "all_migrants": {
        "regular_migrant": {
            "labour_migrant": {
                "low_skilled_worker": {},
                "high_skilled_worker": {},
                "domestic_worker": {},
                "seasonal_worker": {},
            },
            "student": {},
            "family_member": {},
        },
        "irregular_migrant": {},
        "refugee": {},
        "asylum_seeker": {},
        "trafficking_victim": {},
    },
    "emigrant": {"diaspora": {}, "returnee": {}},
    "idp": {},
}

SOCIAL_SECURITY_BRANCHES = (
    "old_age",
    "invalidity",
    "survivors",
    "employment_injury",
    "unemployment",
    "family_benefits",
    "maternity",
    "sickness",
)

AREA_TREE: Tree = {
    "entry": {},
    "exit": {},
    "stay": {},
    "work": {},
    "recruitment": {},
    "border": {},
    "asylum": {},
    "return": {},
    "readmission": {},
    "reintegration": {},
    "integration": {},
    "naturalisation": {},
    "health": {"emergency_health": {}},
    "education": {},
    "housing": {},
    "social_security": {branch: {} for branch in SOCIAL_SECURITY_BRANCHES},
    "skills_recognition": {},
    "remittances": {},
    "diaspora_engagement": {},
    "anti_trafficking": {},
    "labour_rights": {},
    "data": {},
}

SECTORS = (
    "migration",
    "labour",
    "employment",
    "skills",
    "education",
    "health",
    "housing",
    "social_protection",
    "urban_development",
    "water_sanitation",
    "trade",
    "investment",
    "finance",
    "development",
    "foreign_affairs",
    "interior",
    "justice",
    "agriculture",
    "climate",
)

INSTRUMENTS = (
    "ICRMW",
    "REF-1951",
    "ILO-C097",
    "ILO-C143",
    "ILO-C118",
    "ILO-C157",
    "ILO-C102",
    "ILO-C181",
    "ILO-C189",
    "ILO-MFLM",
    "GCM",
    "SDG-10.7",
    "SDG-10.c",
    "SDG-8.8",
    "SDG-17.18",
    # schema v2
    "CEDAW",
    "ILO-C111",
    "ILO-C029",
    "ILO-P029",
    "ILO-C190",
    "ILO-MLC",
    "ILO-FRP",
)

STANCES = ("facilitate", "restrict", "protect", "deter", "neutral", "regulate", "not_promote")
EFFECTS = ("grant", "deny", "condition", "fund", "require", "assign", "refund")
POLICY_TYPES = (
    "law",
    "regulation",
    "decree",
    "strategy",
    "action_plan",
    "local_plan",
    "programme",
    "guideline",
    "constitution",
    "circular",
)
POLICY_STATUSES = ("draft", "adopted", "in_force", "suspended", "expired", "repealed", "superseded")
AGREEMENT_TYPES = (
    "labour",
    "social_security",
    "readmission",
    "mobility_partnership",
    "skills_recognition",
    "recruitment",
    "data_sharing",
)
AGREEMENT_STATUSES = ("negotiating", "signed", "in_force", "suspended", "expired", "terminated", "superseded")
AGREEMENT_BINDING = ("treaty", "mou", "arrangement")
INSTITUTION_TYPES = (
    "ministry",
    "agency",
    "bureau",
    "commission",
    "committee",
    "council",
    "local_authority",
    "parliamentary_body",
)
LEVELS = ("international", "regional", "bilateral", "national", "subnational")
FEES_PAID_BY = ("employer", "worker", "shared", "unspecified")
SEXES = ("female", "male")
QUOTA_PERIODS = ("year", "month", "period")
QUOTA_KINDS = ("ceiling", "target")

# Vocabulary words only schema v2 records may use (a v1 record using one is told to say `coherence: 2`).
V2_WORDS = frozenset(
    {
        "CEDAW",
        "ILO-C111",
        "ILO-C029",
        "ILO-P029",
        "ILO-C190",
        "ILO-MLC",
        "ILO-FRP",
        "regulate",
        "not_promote",
        "refund",
        "constitution",
        "circular",
        "superseded",
    }
)
# Conventions a country ratifies (the others are adopted, endorsed or applied).
RATIFIABLE = frozenset(
    i for i in INSTRUMENTS if i in ("ICRMW", "REF-1951", "CEDAW") or i.startswith(("ILO-C", "ILO-P")) or i == "ILO-MLC"
)
ACTIVE_POLICY_STATUSES = frozenset({"draft", "adopted", "in_force"})
ACTIVE_AGREEMENT_STATUSES = frozenset({"signed", "in_force"})
POSITIVE = frozenset({"facilitate", "protect", "grant"})
NEGATIVE = frozenset({"restrict", "deter", "deny"})
LONG_TERM_BRANCHES = ("old_age", "invalidity", "survivors")


def _walk(tree: Tree, parent: str | None = None) -> Iterator[tuple[str, str | None]]:
    for node, children in tree.items():
        yield node, parent
        yield from _walk(children, node)


class Vocabulary:
    """One tree-shaped vocabulary: parents, depths, and descendant sets."""

    def __init__(self, tree: Tree):
        self.parent: dict[str, str | None] = dict(_walk(tree))
        self.nodes: tuple[str, ...] = tuple(self.parent)
        self._below: dict[str, frozenset[str]] = {}
        for node in self.nodes:
            below = {node}
            for other in self.nodes:
                if node in self.ancestors(other):
                    below.add(other)
            self._below[node] = frozenset(below)

    def ancestors(self, node: str) -> list[str]:
        chain, up = [], self.parent[node]
        while up is not None:
            chain.append(up)
            up = self.parent[up]
        return chain

    def depth(self, node: str) -> int:
        return len(self.ancestors(node))

    def below(self, node: str) -> frozenset[str]:
        """The node and all its descendants: what a statement about it covers."""
        return self._below[node]

    def reach(self, node: str) -> frozenset[str]:
        """Every node a statement about `node` overlaps: itself, its descendants and ancestors."""
        return self._below[node] | frozenset(self.ancestors(node))

    def overlaps(self, a: str, b: str) -> bool:
        return a in self._below[b] or b in self._below[a]

    def roots_of(self, nodes: set[str]) -> list[str]:
        """The nodes of a set that have no ancestor in the set, sorted by tree order."""
        return [n for n in self.nodes if n in nodes and not any(a in nodes for a in self.ancestors(n))]


GROUPS = Vocabulary(GROUP_TREE)
AREAS = Vocabulary(AREA_TREE)


# How messages name vocabulary nodes for a policy reader.
WORDS: dict[str, str] = {
    "all_migrants": "all migrants",
    "regular_migrant": "regular migrants",
    "labour_migrant": "migrant workers",
    "low_skilled_worker": "lower-skilled workers",
    "high_skilled_worker": "highly skilled workers",
    "domestic_worker": "domestic workers",
    "seasonal_worker": "seasonal workers",
    "student": "international students",
    "family_member": "migrants' family members",
    "irregular_migrant": "migrants in an irregular situation",
    "refugee": "refugees",
    "asylum_seeker": "asylum seekers",
    "trafficking_victim": "victims of trafficking",
    "emigrant": "nationals abroad",
    "diaspora": "the diaspora",
    "returnee": "returning migrants",
    "idp": "internally displaced persons",
    "entry": "entry",
    "exit": "departure",
    "stay": "stay",
    "work": "work",
    "recruitment": "recruitment",
    "border": "border control",
    "asylum": "asylum",
    "return": "return",
    "readmission": "readmission",
    "reintegration": "reintegration",
    "integration": "integration",
    "naturalisation": "naturalisation",
    "health": "health care",
    "emergency_health": "emergency health care",
    "education": "education",
    "housing": "housing",
    "social_security": "social security",
    "old_age": "old-age pensions",
    "invalidity": "invalidity benefits",
    "survivors": "survivors' benefits",
    "employment_injury": "employment injury benefits",
    "unemployment": "unemployment benefits",
    "family_benefits": "family benefits",
    "maternity": "maternity benefits",
    "sickness": "sickness benefits",
    "skills_recognition": "recognition of skills",
    "remittances": "remittances",
    "diaspora_engagement": "diaspora engagement",
    "anti_trafficking": "action against trafficking",
    "labour_rights": "labour rights",
    "data": "migration data",
}


def words(token: str) -> str:
    """A vocabulary node as a reader says it (`domestic_worker` -> `domestic workers`)."""
    return WORDS.get(token, token.replace("_", " "))


# Stances and effects as a message says what a statement does ("X restricts entry for …").
VERBS: dict[str, str] = {
    "facilitate": "facilitates",
    "restrict": "restricts",
    "protect": "protects",
    "deter": "deters",
    "neutral": "informs on",
    "regulate": "regulates",
    "not_promote": "does not promote",
    "grant": "grants",
    "deny": "denies",
    "condition": "makes conditional",
    "fund": "funds",
    "require": "requires",
    "assign": "assigns",
    "refund": "refunds",
}
