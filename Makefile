# Two commands from a fresh clone: `make run` and `make test`. Both create .venv when needed.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
# `make run RAW=dir DB=file`; without them, ncmec's own rule: $NCMEC_RAW and $NCMEC_DB, else raw
# and warehouse/ncmec.duckdb.
RAW    ?=
DB     ?=

.PHONY: install run demo lint test report-check bench clean

install: $(STAMP)

# constraints.txt holds the versions last shown to work together (pip freeze of a green run);
# pyproject.toml holds the ranges. Re-installs only when either changes. uv (pinned there too)
# installs them: 34 s from a fresh clone where pip took 87 s, the same packages (measured 2026-12-04).
# --compile-bytecode as pip does: where PYTHONDONTWRITEBYTECODE is set (this machine), a venv
# without .pyc files compiles Prefect anew in every process, and `make test` took 90 s longer.
$(STAMP): pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -c constraints.txt uv
	$(BIN)/uv pip install --quiet --compile-bytecode --python $(BIN)/python -c constraints.txt -e '.[dev]'
	touch $@

run: install
	$(BIN)/ncmec run $(if $(RAW),--raw $(RAW)) $(if $(DB),--db $(DB))

# The README's example warehouse (its five questions and outputs): the two seeds and six variant sheets
# that scripts/readme_examples.py lists, in DEMO_RAW, loaded into DEMO_DB by a real run.
DEMO_RAW ?= build/demo-raw
DEMO_DB  ?= warehouse/demo.duckdb
demo: install
	$(BIN)/python scripts/readme_examples.py --demo-raw $(DEMO_RAW)
	$(BIN)/ncmec run --raw $(DEMO_RAW) --db $(DEMO_DB)
	@echo "the README's example warehouse is $(DEMO_DB); point every command at it with:"
	@echo "  export NCMEC_DB=$(DEMO_DB)"

# The lint and type gate (settings in pyproject.toml): CI fails on a lint or type error too.
lint: install
	$(BIN)/ruff check .
	$(BIN)/mypy

# The tests on every core (pytest-xdist): each worker has its own Prefect home and test server;
# the ten slowest are listed at the end.
test: install lint
	$(BIN)/python -m pytest -n auto --dist worksteal --durations=10

# The report in a real browser (tests/test_browser.py only): headless Chromium renders the report
# of a 616-sheet warehouse at 1280 and 480 px; screenshots in build/report-check/. It needs Debian's
# Chromium (or NCMEC_CHROMIUM naming one) and installs nothing: without it, one line says how.
CHROMIUM = $(or $(NCMEC_CHROMIUM),chromium)
report-check:
	$(if $(shell command -v '$(CHROMIUM)' 2>/dev/null),,$(error no Chromium ($(CHROMIUM)) to check the report with: \
	install Debian's package with `apt-get install chromium` (as root), or set NCMEC_CHROMIUM to a Chromium binary))
	@$(MAKE) --no-print-directory install
	$(BIN)/python -m pytest tests/test_browser.py --durations=5

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache .hypothesis .mypy_cache .ruff_cache

# Benchmark (not part of CI): writes bench/report.md. SIZES and REPEAT override the defaults.
SIZES  ?= 1000,10000,50000
REPEAT ?= 3
bench: install
	$(BIN)/python bench/run.py --sizes $(SIZES) --repeat $(REPEAT) --out bench/report.md
