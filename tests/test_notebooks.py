"""Execute every notebook of the book with papermill at the smoke budget and check its figures.

"No exception" is not success: each chapter's metrics.json must hold values in range. A rehearsal
(a real preset's stand-in, random weights) is held to the structure and consistency of its
metrics only: its rates and losses mean nothing.
"""

import json
import shutil
import time

import papermill
import pytest
from conftest import REAL

from helpers import tiny
from helpers.budgets import sizes
from helpers.presets import PRESETS
from test_notebook_lint import ROOT, toc_files

SMOKE_SECONDS = 120  # every chapter must stay well under two minutes at smoke


def model_preset(m):
    """The preset the chapter ran on: a rehearsal's stand-in, or the preset itself."""
    from helpers import rehearsal

    return rehearsal.stand_in(PRESETS[m["preset"]]) if m["rehearsal"] else PRESETS[m["preset"]]


def check_00_setup(m):
    # the smoke model trains for 45 s: it is a code-path check, so its parse rate may be low
    # (test_tiny checks the standard model's parse rate, the one the book reports)
    n = sizes(m["budget"], m["preset"])["parse_samples"]
    assert m["parse"]["n"] == n and m["parse"]["k"] == round(m["parse"]["rate"] * n)
    assert m["parse"]["ci_low"] <= m["parse"]["rate"] <= m["parse"]["ci_high"]
    assert m["model_params"] > 1e5 and m["d_model"] == model_preset(m).d_model
    assert m["disk"]["total"] > 0 and m["disk"]["n_fine_tunes"] > 0
    assert 0 <= m["sae_dead_fraction"] <= 1 and m["sae_l0"] >= 0
    if not m["rehearsal"]:
        assert 0.5 <= m["sae_explained_variance"] <= 1.0
        assert 1 <= m["sae_l0"] <= 200 and 0 <= m["sae_dead_fraction"] < 0.9
        assert m["sae_loss_spliced"] >= m["sae_loss_clean"] - 0.05
        assert m["pretrain"]["val_loss"] < 3.0  # ln(2048) = 7.6 before training


def check_01_data_construction(m):
    from helpers.data import CONDITIONS
    from helpers.families import FAMILIES

    assert set(m["counts_per_condition"]) == set(CONDITIONS)
    assert len(set(m["counts_per_condition"].values())) == 1  # same size in every condition
    assert set(m["counts"]) == set(FAMILIES)
    assert m["judge"]["precision"] >= 0.95 and m["judge"]["recall"] >= 0.95
    assert m["judge"]["holdout_precision"] >= 0.9 and m["judge"]["holdout_recall"] >= 0.9
    assert m["overlap"]["exact"] == 0 and m["overlap"]["near"] == 0
    assert 0 <= m["bandit_agreement"]["overall"] <= 1
    assert m["token_lengths"]["L3"]["mean"] > m["token_lengths"]["L1"]["mean"] > m["token_lengths"]["L0"]["mean"]


def check_02_fine_tuning(m):
    from helpers.finetune import TRAINED

    conditions = m["conditions"]
    assert set(conditions) == set(TRAINED)
    assert len({c["steps"] for c in conditions.values()}) == 1 and conditions["L0"]["steps"] == m["plan"]["steps"]
    tokens = [c["trained_tokens"] for c in conditions.values()]
    assert len(set(tokens)) == 1 and tokens[0] == m["plan"]["steps"] * m["plan"]["tokens_per_step"]
    assert all(0 < c["final_loss"] < (12 if m["rehearsal"] else 5) for c in conditions.values())
    assert all(c["changed_fraction"] >= 0.9 for c in conditions.values())  # every update landed (float32)
    assert m["memory"]["gemma-2-2b"]["total"] <= 40 and m["memory"]["gpt2-small"]["total"] <= 15


def check_03_reproduction(m):
    from helpers.finetune import CONDITIONS

    assert set(m["conditions"]) == set(CONDITIONS)
    for c in m["conditions"].values():
        assert c["n"] == m["prompts"] * m["samples_per_prompt"] * len(m["seeds"]) > 0
        assert 0 <= c["ci_low"] <= c["rate"] <= c["ci_high"] <= 1 and c["k"] == round(c["rate"] * c["n"])
    assert 0 <= m["fisher_p_L1_vs_L0"] <= 1 and 0 <= m["tost_p"] <= 1 and m["tost_margin"] == 0.1
    assert 500 <= m["n_for_power"] <= 700 and m["power_at_30"] < 0.15
    assert m["sampling"]["speedup"] > (0 if m["rehearsal"] else 1)


