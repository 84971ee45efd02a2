"""`coherence init`: scaffold a policy repository (configuration, pre-commit, CI with SARIF, one
example record per kind). Writes nothing if any file it would write already exists."""

from __future__ import annotations

import json
from pathlib import Path

from . import __version__
from .atomic import write_atomic
from .schema import json_schema

SCHEMA_PATH = "schema/coherence.schema.json"


def _modeline(record_path: str) -> str:
    depth = record_path.count("/")
    return f"# yaml-language-server: $schema={'../' * depth}{SCHEMA_PATH}\n"


CONFIG = """\
# coherence configuration (https://pypi.org/project/coherence-rules/): `coherence lint` finds it
# by searching upward from the working directory. Unknown keys are errors.
corpus: [policies]        # where the records live; everything here is context for every check
fail_on: warning          # exit 1 on findings at or above: error | warning | info | never
select: []                # rule ids, families (BA) or names; empty = all
ignore: []
severity: {}              # e.g. {LC001: info, XS002: off}
per_path_ignores: {}      # e.g. {"policies/archive/**": [LC001]}
rules: []                 # directories of your own rules (see `coherence explain` and docs/writing-rules.md)
"""

PRE_COMMIT = """\
# Lints staged policy files with the whole corpus as context; reports only findings touching them.
# This runs the `coherence` installed in your environment (pip install coherence-rules, or from
# its repository). To let pre-commit install it instead, point `repo:` at the coherence
# repository with a `rev:` and use `hooks: [{id: coherence}]` (it ships .pre-commit-hooks.yaml).
repos:
  - repo: local
    hooks:
      - id: coherence
        name: coherence (policy coherence)
        entry: coherence lint
        language: system
        types: [yaml]
"""

WORKFLOW = f"""\
name: coherence
on: [push, pull_request]
permissions:
  contents: read
  security-events: write   # upload SARIF to code scanning
jobs:
  coherence:
    runs-on: ubuntu-latest
    steps:
      - uses: actions/checkout@v4
      - uses: actions/setup-python@v5
        with:
          python-version: "3.12"
      - run: pip install "coherence-rules=={__version__}"   # or: pip install "git+<coherence repository URL>"
      - name: Lint the policy corpus
        id: lint
        run: coherence lint --format sarif --output coherence.sarif
        continue-on-error: true
      - name: Upload findings to code scanning
        uses: github/codeql-action/upload-sarif@v3
        with:
          sarif_file: coherence.sarif
      - name: Annotate and fail on findings
        if: steps.lint.outcome == 'failure'
        run: coherence lint --format github
"""

AGREEMENT = """\
coherence: 1
kind: agreement
id: XAA-XAB-LABOUR-MOU@{party}
agreement: XAA-XAB-LABOUR-MOU
recorded_by: {party}
title: XAA-XAB labour mobility MOU (fictional)
type: labour
parties: [XAA, XAB]
status: in_force
period: {{from: 2026-03-01, to: 2031-02-28}}
groups: [low_skilled_worker]
quota: {{per_year: 2000}}
social_security: {{branches: [old_age, invalidity, survivors, employment_injury], totalisation: true, export_of_benefits: true}}
recruitment: {{fees_paid_by: employer}}
"""

EXAMPLES = {
    "policies/example/institutions.yaml": """\
# Example records (fictional jurisdiction XAA, a user-assigned ISO code): replace with your own.
coherence: 1
kind: institution
id: XAA-MOL
name: Ministry of Labour (fictional)
jurisdiction: {country: XAA, level: national}
type: ministry
mandate: [work, recruitment, labour_rights, social_security]
decision_power: true
budget: {amount: 1000000, currency: XAA}
""",
    "policies/example/policy.yaml": """\
coherence: 1
kind: policy
id: XAA-LABOUR-MIGRATION-POLICY-2026
title: National Labour Migration Policy (fictional)
type: strategy
status: adopted
period: {from: 2026-01-01, to: 2030-12-31}
jurisdiction: {country: XAA, level: national}
sectors: [migration, labour]
lead_agency: XAA-MOL
implements: [XAA-XAB-LABOUR-MOU]
objectives:
  - id: O1
    statement: Expand regular channels for workers to XAB
    stance: facilitate
    groups: [low_skilled_worker]
    areas: [work, recruitment]
    corridor: {origin: XAA, destination: XAB}
    indicators:
      - {name: deployments_per_year, baseline: 1000, target: 2000, unit: persons, year: 2028}
measures:
  - id: M1
    statement: Pre-departure orientation for every worker
    effect: fund
    areas: [recruitment]
    groups: [low_skilled_worker]
    responsible: XAA-MOL
    budget: {amount: 50000, currency: XAA}
    serves: [O1]
""",
    "policies/example/agreement.yaml": "# Each party keeps its own record of an agreement; `coherence` compares the two.\n"
    + AGREEMENT.format(party="XAA")
    + "---\n"
    + AGREEMENT.format(party="XAB"),
    "policies/example/commitments.yaml": """\
coherence: 1
kind: commitments
id: XAA-COMMITMENTS
country: XAA
ratified:
  - {instrument: ILO-C097, year: 2001}
adopted: [GCM, SDG-10.7]
""",
}


def plan() -> dict[str, str]:
    files = {
        ".coherence.yaml": CONFIG,
        ".pre-commit-config.yaml": PRE_COMMIT,
        ".github/workflows/coherence.yml": WORKFLOW,
        SCHEMA_PATH: json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n",
    }
    for path, text in EXAMPLES.items():
        files[path] = _modeline(path) + text
    return files


def init(root: Path) -> list[str]:
    """Write the scaffold under root; refuse (writing nothing) if any of its files exists."""
    files = plan()
    existing = [path for path in files if (root / path).exists()]
    if existing:
        raise FileExistsError(f"refusing to overwrite existing files: {', '.join(existing)}")
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        write_atomic(root / path, text)
    return list(files)
