# relay — the commands a developer and CI need.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
export RELAY_DB ?= relay.db
export RELAY_KEYS ?= keys

.PHONY: run test test-postgres lint format bench install clean

$(BIN)/relay: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e ".[test]"
	@touch $(BIN)/relay

install: $(BIN)/relay

## make run: first time, create keys, the database and a demo case; then serve on 127.0.0.1:8080
## (with RELAY_DATABASE_URL set, on that PostgreSQL database; .demo-logins marks it initialised)
run: install
	@if { [ -z "$$RELAY_DATABASE_URL" ] && [ ! -f "$(RELAY_DB)" ]; } || \
	    { [ -n "$$RELAY_DATABASE_URL" ] && [ ! -f .demo-logins ]; }; then \
		RELAY_PASSWORD=$${RELAY_PASSWORD:-demo-specialist-pass} $(BIN)/relay init --username specialist && \
		$(BIN)/relay demo | tee .demo-logins; \
	else \
		echo "Using the existing database; demo logins (if any) are in .demo-logins"; \
		cat .demo-logins 2>/dev/null || true; \
	fi
	$(BIN)/relay serve

## make test: lint; the suite on SQLite, then the same suite on a throwaway PostgreSQL cluster
## (scripts/with-postgres; skipped, saying so, when Debian's postgresql is not installed);
## then the browser tests (they skip cleanly when Debian's chromium is missing).
## Long fuzzing: $(BIN)/pytest -m slow
test: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/pytest -q -n 2 -m "not browser and not slow"
	scripts/with-postgres $(BIN)/pytest -q -n 2 -m "not browser and not slow" $(PG_SKIP)
	$(BIN)/pytest -q -m browser

## make test-postgres: only the PostgreSQL run of the suite
test-postgres: install
	scripts/with-postgres $(BIN)/pytest -q -n 2 -m "not browser and not slow" $(PG_SKIP)

# The PostgreSQL run leaves out the detection tests: pure functions that touch no database.
PG_SKIP := --ignore=tests/moderation

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

format: install
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: install
	$(BIN)/python bench/run.py

clean:
	rm -rf $(VENV) build dist *.egg-info .pytest_cache .ruff_cache
