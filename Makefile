# Two commands for a new user: `make run` and `make test` (see README.md).
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PORT ?= 8000
export PORT

.PHONY: run test install lint format messages clean bench

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

bench: install
	$(PY) bench/plan_pages.py

clean:
	rm -rf $(VENV) staticfiles db.sqlite3 var
