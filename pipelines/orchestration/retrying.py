"""How the flows' steps retry (flows.py): only for errors that may pass on their own.

Steps that touch the file system or the warehouse retry with backoff when the error may pass (a
busy file, an I/O error); a failed check never does: it is a rejection, not an error.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, TypedDict

from prefect.cache_policies import NO_CACHE
from prefect.tasks import exponential_backoff

if TYPE_CHECKING:
    from prefect.cache_policies import CachePolicy
    from prefect.client.schemas.objects import State
    from prefect.tasks import RetryConditionCallable

# Waits before the retries of a step that may succeed later: 2, 4, 8 seconds.
RETRIES = 3
RETRY_DELAYS = exponential_backoff(backoff_factor=2)


def transient(task: object, task_run: object, state: State) -> bool:
    """Prefect's retry condition: retry a step only for errors that may pass on their own, the
    warehouse busy (our lock or DuckDB's) or an I/O error. Anything else, a bug or bad data,
    fails at once."""
    import duckdb

    from pipelines.store.lock import WarehouseBusy
    from pipelines.store.warehouse import WarehouseLocked

    try:
        state.result()
    except (OSError, duckdb.IOException, WarehouseBusy, WarehouseLocked):
        return True
    except Exception:
        return False
    return False


class Retrying(TypedDict):
    """The options of a step that retries (typed, so that `@task(**RETRYING)` is checked)."""

    cache_policy: CachePolicy
    retries: int
    retry_delay_seconds: Callable[[int], list[float]]
    retry_condition_fn: RetryConditionCallable


# Tasks take and return plain data; caching by input hash would hash whole batches for nothing.
RETRYING = Retrying(cache_policy=NO_CACHE, retries=RETRIES, retry_delay_seconds=RETRY_DELAYS,
                     retry_condition_fn=transient)
