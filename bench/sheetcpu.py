"""Per-sheet CPU of the project's decode + extract and of the floor's loop body, in one process.

The floor is imported from its file (its main() runs only as a script) and its loop body is run
per file with the module's own WS, TITLE, YEAR and RX objects, statement for statement. Both
sides read the file as part of the sheet's cost, as the floor's loop does. Files are taken in
turn, the order of the two alternating, so that the machine's noise falls on both alike.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
import sys
import time
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from measure import median

REPO = Path(__file__).resolve().parents[1]
SHARED_FLOOR = REPO.parent / "shared" / "bench" / "floor.py"
OWN_FLOOR = REPO / "bench" / "floor.py"


def floor_path() -> Path:
    """The shared floor when it is beside the checkout, else the copy in bench/."""
    return SHARED_FLOOR if SHARED_FLOOR.is_file() else OWN_FLOOR


def floor_sha256() -> str:
    return hashlib.sha256(floor_path().read_bytes()).hexdigest()


def load_floor() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_floor", floor_path())
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class FloorBody:
    """The floor's per-file loop body, its accumulators kept as the floor keeps them."""

    def __init__(self, floor: ModuleType, corpus: str):
        self.ws, self.title, self.year, self.rx = floor.WS, floor.TITLE, floor.YEAR, floor.RX
        self.corpus = corpus
        self.files: list[str] = []
        self.geo: list[str] = []
        self.years: list[int] = []
        self.metrics: list[str] = []
        self.values: list[float] = []

    def __call__(self, name: str) -> None:
        files, geo, years, metrics, values = self.files, self.geo, self.years, self.metrics, self.values
        with open(os.path.join(self.corpus, name), encoding="utf-8", errors="replace") as fh:
            text = self.ws.sub(" ", fh.read().replace("**", ""))
        t, y = self.title.search(text), self.year.search(text)
        if not t or not y:
            return
        for k, rx in self.rx:
            m = rx.search(text)
            if m:
                files.append(name)
                geo.append(t.group(1))
                years.append(int(y.group(1)))
                metrics.append(k)
                values.append(float(m.group(1).replace(",", "")))


def _project(corpus: Path) -> Callable[[str], None]:
    sys.path.insert(0, str(REPO))
    from pipelines.extract.sheet import parse_bytes

    def body(name: str) -> None:
        parse_bytes((corpus / name).read_bytes(), name)

    return body


def per_sheet(corpus: Path, sample: int, warmup: int = 100) -> dict[str, float]:
    """Median and mean CPU microseconds per sheet, project and floor, over `sample` files."""
    names = sorted(os.listdir(corpus))
    step = max(len(names) // sample, 1)
    chosen = names[::step][:sample]
    floor, project = FloorBody(load_floor(), str(corpus)), _project(corpus)
    for name in names[:warmup]:
        floor(name)
        project(name)
    floor.files.clear()
    clock = time.process_time_ns
    times: dict[str, list[float]] = {"floor": [], "project": []}
    for i, name in enumerate(chosen):
        order = (("floor", floor), ("project", project)) if i % 2 else (("project", project), ("floor", floor))
        for label, body in order:
            t0 = clock()
            body(name)
            times[label].append((clock() - t0) / 1000)
    result = {"sheets": float(len(chosen)), "floor_docs": float(len(set(floor.files)))}
    for label, values in times.items():
        result[f"{label}_median_us"] = median(values)
        result[f"{label}_mean_us"] = sum(values) / len(values)
    return result
