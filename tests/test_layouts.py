"""Sheets however they were extracted (issue 20): words glued or split by the extractor, and
what must never come of it. The real tools' output of each kind is in tests/exporters/third/;
these edit the real Wisconsin sheet the way those tools do, one kind at a time."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipelines.core import catalog
from pipelines.extract import breakdown
from pipelines.extract.sheet import parse_bytes

SEED = (Path(__file__).resolve().parents[1] / "raw" / "wisconsin_2023.txt").read_text("utf-8")


def _values(text: str) -> dict[tuple[str, str], tuple[float, str]]:
    doc = parse_bytes(text.encode(), "edited.txt")
    assert doc.rejected_check is None, doc.rejected_reason
    return {(o.geo, o.metric): (o.value, o.qualifier) for o in doc.observations}


def _problems(text: str) -> dict[tuple[str, str], str]:
    return {(p.geo, p.metric): p.check for p in parse_bytes(text.encode(), "edited.txt").problems}


ORIGINAL = _values(SEED)


@pytest.mark.parametrize(("printed", "glued", "key"), [
    # Ghostscript's txtwrite and pypdf on a Ghostscript PDF drop the space between text runs.
    ("NCMEC received more than 18,400", "NCMEC receivedmore than 18,400", ("US", "cst_reports_received")),
    ("had more than 18,000 registered", "had more than18,000 registered", ("US", "connect_registered_users")),
    ("reports were made available", "reports weremade available", ("WI", "cybertipline_reports_to_law_enforcement")),
    ("27,130 children", "27,130children", ("US", "cvip_children_identified_cumulative")),
    ("received 36.2 million reports", "received36.2millionreports", ("US", "cybertipline_reports_received")),
    # groff's kerning and pdfminer's tight word margin put a space inside a word.
    ("NCMEC reviewed 155", "NCMEC r eviewed 155", ("WI", "cvip_submissions_reviewed")),
    ("Team HOPE supported 5,759", "T eam HOPE supported 5,759", ("US", "team_hope_families_supported")),
    ("70 survivors/families in Wisconsin", "70 sur vivors/families in Wiscon sin",
     ("WI", "team_hope_families_supported")),
])
def test_a_figure_reads_the_same_with_its_words_glued_or_split(printed, glued, key):
    assert printed in SEED
    assert _values(SEED.replace(printed, glued, 1))[key] == ORIGINAL[key]


def test_a_place_name_glued_or_split_is_the_place_it_spells():
    text = SEED.replace("law enforcement in Wisconsin.", "lawenforcement inWisconsin.", 1)
    assert _values(text)["WI", "cybertipline_reports_to_law_enforcement"] == (8468.0, "exact")
    assert catalog.resolve_place("NewMexico") == catalog.resolve_place("New Mex ico") == "NM"
    assert catalog.resolve_place("North Car olina") == "NC"


def test_a_glued_name_that_spells_no_place_is_no_place():
    """Letters are never read as another place: "Indianapolis" is not Indiana, and a sentence
    naming no known place is no observation of a new one (the geo check rejects it)."""
    assert catalog.resolve_place("Indianapolis") is None
    text = SEED.replace("law enforcement in Wisconsin.", "law enforcement inAtlantisCity.", 1)
    values = _values(text)
    assert ("WI", "cybertipline_reports_to_law_enforcement") not in values
    assert set(values) - set(ORIGINAL) == {("AtlantisCity", "cybertipline_reports_to_law_enforcement")}


@pytest.mark.parametrize("glued", [
    "In 2023,8,468 CyberTipline reports",  # the space after the year's comma dropped
    "In 2023, 8 468 CyberTipline reports",  # digit groups set apart: one figure, or two numbers
])
def test_digits_are_never_joined_across_what_separates_them(glued):
    text = SEED.replace("In 2023, 8,468 CyberTipline reports", glued, 1)
    key = ("WI", "cybertipline_reports_to_law_enforcement")
    assert key not in _values(text)
    assert _problems(text)[key] == "value_unreadable"


# ------------------------------------------------------------------ captioned figures

_CTL = "**In 2023, 8,468 CyberTipline reports were made available to law enforcement in Wisconsin.**"
_CVIP = ("**In 2023, NCMEC reviewed 155 submissions of child sexual exploitation material from Wisconsin law "
         "enforcement.**")
_CAPTION_CTL = "CyberTipline reports made available to law\nenforcement in Wisconsin"
_CAPTION_CVIP = "submissions of child sexual exploitation\nmaterial reviewed from Wisconsin"


def _infographic(page: str) -> str:
    """The seed without its first two state sentences, and a page of boxed figures after it."""
    assert _CTL in SEED and _CVIP in SEED
    return SEED.replace(_CTL, "").replace(_CVIP, "") + "\n\nWisconsin Data 2023\n\n" + page


@pytest.mark.parametrize("page", [
    f"8,468\n{_CAPTION_CTL}\n155\n{_CAPTION_CVIP}\n",  # each figure, then its caption (pdftotext -raw)
    f"8,468\n\n155\n\n{_CAPTION_CTL}\n\n{_CAPTION_CVIP}\n",  # the row of boxes' figures, then their captions
    f"8,468 {' '.join(_CAPTION_CTL.split())} 155 {' '.join(_CAPTION_CVIP.split())}",  # PyMuPDF's words
])
def test_a_captioned_figure_is_read_as_the_box_sets_it(page):
    values = _values(_infographic(page))
    assert values["WI", "cybertipline_reports_to_law_enforcement"] == (8468.0, "exact")
    assert values["WI", "cvip_submissions_reviewed"] == (155.0, "exact")


def test_captions_that_do_not_pair_with_their_figures_read_nothing():
    text = _infographic(f"8,468\n\n155\n\n40\n\n{_CAPTION_CTL}\n\n{_CAPTION_CVIP}\n")  # three figures, two captions
    values, problems = _values(text), _problems(text)
    for metric in ("cybertipline_reports_to_law_enforcement", "cvip_submissions_reviewed"):
        assert ("WI", metric) not in values
        assert problems["WI", metric] == "value_unreadable"


def test_a_caption_inside_prose_is_no_box():
    """The noun phrase of a caption in a sentence the catalog's pattern does not read is no
    captioned figure: nothing before it says it is set in a box."""
    text = SEED.replace(_CTL, "In 2023, we saw 8,468 CyberTipline reports made available to law enforcement in "
                              "Wisconsin.")
    assert ("WI", "cybertipline_reports_to_law_enforcement") not in _values(text)


def test_table_rows_set_as_captions_are_read_only_when_each_follows_its_figure():
    rows = ("Children Missing From Social Services\n\nOther Missing Children Cases\n\n"
            "Children Reported Missing by Office of Refugee Resettlement (HHS-ORR)\n\n")
    table = SEED[SEED.index("Children Missing From Social Services") : SEED.index("NCMEC's Work to Combat Child Sex")]
    page = f"8,468\n\n155\n\n{_CAPTION_CTL}\n\n{_CAPTION_CVIP}\n\n137\n\n62\n\n5\n\n{rows}"
    boxed = _infographic(page).replace(table, "")
    values = _values(boxed)
    for row in ("missing_from_social_services", "missing_other", "missing_reported_by_hhs_orr"):
        assert values["WI", row] == ORIGINAL["WI", row]
    # The seed's own table, a label and then its number, stays the table reader's.
    kept = _values(_infographic(f"8,468\n\n155\n\n{_CAPTION_CTL}\n\n{_CAPTION_CVIP}\n"))
    assert {k: v for k, v in kept.items() if k[1].startswith("missing")} == {
        k: v for k, v in ORIGINAL.items() if k[1].startswith("missing")}


# ------------------------------------------------------------------ tables and titles


def test_a_row_stated_as_not_available_is_absent_and_the_others_are_read():
    hhs = "Children Reported Missing by Office of Refugee Resettlement (HHS-ORR) :\t5"
    assert hhs in SEED
    values = _values(SEED.replace(hhs, "Children Reported Missing by Office of Refugee Resettlement (HHS-ORR)\tN/A"))
    assert ("WI", "missing_reported_by_hhs_orr") not in values  # absent: not stated, never 0
    for row in ("missing_from_social_services", "missing_other"):
        assert values["WI", row] == ORIGINAL["WI", row]


def test_a_word_broken_at_a_line_end_printed_as_one_line_reads_whole():
    """PyMuPDF's words mode prints a line break as a space, so "engage-\\nments" is "engage- ments"."""
    text = SEED.replace("NCMEC had 19 engagements with", "NCMEC had 19 engage- ments with", 1)
    assert _values(text)["WI", "cst_social_service_engagements"] == ORIGINAL["WI", "cst_social_service_engagements"]


