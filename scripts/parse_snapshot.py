"""What the extractor makes of every corpus file, written down so that a faster extractor can be
held to exactly the same output (tests/test_parse_snapshot.py).

Every input the tests read: the seeds, the variant corpus, both exporter corpora (tools' text,
markdown, HTML and the PDFs themselves). For each file: the document's place, year, encoding or
rejection, and every observation and problem with all its fields, evidence and offsets included.

    python scripts/parse_snapshot.py          # write tests/snapshot/parsed.json.gz
    python scripts/parse_snapshot.py --check  # exit 1 if the extractor's output differs
"""

from __future__ import annotations

import argparse
import dataclasses
import gzip
import json
import sys
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pipelines.core.documents import ParsedDocument

REPO = Path(__file__).resolve().parents[1]
SNAPSHOT = REPO / "tests" / "snapshot" / "parsed.json.gz"
CORPORA = ("raw", "tests/variants", "tests/exporters/out", "tests/exporters/pdf",
           "tests/exporters/second/out", "tests/exporters/second/pdf")


def inputs() -> list[Path]:
    """Every corpus file, but the expected-value files beside them."""
    return sorted(p for folder in CORPORA for p in (REPO / folder).iterdir()
                  if p.is_file() and not p.name.endswith((".expected.json", ".py")) and p.name != "README.md")


def parsed(path: Path) -> dict:
    from pipelines.extract.sheet import parse_file

    return fields(parse_file(path))


def fields(doc: ParsedDocument) -> dict:
    """Every field of a parse that the snapshot holds."""
    return {"encoding": doc.encoding, "geo": doc.geo, "year": doc.year,
            "rejected_check": doc.rejected_check, "rejected_reason": doc.rejected_reason,
            "observations": [dataclasses.asdict(o) for o in doc.observations],
            "problems": [dataclasses.asdict(p) for p in doc.problems]}


def snapshot() -> dict[str, dict]:
    return {str(p.relative_to(REPO)): parsed(p) for p in inputs()}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="compare with the committed snapshot")
    args = parser.parse_args()
    sys.path.insert(0, str(REPO))
    now = snapshot()
    if args.check:
        before = json.loads(gzip.decompress(SNAPSHOT.read_bytes()))
        changed = sorted(k for k in before.keys() | now.keys() if before.get(k) != now.get(k))
        for name in changed:
            print(f"changed: {name}")
        return 1 if changed else 0
    SNAPSHOT.parent.mkdir(exist_ok=True)
    data = json.dumps(now, indent=1, sort_keys=True, ensure_ascii=False).encode()
    SNAPSHOT.write_bytes(gzip.compress(data, mtime=0))
    print(f"{len(now)} files -> {SNAPSHOT.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
