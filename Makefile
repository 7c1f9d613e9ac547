# Two commands for a newcomer: `make demo` and `make test` (see README.md).
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin

.PHONY: demo test clean i18n

$(BIN)/.quorum-installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "Quorum needs Python 3.11 or newer (found %s)" % sys.version.split()[0])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	@touch $@

demo: $(BIN)/.quorum-installed
	$(BIN)/quorum demo

test: $(BIN)/.quorum-installed
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/mypy
	$(BIN)/lint-imports
	$(BIN)/pytest -n auto --dist loadfile

clean:
	rm -rf $(VENV) .quorum-demo .pytest_cache .mypy_cache .ruff_cache

# Re-extract UI strings, merge them into the French catalogue and compile it.
i18n: $(BIN)/.quorum-installed
	$(BIN)/pybabel extract -F babel.cfg -k _l -k lazy_gettext --no-location --omit-header -o sidecar/translations/messages.pot .
	$(BIN)/pybabel update -i sidecar/translations/messages.pot -d sidecar/translations -l fr --omit-header
	$(BIN)/pybabel compile -d sidecar/translations -l fr