def test_an_infographic_title_names_the_place_when_no_other_title_does():
    title = "The National Center for Missing and Exploited Children **Wisconsin Data**"
    assert title in SEED
    body = SEED.replace(title, "Wisconsin Data 2023", 1)
    body = body.replace("Listed below are Wisconsin", "Listed below are the", 1)
    assert _values(body) == ORIGINAL


def test_a_sentence_whose_figure_was_drawn_elsewhere_is_named_not_missing():
    """A canvas that draws a line's bold run after its plain text, or a column read apart, leaves
    the sentence's words with no figure before them: a named rejection, never a silent gap."""
    text = SEED.replace("**In 2023, 8,468 CyberTipline reports", "**In 2023, CyberTipline reports", 1) + "\n\n8,468\n"
    key = ("WI", "cybertipline_reports_to_law_enforcement")
    assert key not in _values(text)
    assert _problems(text)[key] == "value_unreadable"


TABLE = SEED[(at := SEED.index("Children Missing From Social Services\t137")):SEED.index("NCMEC's Work", at)]


@pytest.mark.parametrize("header", ["", "CategoryCount"])
def test_table_cells_run_together_read_the_same_rows(header):
    """pypdf and Ghostscript print a table drawn as separate text runs with nothing between
    its cells: "Services137Other Missing Children Cases62"."""
    glued = header + "".join(TABLE.replace("\t", "").split("\n")) + "\n\n"  # "(HHS-ORR) :5"
    values = _values(SEED.replace(TABLE, glued, 1))
    assert {k: values.get(k) for k in ORIGINAL if k[1] in breakdown.ROWS} == {
        k: v for k, v in ORIGINAL.items() if k[1] in breakdown.ROWS}


