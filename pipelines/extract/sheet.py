"""Stage 2: a decoded sheet to observations, each with the verbatim text it came from.

The text is normalised first (pipelines/read/normalise.py: markup, mojibake, page furniture and
footnote markers out, with a map back). The place and year of the sheet come from its title and
its "In YYYY," sentences; each sentence metric is found by the catalog's patterns, and the
missing-children table is read as a table (pipelines/extract/breakdown.py). An observation's `geo` and
`year` are those its own sentence states (or the sheet's, where the sentence says none), so that
the checks can catch a sentence that speaks of another place or year.

A value the text no longer carries for certain is not guessed: it becomes a `Problem`, a
rejection with the check that names why (`breakdown_unreadable`, `value_unreadable`,
`footnote_ambiguous`).
"""

from __future__ import annotations

import re
import time
from decimal import Decimal
from pathlib import Path

from pipelines.core import catalog
from pipelines.core.documents import Observation, ParsedDocument, Problem
from pipelines.core.limits import DEFAULT, Limits
from pipelines.core.rejection import Rejected
from pipelines.extract import breakdown, captions, grid, title
from pipelines.extract.sentences import Sentences, find, sentence_spans, sentence_year, words_only
from pipelines.read.decode import Decoded, decode, sha256
from pipelines.read.normalise import Normalised, normalise
from pipelines.read.textmap import Mapped

_WELL_FORMED = re.compile(r"[1-9]\d{0,2}(?:,\d{3})+(?:\.\d+)?|(?:0|[1-9]\d*)(?:\.\d+)?|[a-z]+", re.IGNORECASE)


def _value(num: str, scale: str | None) -> float:
    """The figure's value: a float read from its digits (the nearest to them, as Decimal's would
    be), or, scaled ("36.2 million"), the exact product as a Decimal first."""
    number = catalog.NUMBER_WORDS.get(num.lower())
    if not scale:
        return float(number if number is not None else num.replace(",", ""))
    amount = Decimal(number) if number is not None else Decimal(num.replace(",", ""))
    return float(amount * catalog.SCALES[scale.lower()])


# A sheet states each of its figures once. Text that states most of them twice or more is a
# sheet copied over and over, or several sheets in one file: which copy to read is a guess.
_MIN_REPEATED = 3


def _once(repeated: list[str], found: int) -> None:
    """Reject text in which most of the figures found (metrics) are stated more than once."""
    if len(repeated) >= _MIN_REPEATED and 2 * len(repeated) > found:
        raise Rejected("repeated_text", f"states {len(repeated)} of its {found} figures more than once ({repeated[0]}, "
                                        f"{repeated[1]}, ...): a sheet copied over and over, or several sheets in one "
                                        "file, and which copy to read would be a guess")


