"""The benchmark's floor is the shared one (issue 13): bench/floor.py is a byte-for-byte copy of
../shared/bench/floor.py, kept so that a clone without ../shared can still run `make bench`."""

from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SHARED = REPO.parent / "shared" / "bench" / "floor.py"


@pytest.mark.skipif(not SHARED.is_file(), reason="no ../shared/bench/floor.py beside the checkout")
def test_floor_is_the_shared_floor_unchanged():
    assert (REPO / "bench" / "floor.py").read_bytes() == SHARED.read_bytes(), (
        f"bench/floor.py differs from {SHARED}: copy it again, unchanged")
