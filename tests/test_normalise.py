"""The normalising stage: each exporter dialect becomes plain text, and every span of it maps
back to the characters it came from."""

from __future__ import annotations

import re

from hypothesis import given, settings
from hypothesis import strategies as st

from pipelines.read.normalise import normalise
from pipelines.read.textmap import Mapped


def flat(text: str) -> str:
    return normalise(text).flat.text


@settings(max_examples=300)
@given(st.text(alphabet="ab \n-*", min_size=1, max_size=60), st.data())
def test_spans_map_back_to_the_characters_they_came_from(text, data):
    """Random deletions, insertions and replacements, in two steps: any span of the result
    that was copied through maps back to the same characters of the original."""
    def step(m: Mapped) -> Mapped:
        edits, pos = [], 0
        while pos < len(m.text):
            start = data.draw(st.integers(pos, len(m.text)))
            end = data.draw(st.integers(start, min(len(m.text), start + 3)))
            edits.append((start, end, data.draw(st.sampled_from(["", "X", "YZ"]))))
            pos = end + 1
        return m.edit(edits)

    original = Mapped(text)
    result = step(step(original))
    for m in re.finditer(r"[ab\-*\n ]+", result.text):  # characters copied through, never written
        start, end = result.span(m.start(), m.end())
        assert text[start:end].endswith(m.group()[-1]) and text[start:end].startswith(m.group()[0])


def test_a_span_inside_an_edit_maps_to_the_whole_edit():
    m = Mapped("a &amp; b").edit([(2, 7, "&")])
    assert m.text == "a & b" and m.span(2, 3) == (2, 7) and m.span(0, 5) == (0, 9)


def test_html_saves_become_text_with_rows_and_cells():
    page = ("<!DOCTYPE html><html><head><title>Ohio Data</title><script>var x = '<p>no</p>';</script></head>"
            "<body><h1>The National&nbsp;Center</h1><p>NCMEC&rsquo;s <strong>8,468</strong> reports"
            "<sup>1</sup></p><table><tr><td>Other Missing Children Cases</td><td>62</td></tr></table>"
            "<!-- a comment --><p>&copy; 2024 NCMEC</p></body></html>")
    norm = normalise(page)
    assert "Ohio Data" not in norm.plain.text and "no" not in norm.plain.text.split()
    assert "NCMEC's 8,468 reports" in norm.plain.text
    assert "Other Missing Children Cases\t62" in norm.plain.text
    assert norm.footnotes.referenced == {1}
    start = norm.flat.text.index("8,468")
    assert norm.span(start, start + 5) == (page.index("8,468"), page.index("8,468") + 5)


def test_pdftohtml_blocks_at_one_height_are_cells_of_a_row():
    page = ('<html><body><p style="position:absolute;top:82px;left:68px">Other Missing Children Cases</p>\n'
            '<p style="position:absolute;top:82px;left:767px">62</p>\n'
            '<p style="position:absolute;top:112px;left:68px">Next line</p></body></html>')
    assert re.search(r"Other Missing Children Cases\t62\s+Next line", normalise(page).plain.text)


def test_markdown_markup_goes_and_pipe_tables_become_cells():
    text = ("# **Wisconsin Data**\n\n> 333 John Carlyle\n\n**In 2023,** _8,468_ [reports](http://x.org)<sup>1</sup> "
            "were\\* made\n\n|Children Missing From Social Services|137|\n|---|---|\n"
            "|Other Missing Children Cases|62|\n"
            "\n- 1 A note.\n")
    plain = normalise(text).plain.text
    assert "Wisconsin Data" in plain and "#" not in plain and "**" not in plain and ">" not in plain
    assert "In 2023, 8,468 reports were* made" in plain
    assert "Children Missing From Social Services\t137\nOther Missing Children Cases\t62" in plain
    assert "---" not in plain and "|" not in plain


def test_mojibake_ligatures_and_odd_hyphens_are_repaired():
    text = "NCMECâ€™s ï¬\x81les: Oﬃce of Refugee Resettlement (HHS\u2011ORR)\u00a0: Â\u00a05 child\u2010serving"
    assert flat(text) == "NCMEC's files: Office of Refugee Resettlement (HHS-ORR) : 5 child-serving"


def test_running_headers_and_footers_leave_the_sentence_they_cut():
    footer = ("333 John Carlyle Street, Suite 125, Alexandria, Virginia 22314 · MissingKids.org\n"
              "Copyright © 2024 National Center for Missing & Exploited Children. Page {} of 3\n\f"
              "National Center for Missing & Exploited Children · Ohio Data\n")
    text = (f"The National Center for Missing and Exploited Children Ohio Data\n\nIn 2023, 8,468 reports were made"
            f"\n{footer.format(1)}available to law enforcement in Ohio. More text here.\n{footer.format(2)}"
            "In 2023, the rest.\n")
    assert "In 2023, 8,468 reports were made available to law enforcement in Ohio." in " ".join(flat(text).split())
    assert "Virginia" not in flat(text) and "Copyright" not in flat(text) and "Page" not in flat(text)


def test_a_repeated_line_of_prose_that_carries_a_figure_stays():
    text = ("including 5 new law\nenforcement and child-serving professionals\nin Ohio. And again the\n"
            "enforcement and child-serving professionals\nline.")
    assert "including 5 new law enforcement and child-serving professionals in Ohio" in flat(text)


def test_words_broken_at_line_ends_are_joined_as_the_document_writes_them():
    text = ("The CyberTipline and child-serving staff. Cyber-\nTipline, child-\nserving, exploi-\ntation, "
            "(HHS-\nORR), social ser\n\n\nvice and social service.")
    assert flat(text).endswith(
        "CyberTipline, child-serving, exploitation, (HHS-ORR), social service and social service.")


def test_footnote_markers_are_taken_off_what_they_mark():
    text = ("In 2023, the CyberTipline received 36.2 million reports1 related to it. Identification of 27,1303 "
            "children. Based on it, 19%2 of these.\n\n1 Reports are counted once.\n2 A share of cases.\n"
            "3 A running total.\n")
    norm = normalise(text)
    assert "reports related" in norm.flat.text and "27,130 children" in norm.flat.text and "19% of" in norm.flat.text
    assert norm.footnotes.defined == {1, 2, 3} and norm.footnotes.unplaced == set()


def test_a_grouped_figure_with_a_digit_too_many_stays_malformed_without_notes():
    assert "27,1303 children" in flat("Identification of 27,1303 children.")


@given(st.lists(st.sampled_from(["ser", "vice", "Ser", "a", "1", " ", "\t", "\n", "\n\n", " \n \n", "\n\t\n\n", "."]),
                max_size=40).map("".join))
def test_words_split_at_a_page_are_found_as_the_pattern_finds_them(text):
    from pipelines.read import normalise as n

    assert [m.span() for m in n._split_at_page(text)] == [m.span() for m in n._SPLIT_AT_PAGE.finditer(text)]



def test_the_same_length_table_writes_no_character_it_replaces():
    from pipelines.read.normalise import _SAME_LENGTH

    written = {ord(c) for c in "".join(_SAME_LENGTH.values())}
    assert written.isdisjoint(_SAME_LENGTH)


@given(st.text(alphabet="ab' -\"\u2018\u2019\u201c\u2013\u2014\u00a0\u2009\x0b\x0c\u3000\u00e9\n"))
def test_translate_replacing_each_character_is_str_translate(text):
    from pipelines.read.normalise import _SAME_LENGTH

    assert Mapped(text).translate(_SAME_LENGTH).text == text.translate(_SAME_LENGTH)
