"""One run, as plain functions: what the Prefect flow (flows.py) wraps, and what tests call.

    summary = run(raw, db)                          # everything, in this process
    with session(db, raw, load_id) as held:         # or step by step, as the flow does:
        p = plan(raw, db, load_id, held)            # inventory, duplicates, what to reuse
        summary = execute(p, Steps(parse=...))      # parse, check, stage, resolve, load

A session holds the warehouse's writer lock (pipelines/store/lock.py) from before the inventory
until the load commits, records the run as `running` and, when anything fails, as `failed`.
`execute` streams: parsed batches are checked and staged as they come (pipelines/validate/staging.py),
so memory stays flat however many files there are; the checks across documents and the load
then read the staged parquet in DuckDB.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.core.documents import Batch, ParsedDocument
from pipelines.core.limits import DEFAULT, Limits
from pipelines.core.printable import printable
from pipelines.extract import intake
from pipelines.store.lock import RunLock, run_lock

# Parse workers import this module (through flows.py) and only parse: the checks, staging and
# the load (pandas, pandera, DuckDB: about 85 MiB a process) are imported where they are used.
if TYPE_CHECKING:
    from pipelines.store.load import LoadStats
    from pipelines.validate.staging import Staging

BATCH_SIZE = 500  # files per batch parsed in this process (`run`), or read back for reuse
# Parsing on workers (`batch_size`): below this many files, one batch, parsed in the main process;
# a worker is an interpreter that imports Prefect (a second or two) before it parses anything.
IN_PROCESS_FILES = 1000
# About this many batches a worker, so that the workers finish together; each more is a task run
# (Prefect's overhead, a pickled result). The largest batch bounds what a batch in flight holds.
BATCHES_PER_WORKER = 4
MIN_BATCH, MAX_BATCH = 100, 1000
# Documents per check batch: pandera's cost per validation is fixed (tens of ms), so checks run
# over a few parse batches at once; still one bounded batch, not the run.
CHECK_BATCH_SIZE = 1000

Parse = Callable[[dict[str, str]], Iterable[intake.ParsedBatch]]  # files (name -> sha256) to parsed batches


@dataclass
class RunSummary:
    stats: LoadStats
    rejected_files: list[tuple[str, str, str]] = field(default_factory=list)  # file, check, reason
    rejections_by_check: dict[str, int] = field(default_factory=dict)
    gone: list[str] = field(default_factory=list)  # files this run found gone from the raw folder


class RunRefused(Exception):
    """The run does not start: its folders are missing; the message says which."""


class WouldEmpty(RunRefused):
    """The run would remove every fact the warehouse holds (an empty or mistyped raw folder):
    refused unless the user says --prune; the message says so, with the count."""


def preflight(raw: Path, db: Path, wait: float = 0.0, prune: bool = False) -> None:
    """What `ncmec run` asks before Prefect starts (seconds), so that each refusal comes at once,
    in one line: the folders exist, DuckDB can open the path, no run holds the warehouse (the run
    takes the lock itself later), and an empty raw folder would not empty the warehouse."""
    from pipelines.core import sqlpaths
    from pipelines.store.lock import wait_until_free

    if not Path(raw).is_dir():
        raise RunRefused(f"the raw folder {printable(raw)} does not exist")
    if not Path(db).parent.is_dir():
        raise RunRefused(f"the warehouse folder {printable(Path(db).parent)} does not exist (create it, or pass --db)")
    sqlpaths.database(db)  # ValueError: a path DuckDB would misread, refused before anything is written
    wait_until_free(db, wait=wait)
    if not intake.discover(raw):
        refuse_emptying(db, 0, 0, prune)


def refuse_emptying(db: Path, facts_after: int, files: int, prune: bool) -> None:
    """Raise WouldEmpty when a run that leaves `facts_after` facts would remove every fact `db` holds."""
    from pipelines.store import warehouse

    if prune or facts_after:
        return
    held = warehouse.fact_count(db)
    if held:
        raise WouldEmpty(f"refused: this run would remove all {held:,} facts of {printable(db)}, since the raw "
                         f"folder ({files:,} file{'' if files == 1 else 's'}) gives none; check --raw, or pass "
                         "--prune to empty the warehouse")


@dataclass(frozen=True)
class Plan:
    """What a run will do with each file of the raw folder."""

    raw: Path
    db: Path
    load_id: str
    unchanged: bool  # the warehouse holds exactly these files' content, parsed by this extractor
    unreadable: list[ParsedDocument]  # rejected already at the inventory (cannot be read)
    fresh: dict[str, str]  # to parse: file -> its sha256 (hashed once, by the inventory)
    known: list[ParsedDocument]  # content the warehouse holds, parsed by this extractor: reused
    copies: dict[str, str]  # a byte-identical copy -> the file loaded in its place


def plan(raw: Path, db: Path, load_id: str, held: RunLock, limits: Limits = DEFAULT) -> Plan:
    """Take the inventory of `raw` (names, hashes) and decide, against the warehouse, what to
    parse, what to reuse and which files are copies. Needs the writer lock: what the warehouse
    holds must not change until the run ends."""
    from pipelines.store import warehouse
    from pipelines.validate import checks

    held.check(db)
    found = intake.inventory(raw, intake.discover(raw), limits)
    if warehouse.stored_inventory(db) == {(d.source_file, d.sha256) for d in found}:
        return Plan(raw, db, load_id, True, [], {}, [], {})
    stored = warehouse.stored_content(db)
    primary = checks.primaries(((d.source_file, d.sha256) for d in found),
                               {sha: name for sha, (name, _) in stored.items()})
    firsts = [d for d in found if primary[d.source_file] == d.source_file]
    reusable = {sha for sha, (_, same_parser) in stored.items() if same_parser}
    return Plan(
        raw, db, load_id, False,
        unreadable=[d for d in firsts if d.rejected],
        fresh={d.source_file: d.sha256 for d in firsts if not d.rejected and d.sha256 not in reusable},
        known=[d for d in firsts if not d.rejected and d.sha256 in reusable],
        copies={name: first for name, first in primary.items() if name != first},
    )


def batch_size(n_files: int, workers: int) -> int:
    """Files per parse batch: all of them when there are few (one batch, parsed here), else
    about BATCHES_PER_WORKER batches for each worker, within MIN_BATCH..MAX_BATCH."""
    if n_files <= IN_PROCESS_FILES or workers <= 1:
        return max(1, min(n_files, MAX_BATCH))
    return min(max(-(-n_files // (workers * BATCHES_PER_WORKER)), MIN_BATCH), MAX_BATCH)


def parse_here(raw: Path, batch_size: int = BATCH_SIZE, limits: Limits = DEFAULT) -> Parse:
    """Parse in this process, batch by batch (the flow parses on a pool of workers instead)."""
    return lambda files: (intake.parse_files(raw, chunk, files, limits)
                          for chunk in intake.batches(list(files), batch_size))


def check_into(stage: Staging, documents: Batch, load_id: str) -> None:
    """The checks of one batch, staged."""
    from pipelines.validate import checks

    stage.append(checks.check_batch(documents, load_id))


def resolve_staged(stage: Staging, copies: dict[str, str], load_id: str) -> None:
    """The copies' documents, and the checks across everything staged (the facts)."""
    from pipelines.validate import resolve

    stage.add_duplicates(copies, load_id)
    resolve.resolve(stage, load_id)


