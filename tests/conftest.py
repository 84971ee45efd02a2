import datetime as dt
import textwrap
from pathlib import Path

import pytest

from coherence_rules import Settings, lint

AS_OF = dt.date(2026, 11, 23)


@pytest.fixture
def corpus(tmp_path):
    """Write files (name -> text, dedented) under a temporary root and lint them."""
    def write(files: dict, **settings):
        for name, text in files.items():
            path = tmp_path / name
            path.parent.mkdir(parents=True, exist_ok=True)
            if isinstance(text, bytes):
                path.write_bytes(text)
            else:
                path.write_text(textwrap.dedent(text), encoding="utf-8")
        settings.setdefault("as_of", AS_OF)
        return lint(Settings(corpus=[tmp_path], cwd=tmp_path, **settings))
    write.root = tmp_path
    return write


def summary(report):
    return [(f.rule, f.location.path, f.location.line) for f in report.findings]
