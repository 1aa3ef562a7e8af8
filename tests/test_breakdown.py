"""The missing-children table is read by its structure, and what cannot be read for certain is
rejected by name, never guessed. Also: paragraph order, file names, dates and places named in
passing never change a figure."""

from __future__ import annotations

import random
import re

import pytest
from checking import validated
from conftest import RAW

from pipelines.extract.sheet import parse_bytes

SEED = (RAW / "wisconsin_2023.txt").read_text("utf-8")
ROWS = ("Children Missing From Social Services\t137\nOther Missing Children Cases\t62\n"
        "Children Reported Missing by Office of Refugee Resettlement (HHS-ORR) :\t5")
LABELS = ["Children Missing From Social Services", "Other Missing Children Cases",
          "Children Reported Missing by Office of Refugee Resettlement (HHS-ORR) :"]
TABLE = {"missing_from_social_services": 137.0, "missing_other": 62.0, "missing_reported_by_hhs_orr": 5.0}


def sheet(table: str, text: str = SEED) -> bytes:
    assert ROWS in text
    return text.replace(ROWS, table).encode("utf-8")


def read(data: bytes, name: str = "wi.txt"):
    doc = parse_bytes(data, name)
    assert not doc.rejected, doc.rejected_reason
    frames = validated([doc], "test")
    values = {o.metric: o.value for o in doc.observations if o.geo == "WI" and o.metric in TABLE}
    return doc, values, {(r.metric, r.check): r.reason for r in frames.rejections.itertuples()}


@pytest.mark.parametrize("table", [
    "\n".join(f"{label}\t{n}" for label, n in zip(LABELS, (137, 62, 5), strict=True)),  # rows
    "\n".join(f"| {label} | {n} |" for label, n in zip(LABELS, (137, 62, 5), strict=True)),  # pipe rows, no delimiter
    "\n".join(f"{label}\n{n}" for label, n in zip(LABELS, (137, 62, 5), strict=True)),  # a cell per line
    "\n".join(LABELS) + "\n\n137\n62\n5",  # column by column
    "Children Missing From\nSocial Services        137\nOther Missing Children Cases      62\n"
    "Children Reported Missing by Office of Refugee      5\nResettlement (HHS-ORR) :",  # layout, wrapped label
    "Children Missing From Social Services 137 Other Missing Children Cases 62 Children Reported Missing by "
    "Office of Refugee Resettlement 5 (HHS-ORR) :",  # one line, the number inside the wrapped label
    "Type of case   Cases\n137   " + LABELS[0] + "\n62   " + LABELS[1] + "\n5   " + LABELS[2],  # number column first
    "\n".join(LABELS) + "\nTotal\n\n137\n62\n5\n204",  # column by column with a Total row
    f"Type of case\tCases\n{LABELS[0]}\t137\n{LABELS[1]}\t62\n\n2\n\nType of case\tCases\n{LABELS[2]}\t5",
], ids=["rows", "pipes", "cells", "columns", "layout", "one-line", "numbers-first", "total-row", "header-again"])
def test_table_read_by_its_structure(table):
    doc, values, rejected = read(sheet(table))
    assert values == TABLE and not rejected
    for o in doc.observations:
        assert doc.text[o.char_start : o.char_end] == o.evidence


def test_columns_with_the_numbers_after_the_next_heading():
    """pdfminer puts the number column after the next heading when it is a text box of its own."""
    text = SEED.replace(ROWS + "\n\nNCMEC's Work to Combat Child Sex Trafficking",
                        "\n".join(LABELS) + "\n\nNCMEC's Work to Combat Child Sex Trafficking\n\n137\n\n62\n\n5")
    _, values, rejected = read(text.encode())
    assert values == TABLE and not rejected


def test_the_old_wrong_number_is_gone():
    """Columns read one by one used to give HHS-ORR the first number after its label: 137."""
    _, values, _ = read(sheet("\n".join(LABELS) + "\n137\n62\n5"))
    assert values["missing_reported_by_hhs_orr"] == 5


