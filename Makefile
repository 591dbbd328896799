# One command each: `make demo` runs the main job, `make test` runs the checks and the tests.
# Both create or refresh .venv and install what they need.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.stamp-install

.PHONY: demo test lint bench bench-quick clean venv readme

$(BIN)/python:
	$(PY) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip

$(STAMP): $(BIN)/python pyproject.toml
	$(BIN)/python -m pip install -q -e ".[test]"
	$(BIN)/python -m pip install -q --no-build-isolation "async_v20>=8.0.0b1"
	touch $(STAMP)

venv: $(STAMP)

demo: $(STAMP)
	$(BIN)/leverlab demo

lint: $(STAMP)
	$(BIN)/ruff check src tests benchmarks scripts
	$(BIN)/mypy

test: lint
	$(BIN)/python -m pytest -n 2 --dist loadfile

# every benchmark, leverlab and the peers on the same data, ratios printed; each peer runs in its own pinned
# venv under .bench/ (made on first use by benchmarks/peer_envs.py from benchmarks/peers/*.txt)
bench: $(STAMP)
	$(BIN)/python -m pip install -q -e ".[bench]"
	$(BIN)/python benchmarks/run_all.py

# the same at small sizes, a few minutes (CI runs it after the tests)
bench-quick: $(STAMP)
	$(BIN)/python benchmarks/run_all.py --quick

readme: $(STAMP)
	$(BIN)/python scripts/update_readme.py

clean:
	rm -rf $(VENV) build dist src/*.egg-info
