# Two commands matter: `make run` and `make test`. Everything else supports them.
SHELL := /bin/bash
.DEFAULT_GOAL := help

VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
HOST ?= 127.0.0.1
PORT ?= 8000
DEMO_PATIENTS ?= 40

# First Python >= 3.12 on PATH, then under pyenv; empty when there is none.
FIND_PYTHON = for candidate in python3.14 python3.13 python3.12 python3 python; do \
		path=$$(command -v $$candidate 2>/dev/null) || continue; \
		$$path -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$path; exit 0; }; \
	done; \
	root=$$(pyenv root 2>/dev/null || echo "$$HOME/.pyenv"); \
	for path in $$(ls -d "$$root"/versions/3.1[2-9]*/bin/python3 2>/dev/null | sort -V -r); do \
		$$path -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null && { echo $$path; exit 0; }; \
	done

.PHONY: help
help:
	@echo "make run    - set up a virtualenv and a SQLite demo clinic, serve on http://$(HOST):$(PORT)"
	@echo "make test   - run the whole test suite (SQLite; PostgreSQL when DATABASE_URL points there)"
	@echo "make lint   - ruff"
	@echo "make install - only create .venv and install requirements-dev.txt (the app's and the test tools')"
	@echo "make requirements - re-pin requirements.txt and requirements-dev.txt (with hashes) from the .in files"
	@echo "make bench  - performance at clinic scale on PostgreSQL (10-20 min; not part of make test)"
	@echo "make probe  - probe every page and form as an attacker would, in-process (about 5 min; not in CI)"
	@echo "make cluster-check - two gunicorn servers on one PostgreSQL with a shared Redis (a few minutes; not in make test)"
	@echo "make vendor - refresh the vendored front-end files in static/vendor from the npm registry"
	@echo "make vendor-axe - refresh axe-core (browser tests' accessibility audit) from the npm registry"
	@echo "make mutation - mutation testing of planner/rules/suggest.py and planner/rules/safety.py with mutmut (slow; not in CI)"

$(VENV)/.installed: requirements.txt requirements-dev.txt
	@python=$$($(FIND_PYTHON)); \
	if [ -z "$$python" ]; then \
		echo "No Python 3.12 or newer found on PATH or under pyenv."; \
		echo "Install one (for example: pyenv install 3.12, or apt-get install python3.12) and run make again."; \
		exit 1; \
	fi; \
	if [ ! -x $(PY) ] || ! $(PY) -c 'import sys; sys.exit(sys.version_info < (3, 12))' 2>/dev/null; then \
		echo "Creating $(VENV) with $$python ($$($$python --version))"; \
		rm -rf $(VENV) && $$python -m venv $(VENV); \
	fi
	$(PIP) install --quiet --upgrade pip
	$(PIP) install --quiet --require-hashes -r requirements-dev.txt
	@touch $@

.PHONY: install
install: $(VENV)/.installed

.PHONY: run
run: install
	DEBUG=true $(PY) manage.py migrate --noinput
	DEBUG=true $(PY) manage.py seed_demo_users
	@if DEBUG=true $(PY) manage.py help loadreference >/dev/null 2>&1; then DEBUG=true $(PY) manage.py loadreference; fi
	@if DEBUG=true $(PY) manage.py help seed_demo >/dev/null 2>&1; then DEBUG=true $(PY) manage.py seed_demo --patients $(DEMO_PATIENTS) --seed 1; fi
	@echo
	@echo "Serving on http://$(HOST):$(PORT)  (Ctrl-C stops). Demo logins:"
	@DEBUG=true $(PY) manage.py seed_demo_users | tail -n +2
	DEBUG=true $(PY) manage.py runserver $(HOST):$(PORT)

# Two processes (pytest-xdist), each with its own test database and live server; a test file stays on one
# process, so its module-scoped fixtures (the shipped reference set, the security world) are built once.
# PYTEST_JOBS=0 runs everything in one process.
# The test database is built from the models (--no-migrations), a minute faster; CI's PostgreSQL run passes
# --migrations, so the migrations themselves run there, and `makemigrations --check` keeps the two the same.
PYTEST_JOBS ?= 2
.PHONY: test
test: install
	$(PY) -m pytest -n $(PYTEST_JOBS) --dist loadfile --no-migrations $(PYTEST_ARGS)

# requirements.txt (what production runs) and requirements-dev.txt (plus the test and lint tools) are
# generated from the .in files by uv's resolver, pinned here, with a hash for every file of every package
# (pip then installs in hash-checking mode). Existing pins are kept unless an .in file asks otherwise;
# to upgrade a package, change its pin in the .in file (or delete its line in the .txt files) and rerun.
UV_VERSION := 0.13.9
UV_COMPILE = $(VENV)/bin/uv pip compile --quiet --universal --python-version 3.12 --generate-hashes \
	--custom-compile-command "make requirements"
.PHONY: requirements
requirements: install
	$(PIP) install --quiet uv==$(UV_VERSION)
	$(UV_COMPILE) requirements.in -o requirements.txt
	$(UV_COMPILE) requirements-dev.in -o requirements-dev.txt

.PHONY: lint
lint: install
	$(PY) -m ruff check .

# Backups of the PostgreSQL database named by DATABASE_URL (custom format, compressed).
BACKUP_DIR ?= backups
.PHONY: backup
backup:
	@case "$$DATABASE_URL" in postgres://*|postgresql://*) ;; \
		*) echo "Set DATABASE_URL to the PostgreSQL database to back up (postgres://user@host:port/name)."; exit 2;; esac
	@mkdir -p $(BACKUP_DIR)
	@file=$(BACKUP_DIR)/cdplanner-$$(date -u +%Y%m%dT%H%M%SZ).dump; \
	pg_dump --format=custom --no-owner --file "$$file" "$$DATABASE_URL" && \
	pg_restore --list "$$file" >/dev/null && \
	echo "Backup written and readable: $$file"

