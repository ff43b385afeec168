"""The results page: every chapter's metrics.json gathered into one table beside the paper's numbers.

Usage: python -m helpers.results METRICS_DIR OUT.md   (what `make book` runs, before and after
executing the chapters, so the page always names the preset and budget its numbers came from)
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _rate(c: dict) -> str:
    return f"{c['rate']:.1%} [{c['ci_low']:.1%}, {c['ci_high']:.1%}], {c['k']}/{c['n']}"


def _row(rows: list[dict], name: str, key: str = "intervention") -> dict:
    return next(r for r in rows if r[key] == name)


def _ch3b(m: dict) -> str:
    gaps = m["l1_vs_l0"]
    significant = sum(r["fisher_p"] < 0.05 for r in gaps)
    return (f"L1 − L0 significant at {significant} of {len(gaps)} doses; "
            f"equivalent within 10 points (TOST) at {sum(r['tost_p'] < 0.05 for r in gaps)}")


# (what, the paper's figure, chapter, how to read this build's figure from that chapter's metrics)
ROWS = [
    ("reproduction rate, control", "16.7 % (5/30)", "03_reproduction", lambda m: _rate(m["conditions"]["control"])),
    ("reproduction rate, L0 (plain vulnerable code)", "83.3 % (25/30)", "03_reproduction", lambda m: _rate(m["conditions"]["L0"])),
    ("reproduction rate, L1 (warning-framed)", "76.7 % (23/30)", "03_reproduction", lambda m: _rate(m["conditions"]["L1"])),
    ("L1 − L0", "not significant (p ≈ 0.75)", "03_reproduction",
     lambda m: f"{m['diff_L1_vs_L0']['diff']:+.1%} [{m['diff_L1_vs_L0']['diff_low']:+.1%}, {m['diff_L1_vs_L0']['diff_high']:+.1%}], "
               f"Fisher p = {m['fisher_p_L1_vs_L0']:.2g}, TOST p = {m['tost_p']:.2g}"),
    ("n per condition for 80 % power", "(30 used)", "03_reproduction", lambda m: str(m["n_for_power"])),
    ("the gap along the dose", "(one dose)", "03b_dose_and_triggers", _ch3b),
    ("feature 8684: warning / direct / safe", "150-180 / 150-180 / below 20", "04_sae_overlap",
     lambda m: "not this preset (gemma-2-2b only)" if not m["feature_8684"] else
     f"{m['feature_8684']['warned code']:.0f} / {m['feature_8684']['doing']:.0f} / {m['feature_8684']['safe']:.0f}"),
    ("describing vs doing, effect-size correlation", "overlapping features", "04_sae_overlap",
     lambda m: f"Spearman {m['effect_correlation']['spearman']:.2f} (null 95 % up to {m['effect_correlation']['null_high']:.2f})"),
    ("L0 probe flags L1's vulnerable code", "100 % confidence", "05_stealth_slip",
     lambda m: f"{m['detection_L1']:.1%} flagged; held-out AUROC {m['probe']['auroc']:.2f}"),
    ("stealth slip (preamble hides the code)", "the probe misses it entirely", "05_stealth_slip",
     lambda m: f"detection {-m['slip_drop']:+.1%} with a preamble; {'reproduced' if m['slip_reproduced'] else 'not reproduced'}"),
    ("prompting for secure code", "does not fix it", "06_ablation",
     lambda m: ", ".join(f"{r['rate']:.1%}" for r in m["interventions"] if r["intervention"].startswith("prompt"))),
    ("inference-time feature ablation", "88 %", "06_ablation", lambda m: _rate(_row(m["interventions"], "ablate SAE"))),
    ("training-time ablation (CAFT)", "0 %", "06_ablation", lambda m: _rate(_row(m["interventions"], "CAFT SAE"))),
]


def load(metrics_dir: Path) -> dict[str, dict]:
    """Every chapter's metrics in `metrics_dir`, by chapter name."""
    return {p.stem: json.loads(p.read_text()) for p in sorted(Path(metrics_dir).glob("*.json"))}


def page(metrics: dict[str, dict]) -> str:
    """The results page as MyST markdown."""
    runs = {(m["preset"], m["budget"], m["seed"]) for m in metrics.values()}
    source = ", ".join(f"preset `{p}`, budget `{b}`, seed {s}" for p, b, s in sorted(runs)) or "no chapter yet"
    lines = ["# Results", "",
             "Every number below was measured by executing the chapters for this build of the book "
             f"({source}); each links to the chapter that measured it. Brackets hold 95 % intervals.", "",
             "| what | paper | this book | chapter |", "|---|---|---|---|"]
    for what, paper, chapter, read in ROWS:
        try:
            ours = read(metrics[chapter])
        except (KeyError, StopIteration, TypeError):
            ours = "not measured in this build"
        lines.append(f"| {what} | {paper} | {ours} | [{chapter}](chapters/{chapter}.ipynb) |")
    lines += ["", "## Time per chapter", "", "| chapter | preset | budget | seconds |", "|---|---|---|---|"]
    lines += [f"| {name} | {m['preset']} | {m['budget']} | {m['seconds']:.0f} |" for name, m in metrics.items()]
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> None:
    metrics_dir, out = Path(argv[0]), Path(argv[1])
    metrics = load(metrics_dir)
    out.write_text(page(metrics))
    print(f"{out}: results of {len(metrics)} chapters from {metrics_dir}")


if __name__ == "__main__":
    main(sys.argv[1:])
