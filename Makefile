PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install demo test fuzz fuzz-rules lint golden passes clean docs examples comparison bench

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test,docs]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/adjoint grad examples/mlp.py::loss --wrt W1,b1,W2,b2,W3,b3 -o examples/mlp_grad.py
	cat examples/mlp_grad.py
	$(PY) examples/run_mlp.py

test: $(STAMP)
	$(PY) -m pytest
	ADJOINT_NO_CACHE=1 $(PY) -m pytest --doctest-modules adjoint -p no:cacheprovider
	$(PY) -m ruff check adjoint tests examples docs/gen bench
	$(PY) -m mypy adjoint
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict --quiet

# The documentation site, into site/ (docs/ holds its sources).
docs: $(STAMP)
	NO_MKDOCS_2_WARNING=1 $(VENV)/bin/mkdocs build --strict

# Rewrite the derivative modules committed in examples/ (with the command in each
# one's header) and the outputs the tests compare the examples with.
EXAMPLES := logistic mlp_train rnn projectile newton_cg gaussian_process
examples: $(STAMP)
	for f in examples/*_grad.py examples/*_hvp.py; do \
		cmd=$$(sed -n 's/^# Regenerate with: //p' $$f); echo "$$cmd"; \
		eval "$(VENV)/bin/$$cmd" || exit 1; done
	for e in $(EXAMPLES); do \
		OPENBLAS_NUM_THREADS=1 $(PY) examples/$$e.py > examples/expected/$$e.txt || exit 1; done

# docs/comparison.md: the same programs through adjoint, autograd and JAX.
comparison: $(STAMP)
	$(PY) -m pip install -q -e '.[bench]'
	$(PY) bench/compare.py > docs/comparison.md

# Random programs of every construct family (tests/test_random_programs.py), with the
# families known to fail; prints failures per family and a small failing program of each.
FUZZ_EXAMPLES ?= 10000
FUZZ_SEED     ?= 0
fuzz: $(STAMP)
	mkdir -p build
	ADJOINT_FUZZ_EXAMPLES=$(FUZZ_EXAMPLES) ADJOINT_FUZZ_SEED=$(FUZZ_SEED) \
	ADJOINT_FUZZ_REPORT=build/fuzz-report.txt \
	$(PY) -m pytest tests/test_random_programs.py -k test_fuzz_every_family -s -q
	@echo "report: build/fuzz-report.txt"

# docs/performance.md: gradients against hand-written ones, benchmark objectives, compile
# time, against the targets (about five minutes). autograd and JAX are compared when the
# bench extra installs; without it they are skipped.
bench: $(STAMP)
	$(PY) -m pip install -q -e '.[bench]' || echo "bench extra not installed: autograd and JAX skipped"
	OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 MKL_NUM_THREADS=1 \
		$(PY) bench/performance.py --write docs/performance.md

# A larger search of every rule's argument space than `make test` runs (tests/test_rule_spaces.py):
# FUZZ_EXAMPLES calls per callable, from a fresh random seed each run (SEED=n repeats one), each
# checked to second order in every order of modes; and every sample of tests/test_rule_registry.py
# to second order.
FUZZ_EXAMPLES ?= 100
fuzz-rules: $(STAMP)
	ADJOINT_RULE_EXAMPLES=$(FUZZ_EXAMPLES) ADJOINT_RULE_RANDOM=1 ADJOINT_RULE_SECOND=all $(PY) -m pytest \
		tests/test_rule_spaces.py -k test_rule_space -p no:cacheprovider $(if $(SEED),--hypothesis-seed=$(SEED))
	ADJOINT_RULE_SECOND=all $(PY) -m pytest tests/test_rule_registry.py -k test_rule_differentiates_again \
		-p no:cacheprovider

golden: $(STAMP)
	$(PY) -m pytest tests/test_golden.py --regen-golden

# Rewrite the [out] sections of the pass tests (tests/passes/*.test) from what each pass
# prints now; review the diff like code.
passes: $(STAMP)
	$(PY) -m pytest tests/test_passes.py --regen-passes -q

clean:
	rm -rf $(VENV) .pytest_cache site
