"""The benchmark is fair (issue 13), not fast: nothing here is timed.

bench/floor.py is a byte-for-byte copy of the shared floor (../shared/bench/floor.py), kept so that
a clone without ../shared can still run `make bench`; and the floor reads every sheet of the
benchmark's archives, which are flat, byte-distinct or byte-identical as they say."""

import hashlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "bench" / "floor.py"


@pytest.mark.skipif(not SHARED.is_file(), reason="no ../shared/bench/floor.py beside the checkout")
def test_floor_is_the_shared_floor_unchanged():
    assert (REPO / "bench" / "floor.py").read_bytes() == SHARED.read_bytes(), (
        f"bench/floor.py differs from {SHARED}: copy it again, unchanged")


def _run(*args: str) -> str:
    done = subprocess.run([sys.executable, *args], capture_output=True, text=True, check=True, cwd=REPO)
    return done.stdout


def _digests(folder: Path) -> list[str]:
    files = sorted(folder.iterdir())
    assert files and all(f.is_file() for f in files), "the archive must be one flat folder"
    return [hashlib.sha256(f.read_bytes()).hexdigest() for f in files]


@pytest.mark.parametrize(("kind", "distinct"), [("distinct", 700), ("crawl", 616)])
def test_the_floor_reads_every_sheet_of_the_bench_archives(tmp_path, kind, distinct):
    """A comparison is fair only if the floor's TITLE and YEAR patterns find every sheet we give it.
    700 sheets: every place-year once, then a second cosmetic variant of some."""
    raw = tmp_path / kind
    _run("bench/archive.py", kind, "700", str(raw))
    assert len(set(_digests(raw))) == distinct
    line = _run("bench/floor.py", str(raw), str(tmp_path / "floor.duckdb"))
    assert re.match(r"docs=700 rows=\d+ ", line), line
