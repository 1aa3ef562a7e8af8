"""Prefect entry point: the run of pipelines/orchestration/run.py as a flow, its steps as tasks.

    python flows.py                      # run once on raw/ into warehouse/ncmec.duckdb
    python flows.py --raw DIR --db FILE  # the same with other paths (or use `ncmec run`)
    NCMEC_RAW=DIR NCMEC_DB=FILE python flows.py   # the same: a flag, else the variable, else the default
    python flows.py serve --cron "0 6 * * 1"   # run on a schedule (or `ncmec serve`)
    python flows.py serve --fetch sources.toml # fetch, then run, on a schedule (or `ncmec serve --fetch`)

Tasks work on batches of documents: Prefect's overhead per task run is tens of milliseconds.
Steps that touch the file system or the warehouse retry (pipelines/orchestration/retrying.py).
Nothing here decides anything about the data: that is pipelines/orchestration/run.py.
"""

from __future__ import annotations

import argparse
import inspect
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from prefect import flow, get_run_logger, task
from prefect.cache_policies import NO_CACHE
from prefect.context import FlowRunContext, get_run_context
from prefect.futures import PrefectFuture, as_completed
from prefect.settings import PREFECT_API_URL
from prefect.task_runners import ProcessPoolTaskRunner, TaskRunner, ThreadPoolTaskRunner
from prefect.utilities.annotations import quote
from prefect.utilities.urls import url_for

from pipelines.core import locations
from pipelines.core.limits import Limits
from pipelines.core.printable import printable
from pipelines.fetch import sources as listing
from pipelines.orchestration import lifetime, run, server
from pipelines.orchestration.retrying import RETRYING
from pipelines.store.lock import RunLock, run_lock

# Parse workers import this module to find `parse_batch`: pandas and pandera (which a worker's
# checks use) and DuckDB (which it never does) are imported where they are used, not here.
if TYPE_CHECKING:
    from prefect.deployments.runner import RunnerDeployment

    from pipelines.fetch.fetching import FetchSummary
    from pipelines.validate.staging import Staging

DEFAULT_RAW = locations.DEFAULT_RAW
DEFAULT_DB = locations.DEFAULT_DB
DEFAULT_SOURCES = listing.DEFAULT_SOURCES
TASK_RUNNERS = ("process", "dask")
DEFAULT_CRON = "0 6 * * 1"  # Mondays at 06:00
CORES = os.cpu_count() or 1


@task(name="open-run", **RETRYING)
def open_run(db: Path, raw: Path, load_id: str, flow_run_id: str, flow_run_url: str | None) -> None:
    run.open_run(db, raw, load_id, flow_run_id, flow_run_url)


@task(name="inventory", **RETRYING)
def make_plan(raw: Path, db: Path, load_id: str, held: RunLock, limits: Limits) -> run.Plan:
    return run.plan(raw, db, load_id, held, limits)


@task(name="record-unchanged", **RETRYING)
def record_unchanged(p: run.Plan) -> run.RunSummary:
    return run.unchanged(p)


@task(name="parse-batch", cache_policy=NO_CACHE)
def parse_batch(raw: str, files: dict[str, str], limits: Limits, folder: str, part: int, load_id: str) -> run.Staged:
    """Parse, check and stage one batch of files: on a worker when there are several."""
    return run.parse_into(Path(raw), files, limits, Path(folder), part, load_id)


@task(name="stage-known", cache_policy=NO_CACHE)
def stage_known(stage: Staging, p: run.Plan, after: int) -> run.Staged:
    return run.stage_known(stage, p, after)


@task(name="resolve", cache_policy=NO_CACHE)
def resolve_run(stage: Staging, copies: dict[str, str], load_id: str) -> run.Staged:
    return run.resolve_staged(stage, copies, load_id)


@task(name="load", **RETRYING)
def load_warehouse(p: run.Plan, stage: Staging, staged: list[run.Staged], prune: bool) -> run.RunSummary:
    return run.load_staged(p, stage, staged, prune)


