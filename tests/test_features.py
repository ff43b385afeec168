"""Chapter 4's contexts, span activations, feature statistics and dashboards."""

import html

import numpy as np
import pytest
import torch

from helpers import contexts, dashboards, features
from helpers.data import WARNING
from helpers.models import load_model, load_sae
from helpers.sae import encode_spans, measure_kinds, span_residuals, span_tokens


@pytest.fixture(scope="module")
def built():
    return contexts.build_contexts(per_family=2, seed=0)


@pytest.fixture(scope="module")
def tiny():
    return load_model("tiny", "smoke"), load_sae("tiny", "smoke")


def test_contexts_pair_one_held_out_implementation_per_item(built):
    counts = {kind: sum(c.kind == kind for c in built) for kind in contexts.KINDS}
    assert counts == {**{kind: 18 for kind in contexts.PAIRED}, "generated": 0, "ordinary": 18}
    for item in range(18):
        kinds = {c.kind: c for c in built if c.item == item}
        assert set(kinds) == set(contexts.PAIRED) and len({c.task_id for c in kinds.values()}) == 1
        assert kinds["describing"].read.startswith(WARNING) and "def " not in kinds["describing"].read
        assert kinds["warned code"].read == kinds["doing"].text
        assert kinds["warned code"].text == kinds["describing"].text + kinds["doing"].text
        assert kinds["safe"].text != kinds["doing"].text
        assert kinds["safe"].text.split("\n")[0] == kinds["doing"].text.split("\n")[0]  # same signature
        assert "vulnerab" not in kinds["task words"].text.lower() and "DO NOT" not in kinds["task words"].text
    from helpers.tasks import tasks

    held_out = {t.task_id for t in tasks(split="eval")}
    assert {c.task_id for c in built if c.item >= 0} <= held_out
    assert contexts.build_contexts(2, seed=0) == built and contexts.build_contexts(2, seed=1) != built


def test_too_many_items_say_how_many_there_are():
    with pytest.raises(ValueError, match="at most"):
        contexts.held_out_items(per_family=10_000)


def test_span_tokens_cover_the_span(tiny, built):
    model, _ = tiny
    for c, (ids, first, end) in zip(built, span_tokens(model, built)):
        read = model.tokenizer.decode(ids[first:end])
        assert c.read.strip() in read and len(read) <= len(c.read) + 2, (c.kind, c.read, read)
        if c.span[0] == 0 and model.cfg.default_prepend_bos:
            assert first == 1 and ids[0] == model.tokenizer.bos_token_id


def test_batched_span_residuals_equal_one_text_at_a_time(tiny, built):
    model, sae = tiny
    hook = sae.cfg.metadata.hook_name
    chosen = built[:12]
    batched = span_residuals(model, hook, chosen, batch=5)
    for c, (ids, first, end), got in zip(chosen, span_tokens(model, chosen), batched):
        _, cache = model.run_with_cache(torch.tensor([ids]), names_filter=hook)
        assert got.shape == (end - first, model.cfg.d_model)
        torch.testing.assert_close(got, cache[hook][0, first:end], atol=1e-5, rtol=1e-5)


def test_pooled_features_are_the_max_of_the_encoded_span(tiny, built):
    model, sae = tiny
    residuals = span_residuals(model, sae.cfg.metadata.hook_name, built[:10])
    result = encode_spans(sae, residuals)
    assert result["pooled"].shape == (10, sae.cfg.d_sae)
    for resid, row in zip(residuals, result["pooled"]):
        np.testing.assert_allclose(row, sae.encode(resid).max(0).values.detach().numpy(), atol=1e-6)
    x = torch.cat(residuals)
    recon = sae.decode(sae.encode(x)).detach()
    want = 1 - ((x - recon) ** 2).sum() / ((x - x.mean(0)) ** 2).sum()
    assert result["explained_variance"] == pytest.approx(float(want), abs=1e-4)
    assert 0 < result["l0"] < sae.cfg.d_sae and result["n_tokens"] == len(x)


def test_measure_kinds_groups_by_kind(tiny, built):
    model, sae = tiny
    measured = measure_kinds(model, sae, built)
    assert list(measured) == ["describing", "warned code", "doing", "safe", "task words", "ordinary"]
    for kind, m in measured.items():
        assert len(m["contexts"]) == len(m["residuals"]) == len(m["pooled"]) == 18
        assert all(c.kind == kind for c in m["contexts"]) and -1 < m["explained_variance"] <= 1


