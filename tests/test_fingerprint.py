"""The parse fingerprint covers exactly the modules a parse runs: found by their imports
(pipelines/core/documents.py), so a module added to the extractor cannot be left out and let stale
parses load."""

from __future__ import annotations

import json
import subprocess
import sys

from conftest import RAW, REPO

from pipelines.core import documents

# Parses a text sheet, an HTML save, a markdown export and a PDF (made by fpdf2), importing no more
# than the extractor, and prints the package's modules that ran.
_PARSE = """
import json, sys
from io import BytesIO
from pathlib import Path
from fpdf import FPDF
from pipelines.extract.sheet import parse_bytes
for name in sys.argv[1:]:
    parse_bytes(Path(name).read_bytes(), name)
pdf = FPDF()
pdf.add_page()
pdf.set_font("Helvetica", size=10)
pdf.multi_cell(0, 5, Path(sys.argv[1]).read_text("utf-8").encode("latin-1", "replace").decode("latin-1"))
parse_bytes(bytes(pdf.output()), "sheet.pdf")
print(json.dumps(sorted(m.removeprefix("pipelines.") for m, mod in sys.modules.items()
                        if m.startswith("pipelines.") and not mod.__file__.endswith("__init__.py"))))
"""


def test_the_fingerprint_covers_every_module_a_parse_runs_and_no_other():
    exports = REPO / "tests" / "exporters" / "out"
    files = [RAW / "wisconsin_2023.txt", exports / "as_2022_singles.pdftohtml.html",
             exports / "as_2022_singles.markitdown.md"]
    done = subprocess.run([sys.executable, "-c", _PARSE, *map(str, files)], capture_output=True, text=True,
                          timeout=120, check=True)
    assert json.loads(done.stdout) == documents.parser_modules()


def test_the_extractor_is_what_parses_not_what_reads_files():
    assert {"extract.sheet", "read.normalise", "read.furniture", "read.pdf", "core.limits",
            "core.documents"} <= set(documents.parser_modules())
    assert "extract.intake" not in documents.parser_modules()  # reads files; what a file parses to is not its work
    assert len(documents.parser_fingerprint()) == 16


def test_the_package_says_the_version_it_is_installed_as():
    from importlib.metadata import version

    import pipelines

    assert pipelines.__version__ == version("ncmec-warehouse")
