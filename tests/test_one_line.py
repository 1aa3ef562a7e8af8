"""Issue 18: every command, given bad arguments or bad files, prints one line that says what is
wrong and exits non-zero; never a traceback. Walked through the console script's entry point
(pipelines/cli/entry.py), in this process, and a few through the real `ncmec` executable."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from pipelines.cli.entry import main

NCMEC = str(Path(sys.executable).parent / "ncmec")
HUGE = "x" * 126_000


@pytest.fixture(scope="module")
def places(tmp_path_factory, analyst_db) -> dict[str, str]:
    """Bad things to point a command at, by name: {name} in a case's arguments."""
    tmp = tmp_path_factory.mktemp("bad")
    (tmp / "text.duckdb").write_text("not a database\n")
    duckdb.connect(str(tmp / "other.duckdb")).execute("create table t (a int)").close()  # DuckDB, no warehouse
    (tmp / "folder").mkdir()
    (tmp / "empty").mkdir()
    os.mkfifo(tmp / "fifo")
    shutil.copyfile(analyst_db, tmp / "warehouse.duckdb")
    return {"tmp": str(tmp), "text": str(tmp / "text.duckdb"), "other": str(tmp / "other.duckdb"),
            "folder": str(tmp / "folder"), "empty": str(tmp / "empty"), "fifo": str(tmp / "fifo"),
            "missing": str(tmp / "missing" / "x.duckdb"), "db": str(tmp / "warehouse.duckdb"), "huge": HUGE}


CASES = [
    "nosuch",
    "--bogus",
    "run --bogus",
    "run --raw {missing}",
    "run --raw {text}",
    "run --raw {empty} --db {missing}",
    "run --raw {empty} --db {folder}",
    "run --workers -1",
    "run --task-runner nope",
    "run --max-text-size lots",
    "run --max-pdf-size 0",
    "run --dask-address tcp://127.0.0.1:1",
    "parse",
    "parse {missing}",
    "parse {folder}",
    "parse {fifo}",
    "query",
    "query --db {missing} 'select 1'",
    "query --db {text} 'select 1'",
    "query --db {folder} 'select 1'",
    "query --db {db} 'select nonsense from nowhere'",
    "query --db {db} --format xml 'select 1'",
    "explain WI 2023",
    "explain WI notayear missing_child_cases",
    "explain --db {db} WI 2023 no_such_metric",
    "explain --db {db} atlantis 2023 missing_child_cases",
    "explain --db {db} {huge} 2023 missing_child_cases",
    "explain --db {other} WI 2023 missing_child_cases",
    "explain --db {text} WI 2023 missing_child_cases",
    "explain --db {missing} WI 2023 missing_child_cases",
    "status --db {missing}",
    "status --db {text}",
    "status --db {other}",
    "status --db {folder}",
    "status --db {db} --runs 0",
    "export --db {missing}",
    "export --db {db} --out {tmp}/missing/exports",
    "report --db {missing}",
    "report --db {db} --out {folder}",
    "report --db {db} --out {tmp}/missing/report.html",
    "serve --cron 'not a cron'",
    "server bogus",
    "server start --port -1",
    "server stop",
]


def _args(case: str, places: dict[str, str]) -> list[str]:
    import shlex

    return [arg.format(**places) for arg in shlex.split(case)]


@pytest.mark.parametrize("case", CASES)
def test_bad_input_is_one_line_and_a_non_zero_exit(case, places, capfd, monkeypatch, tmp_path):
    monkeypatch.chdir(tmp_path)  # `server stop` looks for .prefect/ here: none
    monkeypatch.delenv("PREFECT_API_URL", raising=False)
    code = main(_args(case, places))
    out, err = capfd.readouterr()
    assert code != 0, (case, out, err)
    assert "Traceback" not in out + err, (case, err)
    assert err.strip() and err.strip().count("\n") == 0, (case, err)
    assert len(err) < 1000, (case, len(err))  # nothing the user typed is echoed back whole


@pytest.mark.parametrize("case", ["nosuch", "query", "explain --db {other} WI 2023 missing_child_cases",
                                  "run --raw {missing}"])
def test_the_console_script_too(case, places):
    result = subprocess.run([NCMEC, *_args(case, places)], capture_output=True, text=True, timeout=120)
    assert result.returncode != 0 and "Traceback" not in result.stderr + result.stdout
    assert result.stderr.strip().count("\n") == 0, result.stderr


def test_a_bug_is_one_line_too_and_debug_shows_it(monkeypatch, capfd):
    import pipelines.cli.commands

    def broken(*args, **kwargs):
        raise KeyError("boom")

    monkeypatch.setattr("pipelines.outputs.status.gather", broken)
    assert pipelines.cli.commands  # the command imports gather from pipelines.outputs.status when it runs
    assert main(["status"]) == 2
    err = capfd.readouterr().err
    assert err.count("\n") == 1 and "KeyError" in err and "NCMEC_DEBUG=1" in err
    monkeypatch.setenv("NCMEC_DEBUG", "1")
    with pytest.raises(KeyError):
        main(["status"])
