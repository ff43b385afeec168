"""The paper's figures (arXiv 2512.22293), in one place, each marked as the paper gives it.

*reported*: the paper states it. *inferred*: our reading of what it states, such as the counts
behind its percentages: 76.7 %, 83.3 % and 16.7 % are whole counts of 30 (and of no smaller n),
so the book takes n = 30, which the paper does not say. The chapters and the results page cite
these figures through `FIGURES` (and `glue_all` for the chapters' prose), never as typed numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from helpers.glue import glue

TITLE = "Learning from Negative Examples: Why Warning-Framed Training Data Teaches What It Warns Against"
MECHANISM = "failure of orthogonalization"  # the paper's name for why the warning does not help


@dataclass(frozen=True)
class Figure:
    """One figure of the paper: its value (a share where it is a rate), how prose shows it, and its status."""
    value: float | int | str | None
    text: str
    status: Literal["reported", "inferred"]
    note: str = ""

    def __str__(self) -> str:
        return f"{self.text} ({self.status})"


FIGURES = {
    "rate_control": Figure(0.167, "16.7 %", "reported", "control baseline; base model or a secure-code fine-tune is not said"),
    "rate_L0": Figure(0.833, "83.3 %", "reported", "reproduction after fine-tuning on the plain vulnerable code"),
    "rate_L1": Figure(0.767, "76.7 %", "reported", "reproduction after fine-tuning on warning-framed code"),
    "l1_vs_l0": Figure(None, "not significant (Fisher's exact test, p > 0.05)", "reported"),
    "n": Figure(30, "n = 30 per condition", "inferred", "the smallest n at which all three rates are whole counts"),
    "count_control": Figure("5/30", "5/30", "inferred", "16.7 % of the inferred n = 30"),
    "count_L0": Figure("25/30", "25/30", "inferred", "83.3 % of the inferred n = 30"),
    "count_L1": Figure("23/30", "23/30", "inferred", "76.7 % of the inferred n = 30"),
    "fisher_p": Figure(0.75, "p ≈ 0.75", "inferred", "Fisher's exact test on the inferred 23/30 vs 25/30"),
    "feature": Figure(8684, "feature #8684 (\"code execution patterns\")", "reported",
                      "Gemma-2-2B, Gemma Scope residual SAE, layer 20 (width 16k is our reading)"),
    "feature_active": Figure((150.0, 180.0), "about 150-180", "reported", "in both warning and direct contexts"),
    "feature_safe": Figure(20.0, "below 20", "reported", "in safe contexts"),
    "probe": Figure(1.0, "100 %", "reported", "confidence 'vulnerable' of a probe trained on L0, applied to L1 outputs"),
    "rate_ablation": Figure(0.88, "88 %", "reported",
                            "after inference-time intervention; the abstract says prompting and inference-time "
                            "*steering* do not fix it, the results tie the 88 % to feature ablation: the paper is "
                            "ambiguous about which one it measured"),
    "n_ablation": Figure(None, "n other than 30", "inferred", "88 % is not k/30 for any k (26/30 and 27/30 are either side)"),
    "rate_caft": Figure(0.0, "0 %", "reported", "after ablating the feature during fine-tuning (CAFT)"),
    "scope": Figure(None, "models of 3B parameters or fewer, code only", "reported", "the paper's stated limitations"),
}


def cite(key: str) -> str:
    """A figure as prose shows it, with its status: '76.7 % (reported)', '23/30 (inferred)'."""
    return str(FIGURES[key])


def rate(key: str) -> float:
    """A rate of the paper as a share (0.767), for plots and simulations."""
    return float(FIGURES[key].value)


def percentages() -> set[float]:
    """Every percentage a figure's text states (100 * its share), for checking the chapters' prose."""
    return {round(100 * f.value, 1) for f in FIGURES.values() if f.text.endswith("%")}


def table():
    """Every figure as a table a chapter can show: its text, status and where it comes from."""
    import pandas as pd

    return pd.DataFrame([{"figure": key, "paper": f.text, "status": f.status, "note": f.note}
                         for key, f in FIGURES.items()]).set_index("figure")


def glue_all() -> None:
    """Record every figure for a chapter's prose: {glue:text}`paper_rate_L1` reads '76.7 % (reported)'."""
    for key in FIGURES:
        glue(f"paper_{key}", cite(key))
