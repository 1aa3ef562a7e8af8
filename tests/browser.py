"""Debian's Chromium, headless, driven through the DevTools protocol (CDP) over a websocket: no
Playwright, Selenium or npm. It loads a page at a width, runs the report's layout checks
(tests/reportcheck.js: horizontal overflow, empty charts, cut legends and labels) and takes
screenshots. tests/test_browser.py uses it; by hand, to look at a report while writing it:

    .venv/bin/python tests/browser.py report.html --width 1280 --width 480 --shots build/shots

prints the problems at each width, saves the screenshots, and exits 1 when there are problems.

Chromium and every process it starts end when the page is done, however that ends: they run in
a process group of their own, killed whole at the end; the browser has the kernel kill it when
this process dies (Linux's parent-death signal), even by SIGKILL, and its children end with it.
Its profile, home and temporary files live in one folder (ncmec-chromium-* in the temporary
folder), removed at the end; a folder that a killed process left is removed by the next start.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import fcntl
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psutil
from websockets.sync.client import ClientConnection, connect

# Debian's package; NCMEC_CHROMIUM names another binary (a name on PATH or a path).
INSTALL_HINT = ("Chromium not found: install Debian's package with `apt-get install chromium` (as root), "
                "or set NCMEC_CHROMIUM to a Chromium binary")
# The flags this machine needs (its network is closed, so Chromium's own background connections
# would each fail). Debian's Chromium starts two crashpad handlers in sessions of their own, out
# of its process group: they are found by the profile folder their command line names.
# (--disable-crashpad-for-testing would spare them, but then Chromium's network service crashes
# in a loop, "FD ownership violation", and no page loads.)
FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync",
         "--disable-extensions", "--mute-audio")
CHECKS = Path(__file__).with_name("reportcheck.js")
PREFIX = "ncmec-chromium-"
START_SECONDS = 60.0  # Chromium starts in about a second; a loaded 2-core machine is slower
LOAD_SECONDS = 300.0  # the old report at 616 sheets is 23 MB of inline SVG
SLICE = 4000  # px: a screenshot's height at most; a page of up to MAX_SLICES of them is shot whole
MAX_SLICES = 8
MAX_CLIPS = 60  # a longer page: its top, then each chart and each problem by its box
# The browser asks the kernel for SIGKILL when its parent (this process) ends, then becomes
# Chromium (the signal is kept across exec); set in a process of its own, not in a preexec_fn,
# which is not safe in a process with threads.
_DIES_WITH_PARENT = ("import ctypes, os, signal, sys; ctypes.CDLL(None).prctl(1, signal.SIGKILL); "
                     "os.getppid() == int(sys.argv[1]) or os._exit(1); os.execv(sys.argv[2], sys.argv[2:])")


class BrowserError(Exception):
    """Chromium did not start, a page did not load, or a DevTools command failed."""


def chromium_path() -> str | None:
    """The Chromium to run: NCMEC_CHROMIUM, else `chromium` on PATH; None when there is none."""
    return shutil.which(os.environ.get("NCMEC_CHROMIUM") or "chromium")


def _own_folder() -> tuple[Path, int]:
    """A new folder for one Chromium, locked while it runs, after removing those whose owner died."""
    for old in Path(tempfile.gettempdir()).glob(PREFIX + "*"):
        with contextlib.suppress(OSError):
            fd = os.open(old / "lock", os.O_RDWR)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)  # fails while its owner holds it
                _kill_mentioning(old)
                shutil.rmtree(old, ignore_errors=True)
            finally:
                os.close(fd)
    # Locked before it takes a name the sweep above looks for, so no other start takes it for stale.
    new = Path(tempfile.mkdtemp(prefix="." + PREFIX))
    fd = os.open(new / "lock", os.O_RDWR | os.O_CREAT, 0o600)
    fcntl.flock(fd, fcntl.LOCK_EX)
    folder = new.with_name(new.name[1:])
    new.rename(folder)
    return folder, fd


def processes_of(folder: Path) -> list[psutil.Process]:
    """The processes whose command line names a file in `folder`: the Chromium whose profile is
    there, its children and its crash handlers (which are not its children)."""
    mine = []
    for p in psutil.process_iter(["cmdline"]):
        with contextlib.suppress(psutil.Error):
            if any(str(folder) + os.sep in arg for arg in p.info["cmdline"] or ()):
                mine.append(p)
    return mine


def _kill_mentioning(folder: Path) -> list[psutil.Process]:
    """SIGKILL the processes of `folder`; returns them."""
    mine = processes_of(folder)
    for p in mine:
        with contextlib.suppress(psutil.Error):
            p.kill()
    return mine


class Chromium:
    """One headless Chromium; `with Chromium() as c: with c.page(480) as page: ...`."""

    def __init__(self, binary: str | None = None) -> None:
        self.binary = binary or chromium_path()
        if not self.binary:
            raise BrowserError(INSTALL_HINT)
        self.proc: subprocess.Popen[bytes] | None = None
        self.folder: Path | None = None
        self._lock = -1
        self.cdp: Cdp | None = None

    def __enter__(self) -> Chromium:
        try:
            self.start()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def start(self) -> None:
        self.folder, self._lock = _own_folder()
        for sub in ("home", "tmp", "profile"):
            (self.folder / sub).mkdir()
        env = {**os.environ, "HOME": str(self.folder / "home"), "TMPDIR": str(self.folder / "tmp"),
               "XDG_CONFIG_HOME": str(self.folder / "home"), "XDG_CACHE_HOME": str(self.folder / "home")}
        args = [sys.executable, "-c", _DIES_WITH_PARENT, str(os.getpid()), str(self.binary), *FLAGS,
                "--remote-debugging-port=0", f"--user-data-dir={self.folder / 'profile'}", "about:blank"]
        with open(self.folder / "chromium.log", "wb") as log:
            self.proc = subprocess.Popen(args, env=env, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                                         start_new_session=True)
        port, path = self._devtools_address()
        self.cdp = Cdp(f"ws://127.0.0.1:{port}{path}")

    def _devtools_address(self) -> tuple[str, str]:
        """Chromium writes its port and browser target's path in the profile once it listens."""
        assert self.proc and self.folder
        active = self.folder / "profile" / "DevToolsActivePort"
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            with contextlib.suppress(FileNotFoundError):
                lines = active.read_text().splitlines()
                if len(lines) >= 2 and lines[0].isdigit():
                    return lines[0], lines[1]
            if self.proc.poll() is not None:
                why = f"exited ({self.proc.returncode}) before it listened"
                raise BrowserError(f"{self.binary} {why}: {self.log_tail()}")
            time.sleep(0.05)
        raise BrowserError(f"{self.binary} did not listen within {START_SECONDS:.0f} s: {self.log_tail()}")

    def log_tail(self, lines: int = 5) -> str:
        """The end of Chromium's output, without its complaints about D-Bus (there is none here)."""
        if not self.folder or not (self.folder / "chromium.log").exists():
            return ""
        said = (self.folder / "chromium.log").read_text(errors="replace").splitlines()
        return " | ".join([line for line in said if "dbus" not in line.lower()][-lines:])

    def pids(self) -> list[int]:
        """Chromium's processes now: the browser and its descendants."""
        if not self.proc or self.proc.poll() is not None:
            return []
        try:
            top = psutil.Process(self.proc.pid)
            return [top.pid, *(p.pid for p in top.children(recursive=True))]
        except psutil.NoSuchProcess:
            return []

    @contextlib.contextmanager
    def page(self, width: int, height: int = 900) -> Iterator[Page]:
        """A new tab whose viewport is `width` x `height` CSS px, closed at the end."""
        assert self.cdp
        target = self.cdp.send("Target.createTarget", url="about:blank")["targetId"]
        session = self.cdp.send("Target.attachToTarget", targetId=target, flatten=True)["sessionId"]
        page = Page(self.cdp, session, width, height)
        try:
            page.setup()
            yield page
        finally:
            with contextlib.suppress(BrowserError, OSError):
                self.cdp.send("Target.closeTarget", targetId=target)

    def close(self) -> None:
        """Chromium and all it started end; its folder goes."""
        if self.cdp:
            with contextlib.suppress(BrowserError, OSError):
                self.cdp.send("Browser.close", timeout=5)
            self.cdp.close()
            self.cdp = None
        if self.proc:
            with contextlib.suppress(subprocess.TimeoutExpired):
                self.proc.wait(5)
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, signal.SIGKILL)  # a session of its own: its group id is its pid
            self.proc.wait()
        if self.folder:
            psutil.wait_procs(_kill_mentioning(self.folder), timeout=10)
            shutil.rmtree(self.folder, ignore_errors=True)
            os.close(self._lock)
            self.folder = None


