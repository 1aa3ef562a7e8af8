"""`ncmec query` is a sandbox (pipelines/outputs/sandbox.py): whatever the SQL, it writes no file,
attaches no database, reads no file outside the warehouse and the --allow-read folders, installs
and loads no extension and cannot lift any of that; every statement is checked before any runs;
a result reaches a file only through --out; data prints as text. Each hostile case leaves the
warehouse byte for byte as it was and creates nothing, and says why in one line."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
from typer.testing import CliRunner

from pipelines.cli.commands import app

runner = CliRunner()
NCMEC = Path(sys.executable).parent / "ncmec"
ANSI = re.compile(r"\x1b\[[0-9;]*m")  # rich's own styles on a terminal


@pytest.fixture
def db(analyst_db, tmp_path) -> Path:
    """A copy of the analyst warehouse, its folder otherwise empty, and beside it a folder that
    --allow-read may name, one of a similar name, and a folder that is never allowed."""
    copy = tmp_path / "warehouse" / "ncmec.duckdb"
    copy.parent.mkdir()
    shutil.copyfile(analyst_db, copy)
    files = (("allowed", "geo,note\nWI,kept\n"), ("allowed_other", "x\n1\n"), ("secret", "pin\ns3cr3t-pin\n"))
    for folder, text in files:
        (tmp_path / folder).mkdir()
        (tmp_path / folder / "data.csv").write_text(text)
    return copy


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def tree(root: Path) -> dict[str, str]:
    return {p.relative_to(root).as_posix(): sha256(p) if p.is_file() else "dir"
            for p in sorted(root.rglob("*")) if not p.is_symlink()}


def query(db: Path, *args: str, stdin: str | None = None):
    result = runner.invoke(app, ["query", "--db", str(db), *args], input=stdin)
    assert "Traceback" not in result.output and "Traceback" not in result.stderr
    return result


def one_line(result) -> str:
    assert result.stderr.count("\n") == 1, result.stderr
    assert result.stderr.startswith("ncmec query: error: ")
    return result.stderr


HOSTILE = {
    "copy to the warehouse": ("copy (select 'x') to '{db}' (format csv)", "`copy` writes a file"),
    "copy to the warehouse's log": ("copy (select 'x') to '{db}.wal' (format csv)", "`copy` writes a file"),
    "copy to a hard link": ("copy (select 'x') to '{root}/hard.duckdb' (format csv)", "`copy` writes a file"),
    "copy a .pth into site-packages": ("copy (select 'import os') to '{root}/site-packages/x.pth' (format csv)",
                                       "use --out"),
    "copy into an --allow-read folder": ("copy facts to '{root}/allowed/stolen.csv'", "`copy` writes a file"),
    "copy into DuckDB's own temp folder": ("copy facts to '{db}.tmp/x.csv'", "`copy` writes a file"),
    "copy from": ("copy facts from '{root}/allowed/data.csv'", "`copy` writes a file"),
    "copy of a pivot (several statements)": ("copy (pivot facts on metric using sum(value)) to '{root}/allowed/p.csv'",
                                             "list the pivot's values"),
    "explain analyze copy": ("explain analyze copy facts to '{root}/allowed/e.csv'", "`explain analyze` runs it"),
    "explain analyze, options first": ("explain (analyze, format json) copy facts to '{root}/allowed/e.csv'",
                                       "`explain analyze` runs it"),
    "explain analyze, a comment first": ("explain /* x */ analyze copy facts to '{root}/allowed/e.csv'",
                                         "`explain analyze` runs it"),
    "explain analyze insert": ("explain analyze insert into facts select * from facts", "refused"),
    "export database": ("export database '{root}/allowed/dump'", "`ncmec export`"),
    "attach": ("attach '{root}/allowed/other.duckdb' as e; create table e.t(a int)", "`attach` opens another"),
    "attach a hard link read-write": ("attach '{root}/hard.duckdb' as h (read_write); delete from h.facts",
                                      "`attach` opens another"),
    "insert": ("insert into facts select * from facts", "read-only"),
    "delete": ("delete from facts", "read-only"),
    "update": ("update facts set value = 0", "read-only"),
    "create a temporary table": ("create temp table t as select 1", "read-only"),
    "create secret": ("create secret (type s3, key_id 'k', secret 's')", "read-only"),
    "drop": ("drop view missing_breakdown", "read-only"),
    "checkpoint": ("vacuum", "read-only"),
    "install": ("install httpfs", "extension"),
    "force install": ("force install httpfs", "extension"),
    "load": ("load httpfs", "extension"),
    "update extensions": ("update extensions", "does not run"),
    "set external access back on": ("set enable_external_access = true", "settings are fixed"),
    "unlock the configuration": ("set lock_configuration = false", "settings are fixed"),
    "widen allowed directories": ("set allowed_directories = ['/']", "settings are fixed"),
    "reset": ("reset enable_external_access", "settings are fixed"),
    "use": ("use memory", "settings are fixed"),
    "pragma": ("pragma enable_profiling", "`pragma`"),
    "pragma profile output": ("pragma profile_output = '{root}/allowed/prof.json'", "`pragma`"),
    "import database (a pragma)": ("import database '{root}/allowed'", "import a database"),
    "prepare": ("prepare p as copy facts to '{root}/allowed/x.csv'", "prepares"),
    "a transaction": ("begin", "not needed"),
    "a reading statement, then a writing one": ("select 1 as ran; copy facts to '{root}/allowed/x.csv'",
                                                "statement 2 of 2"),
}


@pytest.mark.parametrize("case", HOSTILE)
def test_statements_that_do_more_than_read_are_refused_before_anything_runs(db, case):
    root = db.parent.parent
    os.link(db, root / "hard.duckdb")
    (root / "site-packages").mkdir()
    sql, why = HOSTILE[case]
    before, files = sha256(db), tree(root)
    result = query(db, "--allow-read", str(root / "allowed"), sql.format(db=db, root=root))
    assert result.exit_code == 1
    message = one_line(result)
    assert "refused: " in message and why in message and "nothing was run" in message, message
    assert result.stdout == ""  # not even the reading statement before it ran
    assert sha256(db) == before and tree(root) == files


# DuckDB itself refuses these: external access is off, but for the --allow-read folders.
OUTSIDE = {
    "a system file": "select * from read_text('/etc/passwd')",
    "a listing": "select * from glob('/etc/*')",
    "a folder never allowed": "select * from read_csv('{root}/secret/data.csv')",
    "a folder named like an allowed one": "select * from read_csv('{root}/allowed_other/data.csv')",
    "out of an allowed folder by ..": "select * from read_csv('{root}/allowed/../secret/data.csv')",
    "a symlink in an allowed folder to outside": "select * from read_csv('{root}/allowed/link.csv')",
    "a blob": "select * from read_blob('{root}/secret/data.csv')",
}


@pytest.mark.parametrize("case", OUTSIDE)
def test_files_outside_the_allowed_folders_cannot_be_read(db, case):
    root = db.parent.parent
    (root / "allowed" / "link.csv").symlink_to(root / "secret" / "data.csv")
    before = sha256(db)
    result = query(db, "--allow-read", str(root / "allowed"), OUTSIDE[case].format(root=root))
    assert result.exit_code == 1
    message = one_line(result)
    assert "Permission Error" in message and "--allow-read" in message
    assert "s3cr3t-pin" not in result.output and sha256(db) == before


def test_allow_read_lets_the_sql_join_a_file_under_it(db):
    root = db.parent.parent
    result = query(db, "--allow-read", str(root / "allowed"), "--format", "csv",
                   f"select f.geo, n.note from facts f join read_csv('{root}/allowed/data.csv') n using (geo) "
                   "where f.metric = 'missing_child_cases' order by f.year")
    assert result.exit_code == 0, result.stderr
    assert result.stdout == "geo,note\nWI,kept\nWI,kept\n"
    without = query(db, f"select * from read_csv('{root}/allowed/data.csv')")
    assert without.exit_code == 1 and "Permission Error" in without.stderr


def test_allow_read_must_name_a_folder(db, tmp_path):
    result = query(db, "--allow-read", str(tmp_path / "nowhere"), "select 1")
    assert result.exit_code == 2 and "not a folder" in one_line(result)


def test_several_statements_each_print_under_a_heading(db):
    result = query(db, "select 1 as a; select 2 as b")
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "-- 1 of 2: select 1 as a" and "-- 2 of 2: select 2 as b" in lines
    assert result.stdout.count("1 row(s)") == 2
    as_json = query(db, "--format", "json", "select 1 as a; select 2 as b")
    assert as_json.stdout == '-- 1 of 2: select 1 as a\n{"a": 1}\n-- 2 of 2: select 2 as b\n{"b": 2}\n'


def test_sql_from_a_file_or_standard_input(db, tmp_path):
    sql = tmp_path / "q.sql"
    sql.write_text("-- how many\nselect count(*) as n from facts;\n")
    for args, stdin in ((["-f", str(sql)], None), (["-f", "-"], sql.read_text()), (["-"], sql.read_text())):
        result = query(db, "--format", "csv", *args, stdin=stdin)
        assert (result.exit_code, result.stdout) == (0, "n\n108\n"), (args, result.stderr)


@pytest.mark.parametrize("args, code, message", [
    ([""], 2, "empty SQL"),
    (["  \n "], 2, "empty SQL"),
    (["--", "-- only a comment\n;;"], 2, "empty SQL"),
    ([], 2, "no SQL"),
    (["-f", "{tmp}/missing.sql"], 2, "no such file of SQL"),
    (["-f", "{tmp}"], 2, "a folder"),
    (["-f", "{tmp}/latin1.sql"], 2, "not UTF-8"),
    (["-f", "{tmp}/q.sql", "select 1"], 2, "not both"),
    (["selec 1"], 1, "Parser Error"),
    (["select * from nowhere"], 1, "Catalog Error"),
    (["select $1"], 1, "Values were not provided"),
    (["select 1; selec 2"], 1, "Parser Error"),
    (['select * from "' + "y" * 130_000 + '"'], 1, "characters)"),
    (["--format", "parquet", "select 1"], 2, "add --out"),
])
def test_bad_sql_and_bad_arguments_are_one_line(db, tmp_path, args, code, message):
    (tmp_path / "latin1.sql").write_bytes("select 'caf\xe9'".encode("latin-1"))
    (tmp_path / "q.sql").write_text("select 1")
    result = query(db, *[a.format(tmp=tmp_path) for a in args])
    assert result.exit_code == code
    line = one_line(result)
    assert message in line and len(line) < 700, line


def test_data_prints_as_text_in_the_table(db):
    result = query(db, "select '[/]' as \"[bold]\", ':x: [red]no[/red]' as b, chr(27) || '[31mred' as c, "
                       "'one' || chr(10) || 'two' as d, chr(8238) || 'txt.exe' as e, chr(155) || '2J' as f")
    assert result.exit_code == 0, result.stderr
    out = result.stdout
    assert "[bold]" in out and "[/]" in out and ":x: [red]no[/red]" in out and "❌" not in out
    assert "\\x1b[31mred" in out and "\x1b" not in out and "\\x9b2J" in out and "\x9b" not in out
    assert "one\\ntwo" in out and "\\u202etxt.exe" in out and "\u202e" not in out


def test_json_escapes_and_csv_to_a_pipe_is_verbatim(db):
    sql = "select chr(27) || '[31m' || chr(8238) as v"
    as_json = query(db, "--format", "json", sql)
    assert as_json.stdout == '{"v": "\\u001b[31m\\u202e"}\n'
    assert json.loads(as_json.stdout) == {"v": "\x1b[31m\u202e"}
    as_csv = query(db, "--format", "csv", sql)
    assert as_csv.stdout == "v\n\x1b[31m\u202e\n"  # a pipe or a file gets the data as it is


def test_explain_prints_the_plan_and_explain_analyze_of_a_select_runs(db):
    for sql in ("explain select count(*) from facts", "explain analyze select count(*) from facts"):
        result = query(db, sql)
        assert result.exit_code == 0, result.stderr
        assert "\\n" not in result.stdout and "─" in result.stdout


def test_reading_statements_of_every_kind_run(db):
    for sql in ("from facts limit 1", "with a as (select 1 as x) select * from a", "values (1)", "show tables",
                "describe facts", "summarize geos", "call pragma_table_info('facts')",
                "pivot facts on metric in ('missing_other') using sum(value) group by geo",
                "select * from duckdb_settings() where name = 'enable_external_access'"):
        result = query(db, sql)
        assert result.exit_code == 0, (sql, result.stderr)
    locked = query(db, "--format", "csv", "select current_setting('lock_configuration') as locked, "
                                          "current_setting('enable_external_access') as external")
    assert locked.stdout == "locked,external\nTrue,False\n"


def _tty(args: list[str], columns: int) -> str:
    """What the real `ncmec` prints to a terminal `columns` wide."""
    import pty

    main, child = pty.openpty()
    env = {**os.environ, "COLUMNS": str(columns), "TERM": "xterm"}
    proc = subprocess.Popen([str(NCMEC), *args], stdout=child, stderr=child, stdin=subprocess.DEVNULL, env=env)
    os.close(child)
    chunks = []
    while True:
        try:
            data = os.read(main, 65536)
        except OSError:  # the terminal closed: the command ended
            break
        if not data:
            break
        chunks.append(data)
    os.close(main)
    assert proc.wait(timeout=60) == 0
    return b"".join(chunks).decode("utf-8")


def test_on_a_terminal_csv_is_escaped_and_numbers_are_never_cut(db):
    sql = "select chr(27) || '[2J' as v"
    shown = _tty(["query", "--db", str(db), "--format", "csv", sql], 80)
    assert "\\x1b[2J" in shown and "\x1b[2J" not in shown
    wide = ("select geo, previous_year as since, year, previous_value as before, value, "
            "round(pct_change, 1) as pct, not_exact from year_over_year order by geo, metric, year")
    con = duckdb.connect(str(db), read_only=True)
    figures = [f"{v:,.0f}" for (v,) in con.execute("select previous_value from year_over_year").fetchall()]
    con.close()
    for columns in (80, 40):
        shown = ANSI.sub("", _tty(["query", "--db", str(db), wide], columns))
        assert all(f in shown for f in figures) and "…" not in shown, shown
        assert all(len(line) <= columns for line in shown.replace("\r", "").splitlines())
    assert "  before: 29,300,000" in shown  # 40 columns: one block per row


def test_query_out_csv_imports_nothing_heavy(db, tmp_path):
    """Only parquet needs pyarrow (tests/test_cli.py checks a plain query)."""
    from test_cli import HEAVY, _imported

    imported = _imported("query", "--db", str(db), "--out", str(tmp_path / "r.csv"), "select * from facts")
    assert "pipelines" in imported and sorted(imported.intersection(HEAVY)) == []
    assert (tmp_path / "r.csv").read_text().startswith("geo,year,metric,")
