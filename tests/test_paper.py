"""The paper's figures (helpers.paper) and the chapters' prose that cites them.

A percentage typed into a chapter's markdown is either the paper's (one of helpers.paper's figures),
a level the book chose (a 95 % interval), or glued from the run: anything else is a measured number
that another preset, budget or seed would change, and the page would then say something false.
"""

import re
from fractions import Fraction

import nbformat
import pytest
from scipy.stats import fisher_exact
from test_notebook_lint import NOTEBOOKS

from helpers import dose_sweep, features, paper

GLUED = re.compile(r"\{glue(?::\w+)?\}`[^`]*`")
PERCENT = re.compile(r"(?<![\w.,])(\d+(?:\.\d+)?)(?:\s|\u00a0)?%")
# Percentages the book chooses, not measures: typed in, they cannot go stale with the run.
CHOSEN = {95.0: "the level of every interval", 90.0: "the interval of two one-sided tests (TOST) at 5 %",
          5.0: "the significance level", 80.0: "the power a design is sized for",
          round(100 * dose_sweep.PLATEAU, 1): "chapter 3b's plateau rule",
          round(100 * features.MIN_ACTIVE, 1): "chapter 4's discovery rule (fires on at least this share)"}
# Cells of chapters being edited by their owners, flagged by this test: (chapter, cell) -> why it is
# allowed for now. Empty: every chapter passes.
KNOWN = {}


def test_figures_are_marked_and_formatted():
    assert paper.cite("rate_L1") == "76.7 % (reported)" and paper.cite("count_L1") == "23/30 (inferred)"
    assert {f.status for f in paper.FIGURES.values()} == {"reported", "inferred"}
    assert paper.rate("rate_L0") == 0.833 and paper.percentages() >= {16.7, 83.3, 76.7, 88.0, 0.0, 100.0}


def test_the_inferred_counts_follow_from_the_reported_rates():
    n = paper.FIGURES["n"].value
    smallest = next(m for m in range(1, 200) if all(
        any(round(100 * k / m, 1) == round(100 * paper.rate(c), 1) for k in range(m + 1)) for c in ("rate_control", "rate_L0", "rate_L1")))
    assert n == smallest == 30
    for condition in ("control", "L0", "L1"):
        count = Fraction(paper.FIGURES[f"count_{condition}"].value)
        assert count.denominator <= n and round(float(count), 3) == paper.rate(f"rate_{condition}")
    k1, k0 = (Fraction(paper.FIGURES[f"count_{c}"].value) * n for c in ("L1", "L0"))
    p = fisher_exact([[int(k1), n - int(k1)], [int(k0), n - int(k0)]]).pvalue
    assert p > 0.05 and p == pytest.approx(paper.FIGURES["fisher_p"].value, abs=0.005)


def test_the_ablation_rate_is_not_a_count_of_30():
    assert not [k for k in range(31) if round(100 * k / 30, 1) == 100 * paper.rate("rate_ablation")]
    assert paper.FIGURES["n_ablation"].status == "inferred"


def typed_percentages(text: str) -> list[float]:
    """The percentages a markdown text states outside glued values."""
    return [float(m.group(1)) for m in PERCENT.finditer(GLUED.sub("", text))]


def test_typed_percentages_are_found():
    text = "L1 reached 27 % and 99%, the paper 76.7 %; {glue:text}`rate:.1%` and {glue:text}`k` % are glued"
    assert typed_percentages(text) == [27.0, 99.0, 76.7]


def stray(path) -> list[tuple[int, float]]:
    allowed = paper.percentages() | set(CHOSEN)
    cells = nbformat.read(path, as_version=4).cells
    return [(i, value) for i, cell in enumerate(cells) if cell.cell_type == "markdown"
            for value in typed_percentages(cell.source) if value not in allowed]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_prose_states_no_measured_percentage(path):
    found = [(i, value) for i, value in stray(path) if (path.stem, i) not in KNOWN]
    assert not found, (f"{path.stem}: markdown cells state percentages that are neither the paper's "
                       f"(helpers.paper) nor glued from the run: (cell, value) {found}")
