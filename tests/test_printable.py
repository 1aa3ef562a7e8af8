"""Text from data is printed as text: control, bidirectional and surrogate characters escaped."""

from hypothesis import given
from hypothesis import strategies as st

from pipelines.core.printable import printable, shortened


def test_controls_are_escaped_and_other_text_kept():
    assert printable("a\nb\x1b[31mc\x07") == "a\\nb\\x1b[31mc\\x07"
    assert printable("r\u202eexe.txt") == "r\\u202eexe.txt"
    assert printable("caf\udce9.txt") == "caf\\udce9.txt"  # os.fsdecode of b"caf\xe9.txt"
    assert printable("Wisconsin – 8,468 [bold] :x: é\u00ad") == "Wisconsin – 8,468 [bold] :x: é\u00ad"


def test_newlines_can_be_kept_for_text_printed_as_lines():
    assert printable("one\ntwo\x1b", keep_newlines=True) == "one\ntwo\\x1b"


def test_a_long_argument_is_cut():
    cut = shortened("x" * 126_000, 40)
    assert len(cut) < 70 and cut.endswith("(126,000 characters)")
    assert shortened("short") == "short"


@given(st.text())
def test_nothing_printable_is_left_that_a_terminal_would_act_on(text):
    shown = printable(text)
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) <= 0x9F or 0xD800 <= ord(c) <= 0xDFFF for c in shown)
    shown.encode("utf-8")  # no lone surrogate left: it can always be written out
