# Every command a person runs. Each target installs what it needs into .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml layers/core/requirements.txt | cksum | cut -d' ' -f1)

.PHONY: install test lint typecheck unit integration cfn demo bench build clean

$(STAMP):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

lint: $(STAMP)
	$(BIN)/ruff check layers functions tests demo bench

typecheck: $(STAMP)
	$(BIN)/mypy

cfn: $(STAMP)
	$(BIN)/cfn-lint template.yaml
	@if command -v sam >/dev/null 2>&1; then sam validate --lint --region us-east-1; \
	 else echo "sam CLI not installed: cfn-lint above is the template check ('make build' needs sam)"; fi

unit: $(STAMP)
	$(BIN)/pytest tests/unit

integration: $(STAMP)
	$(BIN)/pytest tests/integration

## The whole suite: lint, types, template checks, unit and integration tests.
test: lint typecheck cfn
	$(BIN)/pytest tests

## The flow on your machine: moto server + Slack stand-in, real events through the real handler.
demo: $(STAMP)
	$(BIN)/python demo/run.py

## Performance figures with their targets.
bench: $(STAMP)
	$(BIN)/python bench/run.py

## Lambda artefacts (needs the sam CLI and a python3.13; pyenv's is put first on PATH).
build:
	PATH="$$(ls -d $$(pyenv root 2>/dev/null)/versions/3.13.*/bin 2>/dev/null | tail -1):$$PATH" sam build

clean:
	rm -rf $(VENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache
