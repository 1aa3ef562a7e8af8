"""Stage 3b: from parsed documents to the warehouse's frames, every check applied.

Order: whole-document rejections and duplicates; field checks (pandera, `schemas.py`);
document checks (breakdown sums, sentence year and place, state within national); then across
documents the majority rule that makes facts (national figures agree within a year, the same
key agrees across documents) and the cumulative CVIP total never falling.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd

from . import catalog, schemas
from .extract import PARSER, Observation, ParsedDocument

OBS_COLUMNS = ["source_file", *Observation.__dataclass_fields__, "accepted", "load_id"]
# Explicit dtypes: an empty frame of object columns would make `obs[obs["accepted"]]` select
# columns instead of rows.
OBS_DTYPES = {"year": "int64", "value": "float64", "char_start": "int64", "char_end": "int64", "accepted": "bool"}
REJECTION_COLUMNS = list(schemas.Rejections.to_schema().columns)
BREAKDOWN_TOTAL = "missing_child_cases"
BREAKDOWN_PARTS = ("missing_from_social_services", "missing_other", "missing_reported_by_hhs_orr")
CUMULATIVE = "cvip_children_identified_cumulative"


@dataclass
class Frames:
    documents: pd.DataFrame
    observations: pd.DataFrame
    facts: pd.DataFrame
    rejections: pd.DataFrame


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,}"


def _files(files: list[str], most: int = 3) -> str:
    files = sorted(files)
    shown = ", ".join(files[:most])
    return shown + (f" and {len(files) - most} more" if len(files) > most else "")


class _Rejector:
    """Collects rejections and marks the observations they reject."""

    def __init__(self, obs: pd.DataFrame, load_id: str):
        self.obs, self.load_id, self.rows = obs, load_id, []

    def document(self, doc: ParsedDocument, check: str, reason: str) -> None:
        self.rows.append(dict(source_file=doc.source_file, geo=doc.geo, year=doc.year, metric=None,
                              check=check, reason=reason, evidence=None, load_id=self.load_id))

    def observation(self, index: object, check: str, reason: str) -> None:
        r = self.obs.loc[index]
        self.rows.append(dict(source_file=r.source_file, geo=r.geo, year=r.year, metric=r.metric,
                              check=check, reason=reason, evidence=r.evidence, load_id=self.load_id))
        self.obs.loc[index, "accepted"] = False

    def frame(self) -> pd.DataFrame:
        df = pd.DataFrame(self.rows, columns=REJECTION_COLUMNS)
        return df.sort_values(["source_file", "check", "metric"], na_position="first", ignore_index=True)


def _documents(parsed: list[ParsedDocument], rej: _Rejector, load_id: str,
               incumbents: Mapping[str, str]) -> tuple[pd.DataFrame, list[ParsedDocument]]:
    """One row per file. Of byte-identical files one is loaded and the rest are duplicates: the
    one the warehouse already loaded (`incumbents`: sha256 -> file), else the first by name, so
    that adding a copy never moves the values to another file."""
    present = {(d.sha256, d.source_file) for d in parsed}
    primary: dict[str, str] = {}
    for doc in sorted(parsed, key=lambda d: d.source_file):
        primary.setdefault(doc.sha256, doc.source_file)
    primary.update({sha: name for sha, name in incumbents.items() if (sha, name) in present})
    rows, loaded = [], []
    for doc in sorted(parsed, key=lambda d: d.source_file):
        if primary[doc.sha256] != doc.source_file:
            status = "duplicate"
        elif doc.rejected:
            status = "rejected"
            rej.document(doc, doc.rejected_check, doc.rejected_reason)
        else:
            status = "loaded"
            loaded.append(doc)
        rows.append(dict(source_file=doc.source_file, sha256=doc.sha256, n_bytes=doc.n_bytes,
                         encoding=doc.encoding, geo=doc.geo, year=doc.year, status=status,
                         rejected_check=doc.rejected_check, reason=doc.rejected_reason,
                         n_observations=len(doc.observations) if status == "loaded" else 0,
                         text=doc.text, parser=PARSER, load_id=load_id))
    return pd.DataFrame(rows, columns=list(schemas.Documents.to_schema().columns)), loaded


def _document_checks(obs: pd.DataFrame, docs: pd.DataFrame, rej: _Rejector) -> None:
    sheet = docs.set_index("source_file")[["geo", "year"]]
    sheet_geo = obs["source_file"].map(sheet["geo"])
    sheet_year = obs["source_file"].map(sheet["year"])
    live = obs["accepted"]
    for i in obs.index[live & (obs["year"] != sheet_year)]:
        rej.observation(i, "year_matches_sheet",
                        f"The sentence is about {obs.at[i, 'year']}, but the sheet is about {sheet_year[i]}.")
    state_rows = obs["accepted"] & (obs["geo"] != catalog.NATION)
    for i in obs.index[state_rows & (obs["geo"] != sheet_geo)]:
        rej.observation(i, "place_matches_sheet",
                        f"The sentence names {catalog.geo_name(obs.at[i, 'geo'])}, "
                        f"but the sheet is about {catalog.geo_name(sheet_geo[i])}.")

    _breakdown_sums(obs, rej)
    _state_within_national(obs, rej)


def _breakdown_sums(obs: pd.DataFrame, rej: _Rejector) -> None:
    """The breakdown rows sum to the total: exactly when all three are there, else at most."""
    state = obs[obs["accepted"] & (obs["geo"] != catalog.NATION)]
    rows = state[state["metric"].isin([BREAKDOWN_TOTAL, *BREAKDOWN_PARTS])]
    wide = rows.pivot_table(index="source_file", columns="metric", values="value", aggfunc="first")
    if BREAKDOWN_TOTAL not in wide:
        return
    parts = wide.reindex(columns=list(BREAKDOWN_PARTS))
    total, part_sum, present = wide[BREAKDOWN_TOTAL], parts.sum(axis=1), parts.notna().sum(axis=1)
    bad = total.notna() & (present > 0) & (
        ((present == len(BREAKDOWN_PARTS)) & (part_sum != total)) | (part_sum > total))
    for source_file in wide.index[bad]:
        shown = " + ".join(_fmt(v) for v in parts.loc[source_file].dropna())
        reason = (f"The missing-children rows add up to {_fmt(part_sum[source_file])} ({shown}), "
                  f"but the sheet's total is {_fmt(total[source_file])}.")
        for i in rows.index[rows["source_file"] == source_file]:
            rej.observation(i, "breakdown_sums", reason)


def _state_within_national(obs: pd.DataFrame, rej: _Rejector) -> None:
    """A state's value is at most the national value of the same metric on the same sheet."""
    live = obs[obs["accepted"]]
    national = live[live["geo"] == catalog.NATION][["source_file", "metric", "value"]]
    state = live[live["geo"] != catalog.NATION].reset_index()
    both = state.merge(national, on=["source_file", "metric"], suffixes=("", "_national"))
    for r in both[both["value"] > both["value_national"]].itertuples():
        rej.observation(r.index, "state_within_national",
                        f"The state figure {_fmt(r.value)} for {r.metric} is larger than "
                        f"the national figure {_fmt(r.value_national)}.")


