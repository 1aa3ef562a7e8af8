"""`ncmec report` at the real scale: 56 places over eleven years (tests/bigwarehouse.py: the 616
sheets of the archive, with a duplicated key, rejected values and a conflict planted), its wall
time and the page's size, against issue 22's bounds."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path
from typing import Any

from measure import BIN, log, measure, median

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests"))

import bigwarehouse  # noqa: E402

LIMIT_S, LIMIT_BYTES = 15.0, 3_000_000


def report_at_scale(work: Path, repeat: int) -> dict[str, Any]:
    folder = work / "report-scale"
    shutil.rmtree(folder, ignore_errors=True)
    folder.mkdir(parents=True)
    db = bigwarehouse.build(folder)
    out = folder / "report.html"
    runs = [measure([str(BIN / "ncmec"), "report", "--db", str(db), "--out", str(out)], dict(os.environ))
            for _ in range(max(repeat, 3))]
    found = {"sheets": len(list((folder / "raw").iterdir())), "seconds": median([m.seconds for m in runs]),
             "peak_mib": median([m.peak_mib for m in runs]), "bytes": out.stat().st_size}
    log(f"report of {found['sheets']} sheets: {found['seconds']:.1f} s, {found['bytes']:,} bytes, "
        f"{found['peak_mib']:,.0f} MiB")
    return found
