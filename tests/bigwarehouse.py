"""A warehouse at the real scale, for the report's tests: every place (56) for every year
2014-2024 (616 sheets, bench/archive.py's distinct archive), with what a real archive also holds
planted in it:

- DUPLICATES: the same place and year in two more files whose bytes differ (values agree), so the
  key has three sources and must be drawn once;
- OVER_NATIONAL: a state figure above the national one (`state_within_national`), in place of
  that sheet, so the key has no fact and its value must never be drawn;
- NOT_ADDING_UP: a missing-children table whose rows do not add up (`breakdown_sums`), in place
  of that sheet;
- CONFLICT: a second sheet of a key that states another figure: a tie, so `sources_agree`
  rejects it and there is no fact;
- a file that is no fact sheet.

Built by the library's run (no Prefect), about ten seconds on these machines.
"""

from __future__ import annotations

import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "bench"))

import archive  # noqa: E402  (bench/archive.py: the 616 sheets)

DUPLICATES = ("WI", 2024)
OVER_NATIONAL = ("AK", 2024, "team_hope_families_supported", 99_000)
NOT_ADDING_UP = ("NV", 2023)
CONFLICT = ("OH", 2023, "cst_social_service_engagements")
SHEETS = len(archive.sheets())


def _index(geo: str, year: int) -> int:
    return next(i for i, (g, y, _) in enumerate(archive.sheets()) if (g, y) == (geo, year))


def _replace_once(text: str, old: str, new: str) -> str:
    if text.count(old) != 1:
        raise AssertionError(f"{old!r} is in the sheet {text.count(old)} times, not once")
    return text.replace(old, new)


def raw_folder(raw: Path) -> Path:
    """Write the archive with its planted cases into the new folder raw."""
    raw.mkdir(parents=True)
    files = {name: data.decode("utf-8") for name, data in map(archive.sheet, range(SHEETS))}
    values = {(g, y): archive._values(g, y) for g, y, _ in archive.sheets()}

    geo, year = DUPLICATES
    for variant in (1, 2):
        name, data = archive.sheet(_index(geo, year) + variant * SHEETS)
        files[name] = data.decode("utf-8")

    geo, year, metric, figure = OVER_NATIONAL
    name = f"{year}_{geo}_v0000.txt"
    files[name] = _replace_once(files[name], f"including {values[geo, year][metric]} survivors",
                                f"including {figure:,} survivors")

    geo, year = NOT_ADDING_UP
    name = f"{year}_{geo}_v0000.txt"
    other = values[geo, year]["missing_other"]
    files[name] = _replace_once(files[name], f"Other Missing Children Cases\t{other}",
                                f"Other Missing Children Cases\t{other + 5}")

    geo, year, metric = CONFLICT
    name = f"{year}_{geo}_v0000.txt"
    stated = values[geo, year][metric]
    files[f"{year}_{geo}_reissued.txt"] = _replace_once(files[name], f"had {stated} engagement",
                                                         f"had {stated + 7} engagement")

    files["not_a_sheet.txt"] = "Minutes of the parent-teacher association, March meeting.\n"
    for name, text in files.items():
        (raw / name).write_text(text, "utf-8")
    return raw


def build(folder: Path) -> Path:
    """The warehouse folder/warehouse/ncmec.duckdb, loaded from folder/raw by one run."""
    from pipelines.orchestration.run import run

    raw = raw_folder(folder / "raw")
    (folder / "warehouse").mkdir()
    db = folder / "warehouse" / "ncmec.duckdb"
    run(raw, db)
    return db


if __name__ == "__main__":  # python tests/bigwarehouse.py FOLDER: build it by hand, to look at
    print(build(Path(sys.argv[1])))
