"""A real web server on 127.0.0.1 for the fetch tests: http.server in a thread of the test process,
answering what each test sets up, as a web server does (ETag and Last-Modified, 304 to a
conditional request that still holds, redirects, errors, slow answers), and logging each request.

    with SheetServer() as site:
        site.serve("/wi.pdf", pdf_bytes)                 # 200 with an ETag; 304 once it is sent back
        site.redirect("/old.pdf", "/wi.pdf")
        site.serve("/flaky.pdf", pdf_bytes, fail_first=1)  # one 500, then the sheet
        site.serve("/slow.pdf", pdf_bytes, stall=5)       # answers after 5 s
        site.serve("/big.pdf", pdf_bytes, unsized=True)   # no Content-Length: read until the connection closes
        url = site.url("/wi.pdf")
"""

from __future__ import annotations

import hashlib
import threading
import time
from dataclasses import dataclass, field
from email.utils import formatdate
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Page:
    body: bytes
    content_type: str = "application/pdf"
    status: int = 200
    fail_first: int = 0  # answer `fail_status` this many times first
    fail_status: int = 500
    stall: float = 0.0  # seconds before answering
    validators: bool = True  # ETag and Last-Modified, and 304 when they hold
    etag: str = ""
    last_modified: str = ""
    length: int | None = None  # a Content-Length other than the body's (a lie)
    unsized: bool = False  # no Content-Length at all: the body ends when the connection closes
    trickle: float = 0.0  # seconds between two pieces (100 bytes) of the body
    headers: dict[str, str] = field(default_factory=dict)  # more headers, on every answer (Retry-After)

    def __post_init__(self) -> None:
        self.etag = self.etag or f'"{hashlib.sha256(self.body).hexdigest()[:16]}"'
        self.last_modified = self.last_modified or formatdate(time.time(), usegmt=True)


@dataclass
class Request:
    method: str
    path: str
    headers: dict[str, str]
    status: int = 0


@dataclass
class SheetServer:
    pages: dict[str, Page] = field(default_factory=dict)
    redirects: dict[str, str] = field(default_factory=dict)
    log: list[Request] = field(default_factory=list)

    def serve(self, path: str, body: bytes, **kw: object) -> Page:
        self.pages[path] = Page(body, **kw)  # type: ignore[arg-type]
        return self.pages[path]

    def redirect(self, path: str, to: str) -> None:
        self.redirects[path] = to

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"

    def asked(self, path: str) -> list[Request]:
        return [r for r in self.log if r.path == path]

    def __enter__(self) -> SheetServer:
        site = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # http.server's name
                request = Request("GET", self.path, dict(self.headers.items()))
                site.log.append(request)
                request.status = site._answer(self)

            def log_message(self, *args: object) -> None:  # quiet
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.port = self.httpd.server_address[1]
        self.thread = threading.Thread(target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join(5)

    def _answer(self, h: BaseHTTPRequestHandler) -> int:
        if h.path in self.redirects:
            return _send(h, 302, b"", "text/html", {"Location": self.redirects[h.path]})
        page = self.pages.get(h.path)
        if page is None:
            return _send(h, 404, b"<html>not found</html>", "text/html")
        if page.stall:
            time.sleep(page.stall)
        if page.fail_first > 0:
            page.fail_first -= 1
            return _send(h, page.fail_status, b"<html>oops</html>", "text/html", page.headers)
        headers = {"ETag": page.etag, "Last-Modified": page.last_modified} if page.validators else {}
        headers.update(page.headers)
        if page.validators and page.status == 200 and h.headers.get("If-None-Match") == page.etag:
            return _send(h, 304, b"", None, headers)
        length = -1 if page.unsized else page.length
        return _send(h, page.status, page.body, page.content_type, headers, length, page.trickle)


def _send(h: BaseHTTPRequestHandler, status: int, body: bytes, content_type: str | None,
          headers: dict[str, str] | None = None, length: int | None = None, trickle: float = 0.0) -> int:
    """Answer; `length` -1 sends no Content-Length (the connection's end ends the body: HTTP/1.0)."""
    try:
        h.send_response(status)
        if content_type:
            h.send_header("Content-Type", content_type)
        for k, v in (headers or {}).items():
            h.send_header(k, v)
        if status != 304 and length != -1:
            h.send_header("Content-Length", str(len(body) if length is None else length))
        h.end_headers()
        if status != 304:
            step = 100 if trickle else len(body) or 1
            for start in range(0, len(body), step):
                if trickle:
                    h.wfile.flush()
                    time.sleep(trickle)
                h.wfile.write(body[start:start + step])
    except (BrokenPipeError, ConnectionResetError):  # the client gave up (a timeout, a size limit)
        pass
    return status