@pytest.mark.parametrize("table, why", [
    ("\n".join(LABELS) + "\n\n137\n62", "3 row labels ('Children Missing From Social Services', "
     "'Other Missing Children Cases', 'Children Reported Missing by Office of Refugee Resettlement (HHS-ORR)') "
     "are followed by 2 numbers"),
    (f"{LABELS[0]}\t137\t9\n{LABELS[1]}\t62\n{LABELS[2]}\t5", "1 row label ('Children Missing From Social "
     "Services') is followed by 2 numbers"),
    (f"{LABELS[0]}\t137\n{LABELS[1]}\n{LABELS[2]}\t5", "2 row labels"),
], ids=["a number missing", "a number too many", "a row without its number"])
def test_a_table_that_cannot_be_paired_is_rejected_by_row(table, why):
    doc, values, rejected = read(sheet(table))
    assert values == {}
    for metric in TABLE:
        reason = rejected[metric, "breakdown_unreadable"]
        assert reason.startswith("The missing-children table cannot be read for certain: ") and why in reason
    assert ("missing_child_cases", "breakdown_sums") not in rejected  # the total itself stands
    assert any(o.metric == "missing_child_cases" and o.geo == "WI" for o in doc.observations)


def test_rows_read_beside_a_row_that_could_not_be_read_add_up_to_at_most_the_total():
    """Note 1's marker is stuck to the Other row's figure ('621'): that row is not read, and
    the other two (137 + 5) cannot be held to the total, only to at most it."""
    text = SEED.replace("Other Missing Children Cases\t62", "Other Missing Children Cases\t621")
    _, values, rejected = read((text + "\n\n1 Other cases include family abductions.").encode())
    assert values == {"missing_from_social_services": 137, "missing_reported_by_hhs_orr": 5}
    assert set(rejected) == {("missing_other", "footnote_ambiguous")}


def test_a_row_stated_as_zero_is_zero_and_an_absent_row_is_absent():
    _, values, rejected = read(sheet(f"{LABELS[0]}\t142\n{LABELS[1]}\t62\n{LABELS[2]}\t0"))
    assert values == {"missing_from_social_services": 142, "missing_other": 62, "missing_reported_by_hhs_orr": 0}
    assert not rejected
    _, values, rejected = read(sheet(f"{LABELS[0]}\t142\n{LABELS[1]}\t62"))
    assert values == {"missing_from_social_services": 142, "missing_other": 62} and not rejected


def test_a_row_above_the_total_is_a_misread():
    _, _, rejected = read(sheet(f"{LABELS[0]}\t1370\n{LABELS[1]}\t62\n{LABELS[2]}\t5"))
    reason = rejected["missing_from_social_services", "breakdown_row_within_total"]
    assert "more than the sheet's total of 204" in reason
    assert ("missing_child_cases", "breakdown_row_within_total") in rejected


def test_rows_that_do_not_make_the_total_are_rejected_even_with_a_row_left_out():
    _, _, rejected = read(sheet(f"{LABELS[0]}\t137\n{LABELS[1]}\t60"))
    assert "add up to 197 (137 + 60), but the sheet's total is 204" in rejected["missing_other", "breakdown_sums"]


def test_a_footnote_digit_is_never_a_value():
    notes = "\n\n1 Submissions are counted once.\n2 Other cases include family abductions."
    text = SEED.replace("reviewed 155 submissions", "reviewed 1551 submissions") + notes
    text = text.replace("Other Missing Children Cases\t62", "Other Missing Children Cases2\t62")
    doc, _, rejected = read(text.encode())
    reason = rejected["cvip_submissions_reviewed", "footnote_ambiguous"]
    assert "note 1" in reason and "1551" in reason and "155" in reason
    assert not any(o.metric == "cvip_submissions_reviewed" for o in doc.observations)
    assert {o.metric: o.value for o in doc.observations}["missing_other"] == 62  # marker 2 is found: "Cases2"


