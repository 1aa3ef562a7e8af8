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
from typing import Any

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


# Where a sheet's CPU goes: the extractor's stages, in the order parse_bytes runs them, each the
# name it is called by (module, attribute): patched with a timer in this process only.
STAGES = (
    ("pipelines.extract.sheet", "sha256", "sha256"),
    ("pipelines.extract.sheet", "decode", "decode (charset; PDF text)"),
    ("pipelines.read.markup", "strip_html", "normalise: HTML"),
    ("pipelines.read.normalise", "repair_unicode", "normalise: mojibake, quotes, dashes"),
    ("pipelines.read.normalise", "repair_lost_ligatures", "normalise: lost ligatures"),
    ("pipelines.read.markup", "strip_markdown", "normalise: markdown"),
    ("pipelines.read.furniture", "strip_page_furniture", "normalise: page furniture"),
    ("pipelines.read.footnotes", "strip_footnote_markers", "normalise: footnote markers"),
    ("pipelines.read.normalise", "join_broken_words", "normalise: broken words"),
    ("pipelines.read.normalise", "flatten", "normalise: white space"),
    ("pipelines.extract.title", "sheet_place", "title: the place (with the folded text)"),
    ("pipelines.extract.sheet", "sentence_spans", "sentences: split"),
    ("pipelines.extract.title", "sheet_year", "title: the year"),
    ("pipelines.extract.sheet", "_Reader.sentences", "sentence metrics (catalog patterns, evidence)"),
    ("pipelines.extract.sheet", "_Reader.captioned", "captions and grids"),
    ("pipelines.extract.sheet", "_Reader.table", "the missing-children table"),
    ("pipelines.extract.sheet", "_Reader.footnote_digits", "footnote digits"),
)


def _timed(spent: dict[str, int], label: str, fn: Callable[..., Any]) -> Callable[..., Any]:
    def timed(*args: Any, **kwargs: Any) -> Any:
        t0 = time.process_time_ns()
        try:
            return fn(*args, **kwargs)
        finally:
            spent[label] += time.process_time_ns() - t0

    return timed


def stage_times(corpus: Path, sample: int) -> dict[str, float]:
    """Mean CPU microseconds per sheet of each stage (each stage's function wrapped in a timer,
    over the same sheets as `per_sheet`), "other" for the rest of parse_bytes, and "total"."""
    import importlib

    project = _project(corpus)
    names = sorted(os.listdir(corpus))
    chosen = names[:: max(len(names) // sample, 1)][:sample]
    spent = dict.fromkeys([label for _, _, label in STAGES], 0)
    patched = []
    for module_name, attribute, label in STAGES:
        owner: Any = importlib.import_module(module_name)
        *path, name = attribute.split(".")
        for part in path:
            owner = getattr(owner, part)
        patched.append((owner, name, getattr(owner, name)))
        setattr(owner, name, _timed(spent, label, getattr(owner, name)))
    try:
        t0 = time.process_time_ns()
        for name in chosen:
            project(name)
        total = time.process_time_ns() - t0
    finally:
        for owner, name, original in reversed(patched):
            setattr(owner, name, original)
    per = {label: ns / len(chosen) / 1000 for label, ns in spent.items()}
    return {**per, "other (reading the file, the reader, rejections)": total / len(chosen) / 1000 - sum(per.values()),
            "total": total / len(chosen) / 1000}
