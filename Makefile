# The README's two commands are `make run` and `make test`; the rest are conveniences.
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
# `make run` installs what the platform runs on; `make test` adds the dev tools.
RUN_STAMP := $(VENV)/.installed-run
DEV_STAMP := $(VENV)/.installed-dev

# pytest runs in parallel (pytest-xdist): much of the suite waits on processes, servers and rq,
# and waits overlap even on CI's 2 cores. PYTEST_WORKERS=0 runs it in one process.
PYTEST_WORKERS ?= 2

.PHONY: run test lint bench clean

$(BIN)/python:
	@$(PYTHON) -c 'import sys; v = sys.version_info; sys.exit(0 if (3, 11) <= v[:2] <= (3, 12) else "fleetops needs Python 3.11 or 3.12, found %d.%d" % v[:2])'
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade "pip>=24"

# Reinstall only when the project's dependencies change.
$(RUN_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e .
	@touch $@

$(DEV_STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[dev]"
	@touch $@ $(RUN_STAMP)

run: $(RUN_STAMP)
	$(BIN)/fleetops run

# The browser tests drive Debian's chromium (and Korean fonts for the screenshots): installed
# here when missing and we may (root, apt);
# else they skip with the reason (a failure under .ci/run).
CHROMIUM := /usr/bin/chromium

test: $(DEV_STAMP)
	@test -x $(CHROMIUM) || { test "$$(id -u)" = 0 && { apt-get install -y -q chromium fonts-noto-cjk || \
		{ apt-get update -q && apt-get install -y -q chromium fonts-noto-cjk; }; } >/dev/null 2>&1; } \
		|| echo "chromium is missing and cannot be installed here: the browser tests will skip"
	$(BIN)/ruff check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy
	$(BIN)/python -m pytest -n $(PYTEST_WORKERS) --dist worksteal $(PYTEST_ARGS)

lint: $(DEV_STAMP)
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/lint-imports --no-cache
	$(BIN)/mypy

bench: $(DEV_STAMP)
	$(BIN)/python -m benchmarks

clean:
	rm -rf $(VENV) var .pytest_cache .mypy_cache .ruff_cache .import_linter_cache
