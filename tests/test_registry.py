"""Every check is declared once (pipelines/core/registry.py): a check made anywhere in the code is in
the registry, every entry is made somewhere, and what is said of the checks (README, explain,
the field checks' reasons) comes from it or agrees with it."""

from __future__ import annotations

import ast
import re

from conftest import REPO

from pipelines.core import catalog, registry
from pipelines.outputs import explain
from pipelines.validate import schemas

# The calls that name the check of a rejection, a problem or a failed value: which argument does.
_MAKERS = {"Rejected": 0, "Problem": 3, "problem": 3, "observation": 1, "says": 1, "say": 0, "_reject": 2}
_NAME = re.compile(r"[a-z]+(?:_[a-z]+)+|[a-z]+")
# A guard on the pipeline's own table (a bug if it fails), never a rejection.
_GUARDS = {"one_fact_per_key"}


def _made(tree: ast.AST) -> set[str]:
    """The check names a module's source makes: constant arguments of the calls that make one,
    pandera's `name=`, and what is assigned to a variable called `check`."""
    found: set[str] = set()
    for node in ast.walk(tree):
        values: list[ast.AST] = []
        if isinstance(node, ast.Call):
            func = node.func
            called = func.attr if isinstance(func, ast.Attribute) else getattr(func, "id", "")
            if called in _MAKERS and len(node.args) > _MAKERS[called]:
                values.append(node.args[_MAKERS[called]])
            values += [k.value for k in node.keywords if k.arg == "name" and called in ("check", "dataframe_check")]
        elif isinstance(node, ast.Assign) and any(isinstance(t, ast.Name) and t.id == "check" for t in node.targets):
            values.append(node.value)  # a name, or one of two ("a" if ... else "b")
            values += [part for e in ast.walk(node.value) if isinstance(e, ast.IfExp) for part in (e.body, e.orelse)]
        found |= {v.value for v in values if isinstance(v, ast.Constant) and isinstance(v.value, str)
                  and _NAME.fullmatch(v.value)}
    return found


def test_every_check_the_code_makes_is_in_the_registry_and_every_entry_is_made():
    made: set[str] = set()
    for path in sorted((REPO / "pipelines").rglob("*.py")):
        made |= _made(ast.parse(path.read_text("utf-8")))
    made -= _GUARDS
    made |= set(registry.field_rules())  # the schema runs the registry's own rules: see the test below
    assert made - set(registry.NAMES) == set(), "checks made but not in pipelines/core/registry.py"
    assert set(registry.NAMES) - made == set(), "checks in the registry that nothing makes"
    assert len(set(registry.NAMES)) == len(registry.NAMES)


def test_the_field_checks_are_the_registry_s_rules_with_their_reasons():
    field = registry.of_level("field")
    assert list(registry.field_rules()) == field, "a field check without a rule"
    named = [c.name for c in schemas.ObservationChecks.checks]
    assert [n for n in named if n in field] == field
    columns = {c.name for column in schemas.ObservationChecks.columns.values() for c in column.checks}
    assert not columns & set(registry.NAMES), "a named check on a column, outside the registry"
    assert schemas.Observations.to_schema().checks == [], "the registry's rules leaked into the plain model"


def test_every_check_of_a_value_says_its_reason_from_the_registry():
    """A value's rejection reads its sentence from the registry (registry.say): a check of a value
    without one, or a stage that writes a reason of its own, fails here."""
    for check in registry.CHECKS:
        if check.level in registry.VALUE_LEVELS:
            assert check.reason, f"{check.name} has no reason in the registry"
    for path in sorted((REPO / "pipelines" / "validate").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Call) and getattr(node.func, "attr", "") in ("observation", "_reject"):
                said = node.args[2 if node.func.attr == "observation" else 3:][:1]
                assert not any(isinstance(a, ast.JoinedStr | ast.Constant) for a in said), \
                    f"{path.name}:{node.lineno}: a reason written in place, not the registry's"


def test_a_reason_is_said_with_its_fields():
    assert registry.say("year_matches_sheet", year=2021, sheet_year=2023) == (
        "The sentence is about 2021, but the sheet is about 2023.")
    import numpy as np

    for year in (2023.0, np.float64(2023), np.int64(2023)):  # a year from a column of floats is said whole
        said = registry.say("cvip_cumulative_non_decreasing", value="1", year=year, before="2", before_year=year - 1)
        assert said.endswith("1 for 2023 is below 2 for 2022; a running total cannot fall.")
    tie = registry.say("sources_agree", case="tie", metric="m", geo="WI", year=2023, said="1 in a; 2 in b")
    assert tie.startswith("Sheets disagree on m for WI 2023 (1 in a; 2 in b);")


def test_the_readme_lists_every_check_and_no_other():
    text = (REPO / "README.md").read_text("utf-8")
    section = text[text.index("\n## Checks\n"):]
    section = section[: section.index("\n## ", 1)]
    listed = re.findall(r"^  ([a-z_]+): ", section, re.M)  # the generated list (scripts/readme_examples.py)
    assert listed == list(registry.NAMES)


def test_explain_says_the_registry_s_checks():
    for m in catalog.metrics():
        passed = registry.passed(m.metric, m.scope, m.unit)
        assert passed[0] == "geo_known" and ("sources_agree" in passed) == (m.scope == "state")
        assert ("breakdown_sums" in passed) == (m.scope == "state" and m.metric.startswith("missing_"))
    assert explain.registry is registry


def test_every_check_has_a_level_and_the_data_dictionary_lists_each():
    from pipelines.outputs import dictionary

    assert {c.level for c in registry.CHECKS} <= set(registry.LEVELS)
    text = dictionary.render([], None, "now")
    section = text[text.index("\n## Checks\n"):text.index("\n## Qualifiers\n")]
    assert re.findall(r"(?m)^\| `([a-z_]+)` \|", section) == list(registry.NAMES)
