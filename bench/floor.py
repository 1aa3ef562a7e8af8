"""The bare floor: what a plain script costs on the same archive.

Regex extraction (the catalog's own patterns on the text with bold markers dropped) and one
bulk insert into DuckDB: no encoding detection, validation, lineage, dedup or Prefect.
One process, one core.

    python bench/floor.py RAW_DIR DB_FILE
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import duckdb
import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from pipelines import catalog


def main(raw: Path, db: Path) -> None:
    started = time.perf_counter()
    rows = []
    for path in sorted(raw.rglob("*.txt")):
        text = path.read_bytes().decode("utf-8", errors="replace").replace("**", "")
        for metric in catalog.metrics():
            for pattern in metric.patterns:
                m = pattern.search(text)
                if m:
                    rows.append((str(path), metric.metric, metric.scope, m.group("num")))
                    break
    frame = pd.DataFrame(rows, columns=["source_file", "metric", "scope", "value"])
    con = duckdb.connect(str(db))
    con.register("frame", frame)
    con.execute("create or replace table floor_values as select * from frame")
    con.close()
    print(f"floor: {len(rows)} values in {time.perf_counter() - started:.1f} s")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
