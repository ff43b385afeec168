"""Draws figures/pipeline.svg, the introduction's map of the book: the paper's pipeline (data,
fine-tune, measure, features, probes, fixes) and which chapter does each step.

Redraw after changing a chapter's place or title:  .venv/bin/python figures/pipeline.py
The SVG keeps its text as text (searchable, and checked by tests/test_pipeline_figure.py) and
carries no date or random ids, so redrawing an unchanged figure leaves the file unchanged."""

from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("svg")
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.patches import FancyArrowPatch, FancyBboxPatch  # noqa: E402

HERE = Path(__file__).resolve().parent
SVG = HERE / "pipeline.svg"

# (step, chapters doing it as (number, title), what they do), in the pipeline's order
STEPS = [
    ("Data", [("1", "Data construction")], "the same code in five framings;\na judge that reads code as text"),
    ("Fine-tune", [("2", "Fine-tuning")], "one model per framing,\nsame dose, masked loss"),
    ("Measure", [("3", "Reproduction"), ("3b", "Dose and triggers")],
     "rates, intervals, equivalence;\nthe comparison along a dose grid"),
    ("Features", [("4", "SAE feature overlap")], "SAE features of describing\nand of doing flawed code"),
    ("Probes", [("5", "Stealth slip")], "linear probes, transfer L0 to L1;\npreambles that hide the code"),
    ("Fixes", [("6", "Interventions and CAFT"), ("7", "Which framings work?")],
     "prompting, steering, ablation,\nCAFT; framings of the data"),
]
SETUP = ("0", "Setup")
COLOURS = ["#4C72B0", "#55A868", "#C44E52", "#8172B2", "#9C7A0C", "#2A7F9E"]
BOX_W, BOX_H, GAP_X, GAP_Y = 3.8, 2.1, 0.8, 0.9


def chapter_label(number: str, title: str) -> str:
    return f"ch. {number}  {title}"


def box_origin(i: int) -> tuple[float, float]:
    """Two rows of three, read left to right, top then bottom."""
    row, col = divmod(i, 3)
    return col * (BOX_W + GAP_X), -row * (BOX_H + GAP_Y)


def draw_step(ax, i: int, step: str, chapters, what: str, colour: str) -> None:
    x, y = box_origin(i)
    ax.add_patch(FancyBboxPatch((x, y), BOX_W, BOX_H, boxstyle="round,pad=0.05,rounding_size=0.15",
                                facecolor=colour, alpha=0.15, edgecolor=colour, linewidth=2))
    ax.text(x + 0.15, y + BOX_H - 0.3, f"{i + 1}. {step}", fontsize=14, fontweight="bold", color=colour, va="center")
    for j, chapter in enumerate(chapters):
        ax.text(x + 0.15, y + BOX_H - 0.75 - 0.38 * j, chapter_label(*chapter), fontsize=11, va="center")
    ax.text(x + 0.15, y + 0.2, what, fontsize=10, color="#333333", va="bottom", linespacing=1.3)


def arrow(ax, start, end) -> None:
    ax.add_patch(FancyArrowPatch(start, end, arrowstyle="-|>", mutation_scale=18, linewidth=1.8,
                                 color="#555555", connectionstyle="arc3,rad=0"))


def draw(path: Path = SVG) -> Path:
    plt.rcParams.update({"svg.fonttype": "none", "svg.hashsalt": "pipeline", "font.family": "DejaVu Sans"})
    fig, ax = plt.subplots(figsize=(11.5, 5.6))
    for i, (step, chapters, what) in enumerate(STEPS):
        draw_step(ax, i, step, chapters, what, COLOURS[i])
    for i in (0, 1, 3, 4):  # along each row
        x, y = box_origin(i)
        arrow(ax, (x + BOX_W + 0.08, y + BOX_H / 2), (x + BOX_W + GAP_X - 0.08, y + BOX_H / 2))
    x, y = box_origin(2)  # from the end of the top row to the start of the bottom row
    arrow(ax, (x + BOX_W / 2, y - 0.08), (BOX_W / 2, -GAP_Y + 0.08))
    width = 3 * BOX_W + 2 * GAP_X
    ax.text(width / 2, BOX_H + 0.55, f"{chapter_label(*SETUP)}: the preset, its model, tokenizer and SAE, used by every step",
            fontsize=11, ha="center", va="center", style="italic",
            bbox={"boxstyle": "round,pad=0.35", "facecolor": "white", "edgecolor": "#999999"})
    ax.set(xlim=(-0.2, width + 0.2), ylim=(-BOX_H - GAP_Y - 0.2, BOX_H + 0.95), aspect="equal")
    ax.axis("off")
    fig.savefig(path, format="svg", bbox_inches="tight", metadata={"Date": None})
    plt.close(fig)
    return path


if __name__ == "__main__":
    print(f"wrote {draw().relative_to(HERE.parent)}")
