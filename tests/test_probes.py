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
                         "vulnerable": (i + j) % 2 == 1, "parses": True})
    rows.append({**rows[0], "code": p.prompt + "\n    return (", "vulnerable": False, "parses": False})
    return pd.DataFrame(rows)


def test_labelled_keeps_only_code_with_a_verdict():
    frame = generations()
    kept = probes.labelled(frame)
    assert len(kept) == len(frame) - 1 and set(kept.label) == {0, 1}
    assert (kept.label == kept.vulnerable.astype(int)).all()


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
