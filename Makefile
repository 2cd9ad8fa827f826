# clearance — developer entry points. `make demo` and `make test` work on a fresh machine.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DEMO   := out/demo
EXAMPLE := examples/neon-harbor/manifest.yaml

.PHONY: install demo test lint typecheck pytest bench clean

install: $(STAMP)

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: install
	@mkdir -p $(DEMO)
	$(BIN)/clearance policy test netflix-genai --fail-only
	$(BIN)/clearance check $(EXAMPLE) --fail-on never
	$(BIN)/clearance check $(EXAMPLE) --format json --fail-on never > $(DEMO)/decisions.json
	$(BIN)/clearance check $(EXAMPLE) --format markdown --fail-on never > $(DEMO)/decisions.md
	$(BIN)/clearance explain $(EXAMPLE) UC-014 > $(DEMO)/explain-UC-014.txt
	@echo
	@echo "Demo output is in $(DEMO)/:"
	@ls -1 $(DEMO) | sed 's/^/  /'

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install
	$(BIN)/mypy

pytest: install
	$(BIN)/pytest -q

test: lint typecheck pytest

bench: install
	$(BIN)/python bench/bench_check.py

clean:
	rm -rf $(VENV) out .mypy_cache .ruff_cache .pytest_cache
