"""The results page: every chapter's metrics.json gathered into one table beside the paper's numbers.

One column per preset: this build's own numbers, or the ones a `make book` on a GPU committed to
results/<preset>/<budget>/, or a line saying how to get them. The instructor page's time table is
generated here too, so that measured times replace the estimates as soon as they are committed.

Usage (what `make book` runs, before and after executing the chapters):
  python -m helpers.results METRICS_DIR OUT.md [INSTRUCTOR_TIMES.md]   write the page(s)
  python -m helpers.results save METRICS_DIR      keep a real preset's metrics in results/ to commit
"""

from __future__ import annotations

import json
import re
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path

from helpers import paper
from helpers.presets import PRESETS

RESULTS_DIR = Path("results")  # committed metrics of the real presets, relative to the book's root
BUDGET_ORDER = ("standard", "paper", "smoke")  # which committed budget a column shows, best first


def _rate(c: dict) -> str:
    return f"{c['rate']:.1%} [{c['ci_low']:.1%}, {c['ci_high']:.1%}], {c['k']}/{c['n']}"


def _row(rows: list[dict], name: str, key: str = "intervention") -> dict:
    for r in rows:
        if r[key] == name:
            return r
    raise KeyError(f"{key} {name!r}")


def _clustered(c: dict) -> str:
    """A difference at the unit of the design (prompts and fine-tunes), as chapter 3 measures it."""
    effect = "not estimable" if c["design_effect"] is None else f"{c['design_effect']:.1f}"
    return (f"{c['diff']:+.1%} [{c['ci_low']:+.1%}, {c['ci_high']:+.1%}], p = {c['p']:.2g} "
            f"(clustered by prompt and fine-tune; design effect {effect}); "
            f"equivalent within 10 points: {'yes' if c['equivalent_within_margin'] else 'not shown'}")


def _ch3b(m: dict) -> str:
    gaps = m["l1_vs_l0"]
    significant = sum(r["fisher_p"] < 0.05 for r in gaps)
    return (f"L1 − L0 significant at {significant} of {len(gaps)} doses; "
            f"equivalent within 10 points (TOST) at {sum(r['tost_p'] < 0.05 for r in gaps)}")


def _ch7_rates(m: dict) -> str:
    return "; ".join(f"{name} {row['without']:.1%} [{row['without_low']:.1%}, {row['without_high']:.1%}]"
                     for name, row in m["arms"].items() if name not in ("L0", "L1"))


def _ch7_difference(row: dict, name: str) -> str:
    """One of chapter 7's differences, clustered by prompt and fine-tune as chapter 3's."""
    return (f"{row[name]:+.1%} [{row[name + '_low']:+.1%}, {row[name + '_high']:+.1%}], "
            f"p = {row[name + '_p']:.2g} (clustered by prompt and fine-tune)")


def _paper_rate(condition: str) -> str:
    return f"{paper.cite('rate_' + condition)}, {paper.cite('count_' + condition)}"


_FEATURE = paper.FIGURES["feature_active"].text, paper.FIGURES["feature_safe"].text
# (what, the paper's figure (helpers.paper: reported or inferred), chapter, how to read this build's
# figure from that chapter's metrics)
ROWS = [
    ("reproduction rate, control", _paper_rate("control"), "03_reproduction", lambda m: _rate(m["conditions"]["control"])),
    ("reproduction rate, L0 (plain vulnerable code)", _paper_rate("L0"), "03_reproduction", lambda m: _rate(m["conditions"]["L0"])),
    ("reproduction rate, L1 (warning-framed)", _paper_rate("L1"), "03_reproduction", lambda m: _rate(m["conditions"]["L1"])),
    ("L1 − L0", f"{paper.cite('l1_vs_l0')}, {paper.cite('fisher_p')}", "03_reproduction",
     lambda m: _clustered(m["l1_vs_l0_clustered"])),
    ("n per condition for 80 % power", paper.cite("n"), "03_reproduction", lambda m: str(m["n_for_power"])),
    ("the gap along the dose", "(one dose)", "03b_dose_and_triggers", _ch3b),
    ("feature 8684: warning / direct / safe", f"{_FEATURE[0]} / {_FEATURE[0]} / {_FEATURE[1]} (reported)", "04_sae_overlap",
     lambda m: "not this preset (gemma-2-2b only)" if not m["feature_8684"] else
     f"{m['feature_8684']['warned code']:.0f} / {m['feature_8684']['doing']:.0f} / {m['feature_8684']['safe']:.0f}"),
    ("describing vs doing, effect-size correlation", "overlapping features (reported)", "04_sae_overlap",
     lambda m: f"Spearman {m['effect_correlation']['spearman']:.2f} (null 95 % up to {m['effect_correlation']['null_high']:.2f})"),
    ("L0 probe flags L1's vulnerable code", f"{paper.FIGURES['probe'].text} confidence (reported)", "05_stealth_slip",
     lambda m: f"{m['detection_L1']:.1%} flagged; held-out AUROC {m['probe']['auroc']:.2f}"),
    ("stealth slip (preamble hides the code)", "the probe misses it entirely (reported)", "05_stealth_slip",
     lambda m: f"detection {-m['slip_drop']:+.1%} with a preamble; "
               f"{'reproduced (' + m['slip_kind'] + ')' if m['slip_reproduced'] else 'not reproduced'}"),
    ("prompting for secure code", "does not fix it (reported)", "06_ablation",
     lambda m: ", ".join(f"{r['rate']:.1%}" for r in m["interventions"] if r["intervention"].startswith("prompt"))),
    ("inference-time feature ablation", f"{paper.cite('rate_ablation')} (ablation or steering: the paper is ambiguous), {paper.cite('n_ablation')}", "06_ablation",
     lambda m: _rate(_row(m["interventions"], "ablate SAE"))),
    ("training-time ablation (CAFT)", paper.cite("rate_caft"), "06_ablation", lambda m: _rate(_row(m["interventions"], "CAFT SAE"))),
    ("other framings, rate without their frame", "not tested (L1 only)", "07_framings", _ch7_rates),
    ("inoculation: rate with its frame minus without", "not tested (L1 only)", "07_framings",
     lambda m: _ch7_difference(m["arms"]["inoculation"], "conditional")),
    ("local negation − L1, without a frame", "not tested (L1 only)", "07_framings",
     lambda m: _ch7_difference(m["arms"]["local"], "vs_L1")),
]


