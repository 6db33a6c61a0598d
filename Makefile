# weizhong — make targets. Every target creates the virtual environment on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
EXAMPLE := weizhong/examples/runner_tight_hamstrings.json

.PHONY: install run test lint bench check clean

$(STAMP): pyproject.toml scripts/system-deps.sh
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "weizhong needs Python 3.11 or newer")'
	@scripts/system-deps.sh
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)  ## the environment only, with `weizhong` on .venv/bin

run: $(STAMP)  ## the main job: assess the bundled example case and print the report
	$(BIN)/weizhong assess $(EXAMPLE)

test: $(STAMP)  ## the whole suite
	$(BIN)/pytest

lint: $(STAMP)  ## ruff everywhere; mypy --strict on the domain core
	$(BIN)/ruff check .
	$(BIN)/mypy --strict weizhong

bench: $(STAMP)  ## throughput of batch assessment and cold-start time, printed as figures
	$(BIN)/python bench/bench_assess.py

check: $(STAMP)  ## validate the knowledge files
	$(BIN)/weizhong knowledge check

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis build *.egg-info