KEY = ["geo", "year", "metric"]


def _resolve(obs: pd.DataFrame, rej: _Rejector, load_id: str) -> pd.DataFrame:
    """One fact per (geo, year, metric): the (value, qualifier) most distinct documents give.

    A tie for the most is a conflict: every document of the key is rejected and there is no
    fact. Documents that give a minority value are rejected, naming the majority's files.
    """
    live = obs[obs["accepted"]]
    votes = (live.groupby([*KEY, "value", "qualifier"], sort=False)["source_file"]
             .agg(n="nunique", files=lambda s: sorted(set(s))).reset_index()
             .sort_values([*KEY, "n", "value"], ascending=[True, True, True, False, True]))
    ranked = votes.groupby(KEY, sort=False)
    top, runner_up = ranked.nth(0).set_index(KEY), ranked.nth(1).set_index(KEY)
    tied = top.index.intersection(runner_up.index[runner_up["n"] == top.loc[runner_up.index, "n"]])
    winners = top.drop(index=tied)

    rows = live.merge(winners[["value", "qualifier", "n", "files"]].reset_index(), on=KEY,
                      how="left", suffixes=("", "_top")).set_axis(live.index)
    lost = rows[(rows["value"] != rows["value_top"]) | (rows["qualifier"] != rows["qualifier_top"])]
    said = {key: "; ".join(f"{_fmt(v.value)} ({v.qualifier}) in {_files(v.files)}" for v in g.itertuples())
            for key, g in votes.set_index(KEY).loc[tied].groupby(level=[0, 1, 2])} if len(tied) else {}
    for i, r in lost.iterrows():
        check = "national_agrees" if r.geo == catalog.NATION else "sources_agree"
        key = (r.geo, r.year, r.metric)
        if key in said:
            reason = (f"Sheets disagree on {r.metric} for {r.geo} {r.year} ({said[key]}); "
                      "no value has a majority, so there is no fact.")
        else:
            reason = (f"This sheet gives {_fmt(r.value)} ({r.qualifier}) for {r.metric} ({r.geo} {r.year}), "
                      f"but {int(r.n)} sheet(s) give {_fmt(r.value_top)} ({r.qualifier_top}): {_files(r.files)}.")
        rej.observation(i, check, reason)

    facts = winners.reset_index().assign(
        year=lambda f: f["year"].astype("int64"),
        unit=lambda f: [catalog.metric_index()[(m, catalog.scope_of(g))].unit for g, m in zip(f["geo"], f["metric"])],
        source_file=lambda f: f["files"].map(min), n_sources=lambda f: f["n"].astype("int64"),
        load_id=load_id,
    )
    return facts.sort_values(KEY, ignore_index=True)[list(schemas.Facts.to_schema().columns)]


