# One entry point for everything: `make demo` runs portstorm, `make check` runs every test.
# Both set up a virtual environment in .venv on first use (only Python 3.11+ is needed).

PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: demo check lint typecheck test validators golden clean

$(BIN)/.installed: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -c constraints.txt -e '.[dev]'
	touch $@

demo: $(BIN)/.installed  ## the main job: derive the architecture of the sample shop
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

clean:
	rm -rf $(VENV) .pytest_cache .mypy_cache .ruff_cache .hypothesis