@task(name="publish", cache_policy=NO_CACHE)
def publish(summary: run.RunSummary) -> None:
    """The validation summary and its counts as artifacts of the flow run (Prefect's UI)."""
    from prefect.artifacts import create_markdown_artifact, create_table_artifact

    from pipelines.orchestration import artifacts

    stats, by_check = summary.stats, summary.rejections_by_check
    create_markdown_artifact(artifacts.summary_markdown(stats, summary.rejected_files, by_check),
                             key="ncmec-validation-summary", description=f"load {stats.load_id}")
    create_table_artifact(artifacts.counts_table(stats, by_check), key="ncmec-run-counts",
                          description=f"load {stats.load_id}: files by status, rejections by check")


@flow(name="ncmec-warehouse")
def warehouse_flow(
    raw: str = DEFAULT_RAW, db: str = DEFAULT_DB, wait: float = 0.0, batch_size: int = 0,
    workers: int = 0, task_runner: str = "process", dask_address: str | None = None, prune: bool = False,
    max_text_size: int = Limits.text_bytes, max_pdf_size: int = Limits.pdf_bytes,
) -> run.RunSummary:
    """Parse every file under `raw`, validate, and load into `db`: one writer at a time.

    Content the warehouse already holds is not parsed again; when nothing changed at all, the
    run only records itself. `workers` parse processes (0: one per core), on a local process
    pool or on Dask (`task_runner="dask"`: the cluster at `dask_address`, else a local one), get
    `batch_size` files a task (0: as many as suits the run, run.batch_size).
    The run publishes its validation summary as artifacts. A run that would remove every fact
    the warehouse holds (an empty or wrong raw folder) fails unless `prune`. A file over its
    size limit (bytes: `max_text_size`, `max_pdf_size`) is rejected unread.
    """
    if task_runner not in TASK_RUNNERS:
        raise ValueError(f"task_runner must be one of {', '.join(TASK_RUNNERS)}, not {task_runner!r}")
    from pipelines.store import load

    raw_dir, db_path, load_id = Path(raw), Path(db), load.new_load_id()
    limits = Limits(text_bytes=max_text_size, pdf_bytes=max_pdf_size)
    context = get_run_context()
    assert isinstance(context, FlowRunContext) and context.flow_run is not None  # in a flow, its own context
    flow_run_id = str(context.flow_run.id)
    with run_lock(db_path, wait=wait) as held:
        open_run(db_path, raw_dir, load_id, flow_run_id, url_for("flow-run", obj_id=flow_run_id))
        with run.recorded(db_path, load_id):
            p = make_plan(raw_dir, db_path, load_id, held, limits)
            if p.unchanged:
                get_run_logger().info("inputs unchanged since the last run: nothing to parse or load")
                summary = record_unchanged(quote(p))  # type: ignore[call-overload]  # quote(): see _stage_and_load
            else:
                summary = _stage_and_load(p, limits, prune, batch_size, workers or CORES, task_runner, dask_address)
    _log(summary)
    publish(quote(summary))  # type: ignore[call-overload]
    return summary


def _stage_and_load(p: run.Plan, limits: Limits, prune: bool, batch_size: int, workers: int, task_runner: str,
                    dask_address: str | None) -> run.RunSummary:
    """The new files parsed, checked and staged a batch a task on the workers (the files already
    known staged here meanwhile); then the checks across documents, and the load."""
    from pipelines.validate.staging import staging_for

    # quote(): Prefect would otherwise walk every document and the stage looking for futures. A
    # task unwraps quote(x) into x when called, but Task.__call__'s types want x itself.
    with staging_for(p.db, p.load_id) as stage:
        parts = run.chunks(p.fresh, batch_size or run.batch_size(len(p.fresh), workers))
        with _runner(task_runner, workers, len(parts), dask_address) as runner:
            batches: list[PrefectFuture[run.Staged]] = [
                runner.submit(parse_batch, {"raw": str(p.raw), "files": files, "limits": limits,
                                            "folder": str(stage.folder), "part": part, "load_id": p.load_id})
                for part, files in enumerate(parts, 1)]
            staged = [stage_known(quote(stage), quote(p), len(parts))]  # type: ignore[call-overload]
            for done, future in enumerate(as_completed(batches), 1):
                staged.append(future.result())
                _progress(staged[1:], len(p.fresh), done, len(batches))
        staged.append(resolve_run(quote(stage), quote(p.copies), p.load_id))  # type: ignore[call-overload]
        return load_warehouse(quote(p), quote(stage), staged, prune)  # type: ignore[call-overload]


