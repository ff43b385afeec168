"""Chapter 5's probes: data, reading, training, evaluation and geometry."""

import numpy as np
import pandas as pd
import pytest
import torch

from helpers import data, probes
from helpers.models import load_model
from helpers.sae import span_residuals, span_residuals_at


@pytest.fixture(scope="module")
def model():
    return load_model("tiny", "smoke")


def generations(n_per=2):
    """A frame shaped like chapter 3's samples: the prompt, then a body, for a few held-out tasks."""
    rows = []
    for i, p in enumerate(data.eval_prompts()[:6]):
        for j in range(n_per):
            body = "\n    return eval(x)\n" if (i + j) % 2 else "\n    return int(x)\n"
            rows.append({"condition": "L0", "seed": 0, "family": p.family, "task_id": p.task_id, "code": p.prompt + body,
                         "vulnerable": (i + j) % 2 == 1, "parses": True, "judged": True})
    rows.append({**rows[0], "code": p.prompt + "\n    return (", "vulnerable": False, "parses": False})
    return pd.DataFrame(rows)


def test_labelled_keeps_only_code_with_a_verdict():
    frame = generations()
    kept = probes.labelled(frame)
    assert len(kept) == len(frame) - 1 and set(kept.label) == {0, 1}
    assert (kept.label == kept.vulnerable.astype(int)).all()


def test_labelled_leaves_out_code_the_judge_could_not_analyse():
    frame = generations()
    frame.loc[0, ["judged", "vulnerable"]] = [False, False]   # a crash of the judge, not "secure"
    kept = probes.labelled(frame)
    assert len(kept) == len(frame) - 2 and frame.code[0] not in set(kept.code)


def test_code_contexts_read_what_the_model_wrote(model):
    frame = probes.labelled(generations())
    prompts = {p.task_id: p.prompt for p in data.eval_prompts()}
    for preamble in ("", probes.PREAMBLES["eager"]):
        for row, c in zip(frame.itertuples(), probes.code_contexts(frame, preamble)):
            assert c.text == preamble + row.code and c.read == row.code[len(prompts[row.task_id]):]
    acts = probes.activations(model, ["blocks.0.hook_resid_post", "blocks.1.hook_resid_post"], probes.code_contexts(frame))
    assert {k: v.shape for k, v in acts.items()} == {h: (len(frame), 128) for h in acts}
    one = span_residuals(model, "blocks.1.hook_resid_post", probes.code_contexts(frame))
    np.testing.assert_allclose(acts["blocks.1.hook_resid_post"], np.stack([r.mean(0).numpy() for r in one]), atol=1e-6)


def test_residuals_of_the_last_block_equal_a_full_forward(model):
    frame = probes.labelled(generations(1))
    contexts = probes.code_contexts(frame)[:3]
    got = span_residuals_at(model, ["blocks.1.hook_resid_post"], contexts)["blocks.1.hook_resid_post"]
    from helpers.sae import span_tokens

    for (ids, first, end), r in zip(span_tokens(model, contexts), got):
        _, cache = model.run_with_cache(torch.tensor([ids]))
        torch.testing.assert_close(r, cache["blocks.1.hook_resid_post"][0, first:end], atol=1e-5, rtol=1e-5)


def test_split_holds_out_whole_tasks():
    tasks = [f"t{i % 12}" for i in range(120)]
    train, test = probes.split(tasks, probes.TEST_SHARE, seed=0)
    assert not {tasks[i] for i in train} & {tasks[i] for i in test}
    assert len({tasks[i] for i in test}) == 4 and len(train) + len(test) == 120


def planted(n=400, seed=0):
    rng = np.random.default_rng(seed)
    scales = np.geomspace(0.1, 10, 16)
    x = rng.normal(size=(n, 16)) * scales
    truth = np.zeros(16)
    truth[[2, 5]] = 1 / scales[[2, 5]]
    y = (x @ truth + rng.normal(0, 0.3, n) > 0).astype(int)
    return x, y, truth


