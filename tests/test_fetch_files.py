"""Issue 23: what a fetch may write in the raw folder, and when. A sheet of another place or year
than sources.toml says is not kept; a file that no fetch of the URL wrote, a second URL of the
same name and a symbolic link are never replaced; a killed fetch's leftovers go, a failed write
leaves none; a Ctrl-C keeps what was fetched; a run holding the warehouse holds the fetch off."""

from __future__ import annotations

import errno
import os
import threading

import fetchkit as kit
import pytest
from fetchkit import WI, entries, get, ledger, sha, warehouse

from pipelines.fetch.sources import Sources, sheet
from pipelines.store.lock import WarehouseBusy, run_lock

PATH = "/sheets/wisconsin_2023.pdf"
PDF = kit.wi_pdf


@pytest.fixture
def site(site):
    """The web server (conftest.py), serving Wisconsin's sheet at PATH from the start."""
    site.serve(PATH, PDF())
    return site


def _listed(*sheets) -> Sources:
    return Sources(tuple(sheets), ())


@pytest.mark.parametrize(("geo", "year", "error"), [
    ("IL", None, "holds the sheet of WI 2023, not of IL 2023 as sources.toml says, so it is not kept"),
    ("Wisconsin", 2022, "holds the sheet of WI 2023, not of WI 2022 as sources.toml says, so it is not kept"),
    ("wi", 2023, None),
], ids=["another place", "another year", "as listed"])
def test_a_sheet_of_another_place_or_year_than_listed_is_not_kept(site, raw, db_path, geo, year, error):
    summary = get(raw, db_path, sources=_listed(sheet(site.url(PATH), geo=geo, year=year)))
    (row,) = ledger(db_path)
    if error is None:
        assert (row["status"], row["sha256"]) == ("new", sha(PDF())) and entries(raw)[WI] == PDF()
        return
    assert (row["status"], row["check"], row["http_status"], row["error"]) == ("failed", "wrong_sheet", 200, error)
    assert (row["source_file"], row["sha256"], row["etag"]) == (WI, None, None) and not summary.arrived
    assert entries(raw) == kit.seed_only()
    assert warehouse(raw, db_path)["facts"] == kit.IL_FACTS


def test_a_pdf_that_cannot_be_read_is_kept_for_the_run_to_reject(site, raw, db_path):
    site.serve(PATH, b"%PDF-1.4 nothing readable")
    summary = get(raw, db_path, sources=_listed(sheet(site.url(PATH), geo="IL")))
    assert [(r.status, r.n_bytes) for r in summary.rows] == [("new", 25)]
    assert warehouse(raw, db_path)["documents"][WI][0] == "rejected"


def test_a_file_no_fetch_wrote_is_not_replaced(site, raw, db_path):
    mine = b"%PDF-1.4 the analyst's own copy"
    (raw / WI).write_bytes(mine)
    before = os.stat(raw / WI)
    summary = get(raw, db_path, site.url(PATH))
    (row,) = summary.rows
    assert (row.status, row.check, row.http_status, row.source_file) == ("failed", "name_taken", 200, WI)
    assert row.error == (f"{WI} is in the raw folder already, and no fetch of this URL wrote it; remove or rename "
                         "it, or give this source another `file`")
    assert entries(raw) == {**kit.seed_only(), WI: mine} and os.stat(raw / WI).st_ino == before.st_ino
    assert [r.status for r in site.asked(PATH)] == [200]  # asked: the same bytes would have been claimed
    (raw / WI).write_bytes(PDF())  # the same sheet, copied by hand: kept as it is, and this URL's from now
    assert [r.status for r in get(raw, db_path, site.url(PATH)).rows] == ["unchanged"]
    assert ledger(db_path)[-1]["sha256"] == sha(PDF())


def test_two_urls_of_one_file_name_never_replace_each_other(site, raw, db_path):
    site.serve("/other/wisconsin_2023.pdf", kit.wi_changed_pdf())
    first, second = site.url(PATH), site.url("/other/wisconsin_2023.pdf")
    summary = get(raw, db_path, first, second)
    assert [(r.url, r.status, r.check, r.source_file) for r in summary.rows] == [
        (first, "new", None, WI), (second, "failed", "name_taken", WI)]
    assert summary.rows[1].error == (f"would replace {WI}, which holds the sheet of {first}; remove the file if that "
                                     "address is gone, or give this source its own `file` in sources.toml")
    assert site.asked("/other/wisconsin_2023.pdf") == []  # refused before any request
    assert entries(raw) == {**kit.seed_only(), WI: PDF()}
    later = get(raw, db_path, second)  # in a later fetch too: the ledger names the file's URL
    assert [(r.status, r.check) for r in later.rows] == [("failed", "name_taken")]
    assert site.asked("/other/wisconsin_2023.pdf") == [] and entries(raw)[WI] == PDF()
    own = get(raw, db_path, sources=_listed(sheet(second, file="wisconsin_2023_other.pdf")))
    assert [r.status for r in own.rows] == ["new"] and entries(raw)["wisconsin_2023_other.pdf"] == kit.wi_changed_pdf()