# What the instructor page says each chapter takes where no time is committed: for tiny, measured by
# hand on a 2-core CPU from a fresh clone; for the real presets, estimates (no GPU was available).
# They scale the measured work (steps, samples, forward passes) by model size and typical throughput.
# Each time leads with the chapter's own work done the first time (what a fresh Colab runtime pays,
# earlier chapters' artifacts aside): chapter_time reads that first figure.
CHAPTERS = {"00_setup": "0 Setup", "01_data_construction": "1 Data construction", "02_fine_tuning": "2 Fine-tuning",
            "03_reproduction": "3 Reproduction", "03b_dose_and_triggers": "3b Dose and triggers",
            "04_sae_overlap": "4 SAE overlap", "05_stealth_slip": "5 Stealth slip", "06_ablation": "6 Interventions and CAFT",
            "07_framings": "7 Which framings work?"}
WRITTEN_TIMES = {  # preset: (hardware, how the times were obtained, one time per chapter in CHAPTERS' order)
    "tiny": ("CPU", "measured", ("3.6 min first run (the tiny model and its SAE), 25 s cached", "9 s", "3.0 min",
                                 "55 s", "9.7 min first run, 1 min cached", "32 s", "40 s", "4.1 min",
                                 "2.8 min first run (43 min on a busy shared machine)")),
    "pythia-70m": ("T4", "estimate", ("1 min", "30 s", "5 min", "5 min", "20 min", "2 min", "3 min", "15 min",
                                      "12 min")),
    "gpt2-small": ("T4", "estimate", ("2 min", "30 s", "10 min", "10 min", "40 min", "3 min", "5 min", "30 min",
                                      "20 min")),
    "gemma-2-2b": ("A100 80 GB", "estimate", ("5 min (download: 5 GB)", "1 min", "45 min", "40 min", "3 h",
                                             "10 min", "20 min", "3 h", "1.5 h")),
}


def load(metrics_dir: Path) -> dict[str, dict]:
    """Every chapter's metrics in `metrics_dir`, by chapter name."""
    return {p.stem: json.loads(p.read_text()) for p in sorted(Path(metrics_dir).glob("*.json"))}


def command(preset: str) -> str:
    """The command that measures `preset`: tiny runs offline, the real presets need the hub."""
    return "make book" if PRESETS[preset].trained_here else f"make book PRESET={preset} HF_OFFLINE=0"


def duration(seconds: float) -> str:
    """Seconds as a person plans with them (the instructor page's units)."""
    if seconds < 90:
        return f"{seconds:.0f} s"
    return f"{seconds / 60:.1f} min" if seconds < 5400 else f"{seconds / 3600:.1f} h"


class MissingFigure(LookupError):
    """A chapter of this build lacks a figure the results page names."""