def test_table_cells_run_together_with_a_number_missing_read_nothing():
    glued = "Children Missing From Social Services137Other Missing Children CasesChildren Reported Missing" \
            " by Office of Refugee Resettlement (HHS-ORR)5\n\n"
    text = SEED.replace(TABLE, glued, 1)
    assert not {k for k in _values(text) if k in {("WI", row) for row in breakdown.ROWS}}
    assert {_problems(text)["WI", row] for row in breakdown.ROWS} == {"breakdown_unreadable"}


def test_a_ligature_printed_as_one_wrong_letter_reads_as_the_word():
    """Ghostscript's txtwrite prints a ligature glyph it cannot name as one other letter:
    "identiocation", "traûcking". The figure reads; the evidence quotes the bytes as printed."""
    text = SEED.replace("dentification", "dentiocation").replace("rafficking", "ra\u00fbcking")
    assert "identification" not in text.lower() and "trafficking" not in text.lower()
    assert _values(text) == ORIGINAL
    doc = parse_bytes(text.encode(), "edited.txt")
    assert "identiocation of 27,130" in next(o.evidence for o in doc.observations
                                              if o.metric == "cvip_children_identified_cumulative")


def test_a_word_spelled_right_elsewhere_is_no_lost_ligature():
    text = SEED.replace("identification of 27,130", "identiocation of 27,130")
    assert "identification" in text.lower()  # "Child Victim Identification Program"
    assert ("US", "cvip_children_identified_cumulative") not in _values(text)


def test_words_of_a_sentence_moved_apart_name_its_figure():
    """pdfminer with a small char_margin prints a line's runs in drawing order: the sentence's
    words are there, its figure and verb elsewhere. Named by the catalog's mentions, never a gap."""
    sentence = "In 2023, NCMEC connected 50 survivors/families to mental health services in Wisconsin."
    assert sentence in SEED
    moved = "In 2023,\n\ncon-\nnected\n\n50\n\nNCMEC survivors/families to mental health services in Wisconsin."
    text = SEED.replace(sentence, moved)
    key = ("WI", "faon_mental_health_connections")
    assert key not in _values(text)
    assert _problems(text)[key] == "value_unreadable"


def test_a_table_row_label_in_pieces_is_named():
    """A two-column page printed line by line sets the other column's words inside a row label."""
    row = "Children Missing From Social Services\t137"
    text = SEED.replace(row, "Children Missing From Social\t137\tNCMEC's Education Resources for Law\nServices")
    key = ("WI", "missing_from_social_services")
    assert key not in _values(text)
    assert _problems(text)[key] == "breakdown_unreadable"


# ------------------------------------------------------------------ page furniture of other shapes

HEADER = "N C M E C | W I S C O N S I N D A T A 2 0 2 3"