class Cdp:
    """One websocket to the browser; each page's commands carry its session id (flat sessions)."""

    def __init__(self, url: str) -> None:
        # No proxy (loopback), no keepalive pings (a busy renderer must not end the connection),
        # and no size limit: a screenshot is megabytes of base64.
        self.ws: ClientConnection = connect(url, proxy=None, ping_interval=None, max_size=None, open_timeout=30)
        self.next_id = 0
        self.events: list[dict[str, Any]] = []

    def send(self, method: str, session: str | None = None, timeout: float = 60, **params: Any) -> dict[str, Any]:
        self.next_id += 1
        ask: dict[str, Any] = {"id": self.next_id, "method": method, "params": params}
        if session:
            ask["sessionId"] = session
        self.ws.send(json.dumps(ask))
        deadline = time.monotonic() + timeout
        while True:
            message = self._receive(deadline, method)
            if message.get("id") == ask["id"]:
                if "error" in message:
                    raise BrowserError(f"{method}: {message['error'].get('message')}")
                return message.get("result", {})
            self.events.append(message)

    def wait_for(self, session: str, timeout: float, what: str, match: Any) -> dict[str, Any]:
        """The first event of the session for which `match(event)` holds, kept or to come."""
        deadline = time.monotonic() + timeout
        while True:
            for event in self.events:
                if event.get("sessionId") == session and match(event):
                    self.events.remove(event)
                    return event
            self.events.append(self._receive(deadline, what))

    def _receive(self, deadline: float, what: str) -> dict[str, Any]:
        left = deadline - time.monotonic()
        if left <= 0:
            raise BrowserError(f"{what}: no answer from Chromium in time")
        try:
            message = json.loads(self.ws.recv(timeout=left))
        except TimeoutError:
            raise BrowserError(f"{what}: no answer from Chromium in time") from None
        if message.get("method") in ("Inspector.targetCrashed", "Target.targetCrashed"):
            raise BrowserError(f"{what}: the page crashed")
        return message

    def close(self) -> None:
        with contextlib.suppress(Exception):
            self.ws.close()


