"""Prefect entry point: wires the stages of `pipelines` into one flow.

    python flows.py                      # run once on raw/ into warehouse/ncmec.duckdb
    python flows.py --raw DIR --db FILE  # the same with other paths (or use `ncmec run`)
    python flows.py serve --cron "0 6 * * 1"   # run on a schedule (or `ncmec serve`)

Tasks work on batches of documents: Prefect's overhead per task run is tens of milliseconds.
Steps that touch the file system or the warehouse retry with backoff when the error may pass on
its own (a busy file, an I/O error); a failed check never does: it is a rejection, not an error.
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
from prefect.cache_policies import NO_CACHE  # noqa: E402
from prefect.context import get_run_context  # noqa: E402
from prefect.settings import PREFECT_API_URL, temporary_settings  # noqa: E402
from prefect.task_runners import ProcessPoolTaskRunner, TaskRunner  # noqa: E402
from prefect.tasks import exponential_backoff  # noqa: E402
from prefect.utilities.annotations import quote  # noqa: E402

from pipelines import intake  # noqa: E402

# Parse workers import this module to find `parse_batch`: pandas, pandera and DuckDB (about
# 100 MiB a process) are imported where they are used, not here.
if TYPE_CHECKING:
    from prefect.client.schemas.objects import State
    from prefect.deployments.runner import RunnerDeployment

    from pipelines.extract import ParsedDocument
    from pipelines.load import LoadStats
    from pipelines.staging import Staging

DEFAULT_RAW = "raw"
DEFAULT_DB = "warehouse/ncmec.duckdb"
BATCH_SIZE = 500  # files per parse task: small enough to spread over the workers evenly
# Documents per check task: pandera's cost per validation is fixed (tens of ms), so checks run
# over a few parse batches at once; still one bounded batch, not the run.
CHECK_BATCH_SIZE = 1000
TASK_RUNNERS = ("process", "dask")
DEFAULT_CRON = "0 6 * * 1"  # Mondays at 06:00
# Waits before the retries of a step that may succeed later: 2, 4, 8 seconds.
RETRIES = 3
RETRY_DELAYS = exponential_backoff(backoff_factor=2)


@dataclass
class RunSummary:
    stats: LoadStats
    rejected_files: list[tuple[str, str, str]] = field(default_factory=list)  # file, check, reason
    rejections_by_check: dict[str, int] = field(default_factory=dict)


def transient(task: object, task_run: object, state: State) -> bool:
    """Prefect's retry condition: retry a step only for errors that may pass on their own, the
    warehouse busy (our lock or DuckDB's) or an I/O error. Anything else, a bug or bad data,
    fails at once."""
    import duckdb

    from pipelines.load import WarehouseLocked
    from pipelines.lock import WarehouseBusy

    try:
        state.result()
    except (OSError, duckdb.IOException, WarehouseBusy, WarehouseLocked):
        return True
    except Exception:
        return False
    return False


# Tasks take and return plain data; caching by input hash would hash whole batches for nothing.
RETRYING = dict(cache_policy=NO_CACHE, retries=RETRIES, retry_delay_seconds=RETRY_DELAYS, retry_condition_fn=transient)


@task(name="parse-batch", cache_policy=NO_CACHE)
def parse_batch(raw: str, files: list[str]) -> intake.ParsedBatch:
    return intake.parse_files(Path(raw), files)


@task(name="open-run", **RETRYING)
def open_run(db: str, raw: str, load_id: str) -> None:
    from pipelines import load, staging

    load.begin_run(Path(db), raw, load_id, datetime.now(timezone.utc))
    staging.remove_stale(Path(db))


@task(name="inventory", **RETRYING)
def take_inventory(raw: str, files: list[str]) -> list[ParsedDocument]:
    return intake.inventory(Path(raw), files)


@task(name="check-batch", cache_policy=NO_CACHE)
def check_batch(stage: Staging, documents: list[ParsedDocument], load_id: str) -> None:
    from pipelines import checks

    stage.append(checks.check_batch(documents, load_id))


@task(name="resolve", cache_policy=NO_CACHE)
def resolve_run(stage: Staging, copies: dict[str, str], load_id: str) -> None:
    from pipelines import resolve

    stage.add_duplicates(copies, load_id)
    resolve.resolve(stage, load_id)


@task(name="load", **RETRYING)
def load_warehouse(db: str, stage_dir: str, load_id: str, files_parsed: int,
                   timings: dict[str, float]) -> LoadStats:
    from pipelines import load

    return load.load(Path(db), Path(stage_dir), load_id, files_parsed, timings)


@task(name="publish", cache_policy=NO_CACHE)
def publish(summary: RunSummary) -> None:
    """The validation summary and its counts as artifacts of the flow run (Prefect's UI)."""
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    from pipelines import artifacts

    stats, by_check = summary.stats, summary.rejections_by_check
    create_markdown_artifact(artifacts.summary_markdown(stats, summary.rejected_files, by_check),
                             key="ncmec-validation-summary", description=f"load {stats.load_id}")
    create_table_artifact(artifacts.counts_table(stats, by_check), key="ncmec-run-counts",
                          description=f"load {stats.load_id}: files by status, rejections by check")


def _runner(kind: str, workers: int, dask_address: str | None) -> TaskRunner:
    if kind == "dask":
        # distributed logs ~70 INFO lines per run; set before it is imported (workers inherit it).
        os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")
        from prefect_dask import DaskTaskRunner

        if dask_address:
            return DaskTaskRunner(address=dask_address)
        return DaskTaskRunner(cluster_kwargs={"n_workers": workers, "threads_per_worker": 1,
                                              "processes": True, "dashboard_address": None})
    return ProcessPoolTaskRunner(max_workers=workers)


def _parse(raw: str, files: list[str], batch_size: int, workers: int, task_runner: str = "process",
           dask_address: str | None = None) -> Iterator[intake.ParsedBatch]:
    """Parse in batches, yielded as they are done: on a process pool (every core) when there is
    more than one batch, or on Dask when asked, with a few batches in flight, so memory does not
    grow with the run."""
    chunks = list(intake.batches(files, batch_size))
    if task_runner == "dask" or (workers > 1 and len(chunks) > 1):
        # Without a server of its own a flow runs on a temporary one that only this process
        # knows; a worker would start yet another (~10 s each). Point them at ours: by the
        # environment (process pool, local Dask workers) and by the settings each task carries
        # (Dask workers started elsewhere).
        api_url = os.environ.get("PREFECT_API_URL") or str(get_run_context().client.api_url)
        with mock.patch.dict(os.environ, {"PREFECT_API_URL": api_url}), \
                temporary_settings(updates={PREFECT_API_URL: api_url}), \
                _runner(task_runner, min(workers, max(len(chunks), 1)), dask_address) as runner:
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
    workers: int = 0, task_runner: str = "process", dask_address: str | None = None,
) -> RunSummary:
    """Parse every file under `raw`, validate, and load into `db`: one writer at a time.

    Content the warehouse already holds is not parsed again; when nothing changed at all, the
    run only records itself. `workers` parse processes (0: one per core), on a local process
    pool or on Dask (`task_runner="dask"`: the cluster at `dask_address`, else a local one).
    Checked batches are staged on disk as they come, so memory stays flat however many files
    there are. The run publishes its validation summary as artifacts.
    """
    if task_runner not in TASK_RUNNERS:
        raise ValueError(f"task_runner must be one of {', '.join(TASK_RUNNERS)}, not {task_runner!r}")
    from pipelines import checks, load, staging
    from pipelines.lock import run_lock

    logger = get_run_logger()
    files = intake.discover(Path(raw))
    load_id = load.new_load_id()
    with run_lock(Path(db), wait=wait):
        open_run(db, raw, load_id)
        try:
            found = take_inventory(raw, quote(files))
            if load.stored_inventory(Path(db)) == {(d.source_file, d.sha256) for d in found}:
                logger.info("inputs unchanged since the last run: nothing to parse or load")
                return _finish(RunSummary(stats=load.record_unchanged_run(Path(db), load_id),
                                          rejected_files=load.rejected_files(Path(db)),
                                          rejections_by_check=load.rejections_by_check(Path(db))))
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
                for batch in _parse(raw, fresh, batch_size, workers or os.cpu_count() or 1, task_runner,
                                    dask_address):
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
    return _finish(RunSummary(stats=stats, rejected_files=rejected, rejections_by_check=by_check))


def _finish(summary: RunSummary) -> RunSummary:
    """A line per rejected file and one for the run, in the log; the artifacts, in the UI."""
    logger, s = get_run_logger(), summary.stats
    for name, check, reason in summary.rejected_files:
        logger.warning("rejected %s (%s): %s", name, check, reason)
    logger.info(
        "load %s: %d files (%d parsed; %d loaded, %d duplicate, %d rejected), %d facts, %d rejections",
        s.load_id, s.files_seen, s.files_parsed, s.files_loaded, s.files_duplicate, s.files_rejected,
        s.facts, s.rejections,
    )
    publish(quote(summary))
    return summary


def deployment(name: str = "weekly", cron: str = DEFAULT_CRON, tz: str = "UTC",
               raw: str = DEFAULT_RAW, db: str = DEFAULT_DB) -> RunnerDeployment:
    """The flow as a deployment on a cron schedule, with absolute paths (a scheduled run may
    start in another working directory)."""
    from prefect.schedules import Cron

    return warehouse_flow.to_deployment(
        name=name, schedules=[Cron(cron, timezone=tz)],
        parameters={"raw": str(Path(raw).resolve()), "db": str(Path(db).resolve())},
        description=f"ncmec run --raw {raw} --db {db}, on the schedule {cron} ({tz})",
    )


if __name__ == "__main__":
    from pipelines.cli import app

    if sys.argv[1:2] == ["serve"]:
        sys.exit(app(sys.argv[1:]))
    sys.exit(app(["run", *sys.argv[1:]]))
