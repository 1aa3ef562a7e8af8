"""Stage 3b: the checks of one batch of documents, which need nothing outside the batch.

Order: whole-document rejections, and the values extraction could not read for certain (its
problems: `breakdown_unreadable`, `value_unreadable`, `footnote_ambiguous`); field checks
(pandera, `schemas.py`); document checks (breakdown rows within and summing to the total,
sentence year and place, state within national). The checks across documents
(duplicates, the majority rule that makes facts, the cumulative CVIP total) run once over the
whole run in `resolve.py`, in SQL over the staged batches.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pandas as pd

from pipelines.core import catalog, registry, tables
from pipelines.core.documents import Batch, ParsedDocument, parser_fingerprint
from pipelines.extract.breakdown import ROWS as BREAKDOWN_PARTS
from pipelines.extract.breakdown import TOTAL as BREAKDOWN_TOTAL
from pipelines.validate import schemas

STAGED_OBSERVATIONS = tables.OBSERVATIONS.staged()  # the figure as read: the load writes the rest
OBS_COLUMNS = STAGED_OBSERVATIONS.names
# Explicit dtypes: an empty frame of object columns would make `obs[obs["accepted"]]` select
# columns instead of rows.
OBS_DTYPES = {c.name: c.dtype() for c in STAGED_OBSERVATIONS.columns if c.type != "varchar"}
REJECTION_COLUMNS = tables.REJECTIONS.names
DOCUMENT_COLUMNS = tables.DOCUMENTS.names


@dataclass
class Frames:
    """Rows for the warehouse's tables: of one batch (no facts yet), or of a whole run."""

    documents: pd.DataFrame
    observations: pd.DataFrame
    rejections: pd.DataFrame
    facts: pd.DataFrame | None = None


def primaries(found: Iterable[tuple[str, str]], incumbents: Mapping[str, str]) -> dict[str, str]:
    """For each file (name, sha256), the file whose copy of that content is loaded.

    Of byte-identical files one is loaded and the rest are duplicates, never parsed: the one the
    warehouse already loaded (`incumbents`: sha256 -> file), else the first by name, so that
    adding a copy never moves the values to another file.
    """
    found = sorted(found)
    present = set(found)
    primary: dict[str, str] = {}
    for name, sha in found:
        primary.setdefault(sha, name)
    primary.update({sha: name for sha, name in incumbents.items() if (name, sha) in present})
    return {name: primary[sha] for name, sha in found}


class _Rejector:
    """Collects rejections and marks the observations they reject."""

    def __init__(self, obs: pd.DataFrame, load_id: str):
        self.obs, self.load_id = obs, load_id
        self.rows: list[dict[str, object]] = []

    def add(self, source_file: str, geo: str | None, year: int | None, metric: str | None, check: str,
            reason: str | None, evidence: str | None) -> None:
        self.rows.append(dict(source_file=source_file, geo=geo, year=year, metric=metric, check=check,
                              reason=reason, evidence=evidence, load_id=self.load_id))

    def observation(self, index: object, check: str, reason: str) -> None:
        r = self.obs.loc[index]
        self.rows.append(dict(source_file=r.source_file, geo=r.geo, year=r.year, metric=r.metric,
                              check=check, reason=reason, evidence=r.evidence, load_id=self.load_id))
        self.obs.loc[index, "accepted"] = False

    def says(self, index: object, check: str, **fields: Any) -> None:
        """Reject an observation with the check's reason (registry.say) filled in with `fields`."""
        self.observation(index, check, registry.say(check, **fields))

    def frame(self) -> pd.DataFrame:
        df = pd.DataFrame(self.rows, columns=REJECTION_COLUMNS)
        return df.sort_values(["source_file", "check", "metric"], na_position="first", ignore_index=True)


def _documents(batch: Batch, rej: _Rejector, load_id: str) -> pd.DataFrame:
    """One row per file of the batch, by name: loaded, or rejected as a whole with its reason;
    and the rejections of the file, then of the values it states but that cannot be read."""
    d, p = batch.documents, batch.problems
    order = sorted(range(len(batch)), key=d["source_file"].__getitem__)
    problems: dict[str, list[int]] = {}
    for i, name in enumerate(p["source_file"]):
        problems.setdefault(name, []).append(i)
    for i in order:
        name = d["source_file"][i]
        if d["rejected_check"][i] is not None:
            rej.add(name, d["geo"][i], d["year"][i], None, d["rejected_check"][i], d["rejected_reason"][i], None)
        for j in problems.get(name, ()):
            rej.add(name, p["geo"][j], p["year"][j], p["metric"][j], p["check"][j], p["reason"][j], p["evidence"][j])
    columns = {**d, "reason": d["rejected_reason"],
               "status": ["loaded" if c is None else "rejected" for c in d["rejected_check"]]}
    rows = {c: [columns[c][i] for i in order] for c in DOCUMENT_COLUMNS if c not in ("parser", "load_id")}
    return pd.DataFrame({**rows, "parser": [parser_fingerprint()] * len(order), "load_id": [load_id] * len(order)},
                        columns=DOCUMENT_COLUMNS)


