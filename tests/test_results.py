"""The results page and the instructor page are built from, and checked against, the chapters."""

import json
import os
import re

import pytest

from helpers import checks, results
from helpers.run import start
from test_notebook_lint import ROOT


def _conditions(n: int, ks: dict) -> dict:
    """Chapter 3's rates: k of n reproduced per condition, with a 95 % interval of ± 10 points."""
    return {c: {"n": n, "k": k, "rate": k / n, "ci_low": k / n - 0.1, "ci_high": k / n + 0.1} for c, k in ks.items()}


def _reproduction(n: int = 10, ks: dict | None = None) -> dict:
    """Every figure the results page reads from chapter 3 (what its run.finish records)."""
    ks = ks or {"control": 1, "L0": 8, "L1": 7}
    return {"conditions": _conditions(n, ks), "fisher_p_L1_vs_L0": 1.0, "tost_p": 0.4, "n_for_power": 480,
            "diff_L1_vs_L0": {"diff": (ks["L1"] - ks["L0"]) / n, "diff_low": -0.3, "diff_high": 0.2},
            "l1_vs_l0_clustered": {"diff": (ks["L1"] - ks["L0"]) / n, "ci_low": -0.45, "ci_high": 0.25, "p": 0.61,
                                   "design_effect": 2.5, "equivalent_within_margin": False}}


def test_every_chapter_copies_its_metrics_for_the_results_page(tmp_path, monkeypatch):
    monkeypatch.setenv("WARNBOOK_METRICS_DIR", str(tmp_path / "metrics"))
    run = start("tiny", "smoke", 0, str(tmp_path / "out"), chapter="03_reproduction")
    run.finish(**_reproduction())
    copied = json.loads((tmp_path / "metrics" / "03_reproduction.json").read_text())
    assert copied == json.loads((tmp_path / "out" / "metrics.json").read_text()) and copied["preset"] == "tiny"
    page = results.page(results.load(tmp_path / "metrics"), tmp_path / "results")
    assert "preset `tiny`, budget `smoke`, seed 0" in page and f"**tiny**: this build, on {copied['device']}" in page
    assert "| reproduction rate, L0 (plain vulnerable code) | 83.3 % (reported), 25/30 (inferred) | 80.0% [70.0%, 90.0%], 8/10 |" in page
    assert ("| L1 − L0 | not significant (Fisher's exact test, p > 0.05) (reported), p ≈ 0.75 (inferred) | -10.0% [-45.0%, +25.0%], p = 0.61 (clustered by prompt and "
            "fine-tune; design effect 2.5); equivalent within 10 points: not shown |") in page  # not the pooled interval
    figures, times = page.split("## Time per chapter")
    assert figures.count("not measured in this build") == len(results.ROWS) - 5  # chapter 3's 5 rows have data
    assert times.count("not measured in this build") == len(results.CHAPTERS) - 1
    assert f"| 03_reproduction | {results.duration(copied['seconds'])} | not run yet | not run yet | not run yet |" in times
    assert copied["device"] == "cpu (%d cores)" % os.cpu_count() or copied["device"].startswith(("NVIDIA", "Tesla"))


def _commit_gpt2_small(results_dir, seconds):
    """What `make book PRESET=gpt2-small HF_OFFLINE=0` on an A100 leaves in results/ (via `save`)."""
    tmp = results_dir.parent / "gpu-metrics"  # the GPU build's _build/.../metrics
    tmp.mkdir()
    for chapter, s in seconds.items():
        # an older run: chapter 3 recorded its rates only
        figures = {"conditions": _conditions(30, {"control": 4, "L0": 24, "L1": 22})} if chapter == "03_reproduction" else {}
        (tmp / f"{chapter}.json").write_text(json.dumps({"preset": "gpt2-small", "budget": "standard", "seed": 0,
                                                          "seconds": s, "device": "NVIDIA A100-SXM4-40GB", **figures}))
    (tmp / "00_setup_tiny.json").write_text(json.dumps({"preset": "tiny", "budget": "standard", "seed": 0, "seconds": 1}))
    (tmp / "01_rehearsed.json").write_text(json.dumps({"preset": "gemma-2-2b", "budget": "smoke", "seed": 0,
                                                       "seconds": 1, "rehearsal": True}))  # random weights
    return results.save(tmp, results_dir)


