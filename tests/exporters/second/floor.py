#!/usr/bin/env python3
"""Writes floor.json: for each file of this corpus, the values the extractor reads today.

This is a regression floor, not the expected values (those are in out/*.expected.json, from
the sheets' sources). tests/test_exporters.py holds every file to: no value read differently
from its sheet, and every value in the floor still read. Re-run after the extractor reads more:

    .venv/bin/python tests/exporters/second/floor.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[2]), str(HERE.parents[1])]

from checking import validated  # noqa: E402  (tests/checking.py: every check a run makes)

from pipelines.extract.sheet import parse_bytes  # noqa: E402


def inputs() -> dict[str, str]:
    """Each file (tool output or PDF), and the sheet it was made from."""
    sheets = [p.name.removesuffix(".expected.json") for p in (HERE / "out").glob("*.expected.json")]
    files = {p.name: p.name.split(".")[0] for p in (HERE / "out").iterdir() if not p.name.endswith(".json")}
    files |= {f"pdf/{p.name}": p.stem for p in (HERE / "pdf").glob("*.pdf")}
    assert set(files.values()) <= set(sheets)
    return dict(sorted(files.items()))


def read(name: str) -> list[list[str]]:
    path = HERE / (name if name.startswith("pdf/") else f"out/{name}")
    doc = parse_bytes(path.read_bytes(), path.name)
    sheet = json.loads((HERE / "out" / f"{inputs()[name]}.expected.json").read_text("utf-8"))
    want = {(o["geo"], o["metric"]): (o["year"], float(o["value"]), o["qualifier"]) for o in sheet["observations"]}
    rejected = {(r.geo, r.metric) for r in validated([doc], "floor").rejections.itertuples()}
    return sorted([geo, metric] for (geo, metric) in want
                  if (geo, metric) not in rejected and any(
                      (o.geo, o.metric) == (geo, metric) and (o.year, o.value, o.qualifier) == want[geo, metric]
                      for o in doc.observations))


if __name__ == "__main__":
    floor = {name: read(name) for name in inputs()}
    (HERE / "floor.json").write_text(json.dumps(floor, indent=0) + "\n", "utf-8")
    print(f"floor.json: {sum(map(len, floor.values()))} values read in {len(floor)} files")