def test_a_sheet_that_moved_is_written_from_its_new_url_once_the_old_file_is_removed(site, raw, db_path):
    moved = site.url("/2024/wisconsin_2023.pdf")
    site.serve("/2024/wisconsin_2023.pdf", kit.wi_changed_pdf())
    get(raw, db_path, site.url(PATH))
    assert [r.check for r in get(raw, db_path, moved).rows] == ["name_taken"]  # the old URL's file is there
    (raw / WI).unlink()
    summary = get(raw, db_path, moved)
    assert [(r.status, r.check) for r in summary.rows] == [("new", None)]
    assert entries(raw) == {**kit.seed_only(), WI: kit.wi_changed_pdf()}
    assert [(r.check, r.status) for r in get(raw, db_path, site.url(PATH)).rows] == [("name_taken", "failed")]


@pytest.mark.parametrize("target", ["a file outside", "nothing", "a folder"])
def test_a_symbolic_link_or_a_folder_is_never_replaced(site, raw, db_path, tmp_path, target):
    outside = tmp_path / "outside.pdf"
    if target == "a file outside":
        outside.write_bytes(b"%PDF-1.4 not the raw folder's")
    if target == "a folder":
        (raw / WI).mkdir()
    else:
        (raw / WI).symlink_to(outside)
    summary = get(raw, db_path, site.url(PATH))
    (row,) = summary.rows
    what = "not a regular file" if target == "a folder" else "a symbolic link"
    assert (row.status, row.check, row.error) == ("failed", "name_taken",
                                                  f"{WI} in the raw folder is {what}, which a fetch never replaces")
    assert site.asked(PATH) == []
    if target == "a folder":
        assert (raw / WI).is_dir() and list((raw / WI).iterdir()) == []
    else:
        assert entries(raw) == {**kit.seed_only(), WI: f"-> {outside}"}
    if target == "a file outside":
        assert outside.read_bytes() == b"%PDF-1.4 not the raw folder's"
    elif target == "nothing":
        assert not outside.exists()  # not created through the link either


def test_a_link_planted_where_a_fetch_wrote_is_not_followed(site, raw, db_path, tmp_path):
    get(raw, db_path, site.url(PATH))
    outside = tmp_path / "outside.pdf"
    outside.write_bytes(b"precious")
    (raw / WI).unlink()
    (raw / WI).symlink_to(outside)
    site.serve(PATH, kit.wi_changed_pdf())
    (row,) = get(raw, db_path, site.url(PATH)).rows
    assert (row.status, row.check) == ("failed", "name_taken") and outside.read_bytes() == b"precious"
    assert os.readlink(raw / WI) == str(outside) and len(site.asked(PATH)) == 1


def test_a_killed_fetch_s_leftovers_are_removed_by_the_next_and_nothing_else(site, raw, db_path):
    (raw / f".{WI}.1234abcd.fetching").write_bytes(PDF()[:100])
    (raw / ".x.pdf.1234abcd.fetching").write_bytes(b"%PDF-1.4 half")
    kept = {".notes": b"mine", ".x.pdf.nothex00.fetching": b"not ours", "x.pdf.1234abcd.fetching": b"visible"}
    for name, data in kept.items():
        (raw / name).write_bytes(data)
    summary = get(raw, db_path, site.url("/gone.pdf"))  # a fetch that fails removes them too
    assert summary.rows[0].check == "not_found"
    assert entries(raw) == {**kit.seed_only(), **kept}


def test_a_write_that_fails_leaves_no_temporary_file_and_the_old_sheet_whole(site, raw, db_path, monkeypatch):
    get(raw, db_path, site.url(PATH))
    site.serve(PATH, kit.wi_changed_pdf())

    def full(fd: int) -> None:
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", full)
    summary = get(raw, db_path, site.url(PATH))  # that URL's failure, named; not the whole fetch's
    monkeypatch.undo()
    assert [(r.status, r.check, r.error) for r in summary.rows] == [
        ("failed", "unwritable", f"{WI} cannot be read or written in the raw folder: No space left on device")]
    assert entries(raw) == {**kit.seed_only(), WI: PDF()}
    assert [r["status"] for r in ledger(db_path)] == ["new", "failed"]
    assert [r.status for r in get(raw, db_path, site.url(PATH)).rows] == ["changed"]
    assert entries(raw) == {**kit.seed_only(), WI: kit.wi_changed_pdf()}


def test_a_ctrl_c_keeps_what_was_fetched_in_the_raw_folder_and_the_ledger(site, raw, db_path):
    site.serve("/il.pdf", kit.il_pdf())

    def interrupt(row) -> None:
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        get(raw, db_path, site.url(PATH), site.url("/il.pdf"), on_row=interrupt)
    assert [(r["url"], r["status"], r["sha256"]) for r in ledger(db_path)] == [(site.url(PATH), "new", sha(PDF()))]
    assert site.asked("/il.pdf") == [] and entries(raw) == {**kit.seed_only(), WI: PDF()}


def test_a_run_holding_the_warehouse_holds_the_fetch_off(site, raw, db_path):
    with run_lock(db_path), pytest.raises(WarehouseBusy, match="is being written by"):
        get(raw, db_path, site.url(PATH), wait=0.2)
    assert site.log == [] and entries(raw) == kit.seed_only() and ledger(db_path) == []
    held = run_lock(db_path)
    held.__enter__()
    threading.Timer(0.3, held.__exit__, (None, None, None)).start()
    summary = get(raw, db_path, site.url(PATH), wait=10)  # waits for the run, then fetches
    assert [r.status for r in summary.rows] == ["new"] and entries(raw)[WI] == PDF()
