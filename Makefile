# The two commands a reader needs (each does all set-up first):
#   make book   -> builds the whole book on the embedded default data into _build/html
#   make test   -> runs the test suite
SCALE ?= 1
SEED ?= 20241111
VENV ?= .venv
PY := $(VENV)/bin/python

.PHONY: setup book test lint sync clean-run

setup:
	bash scripts/setup.sh

book: setup
	$(PY) -m helpers book --scale $(SCALE) --seed $(SEED)

# Label Studio, when set-up installed it (XHS_WITH_LABEL_STUDIO=1), runs the live coding tests;
# looked up when the recipe runs, i.e. after set-up.
test: setup
	ls_bin="$${LABEL_STUDIO_BIN:-$(CURDIR)/.venv-label-studio/bin/label-studio}"; \
	[ -x "$$ls_bin" ] || ls_bin=""; \
	XHS_REQUIRE_R=1 LABEL_STUDIO_BIN="$$ls_bin" $(PY) -m pytest -q

lint: setup
	$(VENV)/bin/ruff check src tests benchmarks tools notebooks/*.py

sync: setup
	$(VENV)/bin/jupytext --sync notebooks/[0-9]*.py

clean-run:
	rm -rf _build
