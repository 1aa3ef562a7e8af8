"""One run, as plain functions: what the Prefect flow (flows.py) calls step by step as tasks,
and what tests call.

    summary = run(raw, db)                       # everything, in this process; or step by step:
    with session(db, raw, load_id) as held:      # the writer lock; the run recorded
        p = plan(raw, db, load_id, held)         # inventory, duplicates, what to reuse
        summary = execute(p)                     # the steps below, in this process

`execute` parses, checks and stages each batch of new files (`parse_into`: a parse worker's
work, or this process's), written by the process that parsed it straight to the run's staging
folder as parquet, so that no process holds more than a batch however many files there are and
no batch is handed from one process to another; then the files already known (`stage_known`),
the checks across documents (`resolve_staged`) and the load (`load_staged`), which read the
staged parquet in DuckDB.

A session holds the warehouse's writer lock (pipelines/store/lock.py) from before the inventory
until the load commits, records the run as `running` and, when anything fails, as `failed`.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from pipelines.core.documents import ParsedDocument
from pipelines.core.limits import DEFAULT, Limits
from pipelines.core.printable import printable
from pipelines.extract import intake
from pipelines.store.lock import RunLock, run_lock

# Parse workers import this module (through flows.py) and parse, check and stage: the checks and
# staging (pandas, pandera) and the load (DuckDB, which a worker never uses) are imported where used.
if TYPE_CHECKING:
    from pipelines.store.load import LoadStats
    from pipelines.validate.staging import Staging

BATCH_SIZE = 500  # files per batch parsed in this process (`run`), or read back for reuse
# Parsing on workers (`batch_size`): below this many files, one batch, parsed in the main process;
# a worker is an interpreter that imports Prefect (a second or two) before it parses anything.
IN_PROCESS_FILES = 1000
# About this many batches a worker, so that the workers finish together; each more is a task run
# (Prefect's overhead). The largest batch bounds what a worker holds.
BATCHES_PER_WORKER = 4
MIN_BATCH, MAX_BATCH = 100, 1000


@dataclass(frozen=True)
class Staged:
    """What a step staged: how many files, and the seconds its stages took (decode, extract,
    validate), which the run adds up for `load_runs`."""

    files: int
    timings: dict[str, float]


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

    held.check(db)
    found = intake.inventory(raw, intake.discover(raw), limits)
    if warehouse.stored_inventory(db) == {(d.source_file, d.sha256) for d in found}:
        return Plan(raw, db, load_id, True, [], {}, [], {})
    from pipelines.validate import checks  # pandas and pandera: not for a run over unchanged inputs
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


def chunks(files: dict[str, str], size: int) -> list[dict[str, str]]:
    """The files to parse (name -> sha256), `size` to a batch."""
    return [{name: files[name] for name in chunk} for chunk in intake.batches(list(files), size)]


def parse_into(raw: Path, files: dict[str, str], limits: Limits, folder: Path, part: int, load_id: str) -> Staged:
    """Parse a batch of files, check it and stage it in the run's staging folder as `part` of the
    run: the work of a parse worker (or of this process, for a small run), which writes its own
    parquet (pipelines/validate/staging.py). A file that is not read is a rejected document, not
    an error."""
    from pipelines.validate import checks, staging

    parsed = intake.parse_files(Path(raw), list(files), files, limits)
    clock = time.perf_counter()
    staging.write_part(Path(folder), part, checks.check_batch(parsed.documents, load_id))
    return Staged(len(files), {**parsed.timings, "validate": time.perf_counter() - clock})


def stage_known(stage: Staging, p: Plan, after: int) -> Staged:
    """The files the inventory could not read, and the content the warehouse holds (read back,
    not parsed again), checked and staged as the parts after `after`."""
    from pipelines.store import warehouse
    from pipelines.validate import checks

    clock = time.perf_counter()
    groups = [p.unreadable] if p.unreadable else []
    groups += [warehouse.stored_documents(p.db, chunk) for chunk in intake.batches(p.known, BATCH_SIZE)]
    for part, documents in enumerate(groups, after + 1):
        stage.append(checks.check_batch(documents, p.load_id), part)
    return Staged(len(p.unreadable) + len(p.known), {"validate": time.perf_counter() - clock})


def resolve_staged(stage: Staging, copies: dict[str, str], load_id: str) -> Staged:
    """The copies' documents, and the checks across everything staged (the facts)."""
    from pipelines.validate import resolve

    clock = time.perf_counter()
    stage.add_duplicates(copies, load_id)
    resolve.resolve(stage, load_id)
    return Staged(len(copies), {"validate": time.perf_counter() - clock})


