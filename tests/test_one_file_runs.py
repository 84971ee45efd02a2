"""A run naming files (a pre-commit hook, a drafter linting a draft) validates and evaluates only the
records of the shards those files touch (shards.needed_documents), and reports exactly what the whole
run reports touching them: the whole run is the ground truth, file by file."""

import sys
import textwrap
from pathlib import Path

import pytest
from conftest import AS_OF, index_rows, set_index_row

from coherence_rules import load
from coherence_rules.api import lint
from coherence_rules.corpus_index import CorpusIndex
from coherence_rules.settings import Settings

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))
import corpus_gen  # noqa: E402


def key(finding):
    return finding.rule, finding.severity, finding.message, tuple(map(str, finding.locations)), finding.records


def assert_each_file_as_the_whole_run(root: Path, files: list[Path], index: Path | None = None) -> None:
    """With an `index` a whole run has filled, each run naming a file takes the records it does not
    need from their summaries there, its file entries unread (load.UnreadDocument)."""
    whole = lint(Settings(cwd=root, as_of=AS_OF, targets=[root / "policies"]))
    assert whole.findings
    if index is not None:
        assert lint(Settings(cwd=root, as_of=AS_OF, cache_dir=index)).findings == whole.findings
    for path in files:
        shown = str(path.relative_to(root))
        one = lint(Settings(cwd=root, as_of=AS_OF, targets=[path], cache_dir=index))
        expected = sorted(
            key(f.anchored({shown})) for f in whole.findings if any(loc.path == shown for loc in f.locations)
        )
        assert sorted(map(key, one.findings)) == expected, shown


def test_a_run_naming_every_file_is_the_whole_corpus_run(tmp_path):
    """`lint policies/` names every file: it is run as a whole-corpus run, and reports what a run naming
    nothing reports, in the same order."""
    corpus_gen.write(corpus_gen.generate(3, 60, density=10), tmp_path / "policies")
    named = lint(Settings(cwd=tmp_path, as_of=AS_OF, targets=[tmp_path / "policies"]))
    whole = lint(Settings(cwd=tmp_path, as_of=AS_OF))
    assert named.findings and list(map(key, named.findings)) == list(map(key, whole.findings))


@pytest.mark.slow
@pytest.mark.parametrize("indexed", [False, True], ids=["no index", "warm index"])
def test_each_file_of_the_sample_as_the_whole_run(indexed, tmp_path):
    index = tmp_path / "index" if indexed else None
    assert_each_file_as_the_whole_run(REPO, sorted((REPO / "policies").rglob("*.yaml")), index)


@pytest.mark.slow
@pytest.mark.parametrize("indexed", [False, True], ids=["no index", "warm index"])
def test_each_file_of_a_dense_generated_corpus_as_the_whole_run(indexed, tmp_path):
    corpus_gen.write(corpus_gen.generate(7, 300, density=10), tmp_path / "policies")
    files = sorted((tmp_path / "policies").rglob("*.yaml"))
    assert_each_file_as_the_whole_run(
        tmp_path, files[::2], tmp_path.parent / f"{tmp_path.name}-index" if indexed else None
    )


def write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_text(textwrap.dedent(text))


POLICY = """\
    coherence: 2
    kind: policy
    id: {id}
    type: law
    status: in_force
    jurisdiction: {{country: {country}, level: national}}
    measures:
      - {{id: M1, effect: require, groups: [{group}], areas: [old_age]{corridor}}}
    """


def policy(record_id: str, country: str, group: str, corridor: str = "") -> str:
    return POLICY.format(id=record_id, country=country, group=group, corridor=corridor)


def write_corridor_from_xaa(root: Path) -> None:
    """Three countries' laws; only XAB's measure names the corridor from XAA (SS007 joins XAA's and XAB's)."""
    write(
        root,
        {
            "policies/xaa.yaml": policy("XAA-SOCIAL-SECURITY-ACT", "XAA", "emigrant"),
            "policies/xab.yaml": policy(
                "XAB-SOCIAL-INSURANCE-LAW", "XAB", "labour_migrant", ", corridor: {origin: XAA, destination: XAB}"
            ),
            "policies/xac.yaml": policy("XAC-SOCIAL-INSURANCE-LAW", "XAC", "labour_migrant"),
        },
    )