def _runner(kind: str, workers: int, batches: int, dask_address: str | None) -> TaskRunner:
    """Where batches are parsed: a process pool (every core) when there is more than one, Dask
    when asked, else a thread of this process (a worker imports Prefect before it parses)."""
    if kind != "dask" and (workers <= 1 or batches <= 1):
        return ThreadPoolTaskRunner(max_workers=1)
    if not PREFECT_API_URL.value():
        # Prefect's own temporary server (the flow called from Python with none configured) is
        # this process's alone: a worker would record its task runs on one it starts itself.
        get_run_logger().warning("no Prefect server is configured: each parse worker starts a temporary one of "
                                 "its own; set PREFECT_API_URL, or run the flow as `ncmec run` does")
    if kind == "dask":
        # distributed logs ~70 INFO lines per run; set before it is imported (workers inherit it).
        os.environ.setdefault("DASK_LOGGING__DISTRIBUTED", "warning")
        from prefect_dask import DaskTaskRunner

        if dask_address:
            return DaskTaskRunner(address=dask_address)
        return DaskTaskRunner(cluster_kwargs={"n_workers": min(workers, max(batches, 1)), "threads_per_worker": 1,
                                              "processes": True, "dashboard_address": None})
    # Workers end with the run, however it ends (a SIGKILLed run's would wait for work forever).
    return ProcessPoolTaskRunner(max_workers=min(workers, batches), initializer=lifetime.watch_parent,
                                 initargs=(os.getpid(),))


def _progress(staged: list[run.Staged], files: int, done: int, batches: int) -> None:
    """A log line per batch of a long run (in the terminal and in Prefect's UI)."""
    if batches > 1:
        get_run_logger().info("parsed %s of %s new files (batch %d of %d)", f"{sum(s.files for s in staged):,}",
                              f"{files:,}", done, batches)


def _log(summary: run.RunSummary) -> None:
    """A line per rejected file and one for the run, in the log (the terminal and the UI)."""
    logger, s = get_run_logger(), summary.stats
    for name, check, reason in summary.rejected_files:  # a newline in a name must not forge a log line
        logger.warning("rejected %s (%s): %s", printable(name), check, printable(reason))
    logger.info("load %s: %d files (%d parsed; %d loaded, %d duplicate, %d rejected), %d facts, %d rejections",
                s.load_id, s.files_seen, s.files_parsed, s.files_loaded, s.files_duplicate, s.files_rejected,
                s.facts, s.rejections)


@task(name="fetch", **RETRYING)
def fetch_sources(raw: Path, db: Path, listed: Path) -> FetchSummary:
    """What `listed` (a sources.toml) lists, into `raw` (pipelines/fetch/fetching.py): a log line per URL."""
    from pipelines.fetch import fetching

    logger = get_run_logger()
    return fetching.fetch(raw, db, listing.read(listed), on_row=lambda row: (
        logger.warning if row.status == "failed" else logger.info)("%s", fetching.describe(row)))


@task(name="publish-fetch", cache_policy=NO_CACHE)
def publish_fetch(fetched: FetchSummary, loaded: run.RunSummary) -> None:
    from prefect.artifacts import create_markdown_artifact

    from pipelines.orchestration import artifacts

    create_markdown_artifact(artifacts.fetch_markdown(fetched, loaded.stats), key="ncmec-fetch-summary",
                             description=f"fetch {fetched.fetch_id}, load {loaded.stats.load_id}")


