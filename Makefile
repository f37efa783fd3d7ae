# Two commands for a new user:  `make run`  (set up + run on data/raw)  and  `make test`.
PYTHON ?= python3.11
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
LOCK   := requirements.lock
# `make lock` keeps the pins that still fit pyproject.toml; to move them on:
#   make lock LOCK_ARGS=--upgrade   or   make lock LOCK_ARGS="--upgrade-package lxml"
LOCK_ARGS ?=
PIP_TOOLS ?= pip-tools==7.7.0

.PHONY: run test lint setup lock clean-venv wheel-check

# The venv is made anew from the lock: every package pinned with its hashes (torch's CPU build,
# pip and setuptools too), nothing resolved at install time, so two installs get the same files.
$(STAMP): $(LOCK) pyproject.toml
	@command -v $(PYTHON) >/dev/null || { echo "needs $(PYTHON)"; exit 1; }
	$(PYTHON) -m venv --clear $(VENV)
	$(BIN)/python -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
	# the project itself, editable, built with the locked setuptools (no isolated build env to fetch)
	$(BIN)/python -m pip install --quiet --no-deps --no-build-isolation -e .
	$(BIN)/python -m pip check
	touch $(STAMP)

setup: $(STAMP)

run: $(STAMP)
	$(BIN)/python run_pipeline.py run data/raw --out data/extracted

test: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/python -m pytest

lint: $(STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy

# Regenerates $(LOCK) from pyproject.toml (dependencies + the dev extra) in a throwaway venv
# with pip-tools; the venv's own pip is locked too. Needs the package index; then `make setup`.
lock:
	@command -v $(PYTHON) >/dev/null || { echo "needs $(PYTHON)"; exit 1; }
	@set -e; tmp=$$(mktemp -d); trap 'rm -rf "$$tmp"' EXIT; \
	$(PYTHON) -m venv "$$tmp/venv"; \
	pip_pin=$$(grep -m1 -o '^pip==[^ ]*' $(LOCK) 2>/dev/null || echo pip); \
	"$$tmp/venv/bin/python" -m pip install --quiet "$$pip_pin" "$(PIP_TOOLS)"; \
	echo pip | CUSTOM_COMPILE_COMMAND="make lock" "$$tmp/venv/bin/pip-compile" --quiet \
	  --extra dev --generate-hashes --allow-unsafe --strip-extras \
	  --no-emit-index-url --no-emit-trusted-host --no-emit-find-links \
	  $(LOCK_ARGS) -o $(LOCK) pyproject.toml -; \
	sed -i 's/^    # via -r -$$/    # via make lock (the installing pip itself)/' $(LOCK)
	@echo "$(LOCK): $$(grep -c '^[A-Za-z0-9]' $(LOCK)) packages pinned"

clean-venv:
	rm -rf $(VENV)

# A wheel as a user would install it: built with `pip wheel .`, installed into a fresh venv (the
# locked dependencies, then the wheel alone), and run from outside the checkout on data/raw.
WHEEL_DIR ?= /tmp/medpr-wheel
wheel-check: $(STAMP)
	rm -rf $(WHEEL_DIR) && mkdir -p $(WHEEL_DIR)
	$(BIN)/python -m pip wheel . --quiet --no-deps --no-build-isolation -w $(WHEEL_DIR)/dist
	$(PYTHON) -m venv $(WHEEL_DIR)/venv
	$(WHEEL_DIR)/venv/bin/python -m pip install --quiet --require-hashes --no-deps -r $(LOCK)
	$(WHEEL_DIR)/venv/bin/python -m pip install --quiet --no-deps $(WHEEL_DIR)/dist/*.whl
	$(WHEEL_DIR)/venv/bin/python -m pip check
	cd $(WHEEL_DIR) && venv/bin/run-pipeline run $(CURDIR)/data/raw --out out -q
	cd $(WHEEL_DIR) && venv/bin/python -c "import pipeline.models as m; print('models from', m.models_root())"
