# Two commands for a new user: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export PORT

.PHONY: run test install lint format messages clean bench bench-national db-roles

$(VENV)/.installed: pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -c requirements.lock -e ".[dev]"
	touch $@

install: $(VENV)/.installed

# Compiled translations are committed; recompile when gettext is installed.
messages: install
	@if command -v msgfmt >/dev/null; then $(PY) manage.py compilemessages -v0 --ignore=.venv; fi

run: install messages
	$(PY) manage.py migrate --noinput -v0
	$(PY) manage.py seed_demo
	$(PY) manage.py collectstatic --noinput -v0
	@echo ""
	@echo "Local Social Plan: open http://127.0.0.1:$(PORT)/  (Ctrl-C stops it)"
	@echo ""
# The background worker (uploads, imports, expiry) runs beside gunicorn and
# stops with it, however gunicorn ends (Ctrl-C, error).
	$(PY) manage.py db_worker --no-reload -v0 & worker=$$!; \
	  trap 'kill $$worker 2>/dev/null; wait $$worker 2>/dev/null' EXIT INT TERM; \
	  $(VENV)/bin/gunicorn socialplan.wsgi --bind 127.0.0.1:$(PORT) --workers 2 --access-logfile -

lint: install
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/ruff check .

format: install
	$(VENV)/bin/ruff format .
	$(VENV)/bin/ruff check --fix .

test: install messages lint
	$(PY) manage.py check
	$(PY) manage.py makemigrations --check --dry-run
	$(VENV)/bin/pytest -n 2

# PostgreSQL: the owner role (owns the database, runs migrations) and the
# application role (rows only; the audit log only INSERT and SELECT), made or
# mended as a superuser. See docs/database-roles.md.
DB_NAME ?= socialplan
DB_OWNER ?= socialplan_owner
DB_APP ?= socialplan_app
PG_ADMIN_URL ?= postgres://postgres@127.0.0.1:5432/postgres
db-roles:
	psql "$(PG_ADMIN_URL)" -q -v ON_ERROR_STOP=1 -v db="$(DB_NAME)" -v owner="$(DB_OWNER)" \
	  -v app="$(DB_APP)" -f deploy/db-roles.sql

bench: install
	$(PY) bench/plan_pages.py

# National scale on PostgreSQL: a database with the SYNTHETIC national dataset
# (made once, about 2 minutes; kept for the next run), then every benchmark.
NATIONAL_DB ?= socialplan_national
NATIONAL_URL ?= postgres://postgres@127.0.0.1:5432/$(NATIONAL_DB)
bench-national: install
	psql "$(dir $(NATIONAL_URL))postgres" -tc "SELECT 1 FROM pg_database WHERE datname = '$(NATIONAL_DB)'" | grep -q 1 || \
	  psql "$(dir $(NATIONAL_URL))postgres" -qc "CREATE DATABASE $(NATIONAL_DB)"
	DATABASE_URL=$(NATIONAL_URL) $(PY) manage.py migrate --noinput -v0
	DATABASE_URL=$(NATIONAL_URL) $(PY) manage.py load_territory data/territory/durres.yaml >/dev/null
	DATABASE_URL=$(NATIONAL_URL) $(PY) manage.py load_plan data/plans/durres-2025-2028.yaml >/dev/null
	DATABASE_URL=$(NATIONAL_URL) $(PY) manage.py load_directory data/directory/durres.yaml >/dev/null
	DATABASE_URL=$(NATIONAL_URL) $(PY) manage.py load_needs data/needs/durres.yaml >/dev/null
	DATABASE_URL=$(NATIONAL_URL) $(PY) manage.py load_monitoring data/monitoring/durres.yaml >/dev/null
	DATABASE_URL=$(NATIONAL_URL) $(PY) manage.py generate_national --size national --reuse
	DATABASE_URL=$(NATIONAL_URL) LOG_LEVEL=WARNING $(PY) -W ignore bench/national.py
	DATABASE_URL=$(NATIONAL_URL) $(PY) bench/load.py

clean:
	rm -rf $(VENV) staticfiles db.sqlite3 var
