"""Prefect entry point: wires the stages of `pipelines` into one flow.

    python flows.py                      # run once on raw/ into warehouse/ncmec.duckdb
    python flows.py --raw DIR --db FILE  # the same with other paths (or use `ncmec run`)

Tasks work on batches of documents: Prefect's overhead per task run is tens of milliseconds.
"""

from __future__ import annotations

import os
import sys
import time
from collections import deque
from collections.abc import Iterator
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
    from pipelines.extract import ParsedDocument
    from pipelines.load import LoadStats
    from pipelines.staging import Staging

DEFAULT_RAW = "raw"
DEFAULT_DB = "warehouse/ncmec.duckdb"
BATCH_SIZE = 500  # files per parse task: small enough to spread over the workers evenly
# Documents per check task: pandera's cost per validation is fixed (tens of ms), so checks run
# over a few parse batches at once; still one bounded batch, not the run.
CHECK_BATCH_SIZE = 1000


@dataclass
class RunSummary:
    stats: LoadStats
    rejected_files: list[tuple[str, str, str]] = field(default_factory=list)  # file, check, reason
    rejections_by_check: dict[str, int] = field(default_factory=dict)


# Tasks take and return plain data; caching by input hash would hash whole batches for nothing.
@task(name="parse-batch", cache_policy=NO_CACHE)
def parse_batch(raw: str, files: list[str]) -> intake.ParsedBatch:
    return intake.parse_files(Path(raw), files)


@task(name="check-batch", cache_policy=NO_CACHE)
def check_batch(stage: Staging, documents: list[ParsedDocument], load_id: str) -> None:
    from pipelines import checks

    stage.append(checks.check_batch(documents, load_id))


@task(name="resolve", cache_policy=NO_CACHE)
def resolve_run(stage: Staging, copies: dict[str, str], load_id: str) -> None:
    from pipelines import resolve

    stage.add_duplicates(copies, load_id)
    resolve.resolve(stage, load_id)


@task(name="load", cache_policy=NO_CACHE)
def load_warehouse(db: str, stage_dir: str, load_id: str, files_parsed: int,
                   timings: dict[str, float]) -> LoadStats:
    from pipelines import load

    return load.load(Path(db), Path(stage_dir), load_id, files_parsed, timings)


def _parse(raw: str, files: list[str], batch_size: int, workers: int) -> Iterator[intake.ParsedBatch]:
    """Parse in batches, yielded as they are done: on a process pool (every core) when there is
    more than one batch, with a few batches in flight, so memory does not grow with the run."""
    chunks = list(intake.batches(files, batch_size))
    if workers > 1 and len(chunks) > 1:
        # Without a server of its own a flow runs on a temporary one that only this process
        # knows; a worker process would start yet another (~10 s each). Point them at ours.
        api_url = os.environ.get("PREFECT_API_URL") or str(get_run_context().client.api_url)
        with mock.patch.dict(os.environ, {"PREFECT_API_URL": api_url}), \
                ProcessPoolTaskRunner(max_workers=min(workers, len(chunks))) as runner:
            in_flight: deque = deque()
            for i, chunk in enumerate(chunks):
                in_flight.append(runner.submit(parse_batch, {"raw": raw, "files": chunk}))
                if len(in_flight) > workers:
                    yield _progress(in_flight.popleft().result(), i - len(in_flight), chunks)
            while in_flight:
                yield _progress(in_flight.popleft().result(), len(chunks) - len(in_flight) - 1, chunks)
    else:
        for i, chunk in enumerate(chunks):
            yield _progress(parse_batch(raw, chunk), i, chunks)


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
    run only records itself. `workers` parse processes (0: one per core). Checked batches are
    staged on disk as they come, so memory stays flat however many files there are.
    """
    from pipelines import checks, load, staging
    from pipelines.lock import run_lock

    logger = get_run_logger()
    files = intake.discover(Path(raw))
    load_id = load.new_load_id()
    with run_lock(Path(db), wait=wait):
        load.begin_run(Path(db), raw, load_id, datetime.now(timezone.utc))
        try:
            staging.remove_stale(Path(db))
            found = intake.inventory(Path(raw), files)
            if load.stored_inventory(Path(db)) == {(d.source_file, d.sha256) for d in found}:
                logger.info("inputs unchanged since the last run: nothing to parse or load")
                return RunSummary(stats=load.record_unchanged_run(Path(db), load_id),
                                  rejected_files=load.rejected_files(Path(db)))
            stored = load.stored_content(Path(db))
            primary = checks.primaries(((d.source_file, d.sha256) for d in found),
                                       {sha: name for sha, (name, _) in stored.items()})
            firsts = [d for d in found if primary[d.source_file] == d.source_file]
            unreadable = [d for d in firsts if d.rejected]
            reusable = {sha for sha, (_, same_parser) in stored.items() if same_parser}
            known = [d for d in firsts if not d.rejected and d.sha256 in reusable]
            fresh = [d.source_file for d in firsts if not d.rejected and d.sha256 not in reusable]
            timings = {"decode": 0.0, "extract": 0.0, "validate": 0.0}

            def documents() -> Iterator[list[ParsedDocument]]:
                yield unreadable
                for batch in _parse(raw, fresh, batch_size, workers or os.cpu_count() or 1):
                    timings["decode"] += batch.timings["decode"]
                    timings["extract"] += batch.timings["extract"]
                    yield batch.documents
                for chunk in intake.batches(known, batch_size):
                    clock = time.perf_counter()
                    reused = load.stored_documents(Path(db), chunk)
                    timings["validate"] += time.perf_counter() - clock
                    yield reused

            with staging.staging_for(Path(db), load_id) as stage:
                for group in intake.regroup(documents(), CHECK_BATCH_SIZE):
                    clock = time.perf_counter()
                    # quote(): Prefect would otherwise walk every document looking for futures.
                    check_batch(quote(stage), quote(group), load_id)
                    timings["validate"] += time.perf_counter() - clock
                clock = time.perf_counter()
                copies = {name: first for name, first in primary.items() if name != first}
                resolve_run(quote(stage), quote(copies), load_id)
                timings["validate"] += time.perf_counter() - clock
                rejected, by_check = stage.rejected_files(), stage.rejections_by_check()
                stats = load_warehouse(db, str(stage.folder), load_id, len(fresh), timings)
        except BaseException as exc:
            load.fail_run(Path(db), load_id, f"{type(exc).__name__}: {exc}")
            raise
    for name, check, reason in rejected:
        logger.warning("rejected %s (%s): %s", name, check, reason)
    logger.info(
        "load %s: %d files (%d parsed; %d loaded, %d duplicate, %d rejected), %d facts, %d rejections",
        load_id, stats.files_seen, stats.files_parsed, stats.files_loaded, stats.files_duplicate,
        stats.files_rejected, stats.facts, stats.rejections,
    )
    return RunSummary(stats=stats, rejected_files=rejected, rejections_by_check=by_check)


if __name__ == "__main__":
    from pipelines.cli import app

    sys.exit(app(["run", *sys.argv[1:]]))
