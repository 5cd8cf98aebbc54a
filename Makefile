# `make test` and `make demo` each set everything up on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# The lowest Telethon we support; .ci/run runs the end-to-end tests on it too.
TELETHON_LOW ?= 1.36.0
VENV_LOW ?= .venv-low

.PHONY: test demo demo-web chromium lint typecheck test-low clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[dev]'
	touch $@

lint: $(VENV)/.installed
	$(VENV)/bin/ruff check .

typecheck: $(VENV)/.installed
	$(VENV)/bin/mypy

# Debian's headless Chromium for the console's browser tests (Playwright is
# pointed at it; no browser download). Skipped when it is there.
CHROMIUM ?= /usr/bin/chromium
chromium:
	@test -x $(CHROMIUM) || { apt-get update -qq && apt-get install -y -qq chromium; }

test: lint typecheck chromium
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

# The demo, then the hotline console on its data until Ctrl-C (URL and logins printed).
demo-web: $(VENV)/.installed
	$(PY) -m monitor.demo_web

clean:
	rm -rf $(VENV) $(VENV_LOW) .pytest_cache .mypy_cache .ruff_cache
