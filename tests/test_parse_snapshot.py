"""The extractor's whole output on every corpus file is exactly the committed snapshot.

The snapshot (tests/snapshot/parsed.json.gz, written by scripts/parse_snapshot.py) holds every
field of every observation and problem, offsets and evidence included, for the seeds, the
variant corpus and both exporter corpora. A change made for speed must leave it as it is; a
change meant to read differently rewrites it, and the diff of its values shows what changed.
"""

from __future__ import annotations

import gzip
import json
import sys
from pathlib import Path

import pytest
from conftest import corpus_doc

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "scripts"))
import parse_snapshot  # noqa: E402

BEFORE = json.loads(gzip.decompress(parse_snapshot.SNAPSHOT.read_bytes()))


def test_the_snapshot_covers_every_corpus_file():
    now = {str(p.relative_to(REPO)) for p in parse_snapshot.inputs()}
    assert now == BEFORE.keys()
    assert len(now) > 300


@pytest.mark.parametrize("name", sorted(BEFORE))
def test_parse_is_unchanged(name):
    now = parse_snapshot.fields(corpus_doc(REPO / name))
    before = BEFORE[name]
    for key in before:
        assert now[key] == before[key], f"{name}: {key} differs from tests/snapshot/parsed.json.gz"