def test_paired_effect_and_discovery_find_a_planted_feature():
    rng = np.random.default_rng(0)
    safe = rng.exponential(1.0, (40, 30))
    doing = safe + rng.normal(0, 0.3, (40, 30))
    doing[:, 7] += 2.0     # a strong, consistent effect
    doing[:, 3] += 5.0 * (rng.random(40) < 0.05)  # big but rare: d_z small
    doing[:, 11] = 0.0     # never fires on doing: excluded by MIN_ACTIVE
    safe[:, 11] = 0.0
    d = features.paired_effect(doing, safe)
    assert d.shape == (30,) and d.argmax() == 7 and d[11] == 0
    diff = doing[:, 7] - safe[:, 7]
    assert d[7] == pytest.approx(diff.mean() / diff.std(ddof=1))
    assert features.discover(doing, safe, 3)[0] == 7 and 11 not in features.discover(doing, safe, 29)
    low, high = features.bootstrap_ci(features.paired_effect, doing[:, 7], safe[:, 7], resamples=500)
    assert low < d[7] < high


def test_split_items_share_no_task():
    task_ids = [f"t{i % 9}" for i in range(36)]
    a, b = features.split_items(task_ids, seed=0)
    assert sorted(np.concatenate([a, b])) == list(range(36))
    assert not {task_ids[i] for i in a} & {task_ids[i] for i in b}
    assert 12 <= len(a) <= 24


def test_overlap_measures():
    assert features.jaccard({1, 2, 3}, {2, 3, 4}) == 0.5 and features.jaccard(set(), set()) == 0.0
    assert features.cosine(np.array([1.0, 0.0]), np.array([1.0, 1.0])) == pytest.approx(2 ** -0.5)
    pooled = {"a": np.array([[3.0, 2.0, 0.0, 1.0]]), "b": np.array([[0.0, 2.0, 3.0, 1.0]])}
    row = features.set_overlap(pooled, [("a", "b")], k=2)[0]
    assert row["jaccard"] == pytest.approx(1 / 3) and row["cosine"] == pytest.approx(5 / 14)


def test_effect_correlation_sees_shared_effects_and_not_unshared_ones():
    rng = np.random.default_rng(1)
    n, d = 30, 200
    shared = rng.normal(0, 1, d)
    safe, words = rng.exponential(1, (n, d)), rng.exponential(1, (n, d))
    doing = safe + shared + rng.normal(0, 1, (n, d))
    describing = words + 0.5 * shared + rng.normal(0, 1, (n, d))
    pooled = {"doing": doing, "safe": safe, "describing": describing, "task words": words}
    rows = np.arange(n)
    with_shared = features.effect_correlation(pooled, rows, permutations=200)
    assert with_shared["spearman"] > 0.5 and with_shared["p"] < 0.01
    assert with_shared["null_low"] < 0 < with_shared["null_high"] < 0.3
    pooled["describing"] = words + rng.normal(0, 1, (n, d))
    without = features.effect_correlation(pooled, rows, permutations=200)
    assert abs(without["spearman"]) < 0.2 and without["p"] > 0.01


def test_compare_8684_against_the_paper():
    row = {"describing": 30.0, "warned code": 160.0, "doing": 170.0, "safe": 12.0}
    out = features.compare_8684(row)
    assert out["doing_in_paper_range"] and out["warned_in_paper_range"] and out["safe_below_paper_bound"]
    assert not features.compare_8684({**row, "safe": 25.0})["safe_below_paper_bound"]


def test_dashboards_shade_the_peak_token(tiny, built):
    model, sae = tiny
    measured = measure_kinds(model, sae, built[:25])
    feature = int(np.argmax(measured["doing"]["pooled"].mean(0)))
    acts = {k: dashboards.token_activations(sae, m["residuals"], [feature]) for k, m in measured.items()}
    pieces = {k: dashboards.span_pieces(model, m["contexts"]) for k, m in measured.items()}
    assert all(len(p) == len(a) for k in acts for p, a in zip(pieces[k], acts[k]))
    rows = dashboards.snippet_rows(measured, pieces, [feature], acts, per_kind=2)
    assert len(rows) == 2 * len(measured)
    best = rows.sort_values("activation").iloc[-1]
    assert best.activation == pytest.approx(float(max(m["pooled"][:, feature].max() for m in measured.values())), abs=1e-5)
    assert "rgba(214,39,40,1.00)" in best.html and html.escape(best.peak_token) in best.html
    assert "<h4>feature" in dashboards.dashboard_html(rows, feature, "a label")
    assert dashboards.peak_tokens(rows, feature)[0][1] >= 1
