# One entry point for everything: `make demo` runs portstorm, `make check` runs every test.
# Both set up a virtual environment in .venv on first use (only Python 3.11+ is needed).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo plan check lint typecheck test validators golden snapshots bench clean

$(BIN)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

demo: $(BIN)/.installed  ## the main job: the workshop app on a copy of the sample shop
	test -e demo-workshop.yaml || cp sample_sessions/ecommerce.yaml demo-workshop.yaml
	$(BIN)/portstorm demo-workshop.yaml

plan: $(BIN)/.installed  ## the derived architecture of the sample shop, printed
	$(BIN)/portstorm plan sample_sessions/ecommerce.yaml

check: lint typecheck test  ## everything CI runs

lint: $(BIN)/.installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: $(BIN)/.installed
	$(BIN)/mypy

test: $(BIN)/.installed validators
	$(BIN)/pytest

validators:  ## the real tools that check the exports (apt and npm; see tests/tools/install)
	tests/tools/install

golden: $(BIN)/.installed validators  ## rewrite the golden files after a reviewed change of output
	$(BIN)/python -m tests.golden

snapshots: $(BIN)/.installed  ## rewrite the app's SVG snapshots after a reviewed change of look
	$(BIN)/pytest tests/test_snapshots.py --snapshot-update
	cp "tests/__snapshots__/test_snapshots/test_board[120x40].svg" docs/board.svg
	cp "tests/__snapshots__/test_snapshots/test_map[120x40].svg" docs/map.svg

bench: $(BIN)/.installed  ## portstorm against the floor of Python, Textual and libyaml (a few minutes)
	$(BIN)/python -m benchmarks --json benchmark-results.json

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
