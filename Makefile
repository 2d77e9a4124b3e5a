# Two commands for a newcomer: `make demo` and `make test`. Each creates .venv when absent.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: demo test lint bench soak realworld prove precision clean

$(STAMP): pyproject.toml
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --upgrade pip
	$(PY) -m pip install --quiet -e '.[test]'
	touch $(STAMP)

demo: $(STAMP)
	@echo "== tflint-vars check fixtures/ (the seeds' examples and one case per rule; exit 1 means findings)"
	-$(VENV)/bin/tflint-vars check fixtures/
	@echo "== the same through flake8"
	-$(VENV)/bin/flake8 --select TFV fixtures/

test: lint
	$(PY) -m pytest

# The project's own lint (the rules in pyproject.toml's [tool.ruff]) and its import layers (docs/architecture.md,
# [tool.importlinter]); `make test` runs it first.
lint: $(STAMP)
	$(VENV)/bin/ruff check .
	$(VENV)/bin/lint-imports --no-logo --no-cache

# Opt-in: check and --fix (safe, then unsafe) over tf-keras, tensor2tensor, keras, tensorflow-addons and transformers'
# TF models; wheels not unpacked locally are fetched once into .soak-cache/. Prints one JSON line of figures per corpus.
soak: $(STAMP)
	$(PY) -m pytest -m soak -s -q tests/test_soak.py

# Opt-in: the real-world corpus (tests/realworld) checked, fixed (safe, then unsafe) and verified under Keras 3 and
# Keras 2: findings, modules fixed, modules left without a fix, wrong fixes. A few minutes.
REALWORLD_ARGS ?=
realworld: $(STAMP)
	$(PY) bench/realworld.py $(REALWORLD_ARGS)

# Downloads two wheels once into .bench/ and times tflint-vars, flake8 and ruff on them: `make bench BENCH_ARGS="--repeat 3"`;
# then bench/scaling.py times one file with many findings or classes: `SCALING_ARGS="--repeat 1 --timeout 120"`.
BENCH_ARGS ?=
SCALING_ARGS ?=
bench: $(STAMP)
	$(PY) -m pip install --quiet 'ruff>=0.5'  # the floor a Python linter can reach
	$(PY) bench/run.py $(BENCH_ARGS)
	-$(PY) bench/scaling.py $(SCALING_ARGS)  # issue 16: one file, many findings or classes; "NOT MET" lines say what fails

# The differential proving ground: generated layer modules, the original under Keras 2 against the fixed code under
# Keras 3 and Keras 2 (tests/prove.py). `make prove PROVE_ARGS="--modules 2000 --seed 7 --unsafe --json out.json"`.
PROVE_ARGS ?=
prove: $(STAMP)
	$(PY) tests/prove.py --modules 500 --seed 0 $(PROVE_ARGS)

# Held-out precision (issue 17): downloads 13 pinned packages once into .bench/precision/, writes every finding with
# its source and the miss hunt's candidate sites there, and compares with docs/precision/held-out-2026-12*.csv.
# Another checkout's binary: `make precision PRECISION_ARGS="--tflint-vars ../other/.venv/bin/tflint-vars"`.
PRECISION_ARGS ?=
precision: $(STAMP)
	$(PY) bench/precision.py $(PRECISION_ARGS)

clean:
	rm -rf $(VENV) .pytest_cache .tflint-vars-cache .soak-cache
