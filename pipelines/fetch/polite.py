"""How a fetch behaves towards a web server (pipelines/fetch/client.py): the defaults are what
`ncmec fetch` and the scheduled fetch use. Apart from the client, so that the command line reads
the defaults without importing httpx."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Polite:
    """How the fetch behaves towards a server: the defaults are what `ncmec fetch` uses."""

    timeout: float = 30.0  # seconds to connect, and between two pieces of an answer
    retries: int = 3  # after a timeout or a 5xx
    backoff: float = 1.0  # the first wait before a retry, doubled each time
    delay: float = 1.0  # seconds between two requests to one host
