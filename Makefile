# Two commands on a fresh Debian machine with Python 3.11 and make:
#   make run   - set up, migrate, load demo data into an empty DB, serve on http://127.0.0.1:8000 with the
#                background jobs in the same process (Ctrl-C stops both)
#   make test  - set up, lint and type-check, then run the whole suite on SQLite and PostgreSQL
PYTHON ?= $(shell command -v python3.11 || command -v python3)
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
SYSDEPS_STAMP := $(VENV)/.system-deps
NODE_STAMP := node_modules/.installed
# The packages mypy checks (strict): a new top-level package goes here. `tests` is not listed: it does
# not pass yet.
TYPED_PACKAGES := core masterdata service_mgmt contracts returns scheduling api web migrations

.PHONY: run test install system-deps browser-assets web-assets messages solver-cache migrate demo-data lint typecheck bench clean

$(SYSDEPS_STAMP):
	PYTHON=$(PYTHON) scripts/install-system-deps.sh
	@mkdir -p $(VENV) && touch $@

$(STAMP): pyproject.toml | $(SYSDEPS_STAMP)
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

# Browser assets (Swagger UI for /schema) from the npm registry, as pinned by package-lock.json;
# no install script runs (swagger-ui-dist's dependency @scarf/scarf would report the download)
$(NODE_STAMP): package.json package-lock.json | $(SYSDEPS_STAMP)
	SCARF_ANALYTICS=false npm ci --ignore-scripts --no-audit --no-fund
	touch $@

browser-assets: $(NODE_STAMP)

# The pages' JavaScript and CSS, bundled by esbuild (from the npm packages above and web/assets)
# into web/static/dist with hashed names and a manifest; rebuilt when a source changes
WEB_SOURCES := $(shell find web/assets -type f 2>/dev/null)
WEB_MANIFEST := web/static/dist/manifest.json
$(WEB_MANIFEST): $(NODE_STAMP) $(WEB_SOURCES)
	node web/assets/build.mjs

web-assets: $(WEB_MANIFEST)

# After adding or changing a page's strings: extract them and merge into each catalogue, then
# translate what is new (tests/unit/test_translations.py fails on an untranslated string)
messages: $(STAMP)
	$(BIN)/pybabel extract -F babel.cfg -k _ -o web/locale/messages.pot --add-location=file --sort-output --omit-header .
	$(BIN)/pybabel update -i web/locale/messages.pot -d web/locale -l zh_CN --no-wrap --ignore-obsolete

install: $(STAMP) $(NODE_STAMP) $(WEB_MANIFEST)

# Numba compiles the dispatch solver's ruin-and-recreate kernel once (about 10 s) and caches it on disk;
# done here so that no timed solve or test pays for it
solver-cache: install
	$(BIN)/python -c "from scheduling import ruin_recreate; ruin_recreate.warm_up()"

system-deps: $(SYSDEPS_STAMP)

migrate: solver-cache
	$(BIN)/service-mgmt db upgrade

demo-data: migrate
	$(BIN)/service-mgmt demo-data --if-empty

run: demo-data
	$(BIN)/service-mgmt serve --print-logins

# lint and typecheck first: a failing one stops the run before any test
test: lint typecheck solver-cache
	PYTHON=$(PYTHON) scripts/install-system-deps.sh --browser  # Chromium for tests/e2e (skips what is present)
	scripts/test-all.sh

lint: install
	$(BIN)/ruff check .
	$(BIN)/lint-imports

typecheck: install
	$(BIN)/mypy $(TYPED_PACKAGES)

clean:
	rm -rf $(VENV) node_modules var .pytest_cache .mypy_cache .ruff_cache
