# metro-offers: the two commands of the README are `make run` and `make test`.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
INSTALLED := $(VENV)/.installed
# Lint compiles the dbt project; keep it off the real warehouse.
LINT_WAREHOUSE := $(CURDIR)/warehouse/lint.duckdb

.PHONY: install run test lint pytest bench docs clean

install: $(INSTALLED)

# Every dependency pinned: pyproject.toml pins the direct ones, requirements.lock all of them.
$(INSTALLED): pyproject.toml requirements.lock
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet -c requirements.lock -e ".[dev]"
	touch $@

## Generate the default data set (50K customers, one year) and build the warehouse.
run: install
	$(BIN)/metro-offers generate
	$(BIN)/metro-offers build

## Lint, then the whole test suite (pytest, including dbt build with every data and unit test on small data).
test: lint pytest

lint: install
	$(BIN)/ruff check src tests bench python_models
	$(BIN)/ruff format --check src tests bench python_models
	METRO_WAREHOUSE=$(LINT_WAREHOUSE) $(BIN)/sqlfluff lint models macros tests/data_tests analyses

pytest: install
	$(BIN)/python -m pytest

## Benchmark generation and dbt build at several scales (writes bench/results/latest.json).
bench: install
	$(BIN)/python bench/benchmark.py

## Build the static dbt docs site (target/static_index.html).
docs: install
	$(BIN)/metro-offers docs

clean:
	rm -rf target logs warehouse/*.duckdb* .pytest_cache
