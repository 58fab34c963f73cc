# The two commands a newcomer needs: `make run` and `make test`.
PYTHON ?= python3
VENV   := .venv
PY     := $(VENV)/bin/python
STAMP_RUN  := $(VENV)/.installed-run
STAMP_TEST := $(VENV)/.installed-test

.PHONY: run test install install-test bench clean package

$(PY):
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip

$(STAMP_RUN): pyproject.toml | $(PY)
	$(PY) -m pip install -q -e .
	touch $@

$(STAMP_TEST): pyproject.toml tests/peers/package-lock.json | $(PY)
	$(PY) -m pip install -q -e '.[test]'
	bash tests/peers/install.sh
	touch $@ $(STAMP_RUN)

install: $(STAMP_RUN)
install-test: $(STAMP_TEST)

run: $(STAMP_RUN)
	$(VENV)/bin/anomi-wallet

test: $(STAMP_TEST)
	$(PY) -m tests.run

bench: $(STAMP_TEST)
	$(PY) -m bench.all

# Onedir bundle dist/anomi/ plus its smoke tests (not part of `make test`: ~1 min and ~350 MB).
package: $(STAMP_RUN)
	bash packaging/build.sh

clean:
	rm -rf $(VENV) build *.egg-info
