import os
from contextlib import contextmanager

import pytest

# Tests never touch the network for models, and never wait on retries.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("WANDB_MODE", "disabled")
for name in ("WARNBOOK_PRESET", "WARNBOOK_BUDGET", "WARNBOOK_REHEARSAL"):
    os.environ.pop(name, None)
# Parallel test workers (pytest-xdist, `make test`) use one thread each, and so do the notebook
# kernels they start: two processes that each let torch use both cores slow each other far more
# than twice.
if os.environ.get("PYTEST_XDIST_WORKER"):
    for name in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
        os.environ[name] = "1"
    import torch

    torch.set_num_threads(1)

REAL = ["pythia-70m", "gpt2-small", "gemma-2-2b"]


@contextmanager
def rehearsing(mode: str = "1"):
    """Within the block, a real preset loads its offline stand-in (helpers.rehearsal); "full": at
    the real size."""
    os.environ["WARNBOOK_REHEARSAL"] = mode
    try:
        yield
    finally:
        os.environ.pop("WARNBOOK_REHEARSAL", None)


@pytest.fixture
def rehearsal_mode():
    with rehearsing():
        yield


# The longest tests start first, so that the two workers finish together instead of one waiting
# at the end while the other runs a long test it picked up last (longest-processing-time-first).
# Measured on 2 cores: the standard tiny model's build, the smoke book (built once, then served to
# the browser and read by the tiny notebook tests: tests/smoke_book.py), the simulated Colab
# runtime, the grading of three notebooks, then the rehearsals of the real presets' stand-ins.
LONGEST_FIRST = ["tests/test_tiny.py::test_standard_tiny", "tests/test_tiny.py::test_a_row_leaves",
                 "tests/test_browser.py", "tests/test_notebooks.py::test_notebook_runs_and_reports",
                 "tests/test_colab.py", "tests/test_grading.py",
                 "tests/test_notebooks.py::test_chapter_rehearses_on_a_real_preset"]


def pytest_collection_modifyitems(config, items):
    def rank(item):
        return next((i for i, prefix in enumerate(LONGEST_FIRST) if item.nodeid.startswith(prefix)), len(LONGEST_FIRST))

    items.sort(key=rank)  # stable: the rest keep their order
