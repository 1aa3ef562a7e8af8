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
_MAKERS = {"Rejected": 0, "Problem": 3, "problem": 3, "observation": 1, "_reject": 2}
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
    assert made - set(registry.NAMES) == set(), "checks made but not in pipelines/core/registry.py"
    assert set(registry.NAMES) - made == set(), "checks in the registry that nothing makes"
    assert len(set(registry.NAMES)) == len(registry.NAMES)


def test_the_field_checks_are_the_schemas_and_each_has_its_reason():
    field = set(registry.of_level("field"))
    assert set(schemas._REASONS) == field
    schema = schemas.ObservationChecks.to_schema()
    named = {c.name for c in schema.checks} | {c.name for column in schema.columns.values() for c in column.checks}
    assert field <= named


def test_the_readme_lists_every_check_and_no_other():
    text = (REPO / "README.md").read_text("utf-8")
    section = text[text.index("\n## Checks\n"):]
    section = section[: section.index("\n## ", 1)]
    listed = set(re.findall(r"`([a-z_]+)`", section))
    assert listed == set(registry.NAMES)


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
