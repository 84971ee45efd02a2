"""`coherence init`: scaffold a policy repository (configuration, pre-commit, CI with SARIF, one
example record per kind). Files that exist are skipped, unless forced. The pre-commit hook and the
workflow install coherence from the requirement it was itself installed from (PEP 610), or --source."""

from __future__ import annotations

import importlib.metadata
import json
import re
import shlex
from pathlib import Path
from typing import Any

from . import __version__
from .atomic import write_atomic
from .schema import json_schema

DISTRIBUTION = "coherence-rules"
CORPUS = "policies"
SCHEMA_PATH = "schema/coherence.schema.json"
PRE_COMMIT_PATH = ".pre-commit-config.yaml"
WORKFLOW_PATH = ".github/workflows/coherence.yml"
INSTALLERS = (PRE_COMMIT_PATH, WORKFLOW_PATH)  # the files that install coherence from the requirement


def _modeline(record_path: str) -> str:
    depth = record_path.count("/")
    return f"# yaml-language-server: $schema={'../' * depth}{SCHEMA_PATH}\n"


def requirement_from(direct_url: dict[str, Any] | None, version: str) -> str:
    """The pip requirement that reinstalls a distribution, from its PEP 610 direct_url.json (None:
    it came from a package index)."""
    if direct_url is None:
        return f"{DISTRIBUTION}=={version}"
    url = direct_url["url"]
    if "vcs_info" in direct_url:
        vcs = direct_url["vcs_info"]
        url = f"{vcs['vcs']}+{url}@{vcs['commit_id']}"
    if "subdirectory" in direct_url:
        url += f"#subdirectory={direct_url['subdirectory']}"
    return f"{DISTRIBUTION} @ {url}"


def installed_requirement() -> str:
    """How the running coherence was installed, as a pip requirement."""
    source_tree = Path(__file__).resolve().parent.parent
    if (source_tree / "pyproject.toml").is_file():  # a checkout, or an editable install of one
        return requirement_from({"url": source_tree.as_uri()}, __version__)
    distribution = importlib.metadata.distribution(DISTRIBUTION)
    direct_url = distribution.read_text("direct_url.json")
    return requirement_from(json.loads(direct_url) if direct_url else None, distribution.version)


def is_local(requirement: str) -> bool:
    """A file: URL names this machine's disk: no CI runner and no other contributor can install it."""
    return "file:" in requirement


CONFIG = f"""\
# coherence configuration. `coherence lint` finds this file by searching upward from the working
# directory; paths and globs are relative to it, command-line options win, unknown keys are errors.
# Each commented-out setting is a valid example: uncomment it to use it.
corpus: [{CORPUS}]          # directories whose records are loaded; every check sees all of them
# include: ["**/*.yaml", "**/*.yml"]   # the files under the corpus that are records (globs; the default)
# exclude: ["{CORPUS}/archive/**"]  # files under the corpus to leave out (globs)
# baseline: .coherence-baseline.json   # report only findings not recorded there (`coherence lint --write-baseline FILE` writes it)
fail_on: warning            # exit 1 on findings at or above: error | warning | info | never
# select: [HC, BA, SS001]   # the rules to run: ids, families or names (default: all)
# ignore: [XS002]           # rules not to run: ids, families or names
# severity: {{LC001: info, XS002: "off"}}   # another severity for a rule, or off
# per_path_ignores: {{"{CORPUS}/archive/**": [LC001]}}   # rules not reported for the files a glob matches
# rules: [org-rules]        # directories of your own rules (docs/writing-rules.md in the coherence repository)
# as_of: 2026-11-23         # the reference date of time-dependent rules such as LC001 (default: today)
# limits: {{max_file_bytes: 4194304}}   # raise a safety limit on input files (the README lists them)
"""

LOCAL_SOURCE = """\
# additional_dependencies names a file: URL on this machine, so the hook installs only here: for other
# contributors, replace it with a requirement they can install (a git URL with a tag, or a release
# wheel's URL).
"""

PRE_COMMIT = """\
# Lints the staged policy records with the whole corpus as context; reports only the findings that
# touch them. pre-commit installs coherence into the hook's own environment from
# additional_dependencies: where the coherence that ran `coherence init` came from, or its --source.
# Or take the hook from the coherence repository itself, which ships .pre-commit-hooks.yaml:
#   - repo: <URL of the coherence repository>
#     rev: v{version}
#     hooks: [{{id: coherence, files: ^{corpus}/}}]
{local}repos:
  - repo: local
    hooks:
      - id: coherence
        name: coherence (policy coherence)
        entry: coherence lint
        language: python
        additional_dependencies: [{requirement}]
        files: ^{corpus_pattern}/.*\\.ya?ml$
        require_serial: true
        pass_filenames: true
"""

LOCAL_INSTALL = """\
      # A file: URL on the machine that ran `coherence init`: a CI runner cannot install it. Put a
      # requirement it can reach here (a git URL with a tag, or a release wheel's URL).
"""

WORKFLOW = """\
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
      # The corpus index (outside the checkout): a run parses and evaluates again only what changed.
      # A pull request's run reads its base branch's and cannot write to it.
      - uses: actions/cache@v4
        with:
          path: ~/.cache/coherence
          key: coherence-${{{{ runner.os }}}}-${{{{ github.sha }}}}
          restore-keys: coherence-${{{{ runner.os }}}}-
{local}      - run: pip install {requirement}
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
    f"{CORPUS}/example/institutions.yaml": """\
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
    f"{CORPUS}/example/policy.yaml": """\
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
    f"{CORPUS}/example/agreement.yaml": "# Each party keeps its own record of an agreement; `coherence` compares the two.\n"
    + AGREEMENT.format(party="XAA")
    + "---\n"
    + AGREEMENT.format(party="XAB"),
    f"{CORPUS}/example/commitments.yaml": """\
coherence: 1
kind: commitments
id: XAA-COMMITMENTS
country: XAA
ratified:
  - {instrument: ILO-C097, year: 2001}
adopted: [GCM, SDG-10.7]
""",
}


def plan(requirement: str) -> dict[str, str]:
    """Every file of the scaffold, by path; the hook and the workflow install `requirement`."""
    local = is_local(requirement)
    files = {
        ".coherence.yaml": CONFIG,
        PRE_COMMIT_PATH: PRE_COMMIT.format(
            version=__version__,
            corpus=CORPUS,
            corpus_pattern=re.escape(CORPUS),
            local=LOCAL_SOURCE if local else "",
            requirement=json.dumps(requirement),
        ),
        WORKFLOW_PATH: WORKFLOW.format(local=LOCAL_INSTALL if local else "", requirement=shlex.quote(requirement)),
        SCHEMA_PATH: json.dumps(json_schema(), indent=2, ensure_ascii=False) + "\n",
    }
    for path, text in EXAMPLES.items():
        files[path] = _modeline(path) + text
    return files


def init(root: Path, requirement: str, force: bool = False) -> dict[str, str]:
    """Write the scaffold under root: each path -> "created", "overwrote" or "skipped" (it
    existed and force was not given)."""
    done = {}
    for path, text in plan(requirement).items():
        exists = (root / path).exists()
        if exists and not force:
            done[path] = "skipped"
            continue
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        write_atomic(root / path, text)
        done[path] = "overwrote" if exists else "created"
    return done