class _Reader:
    """Reads one normalised sheet: its observations, and its problems."""

    def __init__(self, text: str, norm: Normalised, spans: list[tuple[int, int]], geo: str, year: int):
        self.text, self.norm, self.spans, self.geo, self.year = text, norm, Sentences(spans), geo, year
        self.observations: list[Observation] = []
        # For each observation, its figure as printed and where it starts in the decoded text.
        self.numerals: list[tuple[str, int]] = []
        self.problems: list[Problem] = []
        self.missing: list[catalog.Metric] = []  # the sentence metrics no sentence states

    def _evidence(self, start: int, end: int, text: Mapped | None = None) -> tuple[str, int, int]:
        """A span of `text` (`flat` unless said) as the decoded text's own characters, and where."""
        o_start, o_end = (self.norm.flat if text is None else text).span(start, end)
        return self.text[o_start:o_end], o_start, o_end

    def problem(self, geo: str, year: int, metric: str, check: str, reason: str, span: tuple[int, int],
                text: Mapped | None = None) -> None:
        self.problems.append(Problem(geo, year, metric, check, reason, self._evidence(*span, text)[0]))

    def sentences(self) -> tuple[int, int] | None:
        """Every sentence metric; returns the span of the sentence announcing the table."""
        table, repeated = None, []
        flat = self.norm.flat.text
        for metric in catalog.metrics():
            hit = find(metric, self.norm)
            if hit is None:
                self.missing.append(metric)
                continue
            if hit.again:
                repeated.append(metric.metric)
            start, end = self.spans.covering(hit.start, hit.end)
            if metric.scope == "national":
                geo = catalog.NATION
            else:
                # A name that is no known place is kept as written, for the geo check to name.
                geo = (catalog.resolve_place(hit.place) or hit.place) if hit.place else self.geo
            year = sentence_year(flat[start:end]) or self.year
            if metric.scope == "state" and metric.metric == breakdown.TOTAL:
                table = (start, end)
            if not _WELL_FORMED.fullmatch(hit.numeral):
                why = (f"with a space between its digit groups ('{hit.numeral}'): one figure set with thin spaces, "
                       "or two numbers side by side" if " " in hit.numeral else
                       f"as '{hit.numeral}', which is not a well-formed number (a footnote marker stuck to it?)")
                self.problem(geo, year, metric.metric, "value_unreadable",
                             f"The figure is printed {why}, so its value is not certain.", (start, end))
                continue
            self.add(Observation(geo, year, metric.metric, _value(hit.numeral, hit.scale),
                                 catalog.qualifier_for(hit.qual, bool(hit.scale)), metric.unit,
                                 *self._evidence(start, end)), hit.numeral, self.norm.span(hit.at, hit.at)[0])
        _once(repeated, len(self.observations) + len(self.problems))
        return table

    def captioned(self) -> bool:
        """The missing metrics an infographic states as captioned figures (in text order, else set
        in a grid); the rest named where words of their sentence are there. Whether the table's
        rows were read as captions."""
        state = [m for m in self.missing if m.scope == "state"]
        found = captions.read(self.norm.flat.text, state, self.year)
        self._captioned(found, self.norm.flat)
        done = {c.metric for c in found.figures} | {u.metric for u in found.unpaired}
        rows = found.rows
        if any(m.caption for m in state if m.metric not in done):
            in_grid = grid.read(self.norm.plain.text, [m for m in state if m.metric not in done], not rows)
            self._captioned(in_grid, self.norm.plain)
            done |= {c.metric for c in in_grid.figures}
            rows = rows or in_grid.rows
        for metric in self.missing:
            if metric.metric not in done or metric.scope != "state":
                self._lead_only(metric)
        order = {(m.metric, m.scope): i for i, m in enumerate(catalog.metrics())}
        self.problems.sort(key=lambda p: order.get((p.metric, catalog.scope_of(p.geo)), len(order)))
        return rows

    def _captioned(self, found: captions.Captions, text: Mapped) -> None:
        for c in found.figures:
            geo = (catalog.resolve_place(c.place) or c.place) if c.place else self.geo
            unit = catalog.metric_index()[c.metric, "state"].unit
            self.add(Observation(geo, self.year, c.metric, float(c.numeral.replace(",", "")), "exact", unit,
                                 *self._evidence(c.start, c.end, text)), c.numeral, text.span(c.at, c.at)[0])
        for u in found.unpaired:
            check = "breakdown_unreadable" if u.row else "value_unreadable"
            self.problem(self.geo, self.year, u.metric, check,
                         f"The sheet sets its figures over captions, and {u.reason}.", (u.start, u.end), text)

    def _lead_only(self, metric: catalog.Metric) -> None:
        """The words leading up to a figure are there ("NCMEC reviewed 133") but the sentence does
        not go on as the catalog's does, or the words after it are there with no figure before
        them, or only words of it the catalog names as its mentions: the extractor moved its words
        (drawing order, columns), or the sheet words it otherwise. Named, so that the figure is not
        silently missing."""
        found = words_only(metric, self.norm)
        if found is None:
            return
        kind, (start, end) = found
        words = " ".join(self.norm.flat.text[start:end].split())
        flat = self.norm.flat.text
        start, end = self.spans.covering(start, end)
        geo = catalog.NATION if metric.scope == "national" else self.geo
        why = {"lead": "the words after the figure are not those of the",
               "tail": "no figure stands before them as in the",
               "mention": "the rest of its words are not there as in the"}[kind]
        self.problem(geo, sentence_year(flat[start:end]) or self.year, metric.metric, "value_unreadable",
                     f"The sheet states '{words}', but {why} {metric.metric} sentence (moved by the exporter, "
                     "or worded otherwise), so what it counts is not certain.", (start, end))

    def add(self, observation: Observation, numeral: str, at: int) -> None:
        self.observations.append(observation)
        self.numerals.append((numeral, at))

    def table(self, announced: tuple[int, int] | None) -> None:
        """The missing-children rows, paired by the table's structure."""
        plain = self.norm.plain
        after = self.norm.plain_span(*announced)[1] if announced else 0
        table = breakdown.read(plain.text, after, frozenset(self.norm.footnotes.unplaced))
        if table is None:
            return  # no row label anywhere: the sheet lists no row (absent, never 0)
        self._stray_rows(table)
        if table.unreadable:
            evidence = self._evidence(table.start, table.end, plain)[0].strip()
            for metric in table.unreadable:
                self.problems.append(Problem(self.geo, self.year, metric, "breakdown_unreadable",
                                             f"The missing-children table cannot be read for certain: {table.reason}.",
                                             evidence))
            return
        self.norm.footnotes.referenced |= table.markers
        for row in table.rows:
            unit = catalog.metric_index()[row.metric, "state"].unit
            self.add(Observation(self.geo, self.year, row.metric, row.value, "exact", unit,
                                 *self._evidence(row.start, row.end, plain)), row.numeral,
                     plain.span(row.end - len(row.numeral), row.end)[0])

    def _stray_rows(self, table: breakdown.Breakdown) -> None:
        """A row label printed apart from the table (a tool set the table's second column after
        the next paragraph, say), or only words of it (its other words in another column): the
        row is there, and no number can be paired with it."""
        plain = self.norm.plain
        seen = {r.metric for r in table.rows} | set(table.unreadable)
        for metric in catalog.metrics():
            if metric.label is None or metric.metric in seen:
                continue
            spans = [m.span() for m in metric.label.finditer(plain.text)]
            what = "is printed apart from the table"
            if not spans:
                skeleton = self.norm.skeleton
                spans = [skeleton.span_in(plain, *m.span()) for p in metric.mentions for m in p.finditer(skeleton.text)]
                what = "is printed in pieces, with other text between its words"
            span = next((s for s in spans if not table.start <= s[0] < table.end), None)
            if span:
                self.problem(self.geo, self.year, metric.metric, "breakdown_unreadable",
                             f"The missing-children row '{' '.join(plain.text[slice(*span)].split())}' {what}, "
                             "so no number can be paired with it.", span, plain)

    def footnote_digits(self) -> None:
        """A note whose marker was found nowhere may have its digit stuck to a figure ("771"
        for "77" and note 1): every figure that could hide it is rejected, not read."""
        for marker in sorted(self.norm.footnotes.unplaced):
            keep = []
            for obs, (numeral, at) in zip(self.observations, self.numerals, strict=True):
                digits = str(marker)
                # The marker stuck to a figure ("771"), or the marker itself moved to where a
                # figure was expected (pypdf's layout mode sets a raised "3" on a line of its own).
                stuck = numeral.isdigit() and len(numeral) > len(digits) and numeral.endswith(digits)
                alone = numeral == digits and self.text[at - 1 : at] in ("\n", "")
                if stuck or alone:
                    what = (f"the figure {numeral} ends in {marker}: it may be {numeral[:-len(digits)]} with the "
                            "marker stuck to it" if stuck else f"the figure {numeral} starts a line, where the "
                            "exporter may have moved the marker")
                    self.problems.append(Problem(
                        obs.geo, obs.year, obs.metric, "footnote_ambiguous",
                        f"The sheet has a note {marker} whose marker is nowhere in the text, and {what}, "
                        "so it is not read.", obs.evidence))
                else:
                    keep.append((obs, (numeral, at)))
            self.observations = [o for o, _ in keep]
            self.numerals = [n for _, n in keep]