def _document_checks(obs: pd.DataFrame, docs: pd.DataFrame, rej: _Rejector, unread: set[str]) -> None:
    sheet = docs.set_index("source_file")[["geo", "year"]]
    sheet_geo = obs["source_file"].map(sheet["geo"])
    sheet_year = obs["source_file"].map(sheet["year"])
    live = obs["accepted"]
    for i in obs.index[live & (obs["year"] != sheet_year)]:
        rej.says(i, "year_matches_sheet", year=obs.at[i, "year"], sheet_year=sheet_year[i])
    state_rows = obs["accepted"] & (obs["geo"] != catalog.NATION)
    for i in obs.index[state_rows & (obs["geo"] != sheet_geo)]:
        rej.says(i, "place_matches_sheet", place=catalog.geo_name(obs.at[i, "geo"]),
                 sheet_place=catalog.geo_name(sheet_geo[i]))

    _breakdown_sums(obs, rej, unread)
    _state_within_national(obs, rej)


def _breakdown_sums(obs: pd.DataFrame, rej: _Rejector, unread: set[str]) -> None:
    """Each breakdown row is at most the sheet's total, and the rows it lists sum to the total
    (a row it leaves out is one with no cases). A misread row fails one or the other. On a
    sheet with a row that could not be read (`unread`), the rows read add up to at most it."""
    state = obs[obs["accepted"] & (obs["geo"] != catalog.NATION)]
    rows = state[state["metric"].isin([BREAKDOWN_TOTAL, *BREAKDOWN_PARTS])]
    wide = rows.pivot_table(index="source_file", columns="metric", values="value", aggfunc="first")
    if BREAKDOWN_TOTAL not in wide:
        return
    parts = wide.reindex(columns=list(BREAKDOWN_PARTS))
    total = wide[BREAKDOWN_TOTAL]
    over = parts.gt(total, axis=0)
    for source_file in wide.index[over.any(axis=1)]:
        for metric in over.columns[over.loc[source_file]]:
            reason = registry.say("breakdown_row_within_total", metric=metric,
                                  value=catalog.fmt(parts.at[source_file, metric]),
                                  total=catalog.fmt(total[source_file]))
            for i in rows.index[(rows["source_file"] == source_file) & rows["metric"].isin([metric, BREAKDOWN_TOTAL])]:
                rej.observation(i, "breakdown_row_within_total", reason)
    part_sum, present = parts.sum(axis=1), parts.notna().sum(axis=1)
    partial = wide.index.isin(list(unread))
    bad = total.notna() & (present > 0) & ~over.any(axis=1) & (
        (~partial & (part_sum != total)) | (partial & (part_sum > total)))
    for source_file in wide.index[bad]:
        shown = " + ".join(catalog.fmt(v) for v in parts.loc[source_file].dropna())
        reason = registry.say("breakdown_sums", sum=catalog.fmt(part_sum[source_file]), shown=shown,
                              total=catalog.fmt(total[source_file]))
        for i in rows.index[rows["source_file"] == source_file]:
            rej.observation(i, "breakdown_sums", reason)


def _state_within_national(obs: pd.DataFrame, rej: _Rejector) -> None:
    """A state's value is at most the national value of the same metric on the same sheet."""
    live = obs[obs["accepted"]]
    national = live[live["geo"] == catalog.NATION][["source_file", "metric", "value"]]
    state = live[live["geo"] != catalog.NATION].reset_index()
    both = state.merge(national, on=["source_file", "metric"], suffixes=("", "_national"))
    for r in both[both["value"] > both["value_national"]].itertuples():
        rej.says(r.index, "state_within_national", value=catalog.fmt(r.value), metric=r.metric,
                 national=catalog.fmt(r.value_national))


def check_batch(parsed: Batch | list[ParsedDocument], load_id: str) -> Frames:
    """Every check that needs only the batch, over documents that are not duplicates.

    Each table's rows are validated against its pandera model, so what is staged is what the
    warehouse accepts; observations that fail a check stay, with `accepted` false.
    """
    batch = parsed if isinstance(parsed, Batch) else Batch.of(parsed)
    rej = _Rejector(pd.DataFrame(columns=OBS_COLUMNS), load_id)
    docs = _documents(batch, rej, load_id)
    rej.obs = obs = pd.DataFrame(batch.observations, columns=OBS_COLUMNS[:-2]).assign(
        accepted=True, load_id=load_id).astype(OBS_DTYPES)
    for index, check, reason in schemas.row_failures(schemas.ObservationChecks, obs):
        rej.observation(index, check, reason)
    unread = {name for name, metric in zip(batch.problems["source_file"], batch.problems["metric"], strict=True)
              if metric in BREAKDOWN_PARTS}
    _document_checks(obs, docs, rej, unread)
    return Frames(
        documents=schemas.validate_table(schemas.Documents, docs),
        observations=schemas.validate_table(schemas.Observations, obs),
        rejections=schemas.validate_table(schemas.Rejections, rej.frame()),
    )