def test_committed_gpu_results_get_a_column_and_replace_the_estimates(tmp_path):
    saved = _commit_gpt2_small(tmp_path / "results", {"02_fine_tuning": 750.0, "03_reproduction": 42.0, "06_ablation": 9000.0})
    assert sorted(p.relative_to(tmp_path).as_posix() for p in saved) == [  # tiny's and a rehearsal's metrics are not kept
        f"results/gpt2-small/standard/{c}.json" for c in ("02_fine_tuning", "03_reproduction", "06_ablation")]
    build = {"03_reproduction": {"preset": "tiny", "budget": "standard", "seed": 0, "seconds": 55.0, "device": "cpu (2 cores)",
                                 **_reproduction()}}
    page = results.page(build, tmp_path / "results")
    assert "- **gpt2-small**: committed in `results/gpt2-small/standard/`, on NVIDIA A100-SXM4-40GB, budget `standard`, seed 0" in page
    assert ("| what | paper | tiny (cpu (2 cores), standard) | pythia-70m | gpt2-small (NVIDIA A100-SXM4-40GB, standard) "
            "| gemma-2-2b | chapter |") in page
    assert ("| reproduction rate, L0 (plain vulnerable code) | 83.3 % (reported), 25/30 (inferred) | 80.0% [70.0%, 90.0%], 8/10 | not run yet "
            "| 80.0% [70.0%, 90.0%], 24/30 | not run yet |") in page
    assert "| reproduction rate, control | 16.7 % (reported), 5/30 (inferred) | 10.0% [0.0%, 20.0%], 1/10 | not run yet | 13.3% [3.3%, 23.3%], 4/30 |" in page
    assert "| n per condition for 80 % power | n = 30 per condition (inferred) | 480 | not run yet | not measured in that run | not run yet |" in page
    assert "| inference-time feature ablation | 88 % (reported) (ablation or steering: the paper is ambiguous), n other than 30 (inferred) | not measured in this build | not run yet | not measured in that run |" in page
    for preset in ("pythia-70m", "gemma-2-2b"):
        assert f"- **{preset}**: not run yet: `make book PRESET={preset} HF_OFFLINE=0`" in page
    assert "| 02_fine_tuning | not measured in this build | not run yet | 12.5 min | not run yet |" in page
    assert "| 03_reproduction | 55 s | not run yet | 42 s | not run yet |" in page
    assert "| 06_ablation | not measured in this build | not run yet | 2.5 h | not run yet |" in page

    times = results.instructor_times(tmp_path / "results")
    assert times.splitlines()[0] == ("| chapter | tiny, CPU (measured) | pythia-70m, T4 (estimate) "
                                     "| gpt2-small, NVIDIA A100-SXM4-40GB (measured) | gemma-2-2b, A100 80 GB (estimate) |")
    assert "| 2 Fine-tuning | 3.0 min | 5 min | 12.5 min | 45 min |" in times      # measured replaces the 10 min estimate
    assert "| 3 Reproduction | 55 s | 5 min | 42 s | 40 min |" in times
    assert "| 6 Interventions and CAFT | 4.1 min | 15 min | 2.5 h | 3 h |" in times
    assert "| 4 SAE overlap | 32 s | 2 min | 3 min (estimate) | 10 min |" in times  # not committed: still the estimate


