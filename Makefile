# The commands a new user needs. `make install` first; the rest use .venv.
VENV ?= .venv
PY := $(VENV)/bin/python
HOTLINE := $(VENV)/bin/hotline
COMPOSE ?= docker compose

.PHONY: install up down logs run demo test test-unit test-service test-stack clean demo-insight

install: $(VENV)/.installed

$(VENV)/.installed: pyproject.toml
	python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --upgrade pip
	$(VENV)/bin/pip install --quiet -e '.[test]'
	touch $@

# With Docker: RabbitMQ, MongoDB and the four services in containers.
up:
	$(COMPOSE) up --build -d
	@echo "intake HTTP API: http://127.0.0.1:8000  (try: make demo)"

down:
	$(COMPOSE) down

logs:
	$(COMPOSE) logs -f

# Without Docker: the four services as local processes (Ctrl-C stops them),
# against AMQP_URI and MONGO_URI (in-memory store when MONGO_URI is unset).
run: install
	$(HOTLINE) run

demo: install
	$(HOTLINE) demo

test: install
	$(VENV)/bin/pytest tests

test-unit: install
	$(VENV)/bin/pytest tests/unit

test-service: install
	$(VENV)/bin/pytest tests/service

test-stack: install
	$(VENV)/bin/pytest tests/stack

# How long a supervision tick takes: 100,000 watched cases, 1,000 due (MONGO_URI or in-memory).
.PHONY: bench-notify
bench-notify: install
	$(PY) -m bench.notify_tick --open 100000 --due 1000

# End to end: throughput, latency at 50/s, CPU and memory per service, against a
# bare nameko pair on the same broker; writes bench/results/latest.json.
.PHONY: bench chaos
bench: install
	$(PY) -m bench.e2e

# Kill each service mid-flight, cut the store, restart RabbitMQ, flood every queue
# with garbage; prints what was sent, arrived and dead-lettered, and the difference.
chaos: install
	$(PY) -m bench.chaos

clean:
	rm -rf $(VENV) *.egg-info

# Rewrite docs/schemas (JSON Schema of every event and of AMQP inbound) and the
# topology manifest (shared/topology.json) after changing the contract or a consumer.
schemas: install
	$(PY) -m hotline.schemas docs/schemas
	$(PY) -m hotline.topology_cli
# Routing: decisions per second and p99 decision latency (prints, never asserts).
.PHONY: bench-routing
bench-routing: install
	$(PY) -m bench.routing
# Weeks of generated history through insight's reports (starts insight if
# `make run` is not running); charts land in insight-out/.
demo-insight: install
	$(HOTLINE) insight demo
