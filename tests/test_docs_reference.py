"""docs/record-format.md is the record-format reference: it must name every field of every record
model (walking the pydantic models of coherence_rules/schema.py, YAML aliases included), give every
vocabulary value of coherence_rules/vocab.py a row of its own (a one-line meaning), draw the group and
area trees as they are, and list the blocs."""

import re
from pathlib import Path

import pytest
from pydantic import BaseModel, RootModel

from coherence_rules import parties, schema, vocab

DOC = Path(__file__).resolve().parents[1] / "docs" / "record-format.md"
TEXT = DOC.read_text(encoding="utf-8")
PROSE = re.sub(r"```.*?```", "", TEXT, flags=re.DOTALL)  # fenced blocks would pair their backticks wrongly
# Words written as code (`...`) anywhere in the reference.
CODE_WORDS = {word for span in re.findall(r"`([^`]+)`", PROSE) for word in re.findall(r"[A-Za-z0-9_-]+", span)}
# Values that have a table row of their own: "| `value` |".
ROWS = set(re.findall(r"^\| `([^`]+)` \|", TEXT, flags=re.MULTILINE))


def models() -> list[type[BaseModel]]:
    found = [
        obj
        for obj in vars(schema).values()
        if isinstance(obj, type) and issubclass(obj, BaseModel) and not issubclass(obj, RootModel)
    ]
    assert schema.Policy in found and schema.QualifiedGroup in found
    return found


def field_keys() -> set[tuple[str, str]]:
    """(model, the key a record writes) for every field: the alias where there is one (`from`, `not`)."""
    return {(model.__name__, info.alias or name) for model in models() for name, info in model.model_fields.items()}


def vocabulary_values() -> set[str]:
    values: set[str] = set()
    for name, value in vars(vocab).items():
        if name.isupper() and isinstance(value, tuple) and all(isinstance(v, str) for v in value):
            values.update(value)
    values.update(vocab.GROUPS.nodes, vocab.AREAS.nodes, schema.C118_BRANCHES)
    return values


def drawn(tree: vocab.Tree, depth: int = 0) -> list[str]:
    lines = []
    for node, children in tree.items():
        lines.append("  " * depth + node)
        lines += drawn(children, depth + 1)
    return lines


@pytest.mark.parametrize("model, key", sorted(field_keys()))
def test_every_schema_field_is_in_the_reference(model, key):
    assert key in CODE_WORDS, f"{model}.{key} is not named (as `{key}`) in docs/record-format.md"


@pytest.mark.parametrize("value", sorted(vocabulary_values()))
def test_every_vocabulary_value_has_a_row_with_its_meaning(value):
    assert value in ROWS, f"'{value}' has no table row ('| `{value}` | meaning |') in docs/record-format.md"


@pytest.mark.parametrize("tree", [vocab.GROUP_TREE, vocab.AREA_TREE], ids=["groups", "areas"])
def test_the_trees_are_drawn_as_they_are(tree):
    blocks = re.findall(r"```text\n(.*?)```", TEXT, flags=re.DOTALL)
    assert "\n".join(drawn(tree)) + "\n" in blocks


def test_the_v2_words_are_marked():
    for word in vocab.V2_WORDS:
        row = next(line for line in TEXT.splitlines() if line.startswith(f"| `{word}` |"))
        assert "**v2**" in row, row


def test_the_blocs_and_party_forms_are_listed():
    assert set(parties.BLOCS) <= ROWS
    assert "CAN-QC" in CODE_WORDS and "unknown" in CODE_WORDS


def test_the_reference_is_in_the_repository_and_the_readme_points_to_it():
    readme = (DOC.parents[1] / "README.md").read_text(encoding="utf-8")
    assert "docs/record-format.md" in readme
    assert "../shared" not in readme and "design/" not in readme