@dataclass
class Column:
    """One preset's figures and where they came from ("this build", a committed folder, or nowhere yet)."""
    preset: str
    metrics: dict[str, dict]
    origin: str = ""

    def fact(self, key: str) -> str:
        """A fact every chapter records (device, budget), joined if the chapters disagree."""
        return " / ".join(sorted({str(m.get(key, f"{key} not recorded")) for m in self.metrics.values()}))

    def header(self) -> str:
        return f"{self.preset} ({self.fact('device')}, {self.fact('budget')})" if self.metrics else self.preset

    def source(self) -> str:
        """The line that says where the column's numbers come from, or how to measure them."""
        if not self.metrics:
            return f"- **{self.preset}**: not run yet: `{command(self.preset)}`"
        return (f"- **{self.preset}**: {self.origin}, on {self.fact('device')}, "
                f"budget `{self.fact('budget')}`, seed {self.fact('seed')}")

    def cell(self, chapter: str, what: str, read) -> str:
        """`read` applied to a chapter's metrics, or why there is no number. A chapter this build
        ran must hold every figure the page names: one it lacks fails the build (MissingFigure),
        where a placeholder would hide that the chapter stopped recording it. An older committed
        run may predate a figure, and a chapter not run in this build has none to show."""
        if not self.metrics:
            return "not run yet"
        if chapter not in self.metrics:
            return "not measured in this build" if self.origin == "this build" else "not measured in that run"
        try:
            return read(self.metrics[chapter])
        except (KeyError, IndexError, TypeError) as missing:
            if self.origin == "this build":
                raise MissingFigure(f"{chapter} ran in this build but its metrics lack the figure "
                                    f"{what!r} of the results page ({type(missing).__name__}: {missing})") from missing
            return "not measured in that run"


def committed(results_dir: Path, preset: str, budgets) -> Column:
    """The committed results of `preset` at the first of `budgets` that has any (an empty column if none)."""
    for budget in dict.fromkeys(budgets):
        if metrics := load(Path(results_dir) / preset / budget):
            return Column(preset, metrics, f"committed in `results/{preset}/{budget}/`")
    return Column(preset, {})


def columns(build: dict[str, dict], results_dir: Path = RESULTS_DIR) -> list[Column]:
    """One column per preset: this build's own numbers win, then committed ones at this build's budget."""
    budget = next((m["budget"] for m in build.values()), "standard")
    out = []
    for preset in PRESETS:
        mine = {chapter: m for chapter, m in build.items() if m["preset"] == preset}
        out.append(Column(preset, mine, "this build") if mine else committed(results_dir, preset, (budget, *BUDGET_ORDER)))
    return out


def _table(head: list[str], rows: list[list[str]]) -> list[str]:
    return ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)] + ["| " + " | ".join(r) + " |" for r in rows]


def page(metrics: dict[str, dict], results_dir: Path = RESULTS_DIR) -> str:
    """The results page as MyST markdown: `metrics` are this build's, the other presets' are committed."""
    cols = columns(metrics, results_dir)
    runs = {(m["preset"], m["budget"], m["seed"]) for m in metrics.values()}
    source = ", ".join(f"preset `{p}`, budget `{b}`, seed {s}" for p, b, s in sorted(runs)) or "no chapter yet"
    lines = ["# Results", "",
             f"One column per preset. This build's numbers were measured by executing its chapters ({source}); "
             "the other presets' come from a `make book` on a GPU, committed to `results/`. Each row links to "
             "the chapter that measured it. Brackets hold 95 % intervals. The paper's figures say whether the paper "
             "states them (reported) or we read them from what it states (inferred): it gives rates, not counts, "
             "and the counts of 30 are the smallest that fit its rates.", ""]
    lines += [c.source() for c in cols] + [""]
    lines += _table(["what", "paper", *(c.header() for c in cols), "chapter"],
                    [[what, paper, *(c.cell(chapter, what, read) for c in cols), f"[{chapter}](chapters/{chapter}.ipynb)"]
                     for what, paper, chapter, read in ROWS])
    chapters = sorted(set(CHAPTERS).union(*(c.metrics for c in cols)))
    lines += ["", "## Time per chapter", ""]
    lines += _table(["chapter", *(c.header() for c in cols)],
                    [[chapter, *(c.cell(chapter, "time", lambda m: duration(m["seconds"])) for c in cols)] for chapter in chapters])
    return "\n".join(lines) + "\n"


