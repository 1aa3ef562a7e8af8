"""A consistent synthetic archive of N fact sheets for the benchmark.

Every place (50 states, DC, 5 territories) for every year 2014-2024 is one distinct sheet
(616 in all): values whose breakdown rows sum to their totals, national figures that agree
within a year and a cumulative CVIP total that rises. A daily crawl keeps a copy of every
download, so each sheet appears as several snapshots that differ in bytes (wrapping, bold,
line endings, table separators) but not in values: `raw/<year>/<geo>/<snapshot>.txt`.

    python bench/archive.py N OUT_DIR
"""

from __future__ import annotations

import random
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "variants"))
sys.path.insert(0, str(REPO))

import render  # noqa: E402  (the corpus renderer: the seeds' template with cosmetic switches)

from pipelines import catalog  # noqa: E402

YEARS = range(2014, 2025)
ARTICLE = {"DC": "the ", "VI": "the ", "MP": "the "}
COSMETICS = [
    {},
    {"bold": "none", "newline": "\r\n"},
    {"wrap": 72, "table_sep": " : "},
    {"bold": "number", "wrap": 80, "trailing_newline": True},
    {"bold": "place", "table_sep": "pad", "curly": True},
    {"wrap": 64, "newline": "\r\n", "leading_blank_lines": 0},
    {"bold": "span", "table_sep": ":"},
]


def _national(year: int) -> dict:
    """National figures for a year the renderer does not know: exact, rising with the year."""
    k = year - 2014
    n = dict(reports=8_000_000 + 1_500_000 * k, pieces=20_000_000 + 5_000_000 * k, cvip=12_000 + 1_400 * k,
             mc=24_000 + 300 * k, ss=18_000 + 250 * k, pct=10 + k // 2, cst=12_000 + 500 * k,
             hope=4_000 + 100 * k, connect=5_000 + 800 * k)
    f = lambda v: f"{v:,}"  # noqa: E731
    return {
        "ctl": f"the CyberTipline received {f(n['reports'])} reports related to child sexual exploitation, "
               f"containing {f(n['pieces'])} images, videos and other files.",
        "cvip": f(n["cvip"]), "mc": f(n["mc"]), "ss": f(n["ss"]), "pct": str(n["pct"]),
        "cst": f(n["cst"]), "hope": f(n["hope"]), "connect": f(n["connect"]),
        "obs": [("cybertipline_reports_received", n["reports"], "exact"),
                ("cybertipline_content_pieces", n["pieces"], "exact"),
                ("cvip_children_identified_cumulative", n["cvip"], "exact"),
                ("missing_child_cases", n["mc"], "exact"), ("missing_from_social_services", n["ss"], "exact"),
                ("cst_likely_victim_share_pct", n["pct"], "exact"), ("cst_reports_received", n["cst"], "exact"),
                ("team_hope_families_supported", n["hope"], "exact"),
                ("connect_registered_users", n["connect"], "exact")],
    }


for _year in YEARS:
    render.NATIONAL.setdefault(_year, _national(_year))


def _values(geo: str, year: int) -> dict:
    rng = random.Random(f"{geo}-{year}")
    parts = [rng.randint(0, 1200), rng.randint(0, 400), rng.randint(0, 60)]
    return dict(zip(render.STATE_METRICS, (
        rng.randint(100, 90_000), rng.randint(0, 300), sum(parts), *parts, rng.randint(0, 150),
        rng.randint(0, 300), rng.randint(0, 200), rng.randint(0, 5), rng.randint(0, 800)), strict=True))


def sheets() -> list[tuple[str, int, str]]:
    return [(g.geo, year, g.name) for year in YEARS for g in catalog.geos() if g.kind != "nation"]


def generate(n: int, out: Path) -> int:
    """Write n files (snapshots cycle over the distinct sheets); return how many were written."""
    out.mkdir(parents=True, exist_ok=True)
    distinct = sheets()
    for i in range(n):
        geo, year, name = distinct[i % len(distinct)]
        snapshot = i // len(distinct)
        cosmetic = COSMETICS[snapshot % len(COSMETICS)]
        text = render.render(name, year, _values(geo, year), article=ARTICLE.get(geo, ""), **cosmetic)
        # Later snapshots of the same cosmetic differ by a trailing comment-free blank line count.
        text += "\n" * (snapshot // len(COSMETICS))
        path = out / str(year) / geo / f"snapshot-{snapshot:04d}.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(text.encode("utf-8"))
    return n


if __name__ == "__main__":
    print(generate(int(sys.argv[1]), Path(sys.argv[2])), "files")
