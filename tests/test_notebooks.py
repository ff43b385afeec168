"""Execute every notebook of the book with papermill at the smoke budget and check its figures.

"No exception" is not success: each chapter's metrics.json must hold values in range.
"""

import json
import time
from pathlib import Path

import papermill
import pytest

from helpers import tiny
from test_notebook_lint import ROOT, toc_files

SMOKE_SECONDS = 120  # every chapter must stay well under two minutes at smoke


def check_00_setup(m):
    assert m["parse"]["n"] >= 32 and m["parse"]["rate"] >= 0.5
    assert m["parse"]["ci_low"] <= m["parse"]["rate"] <= m["parse"]["ci_high"]
    assert 0.5 <= m["sae_explained_variance"] <= 1.0
    assert 1 <= m["sae_l0"] <= 200 and 0 <= m["sae_dead_fraction"] < 0.9
    assert m["sae_loss_spliced"] >= m["sae_loss_clean"] - 0.05
    assert m["model_params"] > 1e5 and m["d_model"] == 128
    assert m["pretrain"]["val_loss"] < 1.5


CHECKS = {"00_setup": check_00_setup}
NOTEBOOKS = [ROOT / f"{f}.ipynb" for f in toc_files() if f.startswith("chapters/")]


@pytest.fixture(scope="session", autouse=True)
def tiny_artifacts():
    """Build the smoke-budget tiny model and SAE once, so chapter timings exclude them."""
    tiny.load_tiny_sae("smoke", 0)


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_and_reports(path, tmp_path):
    assert path.stem in CHECKS, f"add a check of {path.stem}'s metrics.json"
    out = tmp_path / "out"
    t0 = time.time()
    papermill.execute_notebook(str(path), str(tmp_path / path.name), kernel_name="python3",
                               cwd=str(path.parent), progress_bar=False,
                               parameters={"PRESET": "tiny", "BUDGET": "smoke", "SEED": 0, "OUTPUT_DIR": str(out)})
    seconds = time.time() - t0
    metrics = json.loads((out / "metrics.json").read_text())
    assert (metrics["preset"], metrics["budget"], metrics["seed"]) == ("tiny", "smoke", 0)
    assert 0 < metrics["seconds"] < SMOKE_SECONDS and seconds < SMOKE_SECONDS, f"{seconds:.0f} s"
    CHECKS[path.stem](metrics)
