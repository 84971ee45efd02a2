"""Schema v2: what real instruments need, and v1 records keeping their meaning."""

import datetime as dt
import sys

import pydantic
import pytest
from conftest import LAW, summary

from coherence_rules.schema import MODELS

POLICY_V2 = """\
coherence: 2
kind: policy
id: {id}
type: law
status: in_force
jurisdiction: {{country: XAA, level: national}}
"""


def test_a_v1_record_using_a_v2_field_or_word_is_told_to_say_coherence_2(corpus):
    report = corpus(
        {
            "v1.yaml": """\
            coherence: 1
            kind: policy
            id: XAA-ACT
            type: constitution
            status: in_force
            jurisdiction: {country: XAA, level: national}
            supersedes: [XAA-OLD-ACT]
            measures:
              - {id: M1, effect: deny, groups: [{group: domestic_worker, sex: female}], areas: [exit]}
            """,
            "v2.yaml": POLICY_V2.format(id="XAA-OTHER-ACT") + "supersedes: [XAA-ACT]\n",
        }
    )
    errors = {(f.location.path, f.location.line): f.message for f in report.findings if f.rule == "E002"}
    assert errors == {
        ("v1.yaml", 4): "'constitution' is schema v2: write `coherence: 2` to use it",
        ("v1.yaml", 7): "'supersedes' is schema v2: write `coherence: 2` to use it",
        ("v1.yaml", 9): "the QualifiedGroup form is schema v2: write `coherence: 2` to use it",
    }


def test_free_text_that_happens_to_be_a_v2_word_is_not_a_v2_use(corpus):
    report = corpus(
        {
            "v1.yaml": """\
            coherence: 1
            kind: policy
            id: XAA-ACT
            title: refund
            type: law
            status: in_force
            jurisdiction: {country: XAA, level: national}
            notes: superseded
            measures:
              - {id: M1, statement: regulate, effect: deny, groups: [domestic_worker], areas: [exit]}
            """
        }
    )
    assert [f.message for f in report.findings if f.rule == "E002"] == []


def test_country_codes_are_iso_or_user_assigned_and_parties_may_be_blocs_or_subnational(corpus):
    report = corpus(
        {
            "records.yaml": """\
            coherence: 1
            kind: commitments
            id: EUU-COMMITMENTS
            country: EUU
            ---
            coherence: 2
            kind: agreement
            id: EU-MDA-READMISSION@MDA
            agreement: EU-MDA-READMISSION
            recorded_by: MDA
            type: readmission
            parties: [EU, MDA]
            status: in_force
            ---
            coherence: 2
            kind: agreement
            id: PHL-QC-SSA@PHL
            agreement: PHL-QC-SSA
            recorded_by: PHL
            type: social_security
            parties: [PHL, CAN-QC]
            status: in_force
            ---
            coherence: 1
            kind: agreement
            id: XAA-EU@XAA
            agreement: XAA-EU
            recorded_by: XAA
            type: labour
            parties: [XAA, EU]
            status: in_force
            """,
        }
    )
    messages = sorted((f.location.line, f.message) for f in report.findings if f.rule == "E002")
    assert messages[0][0] == 4 and "'EUU' is not an ISO 3166-1 alpha-3 country code" in messages[0][1]
    assert messages[1] == (30, "the party code 'EU' is schema v2: write `coherence: 2` to use it")
    assert len(messages) == 2 and report.records == 2


def test_history_gives_the_status_on_the_reference_date(corpus):
    files = {
        "strategy.yaml": """\
            coherence: 2
            kind: policy
            id: XAA-STRATEGY
            type: strategy
            status: expired
            history:
              - {status: adopted, date: 2016-03-01}
              - {status: expired, date: 2021-01-01}
            jurisdiction: {country: XAA, level: national}
            objectives:
              - {id: O1, stance: facilitate, groups: [labour_migrant], areas: [entry]}
            """,
        "law.yaml": LAW,
    }
    assert summary(corpus(files, select=["HC001"], as_of=dt.date(2017, 12, 31))) == [("HC001", "strategy.yaml", 11)]
    assert summary(corpus(files, select=["HC001"], as_of=dt.date(2015, 12, 31))) == []  # not adopted yet
    assert summary(corpus(files, select=["HC001"], as_of=dt.date(2026, 11, 23))) == []  # expired


