# The two commands of the README. Each sets up what it needs, so either can run first.
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed

.PHONY: setup demo test bench bench-course clean site site-fast

setup: $(STAMP)

# A virtual environment with the project installed in editable mode, remade when pyproject.toml changes.
$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --upgrade pip
	$(PY) -m pip install -e ".[dev]"
	touch $(STAMP)

## demo: the whole pipeline on the bundled sample (check, split, config.yaml, train, plots)
demo: $(STAMP)
	$(PY) -m yolo_training demo

## test: the whole test suite
test: $(STAMP)
	$(PY) -m pytest

## site: the course's website in site/, every chapter executed with the settings written in the notebooks
##       (real runs: about 11 minutes on 2 cores the first time; unchanged chapters are kept in .cache/site/default/, then about 16 s)
site: $(STAMP) docs/javascripts/mermaid.min.js
	YOLO_TRAINING_PROFILE= YOLO_TRAINING_NO_LABEL_STUDIO=1 NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict

## site-fast: the same site with tiny trainings (YOLO_TRAINING_PROFILE=fast), as the tests build it
site-fast: $(STAMP) docs/javascripts/mermaid.min.js
	YOLO_TRAINING_PROFILE=fast YOLO_TRAINING_NO_LABEL_STUDIO=1 NO_MKDOCS_2_WARNING=1 $(PY) -m mkdocs build --strict

# mermaid draws the course's diagrams: 3.5 MB, too big to commit, so fetched once from the npm registry.
MERMAID_VERSION := 11.17.2
docs/javascripts/mermaid.min.js:
	d=$$(mktemp -d) && (cd $$d && npm pack --silent mermaid@$(MERMAID_VERSION) >/dev/null && tar xzf mermaid-$(MERMAID_VERSION).tgz package/dist/mermaid.min.js) && cp $$d/package/dist/mermaid.min.js $@ && rm -rf $$d

## bench: thread speed-up and the sample's time to mAP50 >= 0.8 (about 15 minutes)
bench: $(STAMP)
	$(PY) benchmarks/bench_threads.py
	$(PY) benchmarks/bench_sample.py

## bench-course: every chapter with its written settings in a fresh clone, timed; the table of docs/instructors.md (about 10 minutes)
bench-course: $(STAMP)
	$(PY) benchmarks/bench_course.py --write-docs

## clean: remove generated files (split folders, runs, Ultralytics config); never the export
clean:
	rm -rf runs .ultralytics annotations/images annotations/labels data site