class Page:
    """A tab: load a file, run the checks, take screenshots."""

    def __init__(self, cdp: Cdp, session: str, width: int, height: int) -> None:
        self.cdp, self.session, self.width, self.height = cdp, session, width, height

    def send(self, method: str, timeout: float = 60, **params: Any) -> dict[str, Any]:
        return self.cdp.send(method, session=self.session, timeout=timeout, **params)

    def setup(self) -> None:
        self.send("Page.enable")
        self.send("Page.setLifecycleEventsEnabled", enabled=True)
        self.window(self.height)

    def window(self, height: int) -> None:
        """The window: `width` CSS px wide (a desktop's, with its scrollbar), `height` tall."""
        self.send("Emulation.setDeviceMetricsOverride", width=self.width, height=height, deviceScaleFactor=1,
                  mobile=False)

    def open(self, page: Path | str, timeout: float = LOAD_SECONDS) -> None:
        """Load a file (or URL) and wait for its load event and its fonts."""
        url = str(page)
        if not url.startswith(("file:", "http:", "https:", "about:")):
            url = Path(page).resolve().as_uri()
        went = self.send("Page.navigate", url=url, timeout=timeout)
        if went.get("errorText"):
            raise BrowserError(f"cannot load {url}: {went['errorText']}")
        loader = went.get("loaderId")
        self.cdp.wait_for(self.session, timeout, f"loading {url}",
                          lambda e: e.get("method") == "Page.lifecycleEvent" and e["params"].get("name") == "load"
                          and e["params"].get("loaderId") == loader)
        self.evaluate("document.fonts.ready.then(() => true)", timeout=timeout)

    def evaluate(self, expression: str, timeout: float = 120) -> Any:
        got = self.send("Runtime.evaluate", timeout=timeout, expression=expression, returnByValue=True,
                        awaitPromise=True)
        if "exceptionDetails" in got:
            details = got["exceptionDetails"]
            what = details.get("exception", {}).get("description") or details
            raise BrowserError(f"the page's script failed: {what}")
        return got["result"].get("value")

    def check(self) -> dict[str, Any]:
        """The layout checks: {'problems': [...], 'counts': {...}} (tests/reportcheck.js). Every
        <details> is opened first: what a reader can open must fit too."""
        self.evaluate("document.querySelectorAll('details').forEach((d) => { d.open = true; }); true")
        return self.evaluate(f"({CHECKS.read_text('utf-8')})()")

    def shoot(self, path: Path, y: float, height: float) -> Path:
        """The window's width from page offset `y` down, `height` px (at most the window's): scrolled
        there first. (captureBeyondViewport would lay out a page of millions of px anew for each
        shot: 12-20 s a shot at the old report's 5.7 million px, where this takes 0.1 s.)"""
        top = self.evaluate(f"window.scrollTo(0, {y}); scrollY")
        shot = self.send("Page.captureScreenshot", format="png", captureBeyondViewport=False, fromSurface=True,
                         clip={"x": 0, "y": max(y, top), "width": self.width, "height": height, "scale": 1})
        path.write_bytes(base64.b64decode(shot["data"]))
        return path

    def screenshots(self, folder: Path, name: str, problems: list[dict[str, Any]] | None = None) -> list[Path]:
        """What a reader of a window `width` px wide sees: the whole page in slices of SLICE px when
        it is at most MAX_SLICES of them; else its top, each chart and each problem's area (the first
        MAX_CLIPS). The window is SLICE px tall while they are taken (its width, so the layout the
        checks saw, stays), and content past its right edge shows as the reader's scrollbar."""
        folder.mkdir(parents=True, exist_ok=True)
        height = int(self.evaluate("document.documentElement.scrollHeight"))
        self.window(SLICE)
        try:
            if height <= SLICE * MAX_SLICES:
                return [self.shoot(folder / f"{name}-{i + 1:02d}.png", y, min(SLICE, height - y))
                        for i, y in enumerate(range(0, height, SLICE))]
            shots = [self.shoot(folder / f"{name}-top.png", 0, SLICE)]
            charts = self.evaluate("[...document.querySelectorAll('figure.chart')].map((f, i) => {"
                                   " const r = f.getBoundingClientRect();"
                                   " return [f.id || String(i + 1), r.top + scrollY, r.height]; })")
            areas = [(f"chart-{c[0]}", c[1], c[2]) for c in charts]
            boxes = [p["box"] for p in problems or []]
            areas += [(f"problem-{i + 1:02d}", b["y"], b["height"]) for i, b in enumerate(boxes) if b]
            for label, y, h in areas[:MAX_CLIPS]:
                safe = "".join(ch if ch.isalnum() or ch in "-_" else "_" for ch in label)[:60]
                top = max(0, y - 8)
                shots.append(self.shoot(folder / f"{name}-{safe}.png", top, max(1, min(h + 16, SLICE, height - top))))
            return shots
        finally:
            self.window(self.height)