def _cumulative_never_falls(facts: pd.DataFrame, obs: pd.DataFrame, rej: _Rejector) -> pd.DataFrame:
    series = facts[(facts["metric"] == CUMULATIVE) & (facts["geo"] == catalog.NATION)].sort_values("year")
    drop, best = [], None
    for i, row in series.iterrows():
        if best is not None and row.value < best.value:
            reason = (f"The cumulative CVIP total {_fmt(row.value)} for {row.year} is below "
                      f"{_fmt(best.value)} for {best.year}; a running total cannot fall.")
            hit = obs.index[obs["accepted"] & (obs["metric"] == CUMULATIVE) & (obs["year"] == row.year)
                            & (obs["geo"] == catalog.NATION)]
            for j in hit:
                rej.observation(j, "cvip_cumulative_non_decreasing", reason)
            drop.append(i)
        elif best is None or row.value >= best.value:
            best = row
    return facts.drop(index=drop).reset_index(drop=True)


def build_frames(parsed: list[ParsedDocument], load_id: str, incumbents: Mapping[str, str] | None = None) -> Frames:
    """All checks over one run's parsed documents: the frames the load stage writes.

    `incumbents` maps the sha256 of content the warehouse already holds to the file it was
    loaded from (see `_documents`).
    """
    rej = _Rejector(pd.DataFrame(columns=OBS_COLUMNS), load_id)
    docs, loaded = _documents(parsed, rej, load_id, incumbents or {})
    rej.obs = obs = pd.DataFrame.from_records(
        [(d.source_file, o.geo, o.year, o.metric, o.value, o.qualifier, o.unit, o.evidence,
          o.char_start, o.char_end) for d in loaded for o in d.observations],
        columns=OBS_COLUMNS[:-2],
    ).assign(accepted=True, load_id=load_id).astype(OBS_DTYPES)
    for index, check, reason in schemas.row_failures(schemas.ObservationChecks, obs):
        rej.observation(index, check, reason[0].upper() + reason[1:] + ".")
    _document_checks(obs, docs, rej)
    facts = _cumulative_never_falls(_resolve(obs, rej, load_id), obs, rej)
    return Frames(
        documents=schemas.validate_table(schemas.Documents, docs),
        observations=schemas.validate_table(schemas.Observations, obs),
        facts=schemas.validate_table(schemas.Facts, facts),
        rejections=schemas.validate_table(schemas.Rejections, rej.frame()),
    )
