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
