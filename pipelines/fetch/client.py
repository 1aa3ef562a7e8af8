"""Asking a web server for a document, politely, with httpx.

One request at a time (the fetch asks its URLs in turn), at least `delay` seconds apart on one
host; a User-Agent that names the project; conditional requests (If-None-Match, If-Modified-Since)
when the fetch knows the last answer; redirects followed (at most MAX_REDIRECTS). A timeout and a
5xx answer are retried with backoff (1, 2, 4 s by default; a 503's Retry-After up to a minute),
nothing else is: a 4xx is a named failure at once. A body is read as a stream and dropped past
its size limit; a slow server that keeps the connection open is cut at `timeout` x DEADLINE_FACTOR.
Every failure is a `Failed` with a check name and a sentence.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from email.utils import parsedate_to_datetime

import httpx

from pipelines import __version__
from pipelines.core.limits import size_text
from pipelines.core.printable import shortened
from pipelines.fetch.polite import Polite

MAX_REDIRECTS = 5
DEADLINE_FACTOR = 4  # a whole answer may take this many timeouts, however steadily it trickles
MAX_RETRY_AFTER = 60.0


class Failed(Exception):
    """A URL gave no document: `check` names why, the message says it in a sentence."""

    def __init__(self, check: str, reason: str, http_status: int | None = None) -> None:
        super().__init__(reason)
        self.check, self.reason, self.http_status = check, reason, http_status


@dataclass(frozen=True)
class Answer:
    status: int  # 200, or 304 (not modified)
    url: str  # where redirects led
    body: bytes
    content_type: str
    etag: str | None
    last_modified: str | None

    @property
    def media_type(self) -> str:
        """The Content-Type without its parameters, in lower case ("text/html; charset=utf-8": "text/html")."""
        return self.content_type.split(";")[0].strip().lower()


@dataclass
class Client:
    """An httpx client and the time of the last request to each host."""

    polite: Polite = field(default_factory=Polite)
    sleep: Callable[[float], None] = time.sleep
    _last: dict[str, float] = field(default_factory=dict)
    _http: httpx.Client | None = None

    def __enter__(self) -> Client:
        agent = f"ncmec-warehouse/{__version__} (NCMEC fact-sheet warehouse; httpx/{httpx.__version__})"
        self._http = httpx.Client(headers={"User-Agent": agent}, follow_redirects=True, max_redirects=MAX_REDIRECTS,
                                  timeout=httpx.Timeout(self.polite.timeout))
        return self

    def __exit__(self, *exc: object) -> None:
        if self._http is not None:
            self._http.close()

    def get(self, url: str, limit: int, etag: str | None = None, last_modified: str | None = None) -> Answer:
        """The document at `url` (at most `limit` bytes), or 304 when the validators still hold;
        retried after a timeout or a 5xx; else `Failed`."""
        headers = {k: v for k, v in (("If-None-Match", etag), ("If-Modified-Since", last_modified)) if v}
        for attempt in range(self.polite.retries + 1):
            last = attempt == self.polite.retries
            try:
                return self._once(url, limit, headers)
            except _Retry as retry:
                if last:
                    asked = self.polite.retries + 1
                    raise Failed(retry.failed.check, f"{retry.failed.reason} (asked {asked} time{'s' * (asked > 1)})",
                                 retry.failed.http_status) from None
                wait = self.polite.backoff * 2 ** attempt
                self.sleep(max(wait, min(retry.after or 0.0, MAX_RETRY_AFTER)))
        raise AssertionError("unreachable")  # the loop returns or raises

    def _once(self, url: str, limit: int, headers: dict[str, str]) -> Answer:
        assert self._http is not None, "use the client in a with block"
        self._wait_turn(url)
        try:
            with self._http.stream("GET", url, headers=headers) as response:
                return _answer(response, limit, self.polite.timeout * DEADLINE_FACTOR)
        except httpx.TimeoutException:
            raise _Retry(Failed("timeout", f"did not answer within {self.polite.timeout:g} s")) from None
        except httpx.TooManyRedirects:
            raise Failed("unreachable", f"redirects more than {MAX_REDIRECTS} times") from None
        except httpx.UnsupportedProtocol as exc:
            raise Failed("unreachable", f"redirects to what is no http(s) URL: {shortened(str(exc))}") from None
        except httpx.HTTPError as exc:  # refused, reset, a name that does not resolve, TLS
            why = shortened(str(exc) or type(exc).__name__, 160)
            raise Failed("unreachable", f"cannot be reached: {why}") from None
        finally:
            self._last[_host(url)] = time.monotonic()

    def _wait_turn(self, url: str) -> None:
        last = self._last.get(_host(url))
        if last is not None:
            left = self.polite.delay - (time.monotonic() - last)
            if left > 0:
                self.sleep(left)


class _Retry(Exception):
    def __init__(self, failed: Failed, after: float | None = None) -> None:
        super().__init__(failed.reason)
        self.failed, self.after = failed, after


def _host(url: str) -> str:
    return httpx.URL(url).host


def _answer(response: httpx.Response, limit: int, allowed: float) -> Answer:
    status = response.status_code
    if status >= 500:
        raise _Retry(Failed("server_error", f"answered {status} {response.reason_phrase}", status),
                     _retry_after(response.headers.get("Retry-After")))
    if status in (404, 410):
        raise Failed("not_found", f"answered {status} {response.reason_phrase}: no document is there", status)
    if status >= 400:
        raise Failed("refused", f"answered {status} {response.reason_phrase}", status)
    if status != 304 and status != 200:
        raise Failed("refused", f"answered {status} {response.reason_phrase}, not a document", status)
    body = b"" if status == 304 else _body(response, limit, allowed)
    return Answer(status, str(response.url), body, response.headers.get("Content-Type", ""),
                  response.headers.get("ETag"), response.headers.get("Last-Modified"))


def _body(response: httpx.Response, limit: int, allowed: float) -> bytes:
    """The answer's bytes, read as they come: dropped past `limit`, or when not whole within `allowed` seconds."""
    deadline = time.monotonic() + allowed
    announced = response.headers.get("Content-Length", "")
    if announced.isdigit() and int(announced) > limit:
        raise Failed("too_large", f"is {size_text(int(announced))}, over the limit of {size_text(limit)} (a fact "
                     "sheet is a few hundred KB), so it is not downloaded; --max-pdf-size raises it", 200)
    parts, got = [], 0
    for chunk in response.iter_bytes():
        got += len(chunk)
        if got > limit:
            raise Failed("too_large", f"sent more than the limit of {size_text(limit)} (a fact sheet is a few "
                         "hundred KB), so it is not kept; --max-pdf-size raises it", 200)
        if time.monotonic() > deadline:
            raise _Retry(Failed("timeout", f"sent its answer too slowly: not whole within {allowed:g} s"))
        parts.append(chunk)
    return b"".join(parts)


def _retry_after(value: str | None) -> float | None:
    if not value:
        return None
    if value.strip().isdigit():
        return float(value.strip())
    try:
        return max(0.0, parsedate_to_datetime(value).timestamp() - time.time())
    except (TypeError, ValueError):
        return None