def test_a_record_with_a_schema_error_still_counts_for_duplicate_ids_and_references(corpus):
    report = corpus(
        {
            "a.yaml": """\
            coherence: 1
            kind: policy
            id: XAA-PLAN
            type: plann
            status: adopted
            jurisdiction: {country: XAA, level: national}
            lead_agency: XAA-NOBODY
            """,
            "b.yaml": """\
            coherence: 1
            kind: policy
            id: XAA-PLAN
            type: strategy
            status: adopted
            jurisdiction: {country: XAA, level: national}
            """,
        }
    )
    assert sorted(summary(report)) == [("E002", "a.yaml", 4), ("E003", "b.yaml", 3), ("E004", "a.yaml", 7)]


def test_corridor_lists_blocs_and_all_except(corpus):
    agreement = """\
        coherence: 2
        kind: agreement
        id: XAA-{d}-LABOUR@XAA
        agreement: XAA-{d}-LABOUR
        recorded_by: XAA
        type: labour
        parties: [XAA, {d}]
        status: in_force
        groups: [domestic_worker]
        """
    ban = """\
        coherence: 2
        kind: policy
        id: XAA-BAN
        type: circular
        status: in_force
        jurisdiction: {{country: XAA, level: national}}
        measures:
          - {{id: M1, effect: deny, groups: [domestic_worker], areas: [exit], corridor: {{destination: {dest}}}}}
        """
    cases = [
        ("[SAU, KWT]", "KWT", 1),
        ("[SAU, QAT]", "KWT", 0),
        ("GCC", "KWT", 1),
        ("{not: [GCC]}", "KWT", 0),
        ("{not: [GCC]}", "DEU", 1),
        ("EU", "GBR", 0),
    ]
    for dest, partner, expected in cases:
        report = corpus(
            {"agreement.yaml": agreement.format(d=partner), "ban.yaml": ban.format(dest=dest)}, select=["RI004"]
        )
        assert len(report.findings) == expected, (dest, partner, report.findings)
    # The United Kingdom was a member of the EU until 31 January 2020.
    report = corpus(
        {"agreement.yaml": agreement.format(d="GBR"), "ban.yaml": ban.format(dest="EU")},
        select=["RI004"],
        as_of=dt.date(2019, 6, 1),
    )
    assert len(report.findings) == 1


def test_a_lead_agency_kept_in_another_shard_is_still_seen(corpus):
    """IN002 joins a policy to its lead agency: a regional body's record is in no country's shard of its own."""
    report = corpus(
        {
            "body.yaml": """\
            coherence: 1
            kind: institution
            id: REG-SECRETARIAT
            name: Regional migration secretariat (fictional)
            jurisdiction: {level: regional, body: Regional process (fictional)}
            type: committee
            decision_power: false
            """,
            "plan.yaml": """\
            coherence: 1
            kind: policy
            id: XAA-PLAN
            type: action_plan
            status: adopted
            jurisdiction: {country: XAA, level: national}
            lead_agency: REG-SECRETARIAT
            objectives:
              - {id: O1, stance: facilitate, groups: [labour_migrant], areas: [entry]}
            """,
        },
        select=["IN002"],
    )
    assert summary(report) == [("IN002", "plan.yaml", 7)]


def test_validated_models_share_what_does_not_differ_and_behave_as_pydantic_models():
    """A large corpus holds a million models: they share equal sets of stated fields, empty lists and
    equal lists of codes, and those of one kind the table of their fields' names (Model._shared). It
    must change nothing they do."""
    data = {
        "coherence": 2,
        "kind": "agreement",
        "id": "PHL-QC-SSA@PHL",
        "agreement": "PHL-QC-SSA",
        "recorded_by": "PHL",
        "type": "social_security",
        "parties": ["PHL", "CAN-QC"],
        "status": "in_force",
        "groups": ["low_skilled_worker", "domestic_worker"],
    }
    first, second = MODELS["agreement"].model_validate(data), MODELS["agreement"].model_validate(dict(data))
    assert first.__pydantic_fields_set__ is second.__pydantic_fields_set__
    assert first.groups is second.groups and first.amends is second.amends  # a list of codes, an empty list
    with pytest.raises(TypeError):
        first.groups.append("refugee")  # what many models hold changes for none
    assert sys.getsizeof(first.__dict__) < sys.getsizeof(dict(first.__dict__))  # the names are not its own
    assert first == second and first.__dict__ == dict(second.__dict__)
    assert first.model_dump(by_alias=True, exclude_unset=True) == data
    changed = first.model_copy(update={"status": "signed"})
    assert (changed.status, first.status) == ("signed", "in_force") and changed != first
    with pytest.raises(pydantic.ValidationError):
        first.status = "signed"  # type: ignore[misc]  # frozen
