# weizhong — make targets. Every target creates the virtual environment on first use.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
BROWSER_STAMP := $(VENV)/.browser-stamp
EXAMPLE := weizhong/examples/runner_tight_hamstrings.json
# Where `make run` keeps the clinic's SQLite database, secret key and outbox.
export WEIZHONG_DATA_DIR ?= $(CURDIR)/data

.PHONY: install run test test-postgres lint bench reliability accuracy check assess clean

$(STAMP): pyproject.toml scripts/system-deps.sh
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "weizhong needs Python 3.11 or newer")'
	@scripts/system-deps.sh
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $(STAMP)

install: $(STAMP)  ## the environment only, with `weizhong` on .venv/bin

run: $(STAMP)  ## the main job: migrate, seed the demo clinic once, serve on http://127.0.0.1:8000
	$(BIN)/weizhong serve --demo

assess: $(STAMP)  ## the command line: assess the bundled example case and print the report
	$(BIN)/weizhong assess $(EXAMPLE)

$(BROWSER_STAMP): scripts/browser-deps.sh
	@scripts/browser-deps.sh
	@touch $(BROWSER_STAMP)

test: $(STAMP) $(BROWSER_STAMP)  ## the whole suite, end-to-end browser tests included
	$(BIN)/pytest

test-postgres: $(STAMP) $(BROWSER_STAMP)  ## the whole suite again on this machine's PostgreSQL
	DATABASE_URL=$$(scripts/postgres-ci.sh) $(BIN)/pytest

lint: $(STAMP)  ## ruff everywhere; mypy --strict over the whole package; the import contracts
	$(BIN)/ruff check .
	$(BIN)/ruff format --check weizhong tests accuracy
	$(BIN)/mypy --strict weizhong
	$(BIN)/lint-imports

bench: $(STAMP)  ## figures: assessment, plans, handouts; the web app and CDS Hooks under load
	$(BIN)/python bench/bench_assess.py; core=$$?; \
	$(BIN)/python bench/bench_web.py; web=$$?; \
	$(BIN)/python bench/bench_cds.py; cds=$$?; \
	$(BIN)/python bench/bench_schedule.py; schedule=$$?; \
	exit $$(( core || web || cds || schedule ))

reliability: $(STAMP)  ## figures: access matrix, API fuzzing, crashes, concurrent edits, hostile input
	$(BIN)/python reliability/run.py

accuracy: $(STAMP)  ## figures: the diagnostic-accuracy benchmark of published cases, both halves
	$(BIN)/python accuracy/run.py

check: $(STAMP)  ## validate the knowledge files
	$(BIN)/weizhong knowledge check

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis build *.egg-info