@dataclass(frozen=True)
class ChapterTime:
    """How long a chapter takes on a preset, and what that figure rests on."""
    text: str        # as the instructor page shows it
    seconds: float   # the first figure of `text`: the chapter's work the first time
    hardware: str    # what it was measured on, or what the estimate assumes
    how: str         # "measured" or "estimate"
    budget: str      # the budget the figure is for
    committed: bool  # from results/ (a GPU build), not from WRITTEN_TIMES

    def describe(self, budget: str = "standard") -> str:
        """'about 10 min (estimate for a T4)', naming the figure's budget when it is not `budget`."""
        article = "an" if self.hardware[:1].upper() in "AEIOU" else "a"
        basis = "measured on" if self.how == "measured" else f"{self.how} for"
        other = f", at budget {self.budget}" if self.budget != budget else ""
        return f"about {self.text} ({basis} {article} {self.hardware}{other})"

    @classmethod
    def total(cls, times: list["ChapterTime"]) -> "ChapterTime":
        """Several chapters one after the other: an estimate as soon as one of them is."""
        if len(times) == 1:
            return times[0]
        seconds = sum(t.seconds for t in times)
        return cls(duration(seconds), seconds, " / ".join(dict.fromkeys(t.hardware for t in times)),
                   "measured" if all(t.how == "measured" for t in times) else "estimate",
                   " / ".join(dict.fromkeys(t.budget for t in times)), all(t.committed for t in times))


def first_seconds(text: str) -> float:
    """The first duration in a written time: "9.7 min first run, 1 min cached" -> 582.0."""
    found = re.match(r"([\d.]+) (s|min|h)\b", text)
    if not found:
        raise ValueError(f"a written time must start with a duration such as '5 min': {text!r}")
    return float(found[1]) * {"s": 1, "min": 60, "h": 3600}[found[2]]


def checkout_results() -> Path:
    """results/ of the checkout the helpers are imported from (a chapter runs in chapters/, not at the
    book's root); where the helpers were installed from a wheel (Colab) there is none, and results/
    under the working folder is tried."""
    mine = Path(__file__).resolve().parents[2] / RESULTS_DIR
    return mine if mine.is_dir() else RESULTS_DIR


def chapter_time(preset: str, chapter: str, budget: str = "standard", results_dir: Path | None = None) -> ChapterTime:
    """What `chapter` takes on `preset`: a committed measurement at `budget`, else at `standard` (the
    instructor page's), else the written figure (for `standard`)."""
    results_dir = checkout_results() if results_dir is None else Path(results_dir)
    for b in dict.fromkeys((budget, "standard")):
        if m := committed(results_dir, preset, (b,)).metrics.get(chapter):
            return ChapterTime(duration(m["seconds"]), m["seconds"], m.get("device", "GPU"), "measured", b, True)
    hardware, how, written = WRITTEN_TIMES[preset]
    text = written[list(CHAPTERS).index(chapter)]
    return ChapterTime(text, first_seconds(text), hardware, how, "standard", False)


def instructor_times(results_dir: Path = RESULTS_DIR) -> str:
    """The instructor page's time per chapter: committed `standard` times where they exist (the book's
    budget, so comparable with the estimates), else what WRITTEN_TIMES says, marked as such."""
    head, cells = ["chapter"], []
    for preset, (hardware, how, _) in WRITTEN_TIMES.items():
        col = committed(results_dir, preset, ("standard",))
        head.append(f"{preset}, {col.fact('device')} (measured)" if col.metrics else f"{preset}, {hardware} ({how})")
        times = [chapter_time(preset, ch, "standard", results_dir) for ch in CHAPTERS]
        cells.append([t.text + (f" ({t.how})" if col.metrics and not t.committed else "") for t in times])
    return "\n".join(_table(head, [[label, *row] for label, row in zip(CHAPTERS.values(), zip(*cells))])) + "\n"


def save(metrics_dir: Path, results_dir: Path = RESULTS_DIR) -> list[Path]:
    """Copy a real preset's chapter metrics to results/<preset>/<budget>/, where they can be committed
    (a GPU run is too costly to lose with _build). tiny's are rebuilt by every `make book`, and a
    rehearsal's (random weights) are no results: neither is copied."""
    from helpers.presets import get_preset

    saved = []
    for chapter, m in load(metrics_dir).items():
        if not get_preset(m["preset"]).trained_here and not m.get("rehearsal"):
            dest = Path(results_dir) / m["preset"] / m["budget"] / f"{chapter}.json"
            dest.parent.mkdir(parents=True, exist_ok=True)
            saved.append(Path(shutil.copyfile(Path(metrics_dir) / f"{chapter}.json", dest)))
    return saved


def main(argv: list[str]) -> None:
    if argv[0] == "save":
        saved = save(Path(argv[1]))
        print(f"{len(saved)} chapters' metrics kept for committing: {sorted({str(p.parent) for p in saved}) or 'none (tiny)'}")
        return
    metrics_dir, out = Path(argv[0]), Path(argv[1])
    metrics = load(metrics_dir)
    out.write_text(page(metrics))
    print(f"{out}: results of {len(metrics)} chapters from {metrics_dir} and committed results in {RESULTS_DIR}/")
    if len(argv) > 2:
        Path(argv[2]).write_text(instructor_times())
        print(f"{argv[2]}: the instructor page's time per chapter")


if __name__ == "__main__":
    main(sys.argv[1:])
