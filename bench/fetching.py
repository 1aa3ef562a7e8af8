"""`ncmec fetch` at the real scale: the 56 sheets of a year as PDFs on a web server on 127.0.0.1
(tests/sheetserver.py, a thread of this process), fetched into an empty raw folder (56 new), then
fetched again (56 conditional requests answered 304); and, in the same run, the floor reading the
same 56 sheets, as text, from disk (the floor fetches nothing: it is the bare cost of loading them).
`--delay 0`: the default second between two requests to one server is politeness, not work, and
would add 55 s to each fetch of 56."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

import archive
from endtoend import run_floor
from measure import BIN, log, measure, median

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

from sheetserver import SheetServer  # noqa: E402
from test_pdf import RENDERINGS, render  # noqa: E402

YEAR = 2024


def _sheets(folder: Path) -> dict[str, tuple[bytes, bytes]]:
    """The year's sheets: name -> (text, PDF); the text written to `folder` for the floor."""
    folder.mkdir(parents=True)
    found = {}
    for i, (_, year, _) in enumerate(archive.sheets()):
        if year == YEAR:
            name, text = archive.sheet(i)
            (folder / name).write_bytes(text)
            found[name.removesuffix(".txt")] = (text, render(text.decode("utf-8"), **RENDERINGS["a4_ragged"]))
    return found


def fetch_at_scale(work: Path, repeat: int) -> dict[str, Any]:
    folder = work / "fetch-scale"
    shutil.rmtree(folder, ignore_errors=True)
    sheets = _sheets(folder / "text")
    rounds: dict[str, list[float]] = {"first": [], "again": [], "floor": []}
    with SheetServer() as site:
        listed = folder / "sources.toml"
        for name, (_, pdf) in sheets.items():
            site.serve(f"/sheets/{name}.pdf", pdf)
        listed.write_text("".join(f'[[sheet]]\nurl = "{site.url(f"/sheets/{name}.pdf")}"\n\n' for name in sheets))
        for i in range(max(repeat, 3)):
            raw, db = folder / f"raw-{i}", folder / f"fetch-{i}.duckdb"
            raw.mkdir()
            command = [str(BIN / "ncmec"), "fetch", "--sources", str(listed), "--raw", str(raw), "--db", str(db),
                       "--delay", "0", "--strict"]
            rounds["first"].append(measure(command, dict(os.environ)).seconds)
            rounds["again"].append(measure(command, dict(os.environ)).seconds)
            rounds["floor"].append(run_floor(folder / "text", folder / f"floor-{i}.duckdb")["seconds"])
        unconditional = sum(1 for r in site.log if "If-None-Match" not in r.headers)
    found = {"sheets": len(sheets), "pdf_bytes": sum(len(p) for _, p in sheets.values()),
             "requests": len(site.log), "unconditional": unconditional,
             **{k: median(v) for k, v in rounds.items()}}
    log(f"fetch of {found['sheets']} PDFs: {found['first']:.2f} s, again (304s) {found['again']:.2f} s; "
        f"floor on their text {found['floor']:.2f} s")
    return found
