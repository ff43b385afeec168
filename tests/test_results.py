"""The results page and the instructor page are built from, and checked against, the chapters."""

import json
import re

from helpers import checks, results
from helpers.run import start
from test_notebook_lint import ROOT


def test_every_chapter_copies_its_metrics_for_the_results_page(tmp_path, monkeypatch):
    monkeypatch.setenv("WARNBOOK_METRICS_DIR", str(tmp_path / "metrics"))
    run = start("tiny", "smoke", 0, str(tmp_path / "out"), chapter="03_reproduction")
    run.finish(conditions={c: {"n": 10, "k": k, "rate": k / 10, "ci_low": 0.0, "ci_high": 1.0}
                           for c, k in (("control", 1), ("L0", 8), ("L1", 7))})
    copied = json.loads((tmp_path / "metrics" / "03_reproduction.json").read_text())
    assert copied == json.loads((tmp_path / "out" / "metrics.json").read_text()) and copied["preset"] == "tiny"
    page = results.page(results.load(tmp_path / "metrics"))
    assert "preset `tiny`, budget `smoke`, seed 0" in page
    assert "| reproduction rate, L0 (plain vulnerable code) | 83.3 % (25/30) | 80.0% [0.0%, 100.0%], 8/10 |" in page
    assert page.count("not measured in this build") == len(results.ROWS) - 3  # only 3 rows have data
    assert "| 03_reproduction | tiny | smoke |" in page


def test_results_page_reads_every_figure_it_names():
    chapters = {chapter for _, _, chapter, _ in results.ROWS}
    notebooks = {p.stem for p in (ROOT / "chapters").glob("*.ipynb")}
    assert chapters <= notebooks and len(results.ROWS) >= 12


def test_instructor_page_lists_every_exercise():
    text = (ROOT / "instructor.md").read_text()
    names = [n.removeprefix("check_") for n in dir(checks) if n.startswith("check_")]
    missing = [n for n in names if f"`{n}`" not in text]
    assert names and not missing, missing
    assert re.search(r"\*\*estimate\*\*", text) and "measured" in text
