PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP  := $(VENV)/.installed

.PHONY: install demo test fuzz lint golden clean

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

golden: $(STAMP)
	$(PY) -m pytest tests/test_golden.py --regen-golden

clean:
	rm -rf $(VENV) .pytest_cache
