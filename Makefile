PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install demo test fuzz-rules lint golden clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q -e '.[test]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(VENV)/bin/adjoint grad examples/mlp.py::loss --wrt W1,b1,W2,b2,W3,b3 --shapes W1=784,300 --shapes b1=300 --shapes W2=300,100 --shapes b2=100 --shapes W3=100,10 --shapes b3=10 --shapes x=32,784 --shapes y=32,10 -o examples/mlp_grad.py
	cat examples/mlp_grad.py
	$(PY) examples/run_mlp.py

test: $(STAMP)
	$(PY) -m pytest
	$(PY) -m ruff check adjoint tests examples

# A larger search of every rule's argument space than `make test` runs (tests/test_rule_spaces.py):
# FUZZ_EXAMPLES calls per callable, from a fresh random seed each run (SEED=n repeats one).
FUZZ_EXAMPLES ?= 100
fuzz-rules: $(STAMP)
	ADJOINT_RULE_EXAMPLES=$(FUZZ_EXAMPLES) ADJOINT_RULE_RANDOM=1 $(PY) -m pytest \
		tests/test_rule_spaces.py -k test_rule_space -p no:cacheprovider $(if $(SEED),--hypothesis-seed=$(SEED))

golden: $(STAMP)
	$(PY) -m pytest tests/test_golden.py --regen-golden

clean:
	rm -rf $(VENV) .pytest_cache
