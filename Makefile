# Two commands on a fresh machine: `make run` (set up, build the index, serve the UI) and `make test`.
.PHONY: setup setup-test run test test-all eval bench clean

setup:
	bash scripts/setup.sh

setup-test:
	bash scripts/setup.sh --test

run: setup
	.venv/bin/coach serve

test: setup-test
	.venv/bin/python -m pytest

test-all: setup-test
	.venv/bin/python -m pytest -m ""

eval: setup
	.venv/bin/coach eval all --report reports/eval

bench: setup
	.venv/bin/coach bench

clean:
	rm -rf .venv build *.egg-info
