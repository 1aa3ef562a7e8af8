#!/usr/bin/env python3
"""Writes a held-out corpus's floor.json: for each file, the values the extractor reads today.

The second and third corpora (tests/exporters/second/, third/) are held out: no file of theirs
states what the extractor must read, only what the sheet states (out/*.expected.json, from the
sheets' sources). floor.json is a regression floor: tests/test_exporters.py holds every file to
no value read differently from its sheet, and every value in the floor still read. Re-run after
the extractor reads more:

    .venv/bin/python tests/exporters/floor.py second third
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path[:0] = [str(HERE.parents[1]), str(HERE.parent)]

from checking import validated  # noqa: E402  (tests/checking.py: every check a run makes)

from pipelines.extract.sheet import parse_bytes  # noqa: E402


def inputs(corpus: Path) -> dict[str, str]:
    """Each file of the corpus (tool output or PDF), and the sheet it was made from."""
    sheets = [p.name.removesuffix(".expected.json") for p in (corpus / "out").glob("*.expected.json")]
    files = {p.name: p.name.split(".")[0] for p in (corpus / "out").iterdir() if not p.name.endswith(".json")}
    files |= {f"pdf/{p.name}": p.stem for p in (corpus / "pdf").glob("*.pdf")}
    assert set(files.values()) <= set(sheets)
    return dict(sorted(files.items()))


def expected(corpus: Path, name: str) -> dict[tuple[str, str], tuple]:
    """What the sheet of a file states: (geo, metric) -> (year, value, qualifier)."""
    sheet = json.loads((corpus / "out" / f"{name.removeprefix('pdf/').split('.')[0]}.expected.json").read_text("utf-8"))
    return {(o["geo"], o["metric"]): (o["year"], float(o["value"]), o["qualifier"]) for o in sheet["observations"]}


def read(corpus: Path, name: str) -> list[list[str]]:
    """The sheet's values that the file gives as the sheet states them, and no check rejects."""
    path = corpus / (name if name.startswith("pdf/") else f"out/{name}")
    doc = parse_bytes(path.read_bytes(), path.name)
    want = expected(corpus, name)
    rejected = {(r.geo, r.metric) for r in validated([doc], "floor").rejections.itertuples()}
    return sorted([geo, metric] for (geo, metric) in want
                  if (geo, metric) not in rejected and any(
                      (o.geo, o.metric) == (geo, metric) and (o.year, o.value, o.qualifier) == want[geo, metric]
                      for o in doc.observations))


def main(names: list[str]) -> int:
    for corpus in (HERE / name for name in names or ["second", "third"]):
        floor = {name: read(corpus, name) for name in inputs(corpus)}
        (corpus / "floor.json").write_text(json.dumps(floor, indent=0) + "\n", "utf-8")
        read_, stated = sum(map(len, floor.values())), sum(len(expected(corpus, name)) for name in floor)
        print(f"{corpus.name}/floor.json: {read_} of {stated} values read in {len(floor)} files")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
