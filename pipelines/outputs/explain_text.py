"""An explanation (pipelines/outputs/explain.py) as `ncmec explain` prints it, and as JSON. What
comes from the data (file
names, evidence, reasons, load ids) is passed through `printable`: a control character in a
sheet is shown as an escape, never sent to a terminal."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from pipelines.core import catalog
from pipelines.core.printable import printable as p
from pipelines.outputs.explain import Explanation, number_in


def _fmt(value: int | float | None, unit: str = "", qualifier: str = "exact") -> str:
    return "—" if value is None else catalog.fmt(value, unit, qualifier)


def as_text(e: Explanation) -> list[tuple[str, str]]:
    """The explanation as lines of (style, text): "title", "fact", "heading", "evidence" (the
    figure in it between two NUL characters, to highlight) or "" (plain)."""
    title = f"{e.geo} {e.year} {e.metric} ({e.place}, {e.scope} metric, {e.program})"
    lines: list[tuple[str, str]] = [("title", title)]
    if e.fact:
        f = e.fact
        lines.append(("fact", f"  {_fmt(f['value'], e.unit, f['qualifier'])} {e.unit} ({f['qualifier']}), from "
                              f"{f['n_sources']} sheet(s); the first: {p(f['source_file'])}; load {p(f['load_id'])}"))
    else:
        lines.append(("fact", p(f"  no fact: {e.why_no_fact}")))  # its reasons come from the sheets
    lines.append(("", f"  {e.description}"))
    if e.caveat:
        lines.append(("", f"  caveat: {e.caveat}"))
    lines += _sources_text(e)
    if e.checks:
        lines += [("heading", "checks passed"), ("", "  " + ", ".join(e.checks))]
    lines.append(("heading", "rejections of this key"))
    lines += [("", p(f"  {r['source_file']} ({r['check']}): {r['reason']}")) for r in e.rejections] or [("", "  none")]
    lines.append(("heading", "history"))
    lines += [("", f"  {h['change']}: {_fmt(h['old_value'])} -> {_fmt(h['new_value'])} by load {p(h['load_id'])}")
              for h in e.history] or [("", "  no change recorded")]
    if e.national:
        n = e.national
        share = f"; {e.geo} is {n['share']:.2%} of it" if n["share"] is not None else ""
        lines += [("heading", "national figure"), ("", f"  US {e.year}: {_fmt(n['value'], e.unit, n['qualifier'])} "
                                                       f"({n['qualifier']}){share}")]
    return lines


def _sources_text(e: Explanation) -> list[tuple[str, str]]:
    n = len(e.sources)
    lines = [("heading", f"stated by {n} document(s)" if n else "stated by no document")]
    for s in e.sources:
        status = "" if s.accepted else " (rejected)"
        lines.append(("", f"  {p(s.source_file)}{status}: {_fmt(s.value, e.unit, s.qualifier)} ({s.qualifier}); "
                          f"sha256 {p(s.sha256[:12])}…; load {p(s.load_id)}; characters {s.char_start}–{s.char_end}"))
        evidence = " ".join(s.evidence.split())
        number = number_in(evidence, s.value, s.qualifier)
        if number:
            a, b = number
            lines.append(("evidence", f"    “{p(evidence[:a])}\x00{p(evidence[a:b])}\x00{p(evidence[b:])}”"))
        else:
            lines.append(("evidence", f"    “{p(evidence)}”"))
    return lines


def as_json(e: Explanation) -> dict[str, Any]:
    data = asdict(e)
    for s in data["sources"]:
        s["number"] = list(s["number"]) if s["number"] else None
    return data
