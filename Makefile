# The two commands that matter: `make run` and `make test`. `make help` lists the rest.
SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
PORT ?= 8000

.DEFAULT_GOAL := help
.PHONY: help install run test lint format bench messages clean

help: ## List the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-10s %s\n", $$1, $$2}'

$(STAMP): pyproject.toml package.json
	@py=$$(scripts/find-python) || exit 1; \
	if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))'; then \
	  rm -rf $(VENV) && echo "Creating $(VENV) with $$py" && $$py -m venv $(VENV); fi
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[dev]'
	@if command -v npm >/dev/null 2>&1; then npm install --no-audit --no-fund --silent; \
	else echo "npm not found: axe-core (accessibility checks in browser tests) not installed."; fi
	@touch $(STAMP)

install: $(STAMP) ## Create .venv (Python 3.12+) and install every dependency (idempotent)

run: install ## Set up everything and start web + Celery worker + beat on PORT (default 8000)
	@PORT=$(PORT) scripts/run

# On every core (pytest-xdist): one test database per worker (test_<name>_gw0, _gw1, ...); the
# walk of the access matrix, the Celery worker tests and each browser module each stay on one
# worker (tests/support/scheduling.py). TEST_WORKERS=0 runs everything in this process.
TEST_WORKERS ?= auto
test: install ## Run every test (DATABASE_URL selects PostgreSQL; REQUIRE_SERVICES=1 forbids skips)
	$(PY) -m pytest -n $(TEST_WORKERS) --dist loadgroup $(PYTEST_ARGS)

lint: install ## ruff check + ruff format --check + the import contract (lint-imports)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/lint-imports

format: install ## Apply ruff's fixes and formatting
	$(VENV)/bin/ruff check --fix .
	$(VENV)/bin/ruff format .

messages: install ## Update and compile the translation catalogues (needs gettext)
	$(PY) manage.py makemessages -l en -l fr --ignore=.venv --ignore=node_modules
	$(PY) manage.py compilemessages --ignore=.venv --ignore=node_modules

# `make bench`: pages in-process on SQLite; the same data over HTTP (gunicorn with production
# settings under wrk, worker memory, Lighthouse; each skipped with the reason when its tool is
# missing); the letter PDF; then the reminder scan and send throughput on a bench-only PostgreSQL
# database (created and filled once; BENCH_REFILL=1 fills it again) with a bench-only Celery
# queue. Without PostgreSQL or Redis the reminder figures are skipped, and say why.
# The bench app (bench/: its commands, task and hello-world URL) exists only in bench.settings.
BENCH_DATABASE_URL ?= postgres://postgres@127.0.0.1:5432/interleukin_bench
BENCH_REDIS_URL ?= $(or $(REDIS_URL),redis://127.0.0.1:6379/0)
bench: export DJANGO_SETTINGS_MODULE = bench.settings
# LOG_LEVEL=WARNING: the request lines (one per request) would bury what the benchmarks print.
bench: export LOG_LEVEL = WARNING
bench: install ## Run the benchmarks on their own databases and rewrite BENCHMARKS.md
	mkdir -p var
	@# wrk drives the HTTP section (Debian's package, as .ci/run installs Chromium).
	@command -v wrk >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
	  apt-get install -y -qq wrk >/dev/null) || echo "wrk could not be installed: no HTTP section"
	DATABASE_URL=sqlite:///$(CURDIR)/var/bench.sqlite3 $(PY) manage.py migrate --no-input -v0
	DATABASE_URL=sqlite:///$(CURDIR)/var/bench.sqlite3 $(PY) manage.py bench
	DATABASE_URL=sqlite:///$(CURDIR)/var/bench.sqlite3 BENCH_CACHE_URL=$(BENCH_REDIS_URL) \
	  $(PY) manage.py bench_http
	DATABASE_URL=sqlite:///$(CURDIR)/var/bench.sqlite3 $(PY) manage.py bench_letters
	DATABASE_URL=$(BENCH_DATABASE_URL) REDIS_URL=$(BENCH_REDIS_URL) \
	  CELERY_BROKER_URL=$(BENCH_REDIS_URL) CELERY_TASK_DEFAULT_QUEUE=interleukin-bench \
	  EMAIL_BACKEND=django.core.mail.backends.locmem.EmailBackend \
	  $(PY) manage.py bench_reminders $(if $(BENCH_REFILL),--refill)

clean: ## Remove the venv, node_modules and local data under var/
	rm -rf $(VENV) node_modules var

vendor-zxing: ## Refresh static/vendor/zxing-library (the camera scanner's fallback decoder) from npm
	rm -rf var/zxing && mkdir -p var/zxing && cd var/zxing && npm pack @zxing/library@0.23.0 && tar xzf zxing-library-0.23.0.tgz
	sed '/sourceMappingURL/d' var/zxing/package/umd/index.min.js > static/vendor/zxing-library/zxing-library.min.js
	cp var/zxing/package/LICENSE static/vendor/zxing-library/LICENSE
