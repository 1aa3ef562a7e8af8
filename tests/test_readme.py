"""The README's example outputs are what their commands print: scripts/readme_examples.py --check
on the session's analyst warehouse, which the README describes (the same sheets)."""

from __future__ import annotations

import importlib.util
import sys

import pytest
from conftest import ANALYST_VARIANTS, REPO

README = REPO / "README.md"


def _script():
    spec = importlib.util.spec_from_file_location("readme_examples", REPO / "scripts" / "readme_examples.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while the class is built
    spec.loader.exec_module(module)
    return module


readme_examples = _script()


def test_the_readme_describes_the_analyst_warehouse():
    # Otherwise the check below fails on every example at once, which says less.
    assert sorted(readme_examples.VARIANTS) == sorted(ANALYST_VARIANTS)


def test_the_readme_outputs_are_what_the_commands_print(analyst_db, capsys):
    before = README.read_bytes()
    code = readme_examples.main(["--check", "--db", str(analyst_db)])
    assert code == 0, capsys.readouterr().err
    assert README.read_bytes() == before, "--check wrote to README.md"


def test_the_check_names_the_block_that_drifted():
    text = README.read_text("utf-8")
    examples = readme_examples.find_examples(text)
    assert len(examples) >= 12
    lines = text.splitlines()
    drifted = examples[2]
    lines[drifted.output[1] - 1] += " (pasted by hand)"
    problem = readme_examples.first_difference("\n".join(lines) + "\n", text)
    assert problem is not None and problem.startswith(drifted.title())
    assert "(pasted by hand)" in problem
    assert readme_examples.first_difference(text, text) is None


def test_an_output_block_must_be_marked_as_generated():
    text = README.read_text("utf-8").replace(readme_examples.MARKER + "\n", "", 1)
    with pytest.raises(ValueError, match="not marked as generated"):
        readme_examples.find_examples(text)


def test_make_demo_builds_the_warehouse_the_readme_answers_from(analyst_db, tmp_path):
    """The README's questions run on a warehouse a command builds: `make demo` loads the same
    inputs with a real run, and gets the same facts and rejections as the analyst warehouse."""
    import os
    import subprocess

    from conftest import snapshot

    raw, db = tmp_path / "demo-raw", tmp_path / "demo.duckdb"
    env = {**os.environ, "PREFECT_HOME": str(tmp_path / "prefect")}
    done = subprocess.run(["make", "-s", "demo", f"DEMO_RAW={raw}", f"DEMO_DB={db}"], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert sorted(p.name for p in raw.iterdir()) == sorted(readme_examples.inputs())
    keep = ("facts", "rejections")
    strip = lambda rows: sorted(r[:-1] for r in rows)  # noqa: E731  (the load id differs)
    want, got = snapshot(analyst_db, keep), snapshot(db, keep)
    assert all(strip(got[t]) == strip(want[t]) for t in keep)
    assert f"the README's example warehouse is {db}" in done.stdout and f"export NCMEC_DB={db}" in done.stdout


def test_the_demo_never_replaces_a_folder_of_other_sheets(tmp_path, capsys):
    raw = tmp_path / "raw"
    raw.mkdir()
    (raw / "my_sheet.txt").write_text("mine", "utf-8")
    assert readme_examples.main(["--demo-raw", str(raw)]) == 2
    assert "my_sheet.txt" in capsys.readouterr().err
    assert [p.name for p in raw.iterdir()] == ["my_sheet.txt"]
    assert readme_examples.main(["--demo-raw", str(tmp_path / "new")]) == 0
    assert readme_examples.main(["--demo-raw", str(tmp_path / "new")]) == 0  # its own folder: replaced
