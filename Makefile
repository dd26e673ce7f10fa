# Set-up and entry points. Every target first brings the virtual environment up to date
# (tools/setup_env.sh: a no-op within seconds when nothing changed).
export VKD_MM_VENV ?= $(CURDIR)/.venv
PYTHON := $(VKD_MM_VENV)/bin/python

.PHONY: env lint test demo demo-cls bench

env:
	@tools/setup_env.sh

lint: env
	PYTHON=$(PYTHON) tools/lint.sh

test: env
	$(PYTHON) -m pytest -q

demo: env
	$(PYTHON) tools/toy_det_demo.py

demo-cls: env
	$(PYTHON) tools/toy_demo.py

bench: env
	$(PYTHON) benchmarks/bench_projectors.py