def test_a_partner_country_linked_only_by_its_own_corridor_is_evaluated(tmp_path):
    """SS007 joins two countries' policies in their pair shard; here only XAB's measure names the
    corridor from XAA, so a run naming XAA's law must still read XAB's records, and no others'."""
    write_corridor_from_xaa(tmp_path)
    whole = lint(Settings(cwd=tmp_path, as_of=AS_OF))
    assert [(f.rule, f.records) for f in whole.findings] == [
        ("SS007", ("XAA-SOCIAL-SECURITY-ACT", "XAB-SOCIAL-INSURANCE-LAW"))
    ]
    one = lint(Settings(cwd=tmp_path, as_of=AS_OF, targets=[tmp_path / "policies/xaa.yaml"]))
    assert list(map(key, one.findings)) == list(map(key, whole.findings))
    assert (whole.records, one.records) == (3, 2)  # XAC's law is neither validated nor evaluated


@pytest.mark.parametrize("entries", ["kept", "damaged"])
def test_a_run_naming_a_file_reads_the_index_entries_only_of_the_files_it_needs(tmp_path, monkeypatch, entries):
    """With a warm index, a run naming XAA's law reads the entries of XAA's and XAB's files (their
    pair shard is evaluated) and takes XAC's law from its summary: its entry is never read, nor its
    file parsed. Entries damaged since are misses: then the files it needs are parsed."""
    write_corridor_from_xaa(tmp_path)
    index = tmp_path.parent / f"{tmp_path.name}-index"
    whole = lint(Settings(cwd=tmp_path, as_of=AS_OF, cache_dir=index))
    if entries == "damaged":
        for entry_key in index_rows(index):
            set_index_row(index, entry_key, "{}")
    read, parsed = [], []
    files, parse = CorpusIndex.files, load._parse
    monkeypatch.setattr(CorpusIndex, "files", lambda self, wanted: read.extend(wanted) or files(self, wanted))
    monkeypatch.setattr(load, "_parse", lambda data, shown, *rest: parsed.append(shown) or parse(data, shown, *rest))
    one = lint(Settings(cwd=tmp_path, as_of=AS_OF, targets=[tmp_path / "policies/xaa.yaml"], cache_dir=index))
    assert list(map(key, one.findings)) == list(map(key, whole.findings)) and whole.findings
    assert len(read) == 2 and one.records == 2
    assert sorted(p for p in parsed if p.startswith("policies/")) == (
        [] if entries == "kept" else ["policies/xaa.yaml", "policies/xab.yaml"]
    )


def test_a_warm_run_naming_a_file_after_edits_elsewhere_is_the_run_without_the_index(tmp_path, monkeypatch):
    """The index's summaries say where each file's records go. After each edit (a record of another
    country linked to the named file's by a corridor, one unlinked, one broken, the named file's own
    corridor), a warm run naming XAA's law reports what a run without the index does, over the same
    records; XAD's law, linked to none, is never read (neither its entry nor its text parsed)."""
    write_corridor_from_xaa(tmp_path)
    write(tmp_path, {"policies/xad.yaml": policy("XAD-SOCIAL-INSURANCE-LAW", "XAD", "labour_migrant")})
    index = tmp_path.parent / f"{tmp_path.name}-index"
    lint(Settings(cwd=tmp_path, as_of=AS_OF, cache_dir=index))
    read = []
    parse, from_index = load._parse, load._from_index
    monkeypatch.setattr(load, "_parse", lambda data, shown, *rest: read.append(shown) or parse(data, shown, *rest))
    monkeypatch.setattr(
        load, "_from_index", lambda hit, data, shown, *rest: read.append(shown) or from_index(hit, data, shown, *rest)
    )
    corridor = ", corridor: {{origin: XAA, destination: {}}}"
    linked = policy("XAC-SOCIAL-INSURANCE-LAW", "XAC", "labour_migrant", corridor.format("XAC"))
    edits = [
        ("xac", linked),
        ("xab", policy("XAB-SOCIAL-INSURANCE-LAW", "XAB", "labour_migrant")),
        ("xac", linked.replace("effect: require", "effect: requires")),
        ("xaa", policy("XAA-SOCIAL-SECURITY-ACT", "XAA", "emigrant", corridor.format("XAB"))),
    ]
    reported = set()
    for name, text in edits:
        write(tmp_path, {f"policies/{name}.yaml": text})
        target = [tmp_path / "policies/xaa.yaml"]
        warm = lint(Settings(cwd=tmp_path, as_of=AS_OF, targets=target, cache_dir=index))
        assert "policies/xad.yaml" not in read, name
        cold = lint(Settings(cwd=tmp_path, as_of=AS_OF, targets=target))
        read.clear()
        assert list(map(key, warm.findings)) == list(map(key, cold.findings)), name
        assert warm.records == cold.records < 4, name
        reported |= {f.rule for f in warm.findings}
    assert reported == {"SS007"}


