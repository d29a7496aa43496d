# The two front-door commands: `make demo` (offline demo crawl into SQLite) and `make test`.
.PHONY: setup demo test bench
VENV := .venv

setup: .setup-stamp
.setup-stamp: pyproject.toml scripts/setup.sh
	bash scripts/setup.sh
	touch $@

demo: setup
	$(VENV)/bin/nianbao demo

test: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/mypy
	bash scripts/services.sh
	$(VENV)/bin/python -m pytest -q -p no:cacheprovider

bench: setup
	$(VENV)/bin/python bench/parse.py
	$(VENV)/bin/python bench/crawl.py
	$(VENV)/bin/python bench/store.py
