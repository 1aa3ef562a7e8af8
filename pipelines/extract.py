"""Stage 2: a decoded sheet to observations, each with the verbatim text it came from.

The place and year of the sheet come from its title and its "In YYYY," sentences; each metric
is found by the catalog's patterns. An observation's `geo` and `year` are those its own sentence
states (or the sheet's, where the sentence says none), so that the checks can catch a sentence
that speaks of another place or year.
"""

from __future__ import annotations

import hashlib
import re
import time
from collections import Counter
from dataclasses import dataclass, field
from decimal import Decimal
from importlib import metadata
from pathlib import Path

from . import catalog
from .decode import Decoded, Rejected, decode, sha256
from .text import Folded, fold, sentence_spans

_TITLE = re.compile(
    r"Missing and Exploited Children\s+(?:for\s+)?(?:the\s+)?(?P<place>[^\n]{2,60}?)\s+(?:Data|Fact Sheet|Statistics)\b",
    re.IGNORECASE,
)
_LISTED = re.compile(r"Listed below are\s+(?:the\s+)?(?P<place>[^\n]{2,60}?)\s+specific statistics", re.IGNORECASE)
_MARKER = re.compile(r"National Center for Missing (?:and|&) Exploited Children|\bNCMEC\b", re.IGNORECASE)
_YEAR = re.compile(r"\bIn\s+((?:19|20)\d\d)\b", re.IGNORECASE)


def _fingerprint() -> str:
    """Identifies the extractor: a document parsed by another version is parsed again. That is
    our sources and the libraries whose output the text depends on."""
    here = Path(__file__).parent
    digest = hashlib.sha256()
    for name in ("catalog.toml", "catalog.py", "decode.py", "pdf.py", "text.py", "extract.py"):
        digest.update((here / name).read_bytes())
    for package in ("pypdf", "charset-normalizer"):
        digest.update(f"{package}=={metadata.version(package)}".encode())
    return digest.hexdigest()[:16]


PARSER = _fingerprint()


@dataclass(frozen=True)
class Observation:
    geo: str
    year: int
    metric: str
    value: float
    qualifier: str
    unit: str
    evidence: str
    char_start: int
    char_end: int


@dataclass
class ParsedDocument:
    source_file: str
    sha256: str
    n_bytes: int
    encoding: str | None = None
    text: str | None = None
    geo: str | None = None
    year: int | None = None
    rejected_check: str | None = None
    rejected_reason: str | None = None
    observations: list[Observation] = field(default_factory=list)
    reused: bool = False  # not parsed this run: the warehouse already held this content

    @property
    def rejected(self) -> bool:
        return self.rejected_check is not None


def _value(num: str, scale: str | None) -> float:
    number = catalog.NUMBER_WORDS.get(num.lower())
    amount = Decimal(number) if number is not None else Decimal(num.replace(",", ""))
    if scale:
        amount *= catalog.SCALES[scale.lower()]
    return float(amount)


def _sheet_place(folded: str) -> str | None:
    for pattern in (_TITLE, _LISTED):
        m = pattern.search(folded)
        if m:
            return m.group("place").strip()
    return None


def _sentence_year(sentence: str) -> int | None:
    m = _YEAR.search(sentence)
    return int(m.group(1)) if m else None


def _sheet_year(folded: str, spans: list[tuple[int, int]]) -> int | None:
    """The year most of the sheet's sentences give ("In 2023, ..."); the latest on a tie."""
    years = Counter(y for a, b in spans if (y := _sentence_year(folded[a:b])) is not None)
    if not years:
        return None
    top = max(years.values())
    return max(y for y, n in years.items() if n == top)


def _covering(spans: list[tuple[int, int]], start: int, end: int) -> tuple[int, int]:
    """The sentences covering [start, end): from the one holding start to the one holding end."""
    first = next((a for a, b in spans if a <= start < b), start)
    last = next((b for a, b in spans if a < end <= b), end)
    return first, last


def _extract(
    text: str, folded: Folded, spans: list[tuple[int, int]], geo: str, year: int
) -> list[Observation]:
    """Every catalog metric the text states; a metric it does not state is absent."""
    observations = []
    for metric in catalog.metrics():
        m = next((m for p in metric.patterns if (m := p.search(folded.text))), None)
        if m is None:
            continue
        if metric.evidence == "row":
            start, end = m.start(), m.end()
        else:
            start, end = _covering(spans, m.start(), m.end())
        place = m.groupdict().get("place")
        if metric.scope == "national":
            obs_geo = catalog.NATION
        elif place:
            # A name that is no known place is kept as written, for the geo check to name.
            obs_geo = catalog.resolve_place(place) or place
        else:
            obs_geo = geo
        scale = m.groupdict().get("scale")
        o_start, o_end = folded.span(start, end)
        observations.append(
            Observation(
                geo=obs_geo,
                year=_sentence_year(folded.text[start:end]) or year,
                metric=metric.metric,
                value=_value(m.group("num"), scale),
                qualifier=catalog.qualifier_for(m.groupdict().get("qual"), bool(scale)),
                unit=metric.unit,
                evidence=text[o_start:o_end],
                char_start=o_start,
                char_end=o_end,
            )
        )
    return observations


def parse_text(decoded: Decoded, doc: ParsedDocument) -> ParsedDocument:
    folded = fold(decoded.text)
    spans = sentence_spans(folded.text)
    doc.encoding, doc.text = decoded.encoding, decoded.text
    place = _sheet_place(folded.text)
    if place is None:
        if not _MARKER.search(folded.text):
            raise Rejected("not_a_fact_sheet", "does not mention NCMEC and has no fact-sheet title, so it is not an NCMEC fact sheet")
        raise Rejected("not_a_fact_sheet", "mentions NCMEC but has no title naming its place (\"... Exploited Children <Place> Data\")")
    geo = catalog.resolve_place(place)
    if geo is None or geo == catalog.NATION:
        raise Rejected("unknown_state", f"names '{place}' as its place, which is not a US state, DC or territory")
    year = _sheet_year(folded.text, spans)
    if year is None:
        raise Rejected("no_year", "states no year (no sentence begins \"In YYYY,\"), so its figures cannot be dated")
    observations = _extract(decoded.text, folded, spans, geo, year)
    if not observations:
        raise Rejected("not_a_fact_sheet", f"has a {catalog.geo_name(geo)} title but none of the catalog's figures")
    doc.geo, doc.year, doc.observations = geo, year, observations
    return doc


def parse_bytes(data: bytes, source_file: str, timings: dict[str, float] | None = None) -> ParsedDocument:
    """Decode and extract one input; a bad input comes back rejected, never raises.

    `timings`, when given, accumulates the seconds spent in "decode" and "extract".
    """
    doc = ParsedDocument(source_file=source_file, sha256=sha256(data), n_bytes=len(data))
    clock = time.perf_counter()
    try:
        decoded = decode(data)
        if timings is not None:
            now = time.perf_counter()
            timings["decode"] = timings.get("decode", 0.0) + now - clock
            clock = now
        return parse_text(decoded, doc)
    except Rejected as exc:
        doc.rejected_check, doc.rejected_reason = exc.check, f"The file {exc.reason}."
        doc.observations = []
        return doc
    finally:
        if timings is not None:
            key = "extract" if doc.text is not None else "decode"
            timings[key] = timings.get(key, 0.0) + time.perf_counter() - clock


def parse_file(path: Path, source_file: str | None = None) -> ParsedDocument:
    return parse_bytes(path.read_bytes(), source_file or path.name)