def test_a_malformed_figure_is_rejected_by_name():
    doc, _, rejected = read(SEED.replace("identification of 27,130", "identification of 27,1303").encode())
    assert "'27,1303'" in rejected["cvip_children_identified_cumulative", "value_unreadable"]
    assert not any(o.metric == "cvip_children_identified_cumulative" for o in doc.observations)


def test_a_sentence_whose_end_the_exporter_moved_is_named():
    text = SEED.replace("reviewed 155 submissions of child sexual exploitation material from Wisconsin law "
                        "enforcement.", "reviewed 155\nof child sexual material\nsubmissions exploitation.")
    _, _, rejected = read(text.encode())
    assert "'NCMEC reviewed 155'" in rejected["cvip_submissions_reviewed", "value_unreadable"]


def _facts(doc) -> set[tuple]:
    return {(o.geo, o.year, o.metric, o.value, o.qualifier) for o in doc.observations}


def test_paragraph_order_does_not_matter():
    expected = _facts(parse_bytes(SEED.encode(), "wi.txt"))
    paragraphs = re.split(r"\n\s*\n", SEED.strip())
    rng = random.Random(2023)
    for _ in range(5):
        rng.shuffle(paragraphs)
        assert _facts(parse_bytes("\n\n".join(paragraphs).encode(), "wi.txt")) == expected
    assert _facts(parse_bytes("\n\n".join(reversed(paragraphs)).encode(), "wi.txt")) == expected


def test_the_year_comes_from_the_sentences_not_the_name_or_dates():
    text = SEED + ("\n\nCopyright © 2024 National Center for Missing & Exploited Children. Revised in 2024. "
                   "Updated 03/2025. In 2022 the program began in 2002.")
    doc = parse_bytes(text.encode(), "wisconsin_2019_rev2024.txt")
    assert doc.year == 2023 and {o.year for o in doc.observations} == {2023}


def test_a_place_named_in_passing_never_moves_a_figure():
    text = SEED.replace("critical case assistance on 1 case in Wisconsin.",
                        "critical case assistance on 1 case in Wisconsin, a case that began in Iowa.")
    text = text.replace("For nationwide information", "Families in Minnesota and Illinois asked too. For nationwide "
                        "information")
    doc = parse_bytes(text.encode(), "wi.txt")
    assert _facts(doc) == _facts(parse_bytes(SEED.encode(), "wi.txt"))


_LABELS = ["Children Missing from Social Services", "Other Missing Children Cases",
           "Missing Children Reported by HHS ORR", "Total", "Type of case Cases"]
_WORDS = ["NCMEC", "handled", "cases", "of", "missing", "children", "as", "follows:", "|", "12", "1,234", "N/A",
          "7", "Team", "HOPE", "\n", "\n\n", "Page", "2", "supported", "families", "x" * 40, "ServicesOther12"]


def test_the_table_read_from_its_first_words_is_the_table_read_from_all(monkeypatch):
    """The reader tokenises a little past the last label first, and all of its window only when
    the table reaches that far or numbers come after the next heading: the same tables, rows and
    reasons as reading every word at once, even when the first words stop at the last label."""
    from pipelines.extract import breakdown
    from pipelines.read.normalise import normalise

    rng = random.Random(21)
    texts = [normalise(p.read_text("utf-8")).plain.text for p in sorted(RAW.iterdir())]
    texts += [" ".join(rng.choice(_LABELS) if rng.random() < 0.15 else rng.choice(_WORDS)
                       for _ in range(rng.randint(5, 90))) for _ in range(1500)]

    def read_all(past: int) -> list[str]:
        monkeypatch.setattr(breakdown, "_PAST_LAST_LABEL", past)
        return [repr(breakdown.read(t, after, markers)) for t in texts
                for after in (0, len(t) // 4) for markers in (frozenset(), frozenset({1, 2}))]

    eager = read_all(10**6)
    assert read_all(0) == eager
    assert read_all(160) == eager