def test_probe_quality_detection_and_direction():
    x, y, truth = planted()
    probe = probes.train_probe(x[:300], y[:300])
    q = probes.evaluate(probe, x[300:], y[300:], resamples=300)
    assert q["n"] == 100 and q["accuracy"] > 0.85 and q["auroc"] > 0.9
    assert q["accuracy_ci"][0] <= q["accuracy"] <= q["accuracy_ci"][1] and q["auroc_ci"][0] <= q["auroc"] <= q["auroc_ci"][1]
    hit = probes.detection(probe, x[300:][y[300:] == 1])
    assert hit["rate"] > 0.8 and 0.5 < hit["mean_confidence"] <= 1 and hit["k"] == round(hit["rate"] * hit["n"])
    w = probes.direction(probe)
    assert np.linalg.norm(w) == pytest.approx(1) and probes.angle(w, truth) < 25
    x0 = x[0] + (probes.boundary(probe) - x[0] @ w) * w  # moved onto the boundary along w
    assert probe.predict_proba(x0[None])[0, 1] == pytest.approx(0.5, abs=1e-6)


def test_angles_and_subspaces():
    assert probes.angle(np.array([1.0, 0]), np.array([0, 2.0])) == pytest.approx(90)
    assert probes.angle(np.array([1.0, 1.0]), np.array([3.0, 3.0])) == pytest.approx(0, abs=1e-6)
    x = np.array([[1.0, 0], [3.0, 0], [0, 1.0], [0, 5.0]])
    np.testing.assert_allclose(probes.mean_difference(x, np.array([1, 1, 0, 0])), [2.0, -3.0])
    rng = np.random.default_rng(0)
    a = rng.normal(size=(200, 6)) * [5, 4, 3, 0.01, 0.01, 0.01]
    b = rng.normal(size=(200, 6)) * [0.01, 0.01, 0.01, 5, 4, 3]
    assert np.allclose(probes.principal_angles(a, a * 2, 3), 0, atol=1e-4)
    assert probes.principal_angles(a, b, 3).min() > 85


def test_auroc_and_its_stratified_interval():
    from scipy.stats import norm
    from sklearn.metrics import roc_auc_score

    y = np.r_[np.ones(5), np.zeros(5)].astype(int)
    assert probes.auroc(y, np.arange(10)[::-1], 200) == {"auroc": 1.0, "auroc_ci": [1.0, 1.0]}
    assert probes.auroc(y, np.arange(10), 200)["auroc"] == 0.0
    assert probes.auroc(np.ones(4), np.arange(4)) == {"auroc": None, "auroc_ci": [None, None]}
    assert probes.auroc(y, np.arange(10), 0)["auroc_ci"] == [None, None]
    rng = np.random.default_rng(1)  # two normal classes one SD apart: AUROC = Phi(1 / sqrt 2) = 0.760
    y = np.r_[np.ones(1500), np.zeros(1500)].astype(int)
    scores = np.r_[rng.normal(1, 1, 1500), rng.normal(0, 1, 1500)]
    a = probes.auroc(y, scores, 1000, seed=3)
    assert a["auroc"] == pytest.approx(roc_auc_score(y, scores)) and a == probes.auroc(y, scores, 1000, seed=3)
    truth, n = norm.cdf(1 / np.sqrt(2)), 1500
    q1, q2 = truth / (2 - truth), 2 * truth ** 2 / (1 + truth)  # Hanley and McNeil's standard error
    se = np.sqrt((truth * (1 - truth) + (n - 1) * (q1 - truth ** 2) + (n - 1) * (q2 - truth ** 2)) / n ** 2)
    low, high = a["auroc_ci"]
    assert low <= a["auroc"] <= high and abs(a["auroc"] - truth) < 3 * se
    assert (high - low) == pytest.approx(2 * 1.96 * se, rel=0.15)
    tied = np.round(scores, 1)  # the bootstrap's Mann-Whitney statistic is the AUROC, ties counting one half
    rows = (np.flatnonzero(y == 1), np.flatnonzero(y == 0))
    assert probes._auc(tied)(*rows) == pytest.approx(roc_auc_score(y, tied))
    few = np.r_[np.ones(2), np.zeros(40)].astype(int)  # each class resampled on its own: always both present
    assert None not in probes.auroc(few, rng.normal(size=42), 300)["auroc_ci"]


def test_auroc_change_is_zero_for_a_shift_and_negative_for_a_scramble():
    rng = np.random.default_rng(0)
    y = np.r_[np.ones(60), np.zeros(60)].astype(int)
    before = rng.normal(2 * y, 1)
    shift = probes.auroc_change(y, before, before - 7, 300)
    assert shift == {"auroc_change": 0.0, "auroc_change_ci": [0.0, 0.0]}
    scramble = probes.auroc_change(y, before, rng.permutation(before), 300)
    assert scramble["auroc_change"] < -0.3 and scramble["auroc_change_ci"][1] < 0


