# Every command a person runs. Each target installs what it needs into .venv first.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat pyproject.toml layers/core/requirements.txt | cksum | cut -d' ' -f1)

SAMVENV := .venv-sam
SAM    := SAM_CLI_TELEMETRY=0 $(SAMVENV)/bin/sam
SAMSTAMP := $(SAMVENV)/.installed

.PHONY: install test test-fast suite unit-fast lint typecheck unit integration infrastructure e2e cfn demo bench check-config build clean docs docs-check docs-examples docs-images conformance gallery package

$(STAMP):
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	rm -f $(VENV)/.installed-* && touch $(STAMP)

install: $(STAMP)

# The SAM CLI has its own pins (boto3, jsonschema...): it lives in its own environment.
$(SAMSTAMP):
	$(PYTHON) -m venv $(SAMVENV)
	$(SAMVENV)/bin/python -m pip install --quiet --upgrade pip
	$(SAMVENV)/bin/python -m pip install --quiet aws-sam-cli
	touch $(SAMSTAMP)

lint: $(STAMP)
	$(BIN)/ruff check layers functions tests demo bench docs deploy
	$(BIN)/ruff format --check layers functions tests demo bench docs deploy
	$(BIN)/lint-imports --no-logo --no-cache

typecheck: $(STAMP)
	$(BIN)/mypy

# template.yaml as shipped (every optional list empty); tests/infrastructure/test_template.py lints variants with the
# optional resources (OpenSearch and stuck-queue alarms, ops SMS) switched on.
cfn: $(STAMP) $(SAMSTAMP)
	$(BIN)/cfn-lint template.yaml
	$(SAM) validate --lint --language-extensions --region us-east-1

unit: $(STAMP)
	$(BIN)/pytest tests/unit

integration: $(STAMP)
	$(BIN)/pytest tests/integration

infrastructure: $(STAMP) $(SAMSTAMP)
	$(BIN)/pytest tests/infrastructure

e2e: $(STAMP)
	$(BIN)/pytest tests/e2e

# Test workers (pytest-xdist): one more than the cores, since the slowest integration tests spend much of their
# time waiting on the Slack stand-in's Retry-After and timeouts (2 cores: 6:05 with 2 workers, 5:02 with 3);
# handed one test at a time (--maxschedchunk 1: xdist's default hands each worker a quarter of its share up
# front, which then waits behind a three-minute test). The tests marked slow start first, so the workers finish
# together; the 15 slowest are listed at the end of the run.
PYTEST_WORKERS ?= $(shell echo $$(( $$(nproc 2>/dev/null || echo 1) + 1 )))
XDIST := -n $(PYTEST_WORKERS) --maxschedchunk 1

## The whole suite: lint, types, template and docs checks, run alongside the unit and integration tests.
test: $(STAMP) $(SAMSTAMP)
	@$(MAKE) --no-print-directory -j5 lint typecheck cfn docs-check suite

## The inner loop: lint, types and the unit tests but the few marked slow (which make test runs).
test-fast: $(STAMP)
	@$(MAKE) --no-print-directory -j3 lint typecheck unit-fast

suite: $(STAMP)
	$(BIN)/pytest tests $(XDIST) --durations=15

unit-fast: $(STAMP)
	$(BIN)/pytest tests/unit tests/infrastructure $(XDIST) -m "not slow" --durations=5

## The docs site (mkdocs.yml, docs/) on http://127.0.0.1:8000, rebuilt as files change.
docs: $(STAMP)
	$(BIN)/mkdocs serve --dev-addr 127.0.0.1:8000

## The docs site built with --strict: a broken link, a missing page or anchor, a missing snippet fails.
docs-check: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(BIN)/mkdocs build --strict --quiet --site-dir $(VENV)/site

## The console examples of README.md and docs/, produced again by running their commands (docs/examples.py);
## tests/unit/test_docs_examples.py fails when one is out of date.
## Alertmanager conformance: the recorded golden cases (tests/conformance/), and, where amtool is installed
## (apt-get install prometheus-alertmanager), a fresh randomised differential check of the route trees.
conformance: $(STAMP)
	$(BIN)/pytest tests/unit/test_matcher_conformance.py tests/unit/test_matcher_conformance_current.py \
		tests/unit/test_routes_conformance.py tests/unit/test_acceptance_conformance.py \
		tests/unit/test_inhibition_conformance.py tests/unit/test_grouping_clock.py \
		tests/unit/test_template_conformance.py tests/unit/test_signal_routes_conformance.py -q
	@if command -v amtool >/dev/null; then \
		seed=$$(date +%s); out=$$(mktemp --suffix=.json); \
		$(BIN)/python tests/conformance/record_routes.py --seed $$seed --out $$out && \
		ROUTES_GOLDEN=$$out $(BIN)/pytest tests/unit/test_routes_conformance.py -q -k show_and_test; \
	else echo "amtool not installed: the recorded cases only"; fi