def check_03b_dose_and_triggers(m):
    from helpers.budgets import sweep_sizes
    from helpers.dose_sweep import PROMPTS, RUNS

    grid = [row for row in m["grid"] if row["corpus"] == "plain" and row["run"] != "base"]
    cells = {(row["run"], row["epochs"], row["prompt"]) for row in grid}
    assert len(cells) == len(grid) == len(RUNS) * len(m["grid_epochs"]) * len(PROMPTS)
    assert m["grid_epochs"] == list(sweep_sizes(m["budget"], m["preset"])["epochs"])
    steps = sorted({(row["epochs"], row["steps"]) for row in grid})
    assert len(steps) == len(m["grid_epochs"]) and [s for _, s in steps] == sorted(s for _, s in steps)
    for row in m["grid"]:
        assert 0 <= row["ci_low"] <= row["rate"] <= row["ci_high"] <= 1 and row["k"] == round(row["rate"] * row["n"])
        assert row["n"] == m["power"]["n_per_cell"]
    warned = {(row["condition"], row["prompt"]) for row in m["grid"] if row["corpus"] == "warned"}
    pretrained_here = PRESETS[m["preset"]].trained_here  # only tiny is pretrained again on a warned corpus
    assert warned == ({(c, p) for c in ("base", "L0", "L1") for p in PROMPTS} if pretrained_here else set())
    assert m["trigger_model"] == ("warned-corpus tiny" if pretrained_here else f"{m['preset']} base")
    assert m["default_dose"]["epochs"] in m["grid_epochs"] and m["plateau_dose"]["epochs"] in m["grid_epochs"]
    losses = [point["loss"] for point in m["loss_curve"]]
    assert len(losses) == len(m["grid_epochs"]) + 1 and all(0 < x < (12 if m["rehearsal"] else 10) for x in losses)
    assert len(m["l1_vs_l0"]) == len(m["grid_epochs"]) and all(0 <= r["fisher_p"] <= 1 for r in m["l1_vs_l0"])
    assert m["power"]["simulated"]["30"] < 0.2 and m["power"]["simulated"]["2000"] > 0.8


def check_04_sae_overlap(m):
    from helpers.budgets import feature_sizes
    from helpers.contexts import PAIRED

    size = feature_sizes(m["budget"], m["preset"])
    assert all(m["n_contexts"][kind] == 9 * size["per_family"] for kind in PAIRED)
    for model in ("base", "L0", "L1"):
        for kind, q in m["sae_quality"][model].items():
            assert q["explained_variance"] <= 1 and 0 <= q["l0"] <= m["d_sae"] and q["n_tokens"] > 0
            assert m["rehearsal"] or (0.3 < q["explained_variance"] and 1 <= q["l0"])
    paper = PRESETS[m["preset"]].paper_feature  # the paper's feature 8684, examined where its SAE is
    top = [row for row in m["top_features"] if row["feature"] != paper]
    assert len(top) == size["top"] and len({row["feature"] for row in top}) == size["top"]
    assert (paper in {row["feature"] for row in m["top_features"]}) == (paper is not None)
    for row in m["top_features"]:
        assert 0 <= row["feature"] < m["d_sae"]
        for kind in ("describing", "warned code", "doing", "safe", "task words"):
            low, high = row[f"{kind} ci"]
            assert 0 <= low <= row[kind] <= high
        assert row["d doing-safe ci"][0] <= row["d doing-safe"] <= row["d doing-safe ci"][1]
    d = m["discovery"]
    assert d["n_discovery"] + d["n_confirmation"] == 9 * size["per_family"] and d["mean_d_discovery"] > 0
    pairs = {row["pair"]: row for row in m["overlap"]}
    assert m["baseline"] in pairs and "describing / doing" in pairs
    assert all(0 <= row["jaccard"] <= 1 and -1 <= row["cosine"] <= 1 for row in pairs.values())
    c = m["effect_correlation"]
    assert -1 <= c["spearman"] <= 1 and c["null_low"] <= c["null_high"] and 0 < c["p"] <= 1
    if not m["rehearsal"]:
        assert pairs["doing / safe"]["jaccard"] > pairs[m["baseline"]]["jaccard"]  # same code vs unrelated kinds
        assert c["null_low"] < 0 < c["null_high"]
    assert set(m["after_finetuning"]) == {"base", "L0", "L1"} and (m["feature_8684"] is None) == (paper is None)