@pytest.mark.parametrize("furniture", [
    f"\n{HEADER}\n- 2 -\n",  # a letter-spaced running header and a page number, lines of their own
    f" {HEADER} - 2 - ",  # the same inside the line (PyMuPDF's words)
    "\nN C M E C   |   W I S C O N S I N   D A T A   2 0 2 3\n",  # pdfminer: three spaces between words
    "\nPRELIM\nINARY\n",  # a draft's watermark, broken over two lines (pdftotext -raw)
    " PRELIMINARY ",
])
def test_page_furniture_inside_a_sentence_is_taken_out(furniture):
    sentence = "NCMEC connected 50 survivors/families to mental health services in Wisconsin."
    text = SEED.replace(sentence, sentence.replace("services in ", f"services in{furniture}"))
    assert _values(text) == ORIGINAL


@pytest.mark.parametrize("spaced", ["8 , 4 6 8 C y b e r T i p l i n e", "8 , 4 6 8 CyberTipline"])
def test_a_letter_spaced_figure_is_never_its_last_digits(spaced):
    """Letter-spaced text holding a figure ("8 , 4 6 8") is no header: kept, and never read as 8."""
    text = SEED.replace("In 2023, 8,468 CyberTipline", f"In 2023, {spaced}", 1)
    assert ("WI", "cybertipline_reports_to_law_enforcement") not in _values(text)


def test_a_table_cell_glued_to_its_label_is_no_footnote_marker():
    """Ghostscript prints "Services96": no note 96, so 96 is the row's figure, not a marker."""
    text = SEED.replace(TABLE, TABLE.replace("Social Services\t137", "Social Services137", 1), 1)
    assert _values(text) == ORIGINAL


def test_a_word_broken_at_a_line_end_inside_a_figure_sentence_reads_in_the_skeleton():
    text = SEED.replace("NCMEC connected 50", "NCMEC con- nected 50", 1).replace("Exploited", "Exploit ed", 1)
    assert _values(text) == ORIGINAL


# ------------------------------------------------------------------ an infographic's grid

GRID = """
Wisconsin Data 2023

              8,468                               155                                204

  CyberTipline reports made available to law    submissions of child sexual exploitation   cases of missing children
         enforcement in Wisconsin                 material reviewed from Wisconsin              from Wisconsin

               137                                 62                                  5

   Children Missing From Social Services    Other Missing Children Cases      Children Reported Missing by Office
                                                                            of Refugee Resettlement (HHS-ORR)

               21
      new law enforcement and child-serving
   professionals in Wisconsin on NCMEC CONNECT
"""


def _grid_sheet() -> str:
    """The Wisconsin sheet with its state sentences and its table taken out, and set as a grid."""
    text = SEED.replace(TABLE, "", 1)
    for sentence in ("In 2023, 8,468 CyberTipline reports were made available to law enforcement in Wisconsin.",
                     "In 2023, NCMEC reviewed 155 submissions of child sexual exploitation material from Wisconsin "
                     "law enforcement."):
        assert sentence in text
        text = text.replace(sentence, "", 1)
    return text.replace("In 2023, NCMEC handled 204 cases of missing children from Wisconsin as follows:", "", 1) + GRID


def test_an_infographic_grid_reads_each_figure_with_the_caption_under_it():
    values = _values(_grid_sheet())
    for key in (("WI", "cybertipline_reports_to_law_enforcement"), ("WI", "cvip_submissions_reviewed"),
                ("WI", "missing_child_cases"), ("WI", "missing_from_social_services"), ("WI", "missing_other"),
                ("WI", "missing_reported_by_hhs_orr")):
        assert values[key] == ORIGINAL[key], key
    # A caption is read only for a metric that no sentence states: the sheet's "102 new ..." stands.
    assert values["WI", "connect_new_professionals"] == ORIGINAL["WI", "connect_new_professionals"]


def test_a_grid_caption_under_no_figure_reads_nothing():
    """A figure missing from its row moves every caption of the row under another figure."""
    text = _grid_sheet().replace("              8,468      ", "                         ", 1)
    values = _values(text)
    assert ("WI", "cybertipline_reports_to_law_enforcement") not in values
    assert values.get(("WI", "cvip_submissions_reviewed")) in (None, ORIGINAL["WI", "cvip_submissions_reviewed"])


@pytest.mark.parametrize("letters", [("\tP\t137", "\tR\t62"), ("\n  E\n\t137", "\t62")])
def test_a_watermarks_letters_between_a_tables_cells_are_passed_over(letters):
    """A diagonal PRELIMINARY drawn letter by letter lands between the labels and their numbers."""
    table = TABLE.replace("\t137", letters[0], 1).replace("\t62", letters[1], 1)
    values = _values(SEED.replace(TABLE, table, 1))
    assert {k: values.get(k) for k in ORIGINAL if k[1] in breakdown.ROWS} == {
        k: v for k, v in ORIGINAL.items() if k[1] in breakdown.ROWS}