def render(page: Path, width: int, chromium: Chromium, shots: Path | None = None) -> dict[str, Any]:
    """Load `page` at `width`, run the checks, and take screenshots into `shots`: {'problems',
    'counts', 'shots', 'seconds' (load, check, shots)}."""
    with chromium.page(width) as tab:
        began = time.monotonic()
        tab.open(page)
        loaded = time.monotonic()
        found = tab.check()
        checked = time.monotonic()
        taken = tab.screenshots(shots, f"{Path(page).stem}-{width}", found["problems"]) if shots else []
        seconds = {"load": loaded - began, "check": checked - loaded, "shots": time.monotonic() - checked}
    return found | {"shots": taken, "seconds": {k: round(v, 2) for k, v in seconds.items()}}


def main(argv: list[str] | None = None) -> int:
    ask = argparse.ArgumentParser(description="Check a report page in headless Chromium.")
    ask.add_argument("page", type=Path)
    ask.add_argument("--width", type=int, action="append", help="viewport width in CSS px (repeatable; 1280 and 480)")
    ask.add_argument("--shots", type=Path, help="a folder for the screenshots")
    args = ask.parse_args(argv)
    if not chromium_path():
        print(INSTALL_HINT, file=sys.stderr)
        return 2
    bad = 0
    with Chromium() as chromium:
        for width in args.width or [1280, 480]:
            got = render(args.page, width, chromium, args.shots)
            print(f"{width}px: {len(got['problems'])} problem(s); {json.dumps(got['counts'])}; "
                  f"seconds {got['seconds']}")
            for p in got["problems"]:
                print(f"  [{p['check']}] {p['message']}")
            for shot in got["shots"]:
                print(f"  shot {shot}")
            bad += len(got["problems"])
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