def test_a_schema_error_elsewhere_is_not_read_and_one_in_the_target_is(tmp_path):
    broken = policy("XAC-LAW", "XAC", "labour_migrant").replace("effect: require", "effect: requires")
    write(tmp_path, {"policies/xaa.yaml": broken.replace("XAC", "XAA"), "policies/xac.yaml": broken})
    whole = lint(Settings(cwd=tmp_path, as_of=AS_OF))
    assert sorted((f.rule, f.location.path) for f in whole.findings) == [
        ("E002", "policies/xaa.yaml"),
        ("E002", "policies/xac.yaml"),
    ]
    one = lint(Settings(cwd=tmp_path, as_of=AS_OF, targets=[tmp_path / "policies/xaa.yaml"]))
    assert [(f.rule, f.location.path) for f in one.findings] == [("E002", "policies/xaa.yaml")]


@pytest.mark.parametrize("first_valid", [True, False])
def test_a_duplicate_id_in_another_country_is_still_e003_and_the_first_valid_record_counts(tmp_path, first_valid):
    """The first file (by path) holding an id is the record, even in a country the run does not
    evaluate; an invalid first one leaves it to the next."""
    first = policy("XAA-LAW", "XAC", "labour_migrant")
    if not first_valid:
        first = first.replace("effect: require", "effect: requires")
    write(
        tmp_path,
        {
            "policies/a.yaml": first,
            "policies/b.yaml": policy("XAA-LAW", "XAA", "emigrant"),
            "policies/c.yaml": policy("XAB-LAW", "XAB", "labour_migrant", ", corridor: {origin: XAA}"),
        },
    )
    whole = lint(Settings(cwd=tmp_path, as_of=AS_OF))
    assert ("SS007" in {f.rule for f in whole.findings}) is not first_valid
    assert "E003" in {f.rule for f in whole.findings}
    for target in ("b.yaml", "c.yaml"):
        one = lint(Settings(cwd=tmp_path, as_of=AS_OF, targets=[tmp_path / "policies" / target]))
        shown = f"policies/{target}"
        expected = [key(f.anchored({shown})) for f in whole.findings if any(loc.path == shown for loc in f.locations)]
        assert sorted(map(key, one.findings)) == sorted(expected), target


def test_a_corridor_listing_several_countries_links_each_of_them(tmp_path):
    """A measure on the corridor to [XAB, XAC] reaches XAB: the pair XAA|XAB is evaluated."""
    write(
        tmp_path,
        {
            "policies/xaa.yaml": policy(
                "XAA-SOCIAL-SECURITY-ACT", "XAA", "emigrant", ", corridor: {origin: XAA, destination: [XAB, XAC]}"
            ),
            "policies/xab.yaml": policy("XAB-SOCIAL-INSURANCE-LAW", "XAB", "labour_migrant"),
        },
    )
    whole = lint(Settings(cwd=tmp_path, as_of=AS_OF))
    assert [(f.rule, f.records) for f in whole.findings] == [
        ("SS007", ("XAA-SOCIAL-SECURITY-ACT", "XAB-SOCIAL-INSURANCE-LAW"))
    ]


def test_a_reference_elsewhere_to_the_wrong_kind_of_record_in_the_target_is_reported(tmp_path):
    """A run naming a file checks the references of its records and of the records that name an id
    it holds: a law named as another country's lead agency is an E004 that points into the named
    file. A reference elsewhere that names no record points into no named file."""
    write(
        tmp_path,
        {
            "policies/xaa.yaml": policy("XAA-LAW", "XAA", "emigrant"),
            "policies/xac.yaml": policy("XAC-LAW", "XAC", "labour_migrant") + "lead_agency: XAA-LAW\n",
            "policies/xad.yaml": policy("XAD-LAW", "XAD", "labour_migrant") + "lead_agency: XAD-NOBODY\n",
        },
    )
    whole = lint(Settings(cwd=tmp_path, as_of=AS_OF))
    assert sorted((f.rule, f.location.path) for f in whole.findings if f.rule == "E004") == [
        ("E004", "policies/xac.yaml"),
        ("E004", "policies/xad.yaml"),
    ]
    one = lint(Settings(cwd=tmp_path, as_of=AS_OF, targets=[tmp_path / "policies/xaa.yaml"]))
    shown = "policies/xaa.yaml"
    expected = [key(f.anchored({shown})) for f in whole.findings if any(loc.path == shown for loc in f.locations)]
    assert [f.rule for f in one.findings] == ["E004"] and sorted(map(key, one.findings)) == sorted(expected)