def shifted_and_scrambled(shift=8.0):
    """The planted probe's test items, and the same items read as a pure shift of every score and as a
    scramble (each item takes another's activation) moved below the boundary."""
    x, y, _ = planted()
    probe = probes.train_probe(x[:300], y[:300])
    test, labels = x[300:], y[300:]
    w = probes.direction(probe)
    step = (shift / np.linalg.norm(probes._raw_weights(probe))) * w  # lowers every logit by `shift`
    scrambled = test[np.random.default_rng(0).permutation(len(test))] - step
    return probe, test, labels, {"shift": test - step, "scramble": scrambled}


def test_slip_row_pairs_items_and_tells_a_shift_from_a_scramble():
    probe, test, y, read = shifted_and_scrambled()
    none = probes.slip_row(probe, test, test, y, 200, 0, 0.95)
    assert none["discordant"] == [0, 0] and none["mcnemar_p"] == 1.0 and none["auroc_change_ci"] == [0.0, 0.0]
    for name, x in read.items():
        row = probes.slip_row(probe, test, x, y, 200, 0, 0.95)
        before, after = probes.detected(probe, test[y == 1]), probes.detected(probe, x[y == 1])
        assert row["discordant"] == [int((before & ~after).sum()), int((~before & after).sum())]
        assert row["detection"] < 0.1 < none["detection"] - 0.5 and row["mcnemar_p"] < 1e-6
        assert row["auroc_ci"][0] <= row["auroc"] <= row["auroc_ci"][1]
    assert probes.slip_row(probe, test, read["shift"], y, 200, 0, 0.95)["auroc"] == pytest.approx(none["auroc"])
    assert probes.slip_row(probe, test, read["scramble"], y, 200, 0, 0.95)["auroc_change_ci"][1] < 0


def slip_table(kinds):
    """Slip rows for preambles of the given kinds ("shift", "scramble", or none at all)."""
    probe, test, y, read = shifted_and_scrambled()
    level = probes.SLIP_RULE.level(len(kinds))
    rows = [probes.slip_row(probe, test, test, y, 200, 0, level)]
    rows += [probes.slip_row(probe, test, read[k] if k in read else test, y, 200, 0, level) for k in kinds]
    return pd.DataFrame(rows, index=["(none)", *range(len(kinds))])


def test_the_slip_rule():
    rule = probes.SLIP_RULE
    marked, verdict = rule.apply(slip_table(["shift", "shift", "scramble", "none"]))
    assert marked.hides.tolist() == [None, True, True, True, False] and marked.scrambles.iloc[3]
    assert verdict["hiding"] == 3 and verdict["reproduced"] and verdict["kind"] == "shift"
    assert rule.apply(slip_table(["scramble", "scramble", "shift", "none"]))[1]["kind"] == "rotation"
    too_few = rule.apply(slip_table(["shift", "none", "none", "none"]))[1]  # one in four hides, drop too small
    assert not too_few["reproduced"] and too_few["kind"] == "none"


def test_holm_decides_which_preambles_hide():
    """Holm's step-down: the smallest p against alpha / 3, the next against alpha / 2, then alpha; it stops
    at the first that fails. Raw p = 0.03 would pass at 0.05 alone, and fails here."""
    table = pd.DataFrame({"detection": [1.0, 0.1, 0.1, 0.1], "mcnemar_p": [1.0, 0.001, 0.03, 0.04],
                          "discordant": [[0, 0], [9, 0], [6, 0], [5, 0]],
                          "auroc_change_ci": [[0, 0], [0, 0], [0, 0], [0, 0]]})
    marked, verdict = probes.SLIP_RULE.apply(table)
    assert marked.hides.tolist() == [None, True, False, False] and verdict["hiding"] == 1
    assert marked.holm_p.iloc[1:].tolist() == pytest.approx([0.003, 0.06, 0.06])
    table["mcnemar_p"] = [1.0, 0.001, 0.02, 0.04]
    assert probes.SLIP_RULE.apply(table)[0].hides.tolist() == [None, True, True, True]
    table["discordant"] = [[0, 0], [0, 9], [6, 0], [5, 0]]  # significant, but more items won than lost
    assert probes.SLIP_RULE.apply(table)[0].hides.tolist() == [None, False, True, True]
