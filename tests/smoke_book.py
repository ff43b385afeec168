"""The book built at the smoke budget (`make book BUDGET=smoke`), once per test run.

Two kinds of tests read it: the browser tests serve its website, and the notebook tests check the
metrics each chapter wrote while the book executed it, so no chapter runs twice on tiny. Both are
in one xdist group (`SMOKE_BOOK`), so the worker that builds it is the one that waits for it.
"""

import fcntl
import json
import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "_build" / "tiny-smoke" / "_build"
SMOKE_BOOK = pytest.mark.xdist_group("smoke-book")


def build_once() -> tuple[int, str]:
    """`make book BUDGET=smoke` once per test run; its exit status and the end of its output.
    The smoke tiny models are built first, so the chapters' times exclude them."""
    from helpers import tiny

    (ROOT / "_build").mkdir(exist_ok=True)
    done = ROOT / "_build" / f".smoke-book-{os.environ.get('PYTEST_XDIST_TESTRUNUID', os.getpid())}.json"
    with open(ROOT / "_build" / ".smoke-book.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            tiny.load_tiny_sae("smoke", 0)
            tiny.model_folder("smoke", 0, "warned")
            built = subprocess.run(["make", "book", "BUDGET=smoke"], cwd=ROOT, capture_output=True, text=True)
            done.write_text(json.dumps([built.returncode, (built.stdout + built.stderr)[-8000:]]))
    returncode, output = json.loads(done.read_text())
    return returncode, output


def chapter_metrics(chapter: str) -> dict:
    """The metrics `chapter` wrote during the smoke build. A chapter that failed there (myst-nb
    keeps a report of each failed notebook) or wrote none fails with that report or the build's
    output: after a failed build, an older run's metrics are never read as this one's."""
    returncode, output = build_once()
    path = OUT / "metrics" / f"{chapter}.json"
    reports = sorted((OUT / "html" / "reports").rglob(f"{chapter}*.log")) if returncode else []
    if reports or not path.exists():
        detail = reports[0].read_text()[-6000:] if reports else output
        pytest.fail(f"{chapter} failed in `make book BUDGET=smoke` (exit {returncode}):\n{detail}")
    return json.loads(path.read_text())
