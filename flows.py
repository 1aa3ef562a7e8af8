"""Prefect entry point: wires the stages of `pipelines` into one flow.

    python flows.py                      # run once on raw/ into warehouse/ncmec.duckdb
    python flows.py --raw DIR --db FILE  # the same with other paths (or use `ncmec run`)

Tasks work on batches of documents: Prefect's overhead per task run is tens of milliseconds.
"""

from __future__ import annotations

import os
import sys
import time
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import TYPE_CHECKING
from unittest import mock

# A temporary Prefect server needs more than the default 20 s to start on a busy 2-core machine.
os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", "120")
# The machines running this reach no telemetry endpoint; trying only logs an error.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

from prefect import flow, get_run_logger, task  # noqa: E402
from prefect.context import get_run_context  # noqa: E402
from prefect.cache_policies import NO_CACHE  # noqa: E402
from prefect.task_runners import ProcessPoolTaskRunner  # noqa: E402
from prefect.utilities.annotations import quote  # noqa: E402

from pipelines import intake  # noqa: E402

# Parse workers import this module to find `parse_batch`: pandas, pandera and DuckDB (about
# 100 MiB a process) are imported where they are used, not here.
if TYPE_CHECKING:
    from pipelines.checks import Frames
    from pipelines.extract import ParsedDocument
    from pipelines.load import LoadStats

DEFAULT_RAW = "raw"
DEFAULT_DB = "warehouse/ncmec.duckdb"
BATCH_SIZE = 500


@dataclass
class RunSummary:
    stats: LoadStats
    rejected_files: list[tuple[str, str, str]] = field(default_factory=list)  # file, check, reason
    rejections_by_check: dict[str, int] = field(default_factory=dict)


# Tasks take and return plain data; caching by input hash would hash whole batches for nothing.
@task(name="parse-batch", cache_policy=NO_CACHE)
def parse_batch(raw: str, files: list[str]) -> intake.ParsedBatch:
    return intake.parse_files(Path(raw), files)


@task(name="validate", cache_policy=NO_CACHE)
def validate(parsed: list[ParsedDocument], load_id: str, incumbents: dict[str, str]) -> Frames:
    from pipelines import checks

    return checks.build_frames(parsed, load_id, incumbents)


@task(name="load", cache_policy=NO_CACHE)
def load_warehouse(db: str, frames: Frames, load_id: str, files_parsed: int,
                   timings: dict[str, float]) -> LoadStats:
    from pipelines import load

    return load.load(Path(db), frames, load_id, files_parsed, timings)


def _parse(raw: str, files: list[str], batch_size: int, workers: int) -> list[intake.ParsedBatch]:
    """Parse in batches: on a process pool (every core) when there is more than one batch."""
    chunks = list(intake.batches(files, batch_size))
    if workers > 1 and len(chunks) > 1:
        # Without a server of its own a flow runs on a temporary one that only this process
        # knows; a worker process would start yet another (~10 s each). Point them at ours.
        api_url = os.environ.get("PREFECT_API_URL") or str(get_run_context().client.api_url)
        with mock.patch.dict(os.environ, {"PREFECT_API_URL": api_url}), \
                ProcessPoolTaskRunner(max_workers=min(workers, len(chunks))) as runner:
            futures = [runner.submit(parse_batch, {"raw": raw, "files": chunk}) for chunk in chunks]
            return [_progress(future.result(), i, chunks) for i, future in enumerate(futures)]
    return [_progress(parse_batch(raw, chunk), i, chunks) for i, chunk in enumerate(chunks)]


def _progress(batch: intake.ParsedBatch, index: int, chunks: list[list[str]]) -> intake.ParsedBatch:
    """A log line per parsed batch of a long run (in the terminal and in Prefect's UI)."""
    if len(chunks) > 1:
        done = sum(len(c) for c in chunks[: index + 1])
        total = sum(len(c) for c in chunks)
        get_run_logger().info("parsed %s of %s new files (batch %d of %d)", f"{done:,}", f"{total:,}",
                              index + 1, len(chunks))
    return batch


@flow(name="ncmec-warehouse")
def warehouse_flow(
    raw: str = DEFAULT_RAW, db: str = DEFAULT_DB, wait: float = 0.0, batch_size: int = BATCH_SIZE,
    workers: int = 0,
) -> RunSummary:
    """Parse every file under `raw`, validate, and load into `db`: one writer at a time.

    Content the warehouse already holds is not parsed again; when nothing changed at all, the
    run only records itself. `workers` parse processes (0: one per core).
    """
    from pipelines import load
    from pipelines.lock import run_lock

    logger = get_run_logger()
    files = intake.discover(Path(raw))
    load_id = load.new_load_id()
    with run_lock(Path(db), wait=wait):
        load.begin_run(Path(db), raw, load_id, datetime.now(timezone.utc))
        try:
            found = intake.inventory(Path(raw), files)
            if load.stored_inventory(Path(db)) == {(d.source_file, d.sha256) for d in found}:
                logger.info("inputs unchanged since the last run: nothing to parse or load")
                return RunSummary(stats=load.record_unchanged_run(Path(db), load_id),
                                  rejected_files=load.rejected_files(Path(db)))
            known = load.previous_documents(Path(db))
            fresh = [d.source_file for d in found if d.sha256 not in known and not d.rejected]
            batches = _parse(raw, fresh, batch_size, workers or os.cpu_count() or 1)
            by_name = {d.source_file: d for b in batches for d in b.documents}
            parsed = [intake.reuse(d, known[d.sha256]) if d.sha256 in known
                      else by_name.get(d.source_file, d) for d in found]
            timings = {k: sum(b.timings[k] for b in batches) for k in ("decode", "extract")}
            clock = time.perf_counter()
            # quote(): Prefect would otherwise walk every document and observation looking for
            # futures (seconds at a few thousand sheets).
            incumbents = {sha: doc.source_file for sha, doc in known.items()}
            frames = validate(quote(parsed), load_id, quote(incumbents))
            timings["validate"] = time.perf_counter() - clock
            stats = load_warehouse(db, quote(frames), load_id, len(fresh), timings)
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
