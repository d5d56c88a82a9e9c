# The two commands the README starts with: `make demo` and `make test`.
SHELL := /bin/bash
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test setup system lint sanity pytest molecule docs clean

demo: setup
	$(BIN)/python -m fix502 demo

test: setup lint sanity pytest molecule

setup: system $(STAMP)

# Debian packages the tests and the demo need (nginx, logrotate, ssh client); installs only what is missing.
system:
	scripts/install-system-packages

# setup.py builds the compiled error log scanner (src/fix502/errorlog/_blockscan.c) in place.
$(STAMP): pyproject.toml setup.py requirements/constraints.txt src/fix502/errorlog/_blockscan.c
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c requirements/constraints.txt -e '.[dev]'
	touch $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check src plugins tests bench scripts
	$(BIN)/ruff format --check src plugins tests bench
	$(BIN)/mypy
	$(BIN)/vermin --target=3.8- --no-tips --violations --eval-annotations plugins/modules plugins/module_utils
	$(BIN)/python -m fix502 docs --check
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/ansible-lint --profile production

sanity: $(STAMP)
	PATH=$(CURDIR)/$(BIN):$$PATH scripts/ansible-test-sanity

pytest: $(STAMP)
	PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/pytest

# Each role on a real systemd host of the fleet's image: check, converge, idempotence, verify (molecule/).
molecule: $(STAMP)
	tests/fleet/image/build
	CONTAINERS_CONF=$(CURDIR)/tests/fleet/containers.conf PATH=$(CURDIR)/$(BIN):$$PATH $(BIN)/molecule test --all

docs: $(STAMP)
	$(BIN)/python -m fix502 docs

clean:
	rm -rf $(VENV) build dist .mypy_cache .ruff_cache .pytest_cache
	rm -f src/fix502/errorlog/_blockscan.*.so