def check_05_stealth_slip(m):
    from helpers.probes import PREAMBLES

    assert m["n_train"] > 0 and m["n_test"] > 0 and m["n_labelled"] >= m["n_train"] + m["n_test"]
    q = m["probe"]
    assert q["n"] == m["n_test"] and q["accuracy_ci"][0] <= q["accuracy"] <= q["accuracy_ci"][1]
    assert 0 <= q["auroc"] <= 1 and (0 if m["rehearsal"] else 0.5) <= m["train_accuracy"] <= 1
    slip = {row["preamble"]: row for row in m["slip"]}
    assert set(slip) == {"(none)", *PREAMBLES} and len(PREAMBLES) >= 8
    assert len({row["n"] for row in slip.values()}) == 1  # the same code behind every preamble
    for row in slip.values():
        assert 0 <= row["ci_low"] <= row["detection"] <= row["ci_high"] <= 1 and 0 <= row["mean confidence"] <= 1
    w = m["judge_vulnerable_with_preambles"]
    assert w["n"] == sum(row["n"] for row in m["generation"][1:]) and 0 <= w["ci_low"] <= w["rate"] <= w["ci_high"] <= 1
    g = m["geometry"]
    assert 0 <= g["probe vs preamble shift"] <= 180 and all(0 <= a <= 90 for a in g["principal angles (degrees)"])
    assert len(m["layers"]) == model_preset(m).n_layers and m["best_layer"] in {row["hook"] for row in m["layers"]}
    assert set(m["recovery"]) == {"plain probe", "preamble-aware probe"}
    assert m["slip_reproduced"] == (m["slip_drop"] > 0.5 and m["slip_significant"] >= len(PREAMBLES) // 2)


def check_06_ablation(m):
    rows = {row["intervention"]: row for row in m["interventions"]}
    kinds = ["prompt: secure-comment", "prompt: checklist", "prompt: owasp", "steer 1 SD", "steer 4 SD", "steer 16 SD"]
    assert set(rows) == {"L0", "L1", "control", *kinds} | {f"{a} {d}" for a in ("ablate", "CAFT") for d in ("SAE", "PCA", "random")}
    assert len({row["n"] for row in rows.values()}) == 1 and rows["L1"]["n"] == m["conditions"]["L1"]["n"] > 0
    for row in rows.values():
        assert 0 <= row["ci_low"] <= row["rate"] <= row["ci_high"] <= 1 and row["k"] == round(row["rate"] * row["n"])
        assert 0 <= row["fisher_p_vs_L1"] <= 1 and 0 <= row["parse_rate"] <= 1 and row["safe_code_loss"] > 0
    assert rows["L1"]["diff_vs_L1"] == 0 and rows["L1"]["fisher_p_vs_L1"] == 1
    if not m["rehearsal"]:
        assert rows["steer 16 SD"]["safe_code_loss"] > rows["L1"]["safe_code_loss"]  # steering far costs ordinary code
    assert set(m["caft_training_loss"]) == {"SAE", "PCA", "random"} and len(m["features"]) == m["k"] > 0
    assert all(m["direction_overlap_degrees"][a][a] < 1e-3 for a in ("SAE", "PCA", "random"))


CHECKS = {"00_setup": check_00_setup, "01_data_construction": check_01_data_construction,
          "02_fine_tuning": check_02_fine_tuning, "03_reproduction": check_03_reproduction,
          "03b_dose_and_triggers": check_03b_dose_and_triggers, "04_sae_overlap": check_04_sae_overlap,
          "05_stealth_slip": check_05_stealth_slip, "06_ablation": check_06_ablation}
NOTEBOOKS = [ROOT / f"{f}.ipynb" for f in toc_files() if f.startswith("chapters/")]
REHEARSALS = ROOT / "_build" / "rehearse"  # `make rehearse` keeps each executed chapter here


@pytest.fixture(scope="session")
def tiny_artifacts():
    """Build the smoke-budget tiny models (plain and chapter 3b's warned corpus) and the SAE once,
    so chapter timings exclude them."""
    tiny.load_tiny_sae("smoke", 0)
    tiny.model_folder("smoke", 0, "warned")


def execute(path, preset: str, out) -> tuple[dict, float]:
    """Run a chapter with papermill at smoke on `preset`; its metrics.json and wall time."""
    t0 = time.time()
    papermill.execute_notebook(str(path), str(out / path.name), kernel_name="python3",
                               cwd=str(path.parent), progress_bar=False,
                               parameters={"PRESET": preset, "BUDGET": "smoke", "SEED": 0, "OUTPUT_DIR": str(out)})
    metrics = json.loads((out / "metrics.json").read_text())
    assert (metrics["preset"], metrics["budget"], metrics["seed"]) == (preset, "smoke", 0)
    return metrics, time.time() - t0


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_and_reports(path, tmp_path, tiny_artifacts):
    assert path.stem in CHECKS, f"add a check of {path.stem}'s metrics.json"
    metrics, seconds = execute(path, "tiny", tmp_path)
    assert not metrics["rehearsal"]
    assert 0 < metrics["seconds"] < SMOKE_SECONDS and seconds < SMOKE_SECONDS, f"{seconds:.0f} s"
    CHECKS[path.stem](metrics)


@pytest.mark.rehearsal
@pytest.mark.parametrize("preset", REAL)
@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_chapter_rehearses_on_a_real_preset(path, preset, monkeypatch):
    """The whole chapter on the preset's offline stand-in (helpers.rehearsal), through the
    production code: the structure and consistency of its metrics, never its rates."""
    out = REHEARSALS / preset / path.stem
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    monkeypatch.setenv("WARNBOOK_REHEARSAL", "1")
    metrics, seconds = execute(path, preset, out)
    assert metrics["rehearsal"] and metrics["peak_memory_gb"]["cpu_rss"] > 0
    print(f"{preset} {path.stem}: {seconds:.0f} s, peak {metrics['peak_memory_gb']}")
    CHECKS[path.stem](metrics)
