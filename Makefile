# The README's commands. Everything installs itself: a local .venv with pinned dev
# requirements, node_modules from package-lock.json, the Python extension and the addon.

SHELL := /bin/bash
VENV := .venv
PY := $(VENV)/bin/python
ROOT := $(CURDIR)

.PHONY: demo test lint test-rust test-py test-js typecheck check-install bench bench-quick soak fuzz build clean

demo: build
	$(PY) examples/demo.py
	node examples/demo.mjs

test: build lint test-rust test-py test-js typecheck check-install bench-quick

build: $(VENV)/.python-ext node_modules/.built target/release/testbed

# The local HTTP(S) server the suites and benchmarks talk to (tests-py/testbed.py,
# tests-js/testbed.mjs start it); cargo decides whether it is up to date.
target/release/testbed: FORCE
	cargo build --release -q -p testbed

.PHONY: FORCE
FORCE:

$(VENV)/.ready: requirements-dev.txt
	python3 -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -r requirements-dev.txt
	touch $@

# maturin develop installs the package editable, so the Python sources are live; the
# extension is rebuilt when the Rust sources change.
$(VENV)/.python-ext: $(VENV)/.ready Cargo.lock $(shell find core/src bindings-python/src -name '*.rs') core/Cargo.toml bindings-python/Cargo.toml pyproject.toml
	VIRTUAL_ENV=$(ROOT)/$(VENV) PATH=$(ROOT)/$(VENV)/bin:$$PATH $(VENV)/bin/maturin develop --release -q
	touch $@

# `npm ci` runs the package's install script, which builds the addon.
node_modules/.built: package.json package-lock.json Cargo.lock $(shell find core/src bindings-node/src -name '*.rs') core/Cargo.toml bindings-node/Cargo.toml
	npm ci --no-audit --no-fund
	touch $@

# The habits, as gates: one format per language and no lint warning, in every crate and
# every source (generated files are excluded in biome.json).
lint: build
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -q -- -D warnings
	$(VENV)/bin/ruff format --check -q .
	$(VENV)/bin/ruff check -q .
	npm run -s lint

test-rust:
	cargo test -p fanio-core -p testbed

test-py: build
	$(PY) -m pytest tests-py -q

test-js: build
	npm test

typecheck: build
	$(VENV)/bin/mypy --strict examples/typed_usage.py
	cd bindings-python/python && $(ROOT)/$(VENV)/bin/mypy --strict -p fanio
	npm run typecheck

# `pip install .` and `npm install` of this repo give importable packages, checked in
# throwaway places (the Rust build is shared through target/).
check-install: build
	set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	python3 -m venv "$$tmp/venv"; \
	CARGO_TARGET_DIR=$(ROOT)/target "$$tmp/venv/bin/pip" install -q .; \
	(cd "$$tmp" && venv/bin/python -c "import asyncio, fanio; assert asyncio.run(fanio.settle([fanio.sleep(0, 1)]))[0].value == 1; print('pip install . -> import fanio: ok')"); \
	mkdir "$$tmp/app"; cd "$$tmp/app"; npm init -y >/dev/null; npm install --no-audit --no-fund -s $(ROOT); \
	node -e "require('fanio').sleep(0, 2).then(v => { if (v !== 2) process.exit(1); console.log('npm install -> require(\"fanio\"): ok') })"; \
	node --input-type=module -e "import { sleep } from 'fanio'; if (await sleep(0, 3) !== 3) process.exit(1); console.log('npm install -> import \"fanio\": ok')"

bench: build
	$(PY) bench/settle_overhead.py
	$(PY) bench/crossing.py
	$(PY) bench/db_py.py
	$(PY) bench/http_py.py
	cargo run --release -q -p fanio-core --example http_rust
	npm run bench
	node bench/db_node.mjs
	cargo run --release -q -p fanio-core --example db_rust
	cargo run --release -q -p fanio-core --example sqlite_rust

# A smoke run of every benchmark (CI runs nothing longer).
bench-quick: build
	$(PY) bench/settle_overhead.py --quick
	$(PY) bench/crossing.py --quick
	$(PY) bench/db_py.py --quick
	$(PY) bench/http_py.py --quick
	cargo run --release -q -p fanio-core --example http_rust -- --quick
	node bench/settle_overhead.mjs --quick
	node bench/crossing.mjs --quick
	node bench/db_node.mjs --quick
	cargo run --release -q -p fanio-core --example db_rust -- --quick
	cargo run --release -q -p fanio-core --example sqlite_rust -- --quick
	node bench/http_node.mjs --quick

# A long mixed HTTP + Postgres + SQLite fan-out from each language, sampling RSS and open
# fds (not in `make test`): SOAK_MINUTES=10 by default; writes target/soak/*.csv and
# target/soak/soak.png.
soak: build
	$(VENV)/bin/pip install -q -r bench/requirements-soak.txt
	$(PY) bench/soak.py
	node bench/soak.mjs
	$(PY) bench/soak.py --plot

# Each cargo-fuzz target for FUZZ_SECONDS (nightly; `cargo install cargo-fuzz`), then
# its corpus minimized; commit what fuzz/corpus gained (make test-rust replays it).
FUZZ_SECONDS ?= 300
FUZZ_TARGETS := pg_rewrite pg_value json http_request
fuzz:
	cd fuzz && for t in $(FUZZ_TARGETS); do \
		cargo +nightly fuzz run -s none -a $$t corpus/$$t seeds/$$t -- -max_total_time=$(FUZZ_SECONDS) -max_len=4096 \
		&& cargo +nightly fuzz cmin -s none -a $$t corpus/$$t || exit 1; \
	done

clean:
	rm -rf $(VENV) node_modules target