# Restores FILE into DATABASE_URL, replacing what is there. Stop the app first.
.PHONY: restore
restore:
	@case "$$DATABASE_URL" in postgres://*|postgresql://*) ;; \
		*) echo "Set DATABASE_URL to the PostgreSQL database to restore into."; exit 2;; esac
	@[ -f "$(FILE)" ] || { echo "Name the backup to restore: make restore FILE=backups/cdplanner-....dump"; exit 2; }
	pg_restore --clean --if-exists --no-owner --single-transaction --exit-on-error --dbname "$$DATABASE_URL" "$(FILE)"
	@echo "Restored $(FILE). Run 'manage.py verify_audit_log' to confirm the audit chain is intact."

# Performance at clinic scale (not part of `make test` or CI): seeds 10,000 patients on PostgreSQL,
# serves them with gunicorn as in production and measures the key pages with wrk (Debian's package,
# installed here when missing). 10-20 minutes. Results: the table on stdout and JSON at BENCH_OUT.
BENCH_OUT ?= bench-out/results.json
.PHONY: bench
bench: install
	@command -v wrk >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
	BENCH_OUT=$(BENCH_OUT) $(PY) -m tests.bench.run

# Beyond one machine (tests/cluster/check.py): two app servers, one database, one Redis (CACHE_URL); a
# reference change, a session, a booking made through one are seen by the other; the audit chain verifies.
.PHONY: cluster-check
cluster-check: install
	@command -v redis-server >/dev/null || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq redis-server >/dev/null; }
	$(PY) -m tests.cluster.check

# The security probe (tests/probe/run.py): crawl, plant hostile input in every form, crawl again.
.PHONY: probe
probe: install
	$(PY) -m tests.probe.run

# Front-end files are vendored (static/vendor/README.md lists them); this refreshes them from the npm
# registry, whose tarball checksum npm verifies. Needs npm; the app itself never does.
BOOTSTRAP_VERSION := 5.3.8
.PHONY: vendor
vendor:
	@command -v npm >/dev/null || { echo "make vendor needs npm (apt-get install npm)."; exit 1; }
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	(cd "$$tmp" && npm pack --silent bootstrap@$(BOOTSTRAP_VERSION) >/dev/null && tar xzf bootstrap-$(BOOTSTRAP_VERSION).tgz) && \
	mkdir -p static/vendor/bootstrap/css static/vendor/bootstrap/js && \
	cp "$$tmp"/package/LICENSE static/vendor/bootstrap/LICENSE && \
	cp "$$tmp"/package/dist/css/bootstrap.min.css "$$tmp"/package/dist/css/bootstrap.min.css.map static/vendor/bootstrap/css/ && \
	cp "$$tmp"/package/dist/js/bootstrap.bundle.min.js "$$tmp"/package/dist/js/bootstrap.bundle.min.js.map static/vendor/bootstrap/js/ && \
	echo "static/vendor/bootstrap refreshed from bootstrap@$(BOOTSTRAP_VERSION) on the npm registry"

# axe-core, for the browser tests' accessibility audit only (tests/browser/test_accessibility.py); never served.
AXE_VERSION := 4.10.3
.PHONY: vendor-axe
vendor-axe:
	@command -v npm >/dev/null || { echo "make vendor-axe needs npm (apt-get install npm)."; exit 1; }
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && \
	(cd "$$tmp" && npm pack --silent axe-core@$(AXE_VERSION) >/dev/null && tar xzf axe-core-$(AXE_VERSION).tgz) && \
	mkdir -p tests/browser/vendor/axe-core && \
	cp "$$tmp"/package/axe.min.js "$$tmp"/package/LICENSE tests/browser/vendor/axe-core/ && \
	echo "tests/browser/vendor/axe-core refreshed from axe-core@$(AXE_VERSION) on the npm registry"

# Mutation testing of the pure rules (docs/mutation.md; not part of `make test` or CI). mutmut and its
# dependencies are pinned in requirements-mutation.txt, apart from the app's. [tool.mutmut] in
# pyproject.toml names the modules and the database-free tests run against each mutant. Niced and on
# MUTATION_JOBS processes, as the machine may be shared. Results stay in mutants/ and are reused by
# the next run for unchanged code; `rm -rf mutants` starts afresh. One module only:
# make mutation MUTANTS='planner.rules.suggest.*' (its mutants are then all run again).
MUTATION_JOBS ?= 2
MUTANTS ?=
.PHONY: mutation
mutation: install
	$(PIP) install --quiet -r requirements-mutation.txt
	@mkdir -p mutants
	@echo "mutmut run: progress in mutants/run.log"
	@nice -n 10 $(VENV)/bin/mutmut run --max-children $(MUTATION_JOBS) $(MUTANTS) >mutants/run.log 2>&1 \
		|| { tail -c 3000 mutants/run.log; exit 1; }
	@$(VENV)/bin/mutmut results --all true | awk -F': ' ' \
		{ name = $$1; gsub(/ /, "", name); module = name; sub(/\.x.*/, "", module); total[module]++ } \
		$$2 == "not checked" { total[module]--; unchecked[module]++; next } \
		$$2 == "killed" { killed[module]++ } \
		$$2 != "killed" { survivors[module] = survivors[module] "\n    " $$2 ": " name } \
		END { for (module in total) if (total[module] == 0) printf "%s: not run\n", module; else \
			printf "%s: %d of %d mutants killed (%.1f %%)%s; not killed:%s\n", module, killed[module], \
			total[module], 100 * killed[module] / total[module], \
			unchecked[module] ? sprintf(", %d not run", unchecked[module]) : "", survivors[module] }'