def parse_text(decoded: Decoded, doc: ParsedDocument) -> ParsedDocument:
    norm = normalise(decoded.text)
    flat = norm.flat.text
    doc.encoding, doc.text = decoded.encoding, decoded.text
    place = title.sheet_place(flat, norm.folded)
    if place is None:
        if not title.MARKER.search(flat):
            raise Rejected("not_a_fact_sheet",
                           "does not mention NCMEC and has no fact-sheet title, so it is not an NCMEC fact sheet")
        raise Rejected("not_a_fact_sheet",
                       "mentions NCMEC but has no title naming its place (\"... Exploited Children <Place> Data\")")
    geo = catalog.resolve_place(place)
    if geo is None or geo == catalog.NATION:
        raise Rejected("unknown_state", f"names '{place}' as its place, which is not a US state, DC or territory")
    spans = sentence_spans(flat)
    year = title.sheet_year(flat, spans)
    if year is None:
        raise Rejected("no_year", "states no year (no sentence begins \"In YYYY,\"), so its figures cannot be dated")
    reader = _Reader(decoded.text, norm, spans, geo, year)
    announced = reader.sentences()
    if not reader.captioned():
        reader.table(announced)
    reader.footnote_digits()
    if not reader.observations and not reader.problems:
        raise Rejected("not_a_fact_sheet", f"has a {catalog.geo_name(geo)} title but none of the catalog's figures")
    doc.geo, doc.year = geo, year
    doc.observations, doc.problems = reader.observations, reader.problems
    return doc


def parse_bytes(data: bytes, source_file: str, timings: dict[str, float] | None = None,
                digest: str | None = None, limits: Limits = DEFAULT) -> ParsedDocument:
    """Decode and extract one input; a bad input comes back rejected, never raises.

    `timings`, when given, accumulates the seconds spent in "decode" and "extract"; `digest` is
    the bytes' sha256 when the caller has it already (a run's inventory); `limits` bound a PDF.
    """
    doc = ParsedDocument(source_file=source_file, sha256=digest or sha256(data), n_bytes=len(data))
    clock = time.perf_counter()
    try:
        decoded = decode(data, limits)
        if timings is not None:
            now = time.perf_counter()
            timings["decode"] = timings.get("decode", 0.0) + now - clock
            clock = now
        return parse_text(decoded, doc)
    except Rejected as exc:
        doc.rejected_check, doc.rejected_reason = exc.check, f"The file {exc.reason}."
        doc.observations, doc.problems = [], []
        return doc
    finally:
        if timings is not None:
            key = "extract" if doc.text is not None else "decode"
            timings[key] = timings.get(key, 0.0) + time.perf_counter() - clock


def parse_file(path: Path, source_file: str | None = None, limits: Limits = DEFAULT) -> ParsedDocument:
    return parse_bytes(path.read_bytes(), source_file or path.name, limits=limits)
