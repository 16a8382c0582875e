# Alliance: `make run` to run it with demo data, `make test` to run every test.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
# Two processes (pytest-xdist), one test module each at a time; `make test PYTEST_ARGS=` runs serially.
# Tests that flush the database run in a second pass (see pytest_collection_modifyitems).
PYTEST_ARGS ?= -n 2 --dist loadfile

.PHONY: run test lint format bench faults

$(BIN)/python:
	$(PYTHON) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: $(BIN)/python requirements.txt requirements-dev.txt requirements-embedded.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt -r requirements-embedded.txt
	touch $@

$(VENV)/.installed-test: $(BIN)/python requirements.txt requirements-dev.txt
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

## Set up everything and run web + worker + beat with demo data on http://127.0.0.1:8000
run: $(VENV)/.installed
	$(BIN)/python scripts/run.py

## The whole suite against the real PostgreSQL and Redis (127.0.0.1), browser tests included
test: $(VENV)/.installed-test
	DJANGO_SETTINGS_MODULE=alliance.settings.test $(BIN)/python manage.py makemigrations --check --dry-run
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/pytest $(PYTEST_ARGS) --create-db -m "not transactional"
	$(BIN)/pytest $(PYTEST_ARGS) --reuse-db -m transactional

lint:
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format:
	$(BIN)/ruff format .
	$(BIN)/ruff check --fix .

bench: $(VENV)/.installed-test
	$(BIN)/python bench/run.py

## Fault run: private PostgreSQL/Redis/SMTP sink; restarts them and kills a worker under load
faults: $(VENV)/.installed-test
	$(BIN)/python bench/faults/run.py
