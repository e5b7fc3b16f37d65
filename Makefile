# The two commands of the README: `make run` and `make test`.
# Both set up everything they need on a fresh machine, then do their job.

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test setup bootstrap worker bench bench-quick soak lint clean

$(STAMP): setup.cfg console/package-lock.json
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	# The console's modeler serves bpmn-js from console/node_modules.
	if command -v npm >/dev/null; then npm ci --prefix console --no-audit --no-fund; fi
	# Browser tests drive Debian's Chromium (no Playwright browser download).
	command -v chromium >/dev/null || (apt-get update && apt-get install -y chromium) \
		|| echo "chromium not installed: the console's browser tests will be skipped"
	touch $(STAMP)

setup: $(STAMP)

bootstrap: setup
	$(BIN)/flask --app wsgi bootstrap

# The server with the catalogue loaded: SQLite and an in-process queue unless
# DATABASE_URL and REDIS_URL say otherwise.
run: bootstrap
	$(BIN)/flask --app wsgi run --host $${HOST:-127.0.0.1} --port $${PORT:-5000}

test: setup
	$(BIN)/python -m pytest $(PYTEST_ARGS)

# One RQ worker on every agency queue and the periodic queue (timers, SLA
# sweep, outbox relay). Production runs several, each on the queues it serves.
AGENCY_QUEUES = $$(tail -n +2 processes/data/agencies.csv | cut -d, -f1 | sed 's/^/agency./')
worker: bootstrap
	export REDIS_URL=$${REDIS_URL:-redis://127.0.0.1:6379/0}; \
	$(BIN)/flask --app wsgi workers start && \
	$(BIN)/rq worker -w workers.rq_worker.AppWorker --with-scheduler --url $$REDIS_URL \
		terpadu.periodic agency.MALL $(AGENCY_QUEUES)

# Raw SpiffWorkflow and Terpadu side by side on PostgreSQL (127.0.0.1:5432);
# the last line printed is one JSON object. bench-quick takes under a minute.
bench: setup
	$(BIN)/python -m bench

bench-quick: setup
	$(BIN)/python -m bench --quick

# Gunicorn on a throwaway PostgreSQL database (terpadu_soak, dropped at the
# end) under paced mixed traffic; default ten minutes. See soak/README.md.
soak: setup
	$(BIN)/python -m soak $(SOAK_ARGS)

# ruff as the code is written: formatted, and its checks clean.
lint: setup
	$(BIN)/pip install --quiet -e '.[dev]'
	$(BIN)/ruff format --check .
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) instance .pytest_cache
