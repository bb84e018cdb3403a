# `make demo` and `make test` are the README's two commands: each creates .venv,
# installs the project into it, then runs. Nothing needs Azure credentials or a network
# beyond the package index.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp

.PHONY: install dev demo test lint reformat bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install dev: $(STAMP)

# The demo is a showcase, not a gate: the demo tenant has failing findings (exit 1).
demo: $(STAMP)
	@# Bytecode even where PYTHONDONTWRITEBYTECODE is set: compiling the sources on every
	@# run would cost the demo a quarter of its time.
	@$(BIN)/python -m compileall -q scanner checks > /dev/null
	$(BIN)/cjis-scan scan --demo --format console,json,html,packet --output reports; \
	  status=$$?; [ $$status -eq 0 ] || [ $$status -eq 1 ] || exit $$status
	@echo "Reports: reports/cjis-scan-report.json, reports/cjis-scan-report.html," \
	  "reports/cjis-scan-audit-packet.md"

test: $(STAMP)
	$(BIN)/python -m pytest

# The format check: `ruff format` holds the modules below (new ones join the list when
# written); the rest keep their hand layout, held by ruff check's E and W rules (line
# length, whitespace, imports). Reformatting all 100+ files at once would rewrite every
# open branch's lines, so files join the list one by one instead.
FORMATTED := scanner/framework.py scanner/framework_files.py scanner/report.py scanner/resource_types.py \
	scanner/graph_kinds.py scanner/reporters/views.py scanner/collectors/tasks.py \
	scanner/graph_model.py scanner/intune_models.py tests/test_frameworks.py \
	tests/test_layering.py tests/test_ci.py

# CI (.ci/run) runs exactly this before the tests.
lint: $(STAMP)
	$(BIN)/ruff check scanner checks tests
	$(BIN)/ruff format --check $(FORMATTED)
	$(BIN)/mypy

reformat: $(STAMP)
	$(BIN)/ruff check --fix scanner checks tests
	$(BIN)/ruff format $(FORMATTED)

bench: $(STAMP)
	$(BIN)/python -m bench
	$(BIN)/python -m bench --history

clean:
	rm -rf $(VENV) reports .pytest_cache .mypy_cache .ruff_cache