def load_staged(p: Plan, stage: Staging, staged: list[Staged], prune: bool = False) -> RunSummary:
    """The staged run into the warehouse (pipelines/store/load.py), unless it would remove every
    fact the warehouse holds and not `prune`."""
    from pipelines.store import load, warehouse

    files = len(p.unreadable) + len(p.fresh) + len(p.known) + len(p.copies)
    refuse_emptying(p.db, stage.count("facts"), files, prune)
    timings = {"decode": 0.0, "extract": 0.0, "validate": 0.0}
    for step in staged:
        for stage_name, seconds in step.timings.items():
            timings[stage_name] += seconds
    rejected, by_check = stage.rejected_files(), stage.rejections_by_check()
    stats = load.load(p.db, stage.folder, p.load_id, len(p.fresh), timings)
    return RunSummary(stats=stats, rejected_files=rejected, rejections_by_check=by_check,
                      gone=warehouse.files_gone(p.db, p.load_id))


def unchanged(p: Plan) -> RunSummary:
    """A run over inputs the warehouse holds exactly: recorded, nothing parsed or loaded."""
    from pipelines.store import load, warehouse

    return RunSummary(stats=load.record_unchanged_run(p.db, p.load_id),
                      rejected_files=warehouse.rejected_files(p.db),
                      rejections_by_check=warehouse.rejections_by_check(p.db))


def execute(p: Plan, limits: Limits = DEFAULT, prune: bool = False) -> RunSummary:
    """What the plan says, in this process: parse, check and stage each batch, then the checks
    across documents and the load; when nothing changed, only the run recorded."""
    if p.unchanged:
        return unchanged(p)
    from pipelines.validate import staging

    with staging.staging_for(p.db, p.load_id) as stage:
        parts = chunks(p.fresh, BATCH_SIZE)
        staged = [parse_into(p.raw, files, limits, stage.folder, part, p.load_id)
                  for part, files in enumerate(parts, 1)]
        staged.append(stage_known(stage, p, after=len(parts)))
        staged.append(resolve_staged(stage, p.copies, p.load_id))
        return load_staged(p, stage, staged, prune)


def open_run(db: Path, raw: Path, load_id: str, flow_run_id: str | None = None,
             flow_run_url: str | None = None) -> None:
    """Record the run as `running` (and the Prefect flow run it is, if any, with its page in the
    Prefect UI), and clear what a killed run left behind."""
    from pipelines.store import load
    from pipelines.validate import folders

    load.begin_run(db, str(raw), load_id, datetime.now(UTC), flow_run_id, flow_run_url)
    folders.remove_stale(db)


@contextmanager
def recorded(db: Path, load_id: str) -> Iterator[None]:
    """The run recorded as `failed`, with the error, if anything inside raises."""
    try:
        yield
    except BaseException as exc:
        from pipelines.store import load

        load.fail_run(db, load_id, f"{type(exc).__name__}: {exc}")
        raise


@contextmanager
def session(db: Path, raw: Path, load_id: str, wait: float = 0.0) -> Iterator[RunLock]:
    """Hold the writer lock for one run, recorded as `running` at the start and as `failed` if
    anything in it raises. Yields the lock, which `plan` asks for."""
    with run_lock(db, wait=wait) as held:
        open_run(db, raw, load_id)
        with recorded(db, load_id):
            yield held


def run(raw: Path, db: Path, wait: float = 0.0, prune: bool = False, limits: Limits = DEFAULT) -> RunSummary:
    """One whole run in this process: what `ncmec run` does, without Prefect."""
    from pipelines.store import load

    load_id = load.new_load_id()
    with session(Path(db), Path(raw), load_id, wait) as held:
        return execute(plan(Path(raw), Path(db), load_id, held, limits), limits, prune)
