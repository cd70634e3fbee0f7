# The two set-up commands: `make run` and `make test`. Each creates .venv when missing.
SHELL := /bin/bash
PYTHON ?= $(shell for p in python3.13 python3.12 python3.11 python3; do \
	if command -v $$p >/dev/null 2>&1 && $$p -c 'import sys; sys.exit(sys.version_info < (3, 11))' 2>/dev/null; \
	then echo $$p; break; fi; done)
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 5000
FLASK := $(BIN)/flask --app wsgi
PO_FILES := $(wildcard core/translations/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: run test install install-dev translations extract-messages lint format

run: install translations
	$(FLASK) migrate
	$(FLASK) seed-demo
	EMBEDDED_WORKER=1 $(FLASK) run --host 127.0.0.1 --port $(PORT)

test: install-dev translations
	$(BIN)/python -m pytest $(PYTEST_ARGS)

$(BIN)/python:
	@test -n "$(PYTHON)" || { echo "Python 3.11 or newer is required" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e .
	touch $@

$(VENV)/.installed-dev: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -e '.[dev]'
	touch $@ $(VENV)/.installed

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

translations: $(MO_FILES)

%.mo: %.po | $(VENV)/.installed
	$(BIN)/pybabel compile --use-fuzzy -i $< -o $@ >/dev/null

# Re-extract the messages and merge them into each language's catalogue.
extract-messages: install-dev
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o core/translations/messages.pot core tenants referrals marketplace
	$(BIN)/pybabel update -i core/translations/messages.pot -d core/translations --no-fuzzy-matching --ignore-obsolete

lint: install-dev
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

format: install-dev
	$(BIN)/ruff check --fix .
	$(BIN)/ruff format .