def test_make_book_writes_the_pages_and_keeps_a_real_presets_metrics(tmp_path, monkeypatch):
    _commit_gpt2_small(tmp_path / "results", {"02_fine_tuning": 750.0})
    monkeypatch.chdir(tmp_path)  # results/ is read relative to the book's root, where make runs
    results.main(["gpu-metrics", "results.md", "instructor_times.md"])
    assert "| 2 Fine-tuning | 3.0 min | 5 min | 12.5 min | 45 min |" in (tmp_path / "instructor_times.md").read_text()
    assert "gpt2-small (NVIDIA A100-SXM4-40GB, standard)" in (tmp_path / "results.md").read_text()
    makefile = (ROOT / "Makefile").read_text()
    book = makefile[makefile.index("\nbook:"):makefile.index("\n\n", makefile.index("\nbook:"))]
    assert "helpers.results save $(METRICS)" in book and book.count("results.md instructor_times.md") == 2
    assert "instructor_times.md" in (ROOT / ".gitignore").read_text().split()


def test_results_page_reads_every_figure_it_names():
    chapters = {chapter for _, _, chapter, _ in results.ROWS}
    notebooks = {p.stem for p in (ROOT / "chapters").glob("*.ipynb")}
    assert chapters <= notebooks and len(results.ROWS) >= 12


def test_instructor_page_lists_every_exercise():
    text = (ROOT / "instructor.md").read_text()
    names = list(checks.EXERCISES)
    missing = [n for n in names if f"`{n}`" not in text]
    assert names and not missing, missing
    assert re.search(r"\*\*estimate\*\*", text) and "measured" in text
    assert "```{include} instructor_times.md" in text  # the times table is generated (helpers.results)


def _this_build(chapter: str, preset: str = "tiny", **figures) -> dict:
    """This build's metrics of one chapter, as run.finish writes them."""
    return {chapter: {"preset": preset, "budget": "standard", "seed": 0, "seconds": 60.0, "device": "cpu (2 cores)", **figures}}


@pytest.mark.parametrize("chapter, figures, what, missing", [
    ("03_reproduction", {k: v for k, v in _reproduction().items() if k != "n_for_power"},
     "n per condition for 80 % power", "KeyError: 'n_for_power'"),
    ("06_ablation", {"interventions": [{"intervention": "ablate SAE", "n": 10, "k": 9, "rate": 0.9, "ci_low": 0.6, "ci_high": 1.0}]},
     "training-time ablation (CAFT)", "KeyError: \"intervention 'CAFT SAE'\""),
])
def test_a_figure_missing_from_this_build_fails_the_page(tmp_path, chapter, figures, what, missing):
    """A chapter this build ran but whose metrics lack a figure the page names fails `make book`,
    naming the chapter and the figure, rather than printing a placeholder nobody reads."""
    with pytest.raises(results.MissingFigure, match=re.escape(f"{chapter} ran in this build but its metrics lack "
                                                              f"the figure {what!r} of the results page ({missing})")):
        results.page(_this_build(chapter, **figures), tmp_path / "results")
    timeless = _this_build("03_reproduction", **_reproduction())
    del timeless["03_reproduction"]["seconds"]
    with pytest.raises(results.MissingFigure, match=re.escape("03_reproduction ran in this build but its metrics lack the figure 'time'")):
        results.page(timeless, tmp_path / "results")


def test_feature_8684_is_not_a_missing_figure_on_other_presets(tmp_path):
    """Chapter 4 records feature_8684 as None where the preset has no such feature: the row says so."""
    figures = {"effect_correlation": {"spearman": 0.61, "null_high": 0.2}}
    tiny = results.page(_this_build("04_sae_overlap", feature_8684=None, **figures), tmp_path / "results")
    assert ("| feature 8684: warning / direct / safe | about 150-180 / about 150-180 / below 20 (reported) | not this preset (gemma-2-2b only) "
            "| not run yet |") in tiny
    assert "| describing vs doing, effect-size correlation | overlapping features (reported) | Spearman 0.61 (null 95 % up to 0.20) |" in tiny
    measured = {"warned code": 164.6, "doing": 171.2, "safe": 12.3}
    gemma = results.page(_this_build("04_sae_overlap", "gemma-2-2b", feature_8684=measured, **figures), tmp_path / "results")
    assert "| about 150-180 / about 150-180 / below 20 (reported) | not run yet | not run yet | not run yet | 165 / 171 / 12 |" in gemma