def load_staged(db: Path, folder: Path, load_id: str, parsed: int, timings: dict[str, float]) -> LoadStats:
    """The staged run into the warehouse (pipelines/store/load.py)."""
    from pipelines.store import load

    return load.load(db, folder, load_id, parsed, timings)


@dataclass
class Steps:
    """The steps `execute` runs. The flow gives Prefect tasks in their place, which call the
    same functions; `parse` is where parsing runs (here, or on workers)."""

    parse: Parse
    check: Callable[[Staging, Batch, str], None] = check_into
    resolve: Callable[[Staging, dict[str, str], str], None] = resolve_staged
    load: Callable[[Path, Path, str, int, dict[str, float]], LoadStats] = load_staged


def documents(p: Plan, parse: Parse, timings: dict[str, float]) -> Iterator[Batch | list[ParsedDocument]]:
    """The run's documents, a batch at a time: the unreadable files, the parsed ones, and the
    reused ones (read back from the warehouse)."""
    from pipelines.store import warehouse

    yield p.unreadable
    for batch in parse(p.fresh):
        timings["decode"] += batch.timings["decode"]
        timings["extract"] += batch.timings["extract"]
        yield batch.documents
        # A worker's result ends in a reference cycle (Prefect's futures, and the frames of an
        # exception caught while waiting on them), which only the cyclic collector frees, and
        # its full passes come rarer as the heap grows: each batch (pickled and parsed, ~10 MB)
        # stayed, and the main process grew with the run (1 GiB at 50,000 sheets). ~20 ms a batch.
        gc.collect()
    for chunk in intake.batches(p.known, BATCH_SIZE):
        clock = time.perf_counter()
        yield warehouse.stored_documents(p.db, chunk)
        timings["validate"] += time.perf_counter() - clock


