# The commands a new user needs. `make install` first; the rest use .venv.
VENV ?= .venv
PY := $(VENV)/bin/python
HOTLINE := $(VENV)/bin/hotline
COMPOSE ?= docker compose

.PHONY: install up down logs run demo test lint test-unit test-service test-stack clean demo-insight

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $@

# With Docker: RabbitMQ, MongoDB and every service in containers, in production
# mode (docs/operations.md). Needs .env: cp deploy/compose/env.example .env
up:
	@test -f .env || { echo "no .env: cp deploy/compose/env.example .env and set every secret"; exit 2; }
	$(COMPOSE) up --build -d
	@echo "intake HTTP API: http://127.0.0.1:8000  (try: make demo)"

# Prometheus and Grafana (127.0.0.1:3000) beside the stack.
.PHONY: up-monitoring
up-monitoring:
	$(COMPOSE) -f docker-compose.yml -f deploy/compose/monitoring.yml up -d

down:
	$(COMPOSE) down

logs:
	$(COMPOSE) logs -f

# Without Docker: every service (intake, routing, followup, notify, insight, console)
# as a local process (Ctrl-C or SIGTERM stops them all),
# against AMQP_URI and MONGO_URI (in-memory store when MONGO_URI is unset).
run: install
	$(HOTLINE) run

demo: install
	$(HOTLINE) demo

# Two workers (pytest-xdist): the tests that share a stack, the browser or the cluster
# stay on one worker (tests/conftest.py groups them); then the tests that must run alone
# (they stop part of the broker for a moment). --durations shows the slowest, so the
# suite's time stays seen.
test: install lint
	$(VENV)/bin/pytest tests -n 2 -m "not alone" --durations=25
	$(VENV)/bin/pytest tests -m alone

# ruff (pyflakes, pycodestyle, import order, bugbear) on everything; mypy, strict on
# the contract, the time limits and the domain packages (pyproject.toml).
.PHONY: lint
lint: install
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy

test-unit: install
	$(VENV)/bin/pytest tests/unit

test-service: install
	$(VENV)/bin/pytest tests/service

test-stack: install
	$(VENV)/bin/pytest tests/stack

# The workbench in Debian's Chromium (screenshots in test-artifacts/screens).
.PHONY: test-browser
test-browser: install
	$(VENV)/bin/pytest tests/browser

# The CPU each service spends on a ticket, in one process without a broker (in-memory store):
# µs per ticket per service, the store's share and the timers'. One service under cProfile:
# make bench-cpu BENCH_CPU="--profile routing"
.PHONY: bench-cpu
bench-cpu: install
	$(PY) -m bench.cpu $(BENCH_CPU)

# How long a supervision tick takes: 100,000 watched cases, 1,000 due (MONGO_URI or in-memory).
.PHONY: bench-notify
bench-notify: install
	$(PY) -m bench.notify_tick --open 100000 --due 1000

# End to end: throughput, latency at 50/s, CPU and memory per service, against a
# bare nameko pair on the same broker; writes bench/results/latest.json.
.PHONY: bench chaos
bench: install cluster
	AMQP_URI="$$($(HOTLINE) cluster uri)" RABBIT_API_URI=http://guest:guest@127.0.0.1:15701 $(PY) -m bench.e2e

# Kill each service mid-flight, cut the store, restart every broker node, stop the
# node the services use, start each service last, flood every queue with garbage;
# on the local three-node cluster. Prints sent / arrived / dead-lettered / repaired
# / difference per scenario.
chaos: install cluster
	AMQP_URI="$$($(HOTLINE) cluster uri)" RABBIT_API_URI=http://guest:guest@127.0.0.1:15701 $(PY) -m bench.chaos

# The local three-node RabbitMQ cluster (AMQP 5701-5703) the chaos tests run on.
.PHONY: cluster
cluster: install
	$(HOTLINE) cluster start

clean:
	rm -rf $(VENV) *.egg-info

# Rewrite docs/schemas (JSON Schema of every event and of AMQP inbound), docs/openapi
# (every HTTP service's OpenAPI 3 document) and the topology manifest
# (shared/contract/topology.json) after changing the contract, a route or a consumer.
.PHONY: schemas
schemas: install
	$(PY) -m operate.schemas docs/schemas
	$(PY) -m operate.topology
	$(PY) -m tests.stack.test_strangers > docs/doors.md
# Routing: decisions per second and p99 decision latency (prints, never asserts).
.PHONY: bench-routing
bench-routing: install
	$(PY) -m bench.routing
# Weeks of generated history through insight's reports (starts insight if
# `make run` is not running); charts land in insight-out/.
demo-insight: install
	$(HOTLINE) insight demo
# Two of every service over one store: every number, step, notification and
# model once (prints the accounting; tests/chaos/test_twice.py runs it smaller).
.PHONY: twice deploy-check
twice: install
	$(PY) -m bench.twice --tickets 300
# The compose file's rules, the image's, and deploy/kubernetes built and validated offline.
deploy-check: install
	$(VENV)/bin/pytest tests/unit/deploy/test_compose.py tests/unit/deploy/test_kubernetes.py -q
# The workbench's catalogues: extract the strings of services/console and merge
# them into translations/<locale>/LC_MESSAGES/messages.po (then translate zh_CN).
.PHONY: translations
translations: install
	$(VENV)/bin/pybabel extract -F services/console/babel.cfg -k N_ --no-location --sort-output --width 100 \
	    -o /tmp/hotline-console.pot .
	$(VENV)/bin/pybabel update -i /tmp/hotline-console.pot -d services/console/translations \
	    --no-fuzzy-matching --ignore-obsolete --width 100
