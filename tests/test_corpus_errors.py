"""E001-E006: bad input becomes findings with file:line, and the other files are still read."""

import pytest
from conftest import MINISTRY, summary


@pytest.fixture
def corpus(corpus):
    """Only the always-on E rules matter here: run a single unrelated rule beside them."""

    def write(files, **settings):
        settings.setdefault("select", ["LC001"])
        return corpus(files, **settings)

    return write


GOOD = MINISTRY


def test_invalid_yaml_is_e001_with_parser_position_and_other_files_still_read(corpus):
    report = corpus({"bad.yaml": "a: [1, 2\nb: 3\n", "good.yaml": GOOD})
    assert summary(report) == [
        (
            "E001",
            "bad.yaml",
            2,
        )
    ]
    assert report.records == 1


def test_duplicate_key_is_e005_pointing_at_both_keys(corpus):
    report = corpus({"dup.yaml": GOOD + "type: agency\n"})
    (finding,) = report.findings
    assert (finding.rule, finding.location.line) == ("E005", 7)
    assert finding.related[0].line == 6
    assert "lost" in finding.message


def test_python_tag_is_never_constructed(corpus, tmp_path):
    marker = tmp_path / "pwned"
    report = corpus({"evil.yaml": f"a: !!python/object/apply:os.system ['touch {marker}']\n"})
    assert summary(report) == [("E006", "evil.yaml", 1)]
    assert not marker.exists()


def test_alias_bomb_is_e006(corpus):
    lines = ["a: &a [x,x,x,x,x,x,x,x,x,x]"]
    for prev, name in zip("abcdefgh", "bcdefghi", strict=False):
        lines.append(f"{name}: &{name} [" + ",".join([f"*{prev}"] * 10) + "]")
    report = corpus({"bomb.yaml": "\n".join(lines) + "\n"})
    assert [f.rule for f in report.findings] == ["E006"]
    assert "alias" in report.findings[0].message


def test_binary_non_utf8_and_oversize_files_are_e006(corpus):
    from coherence_rules.load import Limits

    report = corpus(
        {"bin.yaml": b"a: 1\n\x00\x01\x02", "latin.yaml": b"name: caf\xe9\n", "big.yaml": b"a: " + b"x" * 5000 + b"\n"},
        limits=Limits(max_file_bytes=4096),
    )
    assert summary(report) == [("E006", "big.yaml", 1), ("E006", "bin.yaml", 2), ("E006", "latin.yaml", 1)]


def test_deep_nesting_is_e006(corpus):
    report = corpus({"deep.yaml": "a: " + "[" * 200 + "]" * 200 + "\n"})
    assert [f.rule for f in report.findings] == ["E006"]


def test_misspelt_field_and_value_get_suggestions(corpus):
    report = corpus(
        {
            "p.yaml": """\
        coherence: 1
        kind: policy
        id: XAA-P
        type: strategy
        status: adopted
        jurisdiction: {country: XAA, level: national}
        objectives:
          - id: O1
            stnace: facilitate
            groups: [refugees]
            areas: [entry]
        """
        }
    )
    messages = {(f.location.line, f.message) for f in report.findings}
    assert (9, "objectives.0: unknown field 'stnace' (did you mean 'stance'?)") in messages
    assert any(line == 10 and "did you mean 'refugee'?" in m for line, m in messages)
    assert any(line == 8 and "missing required field 'stance'" in m for line, m in messages)
    assert {f.rule for f in report.findings} == {"E002"}


def test_unknown_kind_and_non_mapping_document(corpus):
    report = corpus({"k.yaml": "coherence: 1\nkind: instituton\nid: X\n---\n- just a list\n"})
    assert summary(report) == [("E002", "k.yaml", 2), ("E002", "k.yaml", 5)]
    assert "did you mean 'institution'" in report.findings[0].message


def test_duplicate_ids_are_e003_with_both_locations(corpus):
    report = corpus({"a.yaml": GOOD, "b.yaml": GOOD})
    (finding,) = report.findings
    assert (finding.rule, finding.location.path, finding.related[0].path) == ("E003", "b.yaml", "a.yaml")


def test_unresolved_and_wrong_kind_references_are_e004(corpus):
    report = corpus(
        {
            "inst.yaml": GOOD,
            "p.yaml": """\
        coherence: 1
        kind: policy
        id: XAA-P
        type: strategy
        status: adopted
        jurisdiction: {country: XAA, level: national}
        lead_agency: XAA-MOLL
        implements: [XAA-MOL]
        objectives:
          - {id: OBJ-1, stance: protect, groups: [refugee], areas: [education]}
        measures:
          - {id: M1, effect: fund, groups: [refugee], areas: [education], serves: [OBJ-2]}
        """,
        }
    )
    found = {(f.location.line, f.message) for f in report.findings}
    assert found == {
        (7, "lead_agency: 'XAA-MOLL' names no record (did you mean 'XAA-MOL'?)"),
        (8, "implements.0: 'XAA-MOL' is an institution, expected a policy or agreement"),
        (12, "measures.0.serves.0: 'OBJ-2' names no objective of XAA-P (did you mean 'OBJ-1'?)"),
    }


def test_empty_documents_and_empty_files_are_fine(corpus):
    report = corpus({"empty.yaml": "", "seps.yaml": "---\n---\n" + GOOD})
    assert report.findings == [] and report.records == 1


def test_fifos_and_dangling_links_named_yaml_are_not_read(corpus, tmp_path):
    import os

    os.mkfifo(tmp_path / "pipe.yaml")
    os.symlink(tmp_path / "nowhere.yaml", tmp_path / "dangling.yaml")
    report = corpus({"good.yaml": GOOD})  # would block forever if the FIFO were opened
    assert report.findings == [] and report.files == 1
