# `make test` and `make demo` each set everything up on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# The lowest Telethon we support; .ci/run runs the end-to-end tests on it too.
TELETHON_LOW ?= 1.36.0
VENV_LOW ?= .venv-low

.PHONY: test demo lint typecheck test-low clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev,detect]'
	touch $@

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .

typecheck: $(VENV)/.installed
	$(VENV)/bin/mypy

test: lint typecheck
	$(VENV)/bin/pytest -q

$(VENV_LOW)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV_LOW)
	$(VENV_LOW)/bin/python -m pip install -q --upgrade pip
	$(VENV_LOW)/bin/python -m pip install -q -e '.[dev]' 'telethon==$(TELETHON_LOW)'
	touch $@

# tgsim and the end-to-end tests on the lowest supported Telethon.
test-low: $(VENV_LOW)/.installed
	$(VENV_LOW)/bin/pytest -q tests/tgsim tests/e2e

demo: $(VENV)/.installed
	$(PY) -m monitor.demo

clean:
	rm -rf $(VENV) $(VENV_LOW) .pytest_cache .mypy_cache .ruff_cache
