# Two commands for a newcomer: `make run` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
HOST ?= 127.0.0.1
PORT ?= 5000
LANGUAGES := en ru kk ky uz tg tk

.PHONY: run test lint install install-dev migrate courses demo translations extract-messages update-catalogs bench clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip

$(VENV)/.installed: requirements.txt | $(BIN)/python
	$(BIN)/pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.installed-dev: requirements.txt requirements-dev.txt $(VENV)/.installed
	$(BIN)/pip install --quiet -r requirements-dev.txt
	touch $@

install: $(VENV)/.installed
install-dev: $(VENV)/.installed-dev

instance/dev-secret-key:
	mkdir -p instance
	$(BIN)/python -c "import secrets; print(secrets.token_hex(32))" > $@

## translations: compile the catalogs (.mo files are built, never committed)
translations: $(VENV)/.installed
	@if ls translations/*/LC_MESSAGES/messages.po >/dev/null 2>&1; then $(BIN)/pybabel -q compile -d translations; fi

## extract-messages / update-catalogs: refresh messages.pot and merge it into every catalog
extract-messages: $(VENV)/.installed
	$(BIN)/pybabel -q extract -F babel.cfg -k _l -k lazy_gettext -k _nl:1,2 --sort-by-file --no-location -o translations/messages.pot lms

update-catalogs: extract-messages
	@for lang in $(LANGUAGES); do test -f translations/$$lang/LC_MESSAGES/messages.po || \
	  $(BIN)/pybabel -q init -i translations/messages.pot -d translations -l $$lang; done
	$(BIN)/pybabel -q update -N --ignore-obsolete -i translations/messages.pot -d translations
	$(BIN)/python -m lms.i18n_catalogs

## run: install, migrate the SQLite database, import courses, seed the demo, serve on http://127.0.0.1:5000
run: $(VENV)/.installed translations instance/dev-secret-key
	export SECRET_KEY="$${SECRET_KEY:-$$(cat instance/dev-secret-key)}"; \
	$(FLASK) db upgrade && \
	$(FLASK) courses import && \
	$(FLASK) demo seed && \
	echo "Serving on http://$(HOST):$(PORT)  (accounts admin, monitor, trainer, learner; password $${LMS_DEMO_PASSWORD:-election-demo})" && \
	$(BIN)/gunicorn --config gunicorn.conf.py --bind $(HOST):$(PORT) --workers 2 wsgi:app

## axe-core, for the accessibility checks of the browser tests: from the npm registry, served by the tests
AXE_VERSION := 4.14.1
AXE := .cache/axe-core-$(AXE_VERSION)/axe.min.js
$(AXE):
	mkdir -p .cache/tmp
	cd .cache/tmp && npm pack --silent axe-core@$(AXE_VERSION) >/dev/null && tar -xzf axe-core-$(AXE_VERSION).tgz
	rm -rf .cache/axe-core-$(AXE_VERSION) && mv .cache/tmp/package .cache/axe-core-$(AXE_VERSION) && rm -rf .cache/tmp

## test: install what the tests need and run them all (SQLite, plus PostgreSQL when it is running)
test: $(VENV)/.installed-dev translations lint $(AXE)
	export LMS_AXE_JS="$(CURDIR)/$(AXE)"; \
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

## lint: ruff, and the import-linter contract that keeps the packages layered (settings in pyproject.toml)
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check --quiet .
	$(BIN)/lint-imports --no-cache --no-logo

bench: $(VENV)/.installed-dev translations
	$(BIN)/python bench/pages.py

clean:
	rm -rf $(VENV) instance .pytest_cache
