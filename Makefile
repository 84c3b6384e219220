# Two commands matter: `make run` and `make test`. Everything else is a step of those.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
PIP := $(VENV)/bin/pip
DEMO_PASSWORD ?= observe2021
HOST ?= 127.0.0.1
PORT ?= 8000

# Per-checkout names, so several checkouts on one machine never share a test
# database or a Celery queue.
CHECKOUT_ID := $(shell pwd | md5sum | cut -c1-8)
TEST_PG_URL ?= postgres://postgres@127.0.0.1:5432/elmon_$(CHECKOUT_ID)
TEST_REDIS_URL ?= redis://127.0.0.1:6379/0
# pytest keeps its temporary folders under one root per user and prunes old ones:
# two checkouts testing at once would delete each other's; give each its own root.
export PYTEST_DEBUG_TEMPROOT := /tmp/elmon-pytest-$(CHECKOUT_ID)
$(shell mkdir -p $(PYTEST_DEBUG_TEMPROOT))
INTEGRATION_ENV := DATABASE_URL=$(TEST_PG_URL) CELERY_BROKER_URL=$(TEST_REDIS_URL) \
	CELERY_TASK_DEFAULT_QUEUE=elmon-$(CHECKOUT_ID) CELERY_KEY_PREFIX=elmon-$(CHECKOUT_ID):
# Unit tests always run on the embedded defaults, whatever the shell exports.
EMBEDDED_ENV := env -u DATABASE_URL -u CELERY_BROKER_URL -u CACHE_URL

.PHONY: run test test-unit test-integration test-e2e venv venv-dev browser migrate demo lint bench bench-quick bench-load clean messages

$(VENV)/bin/activate:
	$(PYTHON) -m venv $(VENV)
	$(PIP) install --quiet --upgrade pip

$(VENV)/.runtime-installed: $(VENV)/bin/activate requirements.txt
	$(PIP) install --quiet -r requirements.txt
	touch $@

$(VENV)/.dev-installed: $(VENV)/.runtime-installed requirements-dev.txt
	$(PIP) install --quiet -r requirements-dev.txt
	touch $@

venv: $(VENV)/.runtime-installed
venv-dev: $(VENV)/.dev-installed

migrate: venv
	$(EMBEDDED_ENV) $(PY) manage.py migrate --noinput

demo: migrate
	$(EMBEDDED_ENV) $(PY) manage.py load_demo --password "$(DEMO_PASSWORD)" --reports 40

run: demo
	@echo
	@echo "  Observer web app:   http://$(HOST):$(PORT)/            (log in as demo-observer)"
	@echo "  Triage admin:       http://$(HOST):$(PORT)/admin/      (demo-coordinator, demo-admin)"
	@echo "  API docs:           http://$(HOST):$(PORT)/api/docs/"
	@echo "  Health:             http://$(HOST):$(PORT)/healthz"
	@echo "  Password for every demo user: $(DEMO_PASSWORD)"
	@echo
	$(EMBEDDED_ENV) $(PY) manage.py runserver $(HOST):$(PORT)

# Chromium (Debian package) and axe-core (npm) for the end-to-end tests.
browser:
	@command -v chromium >/dev/null || (echo "installing chromium" && DEBIAN_FRONTEND=noninteractive apt-get install -y -q chromium fonts-dejavu-core >/dev/null)
	@# A linked node_modules (a worktree sharing another checkout's) is left alone:
	@# npm ci would empty the folder it points to.
	@if [ -f package.json ] && [ ! -L node_modules ]; then [ -d node_modules ] && [ node_modules -nt package-lock.json ] || npm ci --silent --no-audit --no-fund; fi

test: venv-dev browser
	$(MAKE) lint
	$(MAKE) test-unit
	$(MAKE) test-integration
	$(MAKE) test-e2e

test-unit: venv-dev
	$(EMBEDDED_ENV) $(PY) -m pytest -m "not integration and not e2e" -q

test-integration: venv-dev
	$(INTEGRATION_ENV) $(PY) -m pytest -m integration -q

# A test that hangs ends the run with its stacks printed (pytest-timeout, thread
# method); such a run, and only such a run, is repeated once, so a wedged browser
# costs minutes, not the CI budget. An assertion failure is never retried.
test-e2e: venv-dev browser
	@log=$$(mktemp); \
	$(EMBEDDED_ENV) $(PY) -m pytest -m e2e -q 2>&1 | tee $$log; status=$${PIPESTATUS[0]}; \
	if [ $$status -ne 0 ] && grep -q '+ Timeout +' $$log; then \
	  echo "test-e2e: a test hung (stacks above); running the e2e suite once more"; \
	  $(EMBEDDED_ENV) $(PY) -m pytest -m e2e -q; status=$$?; \
	fi; rm -f $$log; exit $$status

# Translation catalogs (kk, ru) of the observer pages and domain labels: extract,
# then compile with msgfmt. The compiled .mo files are committed, so a fresh
# clone needs no gettext tools; re-run this after changing translatable text.
# The coordinators' console (admin, queue, report and situation pages, filters)
# is translated too; the CSV export's columns and the management commands stay
# English (auditors' files and operators' tools).
MESSAGES_IGNORE := -i ".venv/*" -i "node_modules/*" -i "tests/*" -i "*/migrations/*" -i "*/export.py" \
	-i "*/management/*" -i "bench/*" -i "testkit/*" -i "staticfiles/*" -i "test-results/*"
messages: venv
	$(EMBEDDED_ENV) $(PY) manage.py makemessages -l kk -l ru --no-location --no-obsolete $(MESSAGES_IGNORE)
	for lang in kk ru; do msgfmt --check -o locale/$$lang/LC_MESSAGES/django.mo locale/$$lang/LC_MESSAGES/django.po; done
	msgfmt --check -o locale-admin/kk/LC_MESSAGES/django.mo locale-admin/kk/LC_MESSAGES/django.po

# Benchmarks against same-run baselines (loopback only; each starts and stops its
# own PostgreSQL, Redis, gunicorn and worker). `bench` writes
# bench/results/latest.json; `bench-quick` is the CI smoke run (a few minutes,
# bench/results/quick.json, no thresholds); `bench-load` is the mixed-traffic
# load run of docs/reliability.md.
bench: venv-dev
	$(PY) bench/run.py
	$(PY) bench/plot.py bench/results/latest.json docs/performance-cost.svg
	$(PY) bench/plot_surge.py bench/results/latest.json docs/performance-surge.svg

bench-quick: venv-dev
	$(PY) bench/run.py --quick

bench-load: venv-dev
	$(PY) bench/load.py --duration 60 --clients 16

# The house rules: ruff (with C901, complexity at most 15), the import contract
# (pyproject.toml, [tool.importlinter]), and module sizes and import cycles
# (tools/check_layout.py). Every check runs, so one run lists every problem.
lint: venv-dev
	@status=0; \
	$(PY) -m ruff check . || status=1; \
	$(VENV)/bin/lint-imports --no-cache || status=1; \
	$(PY) tools/check_layout.py || status=1; \
	exit $$status

clean:
	rm -rf $(VENV) staticfiles db.sqlite3 media
