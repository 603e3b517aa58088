# partnerprogram — developer and newcomer entry points.
#   make demo       set up, load the French reference data and program versions, evaluate,
#                   print the summary, serve http://127.0.0.1:8000 and print the demo logins
#                   (another address: make demo HOST=127.0.0.1:8777)
#   make reference  the same without serving (non-interactive)
#   make test       the test suite (SQLite by default; DATABASE_URL=postgres://... for PostgreSQL),
#                   without the browser journeys
#   make browser-test  the browser journeys (Playwright in Debian's chromium: apt-get install chromium)

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PP     := $(BIN)/partnerprogram
AS_OF  ?= 2026-12-31
TODAY  := $(shell date +%F)
HOST   ?= 127.0.0.1:8000
# where the database, mail and evaluation files go: var/ under PARTNERPROGRAM_HOME (default here)
VAR    := $(if $(PARTNERPROGRAM_HOME),$(PARTNERPROGRAM_HOME),.)/var

.PHONY: install reference demo serve test browser-test lint typecheck check-migrations bench clean

$(VENV)/.installed: pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $@

install: $(VENV)/.installed

# The reference story sends hundreds of notices: they are written to var/mail/ instead of the
# console.
reference: export EMAIL_BACKEND = django.core.mail.backends.filebased.EmailBackend
reference: install
	$(PP) migrate --noinput -v 0
	$(PP) flush --noinput -v 0
	$(PP) seed-reference --region fr
	$(PP) program load programs/pex-fr/*.yaml
	$(PP) demo-story --as-of $(AS_OF)
	@echo "What-if: the first criteria (2026.1) simulated against the previous program"
	$(PP) simulate --draft programs/pex-fr/2026.1.yaml --against previous --as-of $(AS_OF) --movers 10
	@echo "Calibration: the smallest relaxation of 2026.1 that keeps every previous Premier meeting Advanced (2026.2 relaxed the same requirements)"
	$(PP) calibrate --draft programs/pex-fr/2026.1.yaml --target "keep:premier if-meets advanced" --as-of $(AS_OF)
	@echo "Today's state for the portal and console: baseline standings and an evaluation as of $(TODAY)"
	$(PP) standing baseline --program pex-fr
	mkdir -p $(VAR)
	$(PP) evaluate --program pex-fr --as-of $(TODAY) --format csv --output $(VAR)/evaluation-$(TODAY).csv

demo: reference
	$(PP) demo-accounts --base-url http://$(HOST)
	$(PP) runserver $(HOST)

serve: install
	$(PP) runserver $(HOST)

test: install
	$(BIN)/pytest -q -m "not browser"

# Playwright journeys against a live server in Debian's /usr/bin/chromium (never downloaded);
# screenshots in test-output/screenshots/.
browser-test: install
	$(BIN)/pytest -q -m browser tests/browser

lint: install
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench

typecheck: install
	$(BIN)/mypy

check-migrations: install
	$(PP) makemigrations --check --dry-run

bench: install
	$(BIN)/python bench/evaluate.py --partners 470

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .hypothesis
