# Three commands: `make serve` (the HTTP service), `make demo` and `make test`.
# Each creates .venv on first use and installs what it needs: serving and the demo the
# package alone (`pip install -e .`), the tests its [test] extra (training and test tools).
PYTHON ?= python3
VENV   ?= .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
TEST_STAMP := $(VENV)/.installed-test
PYTEST_ARGS ?=
HOST ?= 127.0.0.1
PORT ?= 3000

export TF_CPP_MIN_LOG_LEVEL ?= 2

.PHONY: setup serve demo test clean

setup: $(STAMP)

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -e .
	touch $(STAMP)

$(TEST_STAMP): $(STAMP)
	$(BIN)/pip install --quiet -e '.[test]'
	touch $(TEST_STAMP)

serve: $(STAMP)
	$(BIN)/zoo serve --host $(HOST) --port $(PORT)

demo: $(STAMP)
	$(BIN)/zoo list
	$(BIN)/zoo predict imdb-bilstm-distilled "a wonderful, moving film" "dull and far too long"
	$(BIN)/zoo predict shakespeare-char "ROMEO:" --length 200 --seed 0
	$(BIN)/zoo predict spa-eng-translator "I love you." "Where is the train station?" --beam-size 4
	$(BIN)/zoo predict eng-fra-translator "Where is the train station?" --beam-size 4
	$(BIN)/zoo predict fra-eng-translator "Où est la gare ?" --beam-size 4
	$(BIN)/zoo parity
	$(BIN)/zoo unfold lstm --steps 3

test: $(TEST_STAMP)
	$(BIN)/python -m pytest -n 2 --dist loadgroup $(PYTEST_ARGS)

clean:
	rm -rf $(VENV) build *.egg-info .pytest_cache
