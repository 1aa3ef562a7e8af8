"""What parsing a sheet gives: the document, its observations (each value with the verbatim
text it came from) and its problems (values it states but that cannot be read for certain);
and the fingerprint of the extractor that made them, so that a new extractor parses again."""

from __future__ import annotations

import ast
import hashlib
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata
from pathlib import Path

# Where the extractor starts: every module it imports from this package (at the top or inside a
# function, as decode imports pdf), and theirs, is part of it, and so is the catalog's data.
_PARSER_ROOT = "extract.sheet"
_PARSER_DATA = ("core/catalog.toml",)
_PACKAGE = Path(__file__).parents[1]  # pipelines/


def _source(module: str) -> Path:
    """The file of a module named relative to the package ("extract.sheet"), or of a sub-package."""
    path = _PACKAGE.joinpath(*module.split("."))
    return path.with_suffix(".py") if path.with_suffix(".py").is_file() else path / "__init__.py"


def package_imports(module: str) -> set[str]:
    """The modules of this package (named relative to it: "read.decode") that `module`'s source
    imports, anywhere in it (a function's own imports too): `from pipelines.x import y` and
    `from pipelines.x.y import z`, `from . import y`, `from .y import z`."""
    found = set()
    package = module.rsplit(".", 1)[0] if "." in module else ""
    for node in ast.walk(ast.parse(_source(module).read_text("utf-8"))):
        if not isinstance(node, ast.ImportFrom):
            continue
        if node.level:
            base = ".".join(filter(None, [package.rsplit(".", node.level - 1)[0] if node.level > 1 else package,
                                          node.module]))
        elif (node.module or "").split(".")[0] == "pipelines":
            base = (node.module or "").removeprefix("pipelines").lstrip(".")
        else:
            continue
        for name in [f"{base}.{alias.name}".lstrip(".") for alias in node.names] + [base]:
            if name and _PACKAGE.joinpath(*name.split(".")).with_suffix(".py").is_file():
                found.add(name)
    return found - {module}


def package_modules() -> list[str]:
    """Every module of the package, named relative to it ("read.decode"), packages' own files aside."""
    return sorted(".".join(p.relative_to(_PACKAGE).with_suffix("").parts)
                  for p in _PACKAGE.rglob("*.py") if p.name != "__init__.py")


def parser_modules() -> list[str]:
    """The extractor's modules: those the extract module imports, and theirs, in name order."""
    seen: set[str] = set()
    todo = [_PARSER_ROOT]
    while todo:
        module = todo.pop()
        if module not in seen:
            seen.add(module)
            todo += package_imports(module)
    return sorted(seen)


@cache
def parser_fingerprint() -> str:
    """Identifies the extractor: a document parsed by another version is parsed again. That is
    the sources of its modules (found by their imports, never a list kept by hand), the catalog's
    data, and the libraries whose output the text depends on."""
    digest = hashlib.sha256()
    for name in [_source(module).relative_to(_PACKAGE).as_posix() for module in parser_modules()] + list(_PARSER_DATA):
        digest.update(name.encode() + b"\0" + (_PACKAGE / name).read_bytes())
    for package in ("pypdf", "charset-normalizer", "ftfy", "markdown-it-py"):
        digest.update(f"{package}=={metadata.version(package)}".encode())
    return digest.hexdigest()[:16]


@dataclass(frozen=True)
class Observation:
    geo: str
    year: int
    metric: str
    value: float
    qualifier: str
    unit: str
    evidence: str
    char_start: int
    char_end: int


@dataclass(frozen=True)
class Problem:
    """A value the text states but that cannot be read for certain: a rejection, not a value."""

    geo: str
    year: int
    metric: str
    check: str
    reason: str
    evidence: str


@dataclass
class ParsedDocument:
    source_file: str
    sha256: str
    n_bytes: int
    encoding: str | None = None
    text: str | None = None
    geo: str | None = None
    year: int | None = None
    rejected_check: str | None = None
    rejected_reason: str | None = None
    observations: list[Observation] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    reused: bool = False  # not parsed this run: the warehouse already held this content

    @property
    def rejected(self) -> bool:
        return self.rejected_check is not None


# The fields of a document, of an observation and of a problem, as a Batch holds them: each
# observation and problem also names its document's file.
DOCUMENT_FIELDS = ("source_file", "sha256", "n_bytes", "encoding", "text", "geo", "year", "rejected_check",
                   "rejected_reason", "n_observations")
OBSERVATION_FIELDS = ("source_file", *Observation.__dataclass_fields__)
PROBLEM_FIELDS = ("source_file", *Problem.__dataclass_fields__)


@dataclass
class Batch:
    """Parsed documents as columns, a list per field: what the checks read, making their frames
    from the lists as they are. A rejected document has no observations."""

    documents: dict[str, list] = field(default_factory=lambda: {f: [] for f in DOCUMENT_FIELDS})
    observations: dict[str, list] = field(default_factory=lambda: {f: [] for f in OBSERVATION_FIELDS})
    problems: dict[str, list] = field(default_factory=lambda: {f: [] for f in PROBLEM_FIELDS})

    @classmethod
    def of(cls, docs: list[ParsedDocument]) -> Batch:
        batch = cls()
        for d in docs:
            batch.add(d)
        return batch

    def add(self, doc: ParsedDocument) -> None:
        observations = [] if doc.rejected else doc.observations
        for name, values in self.documents.items():
            values.append(len(observations) if name == "n_observations" else getattr(doc, name))
        for rows, table in ((observations, self.observations), (doc.problems, self.problems)):
            if rows:
                table["source_file"].extend([doc.source_file] * len(rows))
                for name in list(table)[1:]:
                    table[name].extend([getattr(r, name) for r in rows])

    def __len__(self) -> int:
        return len(self.documents["source_file"])
