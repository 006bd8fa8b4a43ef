# Two commands do all the set-up on a fresh Debian/Ubuntu machine with Python 3.11+:
#   make run    create .venv, install the server, run it (stdio; ARGS="--transport streamable-http" for HTTP)
#   make test   create .venv, install the server with test extras and the npm test tools, run the whole suite
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
NODE_TOOLS := tests/node
ARGS ?=
PYTEST_ARGS ?=

.PHONY: run test lint install install-runtime tools bench clean

$(BIN)/python:
	@$(PYTHON) -m venv $(VENV) >&2
	@$(BIN)/python -m pip install --quiet --upgrade pip >&2

# `make run` installs the runtime only, and says nothing on stdout: a host may use it as its stdio command.
$(VENV)/.runtime: pyproject.toml | $(BIN)/python
	@$(BIN)/python -m pip install --quiet -e . >&2
	@touch $@

$(VENV)/.installed: pyproject.toml | $(BIN)/python
	$(BIN)/python -m pip install --quiet -e ".[test]"
	touch $@ $(VENV)/.runtime

install-runtime: $(VENV)/.runtime
install: $(VENV)/.installed

# npm tools pinned in tests/node/package.json. Without npm the tests that need them skip (and fail under CI=true).
tools: $(NODE_TOOLS)/node_modules/.installed

$(NODE_TOOLS)/node_modules/.installed: $(NODE_TOOLS)/package.json
	@if command -v npm >/dev/null 2>&1; then \
		npm install --prefix $(NODE_TOOLS) --no-audit --no-fund --loglevel=error && touch $@; \
	else \
		echo "npm not found: tests that need the MCP Inspector will skip" >&2; \
	fi

run: install-runtime
	@$(BIN)/event-driven-mcp $(ARGS)

# ruff (style, imports, the layer rules) and pyright (types); `make test` runs it first, so CI fails on a violation.
lint: install
	$(BIN)/ruff check server bench
	$(BIN)/pyright

test: install tools lint
	$(BIN)/python -m pytest $(PYTEST_ARGS)

bench: install
	$(BIN)/python bench/bench.py $(ARGS)

clean:
	rm -rf $(VENV) $(NODE_TOOLS)/node_modules dist build .pytest_cache
