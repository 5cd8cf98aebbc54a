# `make test` and `make demo` each set everything up on a fresh machine.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
# The lowest Telethon we support; .ci/run runs the end-to-end tests on it too.
TELETHON_LOW ?= 1.36.0
VENV_LOW ?= .venv-low
# The versions the container image installs: the tests run on the same ones.
CONSTRAINTS := deploy/constraints.txt

.PHONY: test demo demo-web sim chromium lint typecheck test-low deploy-tools constraints clean

$(VENV)/.installed: pyproject.toml $(CONSTRAINTS)
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -c $(CONSTRAINTS) -e '.[dev,detect]'
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

test: lint typecheck chromium deploy-tools
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

# A Telegram server on this machine to try chanwatch by hand (README: Try it).
sim: $(VENV)/.installed
	$(VENV)/bin/chanwatch sim

# tests/test_deploy.py checks deploy/ with `docker compose config` (or Debian's
# docker-compose) and `systemd-analyze verify` where they exist; as root on
# Debian this installs what is missing, elsewhere those two tests are skipped.
deploy-tools:
	@missing=""; \
	command -v systemd-analyze >/dev/null 2>&1 || missing="$$missing systemd"; \
	{ docker compose version >/dev/null 2>&1 || command -v docker-compose >/dev/null 2>&1; } \
		|| missing="$$missing docker-compose"; \
	if [ -n "$$missing" ]; then \
		if [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1; then \
			apt-get update -qq && DEBIAN_FRONTEND=noninteractive \
				apt-get install -y -qq --no-install-recommends $$missing >/dev/null \
				|| echo "make: could not install$$missing; their deploy tests are skipped"; \
		else \
			echo "make: not installed:$$missing; their deploy tests are skipped"; \
		fi; \
	fi

# Regenerate the exact versions the image installs (after changing dependencies).
# Run it with the Python the image uses (3.11).
constraints:
	$(PYTHON) deploy/make_constraints.py

# The demo, then the hotline console on its data until Ctrl-C (URL and logins printed).
demo-web: $(VENV)/.installed
	$(PY) -m monitor.demo_web

clean:
	rm -rf $(VENV) $(VENV_LOW) .pytest_cache .mypy_cache .ruff_cache
