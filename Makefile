# Two commands do all set-up on a fresh machine: `make book` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-$(shell cat requirements.lock pyproject.toml | cksum | cut -d' ' -f1)
# Extra pip arguments for torch, e.g. TORCH_PIP_ARGS="--index-url https://download.pytorch.org/whl/cpu"
TORCH_PIP_ARGS ?=
PRESET ?= tiny
BUDGET ?= standard
# Tests run in two processes (pytest-xdist), each with one torch thread (tests/conftest.py); the
# tests of one xdist_group share a worker (pytest stays below 9, where pytest-xdist 3.8 can group:
# pyproject.toml), so no worker waits on another's build. The 30 slowest tests are listed at the end.
PYTEST_WORKERS ?= -n 2 --dist loadgroup

# Nothing is downloaded from the Hugging Face hub unless you ask: `make book HF_OFFLINE=0 PRESET=gpt2-small`.
HF_OFFLINE ?= 1
export HF_HUB_OFFLINE = $(HF_OFFLINE)
export TRANSFORMERS_OFFLINE = $(HF_OFFLINE)
export WANDB_MODE = disabled
export PYTHONWARNINGS = ignore::DeprecationWarning

.PHONY: book test rehearse gpu-check colab venv student grade fork clean clean-cache chromium

venv: $(STAMP)

$(STAMP): requirements.lock pyproject.toml
	test -d $(VENV) || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q "torch==$$(sed -n 's/^torch==//p' requirements.lock)" $(TORCH_PIP_ARGS)
	$(BIN)/pip install -q -c requirements.lock -e ".[book,dev,semgrep,grade]"
	rm -f $(VENV)/.installed-*
	touch $@

# The default book goes to _build/html; another preset or budget gets its own folder (and its
# own execution cache, which does not see environment variables).
BOOK_OUT := $(if $(filter tiny-standard,$(PRESET)-$(BUDGET)),.,_build/$(PRESET)-$(BUDGET))

# jupyter-book's execution cache sees only a notebook's own cells: when the helpers change, the
# cached outputs of unchanged notebooks are stale, so that cache, sphinx's record of what it
# has read and the chapters' old metrics are dropped, and every chapter runs again.
HELPERS_SUM := $(shell cat src/helpers/*.py src/helpers/*/*.py | cksum | cut -d' ' -f1)
# Every chapter also writes its metrics here, for the results page (results.md, generated).
METRICS := $(BOOK_OUT)/_build/metrics
BOOK_ENV = WARNBOOK_PRESET=$(PRESET) WARNBOOK_BUDGET=$(BUDGET) WARNBOOK_METRICS_DIR=$(abspath $(METRICS))

book: $(STAMP)
	@if [ ! -f $(BOOK_OUT)/_build/.helpers-$(HELPERS_SUM) ]; then \
		rm -rf $(BOOK_OUT)/_build/.jupyter_cache $(BOOK_OUT)/_build/.doctrees $(BOOK_OUT)/_build/.helpers-* $(METRICS); \
		mkdir -p $(BOOK_OUT)/_build && touch $(BOOK_OUT)/_build/.helpers-$(HELPERS_SUM); fi
	@mkdir -p $(METRICS)
	$(BIN)/python -m helpers.results $(METRICS) results.md instructor_times.md
	$(BOOK_ENV) $(BIN)/jupyter-book build . --path-output $(BOOK_OUT) -W -n --keep-going
	@# The chapters have now written their metrics: a real preset's are kept in results/<preset>/<budget>/
	@# to be committed (tiny's are not), then the results page and the instructor's times are filled and rendered.
	$(BIN)/python -m helpers.results save $(METRICS)
	$(BIN)/python -m helpers.results $(METRICS) results.md instructor_times.md
	$(BOOK_ENV) $(BIN)/jupyter-book build . --path-output $(BOOK_OUT) -W -n --keep-going
	@echo "The book is in $(BOOK_OUT)/_build/html/index.html"

# The browser tests drive Debian's Chromium; as root with apt (as in CI) it is installed here.
chromium:
	@if [ ! -x /usr/bin/chromium ] && command -v apt-get >/dev/null && [ "$$(id -u)" = 0 ]; then \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; fi

test: $(STAMP) chromium
	$(BIN)/python -m pytest $(PYTEST_WORKERS) --durations=30

# Every chapter at smoke on each real preset's offline stand-in (the real architecture with random
# weights, helpers/rehearsal.py), through the production code: each executed notebook and its
# metrics.json go to _build/rehearse/<preset>/<chapter>/. `make test` runs these too. On a machine
# with a GPU they run on CUDA and record each chapter's peak GPU memory in its metrics.json.
rehearse: $(STAMP)
	$(BIN)/python -m pytest -m rehearsal $(PYTEST_WORKERS)

# On a GPU: the real sizes with random weights (WARNBOOK_REHEARSAL=full, nothing downloaded). The peak GPU
# memory of each real preset's fine-tuning step and sampling (helpers.memory, one JSON line each), then
# chapters 2, 3 and 6 at smoke on gemma-2-2b; everything goes to _build/gpu-check/.
GPU_CHAPTERS ?= 02_fine_tuning 03_reproduction 06_ablation
gpu-check: $(STAMP)
	mkdir -p _build/gpu-check
	for p in pythia-70m gpt2-small gemma-2-2b; do \
		WARNBOOK_REHEARSAL=full $(BIN)/python -m helpers.memory $$p standard >> _build/gpu-check/memory.jsonl || exit 1; done
	for c in $(GPU_CHAPTERS); do \
		WARNBOOK_REHEARSAL=full $(BIN)/python -m papermill chapters/$$c.ipynb _build/gpu-check/$$c.ipynb -k python3 \
			--cwd chapters -p PRESET gemma-2-2b -p BUDGET smoke -p OUTPUT_DIR $(CURDIR)/_build/gpu-check/$$c || exit 1; done

# The chapters' first cell and chapters 0 and 1 in a simulated Colab runtime (tests/test_colab.py).
colab: $(STAMP)
	$(BIN)/python -m pytest tests/test_colab.py

# The learner copies (nbgrader's release of each chapter: solutions stubbed) are committed in student/,
# where the Colab button opens them; run this after editing a chapter (tests/test_student.py fails until you do).
student: $(STAMP)
	$(BIN)/python -m helpers.assignments student chapters student

# Grade a class's notebooks, SUBMISSIONS/<student>/<chapter>.ipynb, with nbgrader: each chapter runs
# on PRESET at GRADE_BUDGET; the scores per student and exercise go to SCORES, the graded notebooks
# and the feedback to _build/grading/ (instructor.md, "Handing out the exercises").
GRADE_BUDGET ?= smoke
SCORES ?= scores.csv
grade: $(STAMP)
	$(BIN)/python -m helpers.assignments grade "$(SUBMISSIONS)" --out "$(SCORES)" --preset $(PRESET) --budget $(GRADE_BUDGET)

# A fork points the Colab and repository buttons, and the Colab cell of each chapter and each
# learner copy, at itself: `make fork URL=https://github.com/you/your-fork`.
fork: $(STAMP)
	$(BIN)/python -m helpers.fork "$(URL)"

clean:
	rm -rf _build

clean-cache: $(STAMP)
	$(BIN)/python -m helpers.cache clear
