# Two commands do all the set-up on a fresh machine: `make demo` and `make test`.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
PY := $(BIN)/python
MANAGE := $(PY) manage.py
PG_URL ?= postgres://postgres@127.0.0.1:5432/gainshare
PYTEST_ARGS ?=
# The suite runs on both cores. Tests are handed out in the collection's order (xdist's default),
# which keeps pytest-django's order: the tests that flush the database run last on each worker.
PARALLEL ?= -n 2

.PHONY: system-deps install demo test test-postgres test-celery test-celery-postgres lint format clean

install: $(VENV)/.installed

system-deps:
	bash bin/system-deps.sh

$(VENV)/.installed: requirements.txt requirements-dev.txt bin/system-deps.sh
	bash bin/system-deps.sh
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

demo: install
	$(PY) bin/demo.py

test: install
	$(BIN)/pytest $(PARALLEL) $(PYTEST_ARGS)

test-postgres: install
	DATABASE_URL=$(PG_URL) $(BIN)/pytest $(PARALLEL) $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports

format: install
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .

clean:
	rm -rf $(VENV) db.sqlite3 out media staticfiles .pytest_cache


# A real Celery worker on Redis: the tests marked celery_worker start one in-process.
REDIS_URL ?= redis://127.0.0.1:6379/15
test-celery: install
	CELERY_BROKER_URL=$(REDIS_URL) $(BIN)/pytest -m celery_worker $(PYTEST_ARGS)

# The same on PostgreSQL: a Celery run equals the in-process run there too.
test-celery-postgres: install
	CELERY_BROKER_URL=$(REDIS_URL) DATABASE_URL=$(PG_URL) $(BIN)/pytest -m celery_worker $(PYTEST_ARGS)
