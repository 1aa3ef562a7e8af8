"""Prefect entry point: wires the stages of `pipelines` into one flow.

    python flows.py                      # run once on raw/ into warehouse/ncmec.duckdb
    python flows.py --raw DIR --db FILE  # the same with other paths (or use `ncmec run`)

Tasks work on batches of documents: Prefect's overhead per task run is tens of milliseconds.
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

# A temporary Prefect server needs more than the default 20 s to start on a busy 2-core machine.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
# The machines running this reach no telemetry endpoint; trying only logs an error.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

from prefect import flow, get_run_logger, task  # noqa: E402
from prefect.cache_policies import NO_CACHE  # noqa: E402

from pipelines import checks, intake, load  # noqa: E402
from pipelines.checks import Frames  # noqa: E402
from pipelines.extract import ParsedDocument  # noqa: E402
from pipelines.lock import run_lock  # noqa: E402

DEFAULT_RAW = "raw"
DEFAULT_DB = "warehouse/ncmec.duckdb"
BATCH_SIZE = 500


@dataclass
class RunSummary:
    stats: load.LoadStats
    rejected_files: list[tuple[str, str, str]] = field(default_factory=list)  # file, check, reason
    rejections_by_check: dict[str, int] = field(default_factory=dict)


# Tasks take and return plain data; caching by input hash would hash whole batches for nothing.
@task(name="parse-batch", cache_policy=NO_CACHE)
def parse_batch(raw: str, files: list[str], known: frozenset[str]) -> list[ParsedDocument]:
    return intake.parse_files(Path(raw), files, known)


@task(name="validate", cache_policy=NO_CACHE)
def validate(parsed: list[ParsedDocument], load_id: str, incumbents: dict[str, str]) -> Frames:
    return checks.build_frames(parsed, load_id, incumbents)


@task(name="load", cache_policy=NO_CACHE)
def load_warehouse(db: str, frames: Frames, load_id: str, files_parsed: int) -> load.LoadStats:
    return load.load(Path(db), frames, load_id, files_parsed)


@flow(name="ncmec-warehouse")
def warehouse_flow(
    raw: str = DEFAULT_RAW, db: str = DEFAULT_DB, wait: float = 0.0, batch_size: int = BATCH_SIZE
) -> RunSummary:
    """Parse every file under `raw`, validate, and load into `db`: one writer at a time."""
    logger = get_run_logger()
    files = intake.discover(Path(raw))
    load_id = load.new_load_id()
    with run_lock(Path(db), wait=wait):
        load.begin_run(Path(db), raw, load_id, datetime.now(timezone.utc))
        try:
            known = load.previous_documents(Path(db))
            futures = [parse_batch.submit(raw, batch, frozenset(known))
                       for batch in intake.batches(files, batch_size)]
            parsed = [doc for future in futures for doc in future.result()]
            files_parsed = sum(not d.reused for d in parsed)
            parsed = intake.fill_reused(parsed, known)
            frames = validate(parsed, load_id, {sha: doc.source_file for sha, doc in known.items()})
            stats = load_warehouse(db, frames, load_id, files_parsed)
        except BaseException as exc:
            load.fail_run(Path(db), load_id, f"{type(exc).__name__}: {exc}")
            raise
    rejected = [(d.source_file, d.rejected_check, d.rejected_reason) for d in parsed if d.rejected]
    for name, check, reason in rejected:
        logger.warning("rejected %s (%s): %s", name, check, reason)
    logger.info(
        "load %s: %d files (%d parsed; %d loaded, %d duplicate, %d rejected), %d facts, %d rejections",
        load_id, stats.files_seen, stats.files_parsed, stats.files_loaded, stats.files_duplicate,
        stats.files_rejected, stats.facts, stats.rejections,
    )
    by_check = frames.rejections["check"].value_counts().to_dict()
    return RunSummary(stats=stats, rejected_files=rejected, rejections_by_check=by_check)


if __name__ == "__main__":
    from pipelines.cli import app

    sys.exit(app(["run", *sys.argv[1:]]))
