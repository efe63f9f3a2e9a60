# `make run`: set everything up and start the app.  `make test`: set everything up and run every test.
VENV ?= .venv
export VENV

.PHONY: run test lint setup setup-test screenshot bench clean

run: setup
	$(VENV)/bin/hlsstudio $(ARGS)

test: setup-test
	QT_QPA_PLATFORM=offscreen $(VENV)/bin/python -m pytest -q $(PYTEST_ARGS)

lint: setup-test
	$(VENV)/bin/ruff check hlsstudio tests bench scripts
	$(VENV)/bin/ruff format --check hlsstudio tests bench scripts
	$(VENV)/bin/mypy hlsstudio/core

setup:
	@bash scripts/setup.sh

setup-test:
	@bash scripts/setup.sh --test

screenshot: setup-test
	QT_QPA_PLATFORM=offscreen $(VENV)/bin/python scripts/screenshot.py docs/main-window.png

bench: setup-test
	$(VENV)/bin/python bench/transcode_vs_per_rung.py

clean:
	rm -rf $(VENV) build dist .pytest_cache .mypy_cache .ruff_cache tests/player/node_modules
