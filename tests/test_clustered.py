"""Statistics at the unit of the design, on simulated data whose truth is known."""

import numpy as np
import pandas as pd
import pytest

from helpers import clustered, stats

PAPER = {"L1": 0.767, "L0": 0.833}  # the paper's rates: the true difference is -6.6 points
TRUTH = PAPER["L1"] - PAPER["L0"]
STANDARD = dict(prompts=81, seeds=3, per_prompt=4)  # chapter 3's design at `standard`
CLUSTERED = dict(sd_prompt=1.5, sd_interaction=1.0, sd_seed=0.3)  # hard and easy prompts, fine-tunes differ


def experiments(reps, design=STANDARD, effects=CLUSTERED, seed=0):
    rng = np.random.default_rng(seed)
    for _ in range(reps):
        yield clustered.simulate_tables(PAPER, **design, **effects, rng=rng).values()


def test_interval_covers_the_truth_at_the_nominal_rate_where_the_pooled_one_does_not():
    held = clustered.coverage(PAPER, **STANDARD, **CLUSTERED, reps=200)
    assert 0.90 <= held["clustered"] <= 0.99
    assert held["pooled"] < 0.80  # independent-sample intervals are far too narrow here
    independent = clustered.coverage(PAPER, **{**STANDARD, "seeds": 1}, reps=200)
    assert 0.90 <= independent["clustered"] <= 0.99 and 0.90 <= independent["pooled"] <= 0.99


def test_design_effect_is_one_for_independent_samples_and_large_for_clustered_ones():
    independent = [clustered.compare_tables(a, b)["design_effect"]
                   for a, b in experiments(100, {**STANDARD, "seeds": 1}, {})]
    assert 0.85 < np.median(independent) < 1.15
    grouped = [clustered.compare_tables(a, b)["design_effect"] for a, b in experiments(100)]
    assert np.median(grouped) > 2


def test_pairing_removes_what_both_conditions_share():
    """A prompt effect both conditions share cancels in the per-prompt difference: the paired
    variance is below the one that treats the two conditions as independent samples."""
    shared = [clustered.compare_tables(a, b)["design_effect"]
              for a, b in experiments(100, {**STANDARD, "seeds": 1}, {"sd_prompt": 2.0})]
    assert np.median(shared) < 0.9


def test_frames_give_what_tables_give_and_the_estimate_is_the_pooled_difference():
    frame = clustered.simulate(PAPER, 12, 2, 3, **CLUSTERED, rng=5)
    a, b = frame[frame.condition == "L1"], frame[frame.condition == "L0"]
    from_frames = clustered.clustered_compare(a.sample(frac=1, random_state=0), b)  # row order must not matter
    from_tables = clustered.compare_tables(*clustered.simulate_tables(PAPER, 12, 2, 3, **CLUSTERED, rng=5).values())
    numbers = [key for key, value in from_tables.items() if isinstance(value, float)]
    assert [from_frames[key] for key in numbers] == pytest.approx([from_tables[key] for key in numbers])
    assert from_frames["diff"] == pytest.approx(a.reproduced.mean() - b.reproduced.mean())
    assert from_frames["prompts"] == 12 and from_frames["seeds"] == [2, 2] and "fine-tunes" in from_frames["method"]


def test_one_seed_is_said_and_the_interval_rests_on_prompts_alone():
    frame = clustered.simulate(PAPER, 27, 1, 1, **CLUSTERED, rng=1)  # tiny at smoke: 27 prompts, 1 sample, 1 seed
    c = clustered.clustered_compare(frame[frame.condition == "L1"], frame[frame.condition == "L0"])
    assert "one seed" in c["method"] and c["df"] == 26
    assert c["ci_low"] < c["diff"] < c["ci_high"] and 0 < c["p"] <= 1


def test_a_single_rate_gets_its_clustered_interval():
    frame = clustered.simulate({"L1": 0.3}, 81, 3, 4, **CLUSTERED, rng=2)
    r = clustered.clustered_compare(frame)
    assert r["rate"] == pytest.approx(frame.reproduced.mean())
    wilson = stats.rate(int(frame.reproduced.sum()), len(frame))
    assert r["ci_low"] < wilson["ci_low"] and wilson["ci_high"] < r["ci_high"] and r["design_effect"] > 2
    rare = clustered.clustered_compare(clustered.simulate({"L1": 0.03}, 27, 1, 2, **CLUSTERED, rng=0))
    assert rare["rate"] > 0 and rare["design_effect"] is not None
    assert rare["ci_low"] == 0 and rare["rate"] - rare["se"] * 2 < 0  # a t interval would reach below 0: a rate cannot


