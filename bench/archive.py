"""Consistent synthetic archives of N fact sheets for the benchmark, each one flat folder.

Every place (50 states, DC, 5 territories) for every year 2014-2024 is one distinct sheet
(616 in all): values whose breakdown rows sum to their totals, national figures that agree
within a year and a cumulative CVIP total that rises. Two archives, both flat (the shared floor
lists one folder and does not recurse):

- distinct: N files whose bytes all differ. Each place-year is rendered in many cosmetic
  variants (bold, line endings, wrap width, table separator, trailing newline, curly quotes,
  leading blank lines: 1,920 combinations), so the bytes differ but the values agree.
- crawl: a daily crawl that keeps every download: N files that are byte-identical copies of
  the 616 sheets (or of N of them when N is smaller).

    python bench/archive.py distinct|crawl N OUT_DIR
"""

from __future__ import annotations

import hashlib
import random
import shutil
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "variants"))
sys.path.insert(0, str(REPO))

import render  # noqa: E402  (the corpus renderer: the seeds' template with cosmetic switches)

from pipelines.core import catalog  # noqa: E402

YEARS = range(2014, 2025)
ARTICLE = {"DC": "the ", "VI": "the ", "MP": "the "}
# Cosmetic dimensions, each a list of render() keyword values. Table separators are whitespace
# only: the floor's table patterns expect whitespace between a label and its number (as in the
# real sheets), so every variant gives the floor all its values too.
DIMENSIONS: list[tuple[str, list[object]]] = [
    ("bold", ["sentence", "none", "number", "place", "span"]),
    ("newline", ["\n", "\r\n"]),
    ("wrap", [None, 64, 72, 80]),
    ("table_sep", ["\t", "pad", "  ", " \t"]),
    ("trailing_newline", [False, True]),
    ("curly", [False, True]),
    ("leading_blank_lines", [4, 0, 2]),
]
VARIANTS = 1
for _, _choices in DIMENSIONS:
    VARIANTS *= len(_choices)
STRIDE = 7919  # a prime that does not divide VARIANTS: consecutive variants differ in every dimension


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
    """The 616 distinct sheets: (geo, year, place name)."""
    return [(g.geo, year, g.name) for year in YEARS for g in catalog.geos() if g.kind != "nation"]


def cosmetic(variant: int) -> dict[str, object]:
    """The render() options of a variant number (0 is the seeds' own look)."""
    code, options = (variant * STRIDE) % VARIANTS, {}
    for name, choices in DIMENSIONS:
        code, pick = divmod(code, len(choices))
        options[name] = choices[pick]
    return options


def sheet(i: int) -> tuple[str, bytes]:
    """File i of the distinct archive: its flat name and bytes (place-years cycle, then variants)."""
    distinct = sheets()
    geo, year, name = distinct[i % len(distinct)]
    variant = i // len(distinct)
    if variant >= VARIANTS:
        raise ValueError(f"at most {len(distinct) * VARIANTS:,} byte-distinct sheets")
    text = render.render(name, year, _values(geo, year), article=ARTICLE.get(geo, ""), **cosmetic(variant))
    return f"{year}_{geo}_v{variant:04d}.txt", text.encode("utf-8")


def generate_distinct(n: int, out: Path) -> int:
    """Write n byte-distinct sheets into the flat folder out; check that no two are equal."""
    out.mkdir(parents=True, exist_ok=True)
    digests = set()
    for i in range(n):
        name, data = sheet(i)
        digests.add(hashlib.sha256(data).digest())
        (out / name).write_bytes(data)
    if len(digests) != n:
        raise AssertionError(f"{n - len(digests)} of {n:,} sheets are byte-identical to another")
    return n


def generate_crawl(n: int, out: Path) -> int:
    """Write n files into the flat folder out: day after day, a copy of each of the 616 sheets."""
    out.mkdir(parents=True, exist_ok=True)
    distinct = [sheet(i) for i in range(min(n, len(sheets())))]
    for i in range(n):
        name, data = distinct[i % len(distinct)]
        (out / f"day{i // len(distinct):04d}_{name}").write_bytes(data)
    return n


GENERATORS = {"distinct": generate_distinct, "crawl": generate_crawl}


def generator_key() -> str:
    """Changes whenever the bytes an archive would hold may change: this file and the renderer."""
    h = hashlib.sha256()
    for path in (Path(__file__), REPO / "tests" / "variants" / "render.py"):
        h.update(path.read_bytes())
    return h.hexdigest()[:12]


def cached(kind: str, n: int, work: Path) -> Path:
    """The archive's folder under work, generated unless this generator made it already.

    A marker beside the folder (never inside: the folder is read whole) names the generator.
    Archives of the same kind and size from another generator are removed."""
    key = generator_key()
    folder, done = work / f"archive-{kind}-{n}-{key}", work / f"archive-{kind}-{n}-{key}.done"
    if folder.is_dir() and done.is_file():
        return folder
    for stale in work.glob(f"archive-{kind}-{n}-*"):
        if stale.is_dir():
            shutil.rmtree(stale)
        else:
            stale.unlink()
    GENERATORS[kind](n, folder)
    done.write_text(f"{n} files\n", "utf-8")
    return folder


if __name__ == "__main__":
    print(GENERATORS[sys.argv[1]](int(sys.argv[2]), Path(sys.argv[3])), "files")
