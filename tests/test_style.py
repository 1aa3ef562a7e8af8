"""Issue 12's size limits, which no linter rule counts: a function in pipelines/ or flows.py is
at most 60 lines (decorators and docstring included), a module at most 300."""

import ast
import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
MODULES = sorted((REPO / "pipelines").rglob("*.py")) + [REPO / "flows.py"]
MAX_FUNCTION_LINES = 60
MAX_MODULE_LINES = 300


def _name(path: Path) -> str:
    return str(path.relative_to(REPO))


def _functions(tree: ast.AST) -> list[tuple[str, int, int]]:
    """(qualified name, first line, line count) of every function, nested ones and methods too."""
    found: list[tuple[str, int, int]] = []

    def visit(node: ast.AST, prefix: str) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef):
                first = min([child.lineno] + [d.lineno for d in child.decorator_list])
                last = child.end_lineno or child.lineno
                found.append((prefix + child.name, first, last - first + 1))
                visit(child, f"{prefix}{child.name}.")
            elif isinstance(child, ast.ClassDef):
                visit(child, f"{prefix}{child.name}.")
            else:
                visit(child, prefix)

    visit(tree, "")
    return found


def test_the_modules_are_found():
    assert len(MODULES) > 10 and REPO / "pipelines" / "cli" / "commands.py" in MODULES


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_module_is_at_most_300_lines(path):
    n = len(path.read_text("utf-8").splitlines())
    assert n <= MAX_MODULE_LINES, f"{_name(path)} has {n} lines (at most {MAX_MODULE_LINES}): split it"


@pytest.mark.parametrize("path", MODULES, ids=_name)
def test_functions_are_at_most_60_lines(path):
    tree = ast.parse(path.read_text("utf-8"), filename=str(path))
    long = [f"{name} (line {first}): {n} lines" for name, first, n in _functions(tree) if n > MAX_FUNCTION_LINES]
    assert not long, f"{_name(path)}: functions over {MAX_FUNCTION_LINES} lines: {'; '.join(long)}"


def test_the_limits_catch_a_long_function_and_a_nested_one():
    body = "\n".join(f"    x{i} = {i}" for i in range(60))
    source = (f"@decorator\ndef long():\n{body}\n\n"
              "class C:\n    def short(self):\n        def inner():\n            pass\n")
    found = {name: n for name, _, n in _functions(ast.parse(source))}
    assert found == {"long": 62, "C.short": 3, "C.short.inner": 2}


# The stages, lowest first: a module imports only from its own stage or a lower one.
STAGES = ("core", "read", "extract", "validate", "store", "fetch", "orchestration", "outputs", "cli")


def _graph() -> dict[str, set[str]]:
    from pipelines.core.documents import package_imports, package_modules

    return {module: package_imports(module) for module in package_modules()}


def test_every_module_is_in_a_stage_and_no_stage_imports_a_higher_one():
    graph = _graph()
    assert {m.split(".")[0] for m in graph} == set(STAGES) and all("." in m for m in graph)
    rank = {stage: i for i, stage in enumerate(STAGES)}
    upward = [f"{m} imports {d}" for m, deps in graph.items() for d in deps
              if rank[d.split(".")[0]] > rank[m.split(".")[0]]]
    assert not upward, "; ".join(sorted(upward))


def test_no_module_of_the_package_imports_one_that_imports_it_back():
    """No import cycle (a function's own imports counted), so that each module sits below what
    uses it: the parse workers import the parse and nothing above it, say."""
    graph = _graph()
    cycles = []

    def walk(module: str, path: list[str]) -> None:
        for dep in sorted(graph.get(module, ())):
            if dep in path:
                cycles.append(" -> ".join(path[path.index(dep):] + [dep]))
            elif dep not in done:
                walk(dep, [*path, dep])
        done.add(module)

    done: set[str] = set()
    for module in sorted(graph):
        walk(module, [module])
    assert not cycles, f"import cycles: {'; '.join(sorted(set(cycles)))}"


def test_the_readme_s_map_is_the_folders():
    text = (REPO / "README.md").read_text("utf-8")
    layout = text[text.index("\n## Layout\n"):]
    layout = layout[: layout.index("\n## ", 1)]
    mapped = re.findall(r"(?m)^  ([a-z_]+)/ ", layout)
    assert mapped == list(STAGES)
    assert sorted(p.name for p in (REPO / "pipelines").iterdir() if (p / "__init__.py").is_file()) == sorted(STAGES)