def validate(stage: Staging, groups: Iterable[Batch | list[ParsedDocument]], copies: dict[str, str], load_id: str,
             steps: Steps | None = None, timings: dict[str, float] | None = None) -> None:
    """Check every batch into the staging folder, then the checks across documents: the whole
    validation of a run, which the staging folder then holds for the load (or a test)."""
    check = steps.check if steps else check_into
    resolve_all = steps.resolve if steps else resolve_staged
    timings = timings if timings is not None else {"validate": 0.0}
    for group in intake.regroup(groups, CHECK_BATCH_SIZE):
        clock = time.perf_counter()
        check(stage, group, load_id)
        timings["validate"] += time.perf_counter() - clock
    clock = time.perf_counter()
    resolve_all(stage, copies, load_id)
    timings["validate"] += time.perf_counter() - clock


def execute(p: Plan, steps: Steps, prune: bool = False) -> RunSummary:
    """Parse, check, stage, resolve and load what the plan says; or, when nothing changed,
    only record the run. A run that would remove every fact is refused unless `prune`."""
    from pipelines.store import load, warehouse
    from pipelines.validate import staging

    if p.unchanged:
        return RunSummary(stats=load.record_unchanged_run(p.db, p.load_id),
                          rejected_files=warehouse.rejected_files(p.db),
                          rejections_by_check=warehouse.rejections_by_check(p.db))
    timings = {"decode": 0.0, "extract": 0.0, "validate": 0.0}
    with staging.staging_for(p.db, p.load_id) as stage:
        validate(stage, documents(p, steps.parse, timings), p.copies, p.load_id, steps, timings)
        files = len(p.unreadable) + len(p.fresh) + len(p.known) + len(p.copies)
        refuse_emptying(p.db, stage.count("facts"), files, prune)
        rejected, by_check = stage.rejected_files(), stage.rejections_by_check()
        stats = steps.load(p.db, stage.folder, p.load_id, len(p.fresh), timings)
    return RunSummary(stats=stats, rejected_files=rejected, rejections_by_check=by_check,
                      gone=warehouse.files_gone(p.db, p.load_id))


def open_run(db: Path, raw: Path, load_id: str, flow_run_id: str | None = None,
             flow_run_url: str | None = None) -> None:
    """Record the run as `running` (and the Prefect flow run it is, if any, with its page in the
    Prefect UI), and clear what a killed run left behind."""
    from pipelines.store import load
    from pipelines.validate import staging

    load.begin_run(db, str(raw), load_id, datetime.now(UTC), flow_run_id, flow_run_url)
    staging.remove_stale(db)


@contextmanager
def session(db: Path, raw: Path, load_id: str, wait: float = 0.0,
            begin: Callable[[Path, Path, str], None] = open_run) -> Iterator[RunLock]:
    """Hold the writer lock for one run: recorded as `running` at the start (by `begin`), and as
    `failed` if anything in it raises. Yields the lock, which `plan` asks for."""
    with run_lock(db, wait=wait) as held:
        begin(db, raw, load_id)
        try:
            yield held
        except BaseException as exc:
            from pipelines.store import load

            load.fail_run(db, load_id, f"{type(exc).__name__}: {exc}")
            raise


def run(raw: Path, db: Path, wait: float = 0.0, prune: bool = False, limits: Limits = DEFAULT) -> RunSummary:
    """One whole run in this process: what `ncmec run` does, without Prefect."""
    from pipelines.store import load

    load_id = load.new_load_id()
    with session(Path(db), Path(raw), load_id, wait) as held:
        p = plan(Path(raw), Path(db), load_id, held, limits)
        return execute(p, Steps(parse=parse_here(Path(raw), limits=limits)), prune)