@flow(name="ncmec-fetch-and-load")
def fetch_and_load_flow(sources: str = DEFAULT_SOURCES, raw: str = DEFAULT_RAW, db: str = DEFAULT_DB,
                        wait: float = 0.0, prune: bool = False) -> tuple[FetchSummary, run.RunSummary]:
    """Fetch what `sources` lists into `raw` (a task), then run on `raw` into `db` (warehouse_flow,
    a subflow): the scheduled flow of `ncmec serve --fetch`. Its last log line says what was new."""
    from pipelines.orchestration import artifacts

    fetched = fetch_sources(Path(raw), Path(db), Path(sources))
    loaded = warehouse_flow(raw=raw, db=db, wait=wait, prune=prune)
    get_run_logger().info("%s", artifacts.what_was_new(fetched, loaded.stats))
    publish_fetch(quote(fetched), quote(loaded))  # type: ignore[call-overload]  # quote(): see _stage_and_load
    return fetched, loaded


def deployment(name: str = "weekly", cron: str = DEFAULT_CRON, tz: str = "UTC", raw: str = DEFAULT_RAW,
               db: str = DEFAULT_DB, sources: str | None = None) -> RunnerDeployment:
    """The flow as a deployment on a cron schedule, with absolute paths (a scheduled run may
    start in another working directory); with `sources`, the fetch-then-load flow."""
    from prefect.schedules import Cron

    paths = {"raw": str(Path(raw).resolve()), "db": str(Path(db).resolve())}
    what = f"ncmec run --raw {raw} --db {db}"
    if sources is not None:
        paths["sources"], what = str(Path(sources).resolve()), f"ncmec fetch --sources {sources}, then {what}"
    made = (fetch_and_load_flow if sources is not None else warehouse_flow).to_deployment(
        name=name, schedules=[Cron(cron, timezone=tz)], parameters=paths,
        description=f"{what}, on the schedule {cron} ({tz})",
    )
    assert not inspect.isawaitable(made)  # to_deployment returns a coroutine only to async callers
    return made


def arguments(argv: list[str]) -> argparse.Namespace:
    """The command line of `python flows.py`: --raw and --db, else $NCMEC_RAW and $NCMEC_DB, else
    the defaults, as the console script takes them."""
    parser = argparse.ArgumentParser(prog="flows.py", description=__doc__.splitlines()[0])
    parser.add_argument("command", nargs="?", choices=["run", "serve"], default="run")
    parser.add_argument("--raw", help=f"default: ${locations.RAW_ENV}, else {DEFAULT_RAW}")
    parser.add_argument("--db", help=f"default: ${locations.DB_ENV}, else {DEFAULT_DB}")
    parser.add_argument("--cron", default=DEFAULT_CRON)
    parser.add_argument("--timezone", default="UTC")
    parser.add_argument("--name", default="weekly")
    parser.add_argument("--fetch", metavar="SOURCES", help="serve: fetch what this sources.toml lists, then run")
    args = parser.parse_args(argv)
    args.raw, args.db = locations.raw(args.raw), locations.db(args.db)
    return args


def main(argv: list[str]) -> int:
    """`python flows.py [--raw] [--db]`, or `python flows.py serve [--cron] [--timezone] [--name]`:
    the flow without the console script (`ncmec run` and `ncmec serve` say more and check more)."""
    args = arguments(argv)
    with server.configured(temporary=args.command == "run") as using:
        if args.command == "serve" and not PREFECT_API_URL.value():  # a temporary server would vanish with it
            from pipelines.orchestration.holder import no_server

            print(f"flows.py serve: error: {no_server(server.home_dir())}", file=sys.stderr)
            return 2
        print(using)
        if args.command == "serve":
            lifetime.serve(deployment(args.name, args.cron, args.timezone, args.raw, args.db, args.fetch))
        else:
            warehouse_flow(raw=args.raw, db=args.db)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
