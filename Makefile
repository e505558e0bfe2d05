# Two commands matter: `make demo` and `make test`. Both install first when needed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: install demo test lint typecheck bench clean data

install: $(STAMP)

# Rebuilt only when the project's requirements change, so repeated calls cost nothing.
$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,train,ray]'
	touch $(STAMP)

demo: install
	$(BIN)/curate run pipelines/demo.yaml

test: install
	$(BIN)/ruff check .
	$(BIN)/mypy curate
	$(BIN)/python -m pytest

lint: install
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .

typecheck: install
	$(BIN)/mypy curate

data: install
	$(BIN)/python scripts/make_demo_data.py

bench: install
	$(BIN)/python benchmarks/dedup.py
	$(BIN)/python benchmarks/pii.py

clean:
	rm -rf $(VENV) out .pytest_cache .ruff_cache .mypy_cache