def test_no_interval_from_one_prompt_and_the_pooled_one_where_every_sample_is_alike():
    one = clustered.simulate(PAPER, 1, 1, 5, rng=0)
    c = clustered.clustered_compare(one[one.condition == "L1"], one[one.condition == "L0"])
    assert np.isnan(c["ci_low"]) and np.isnan(c["ci_high"]) and np.isnan(c["p"])
    zeros = (np.zeros((3, 9)), np.full((3, 9), 4.0))  # nothing reproduced at all, as on tiny at smoke
    flat, newcombe = clustered.compare_tables(zeros, zeros), stats.compare(0, 108, 0, 108)
    assert (flat["diff"], flat["ci_low"], flat["ci_high"], flat["p"]) == (0, newcombe["diff_low"], newcombe["diff_high"], 1.0)
    assert flat["design_effect"] is None and "alike" in flat["method"] and flat["ci_high"] > 0.02


def test_a_sample_without_a_verdict_is_refused_not_read_as_a_failure():
    frame = clustered.simulate(PAPER, 3, 1, 2, rng=0)
    frame["reproduced"] = frame.reproduced.astype(object).where(frame.index != 0, "")
    with pytest.raises(ValueError, match="unjudged"):
        clustered.clustered_compare(frame[frame.condition == "L1"])


def test_samples_the_judge_could_not_analyse_are_left_out_as_the_pooled_rate_leaves_them():
    frame = clustered.simulate(PAPER, 9, 2, 4, **CLUSTERED, rng=4)
    frame["judged"] = frame.index % 7 != 0
    c = clustered.clustered_compare(frame[frame.condition == "L1"], frame[frame.condition == "L0"])
    kept = frame[frame.judged]
    assert c["diff"] == pytest.approx(kept[kept.condition == "L1"].reproduced.mean() - kept[kept.condition == "L0"].reproduced.mean())
    assert c["pooled_se"] ** 2 == pytest.approx(sum(r * (1 - r) / len(g) for g in (kept[kept.condition == "L1"], kept[kept.condition == "L0"])
                                                    for r in [g.reproduced.mean()]))


def test_compare_by_compares_at_every_value():
    frames = [clustered.simulate(PAPER, 9, 1, 2, rng=i).assign(epochs=e) for i, e in enumerate((0.5, 2.0))]
    table = clustered.compare_by(pd.concat(frames), "condition", "L1", "L0", "epochs")
    assert table.epochs.tolist() == [0.5, 2.0]
    for frame, row in zip(frames, table.itertuples()):
        assert row.diff == pytest.approx(clustered.clustered_compare(frame[frame.condition == "L1"],
                                                                     frame[frame.condition == "L0"])["diff"])


def test_variance_components_come_back_from_simulated_data():
    truth = {"sd_prompt": 0.5, "sd_interaction": 0.5, "sd_seed": 0.5}
    found = pd.DataFrame([clustered.logit_components(f[f.condition == "L1"], f[f.condition == "L0"])
                          for f in (clustered.simulate(PAPER, 81, 3, 4, **truth, rng=r) for r in range(8))])
    assert found.mean().to_numpy() == pytest.approx(list(truth.values()), abs=0.15)
    none = pd.DataFrame([clustered.logit_components(f[f.condition == "L1"], f[f.condition == "L0"])
                         for f in (clustered.simulate(PAPER, 81, 3, 4, rng=r) for r in range(8))])
    assert (none.mean() < 0.2).all()  # a square root of a noisy moment: small, not 0


def test_simulated_power_holds_its_level_and_grows_with_prompts():
    null = clustered.simulated_power({"L1": 0.8, "L0": 0.8}, 81, 3, 4, **CLUSTERED, reps=200)
    assert null <= 0.08
    few, many = (clustered.simulated_power(PAPER, n, 3, 4, 1.5, 1.0, 0.0, reps=100) for n in (27, 729))
    assert few < 0.45 and many > 0.9
    assert clustered.simulated_power(PAPER, 27, 3, 4, **CLUSTERED, reps=50, seed=3) == \
        clustered.simulated_power(PAPER, 27, 3, 4, **CLUSTERED, reps=50, seed=3)
