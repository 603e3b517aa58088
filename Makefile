# partnerprogram — developer and newcomer entry points.
#   make demo       set up, load the French reference data and program versions, evaluate,
#                   print the summary, serve http://127.0.0.1:8000 and print the demo logins
#   make reference  the same without serving (non-interactive)
#   make test       the test suite (SQLite by default; DATABASE_URL=postgres://... for PostgreSQL)

PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
PP     := $(BIN)/partnerprogram
AS_OF  ?= 2026-12-31
HOST   ?= 127.0.0.1:8000

.PHONY: install reference demo serve test lint typecheck check-migrations bench clean

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

demo: reference
	$(PP) demo-accounts
	$(PP) runserver $(HOST)

serve: install
	$(PP) runserver $(HOST)

test: install
	$(BIN)/pytest -q

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