docs-examples: $(STAMP)
	$(BIN)/python docs/examples.py --local

## The message gallery: re-record every scene's golden render (tests/unit/golden/gallery/) and
## docs/concepts/messages.md after a deliberate change to what the router draws; review the diff.
gallery: $(STAMP)
	$(BIN)/python tests/record_gallery.py

## The flow on your machine: moto server + Slack stand-in, real events through the real handler.
demo: $(STAMP)
	$(BIN)/python demo/run.py

## docs/img/demo.png: the demo's Slack page (demo/out/slack.html, written by the demo) in headless Chromium, and
## docs/img/graph.png: its first alarm's message with CloudWatch's graph (demo/out/graph.html).
## Needs chromium (Debian/Ubuntu: apt-get install chromium); not part of `make test`.
CHROMIUM ?= chromium
docs-images: $(STAMP)
	@command -v $(CHROMIUM) >/dev/null 2>&1 || { echo "make docs-images needs Chromium: install it (Debian/Ubuntu: apt-get install chromium) or set CHROMIUM=/path/to/chromium" >&2; exit 1; }
	$(BIN)/python demo/run.py > /dev/null
	mkdir -p docs/img
	$(CHROMIUM) --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=1200,1600 \
	  --screenshot=$(CURDIR)/docs/img/demo.png file://$(CURDIR)/demo/out/slack.html 2>/dev/null
	$(CHROMIUM) --headless --no-sandbox --disable-gpu --hide-scrollbars --window-size=760,720 \
	  --screenshot=$(CURDIR)/docs/img/graph.png file://$(CURDIR)/demo/out/graph.html 2>/dev/null
	@echo "docs/img/demo.png: $$(wc -c < docs/img/demo.png) bytes; docs/img/graph.png: $$(wc -c < docs/img/graph.png) bytes"

## Performance figures with their targets.
bench: $(STAMP)
	$(BIN)/python bench/run.py

## The routing and SLO files, validated by the code the Lambda runs, with the placeholder values of the
## samconfig.toml environment CONFIG_ENV; an error stops here with its line, unknown names are warnings.
ROUTING    ?= config/routing.yaml
SLOS       ?= config/slos.yaml
CONFIG_ENV ?= default
check-config: $(STAMP)
	$(BIN)/alertrouter check-config --config $(ROUTING) --samconfig samconfig.toml --config-env $(CONFIG_ENV)
	$(BIN)/alertrouter slo validate $(SLOS)

## Lambda artefacts in .aws-sam/build (needs a python3.13 on PATH: pyenv's is put first when present).
## The config files are checked first: a config the router cannot load is never built.
build: check-config $(SAMSTAMP)
	PATH="$$(ls -d $$(pyenv root 2>/dev/null)/versions/3.13.*/bin 2>/dev/null | tail -1):$$PATH" $(SAM) build --config-env $(CONFIG_ENV)
	@# /opt is read-only in Lambda, so code shipped without bytecode is compiled again at every cold start;
	@# unchecked-hash .pyc files are used as they are (zip timestamps cannot invalidate them).
	PATH="$$(ls -d $$(pyenv root 2>/dev/null)/versions/3.13.*/bin 2>/dev/null | tail -1):$$PATH" \
	  python3.13 -m compileall -q --invalidation-mode unchecked-hash .aws-sam/build/CoreLayer/python .aws-sam/build/RouterFunction

## The spoke for the org-wide roll-out: dist/spoke-stackset.yaml, a template a service-managed CloudFormation
## StackSet accepts (no transform: resolved and SAM-translated offline), and the zips of the code it runs; prints
## the aws commands that upload them and create the StackSet. No AWS account needed. The core layer is
## `make build`'s when there is one, else installed by pip for the Lambda runtime (arm64 wheels from PyPI).
## PACKAGE_ARGS: --artifact-bucket B --artifact-prefix P --opensearch-domains a,b --stuck-queues q1,q2
PACKAGE_ARGS ?=
package: $(STAMP)
	$(BIN)/python -m deploy.stackset $(PACKAGE_ARGS)

clean:
	rm -rf $(VENV) $(SAMVENV) .aws-sam .pytest_cache .mypy_cache .ruff_cache dist
