# 回访通 (Huifang). Two commands do everything on a fresh machine: `make run` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help

PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
PORT   ?= 5000
FLASK  := $(BIN)/flask --app server
STAMPS := .make
# Where `make test` finds PostgreSQL (CI: trust auth, database test). Tests make their own databases there.
PG_TEST_URL ?= postgresql://postgres@127.0.0.1:5432/test
PWA_SOURCES := $(shell find pwa/src pwa/app pwa/console pwa/public -type f 2>/dev/null) \
               $(wildcard pwa/vite.config.* pwa/package.json)
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)

.PHONY: help install run test lint test-python test-sqlite test-postgres test-js browser bench lock migration clean

help:
	@echo "make run     install what is missing, migrate, load the demo, serve on 127.0.0.1:$(PORT)"
	@echo "make test    lint + pytest on SQLite and PostgreSQL (with browser tests) + Vitest"
	@echo "make bench   benchmarks, figures go to bench/RESULTS.md by hand"
	@echo "make install / lint / lock / migration m='message' / clean"

## Installation: each step runs only when its inputs changed.
install: $(STAMPS)/python $(STAMPS)/node pwa/dist/.built

$(STAMPS)/python: requirements.lock
	@test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements.lock
	@mkdir -p $(STAMPS) && touch $@

$(STAMPS)/node: pwa/package-lock.json
	cd pwa && npm ci --no-audit --no-fund --loglevel=error
	@mkdir -p $(STAMPS) && touch $@

pwa/dist/.built: $(STAMPS)/node $(PWA_SOURCES)
	cd pwa && npm run --silent build
	@touch $@

## The demo system.
run: install
	$(FLASK) db upgrade
	$(FLASK) huifang demo-data
	@echo
	@echo "回访通 is at http://127.0.0.1:$(PORT)/"
	@echo "  外勤面访 field app   http://127.0.0.1:$(PORT)/app/"
	@echo "  管理控制台 console   http://127.0.0.1:$(PORT)/console/"
	@echo "  API docs            http://127.0.0.1:$(PORT)/api/v1/docs"
	@echo
	@# No gunicorn access log: the app writes one JSON line per request with its request id.
	$(BIN)/gunicorn --bind 127.0.0.1:$(PORT) --workers 2 --threads 4 server.wsgi:app

## Tests. The first failing step fails the whole run.
test: install browser lint test-js test-sqlite test-postgres

lint: $(STAMPS)/python $(STAMPS)/node
	$(BIN)/ruff format --check --quiet .
	$(BIN)/ruff check --quiet .
	cd pwa && npm run --silent lint

test-js: $(STAMPS)/node
	cd pwa && npm test --silent

test-sqlite: install
	$(BIN)/pytest

test-postgres: install
	HUIFANG_TEST_DATABASE_URL=$(PG_TEST_URL) $(BIN)/pytest

# Debian packages the tests need: Chromium for the browser tests (Playwright's own download is not
# possible on closed networks), CJK fonts so that screenshots show Chinese, WenQuanYi Zen Hei which
# reportlab embeds in the PDF evidence report, and poppler to check those PDFs.
DEBIAN_PACKAGES := chromium fonts-noto-cjk fonts-wqy-zenhei poppler-utils
browser:
	@if ! command -v chromium >/dev/null || ! command -v pdftoppm >/dev/null \
		|| [ ! -e /usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc ] \
		|| [ ! -e /usr/share/fonts/truetype/wqy/wqy-zenhei.ttc ]; then \
		$(SUDO) apt-get update -qq && \
		DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends \
			$(DEBIAN_PACKAGES) >/dev/null; \
	fi

bench: install
	$(BIN)/python -m bench.run

## Maintenance.
lock:
	$(BIN)/python -m pip install --quiet -e '.[dev]' && \
	{ echo "# Pinned dependency tree for runtime and tests. Regenerate with \`make lock\` after editing pyproject.toml."; \
	  $(BIN)/python -m pip freeze --exclude-editable | grep -v '^-e'; } > requirements.lock

migration: $(STAMPS)/python
	$(FLASK) db migrate -m "$(m)"
	$(BIN)/ruff format --quiet migrations/versions && $(BIN)/ruff check --fix --quiet migrations/versions

clean:
	rm -rf $(STAMPS) pwa/dist pwa/node_modules .pytest_cache .ruff_cache
