# The two commands of the README: `make run` and `make test`. Everything they
# need (virtualenv, packages, compiled translations, database) is set up here.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
FLASK := $(BIN)/flask --app wsgi
PORT ?= 5000
# axe-core (npm registry), the accessibility checker the browser tests serve to each page.
AXE_VERSION := 4.14.1
AXE := tests/.vendor/axe-$(AXE_VERSION).min.js
PO_FILES := $(wildcard marketplace/translations/*/LC_MESSAGES/messages.po)
MO_FILES := $(PO_FILES:.po=.mo)

.PHONY: run test test-fast e2e lint translations messages bench evaluate clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip

$(VENV)/.installed-app: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	touch $@

$(VENV)/.installed-test: pyproject.toml $(VENV)/.installed-app
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@

%.mo: %.po $(VENV)/.installed-app
	$(BIN)/pybabel compile --statistics -i $< -o $@

translations: $(MO_FILES)

$(AXE):
	mkdir -p $(@D)
	cd $(@D) && npm pack --silent axe-core@$(AXE_VERSION) >/dev/null && \
	  tar -xzf axe-core-$(AXE_VERSION).tgz package/axe.min.js && \
	  mv package/axe.min.js $(@F) && rm -rf package axe-core-$(AXE_VERSION).tgz

run: $(VENV)/.installed-app translations
	mkdir -p instance
	$(FLASK) db upgrade
	$(FLASK) demo load --if-empty
	$(FLASK) demo accounts
	PORT=$(PORT) bash scripts/run-dev.sh

test: $(VENV)/.installed-test translations $(AXE)
	AXE_JS=$(AXE) $(BIN)/pytest

# The end-to-end tests alone, in headless Chromium (also part of `make test`).
e2e: $(VENV)/.installed-test translations $(AXE)
	AXE_JS=$(AXE) $(BIN)/pytest -m browser

# Everything but the tests that start or race processes (marked slow).
test-fast: $(VENV)/.installed-test translations
	$(BIN)/pytest -m "not slow"

# Score the matcher on a labelled set: make evaluate DATA=path/to/set (needs.csv, offers.csv,
# gold.csv). Default: the project's own set.
DATA ?= tests/data/matching
evaluate: $(VENV)/.installed-app translations
	$(FLASK) match evaluate $(DATA)

lint: $(VENV)/.installed-test
	$(BIN)/ruff check .
	$(BIN)/lint-imports

# Extract the messages and merge them into the catalogues (for translators).
messages: $(VENV)/.installed-app
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext -o marketplace/translations/messages.pot .
	$(BIN)/pybabel update -i marketplace/translations/messages.pot -d marketplace/translations --no-fuzzy-matching --ignore-obsolete

bench: $(VENV)/.installed-test
	@for script in bench/bench_*.py; do echo "== $$script"; $(BIN)/python $$script; done

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache $(MO_FILES)
