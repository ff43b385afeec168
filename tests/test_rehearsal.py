"""Offline rehearsals of the real presets, driven through the code paths the real ones use."""

import numpy as np
import pytest
import torch

from helpers.corpus import heldout_tokens
from helpers.generate import sample, sample_ids
from helpers.models import sae_spliced
from helpers.presets import PRESETS
from helpers.rehearsal import rehearsal_model, rehearsal_sae, small_tokenizer
from helpers.sae import sae_quality

REAL = ["pythia-70m", "gpt2-small", "gemma-2-2b"]


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory):
    return small_tokenizer(tmp_path_factory.mktemp("tok"))


@pytest.fixture(scope="module", params=REAL)
def rehearsal(request, tokenizer):
    return request.param, rehearsal_model(request.param, tokenizer), rehearsal_sae(request.param)


def test_shapes_and_hook_names_match_the_real_preset(rehearsal):
    name, model, sae = rehearsal
    preset = PRESETS[name]
    assert model.cfg.d_model == preset.d_model
    assert preset.hook_name in model.hook_dict
    assert (sae.cfg.d_in, sae.cfg.d_sae) == (preset.d_model, preset.d_sae)
    assert sae.cfg.metadata.hook_name == preset.hook_name
    for key in ("act_fn", "normalization_type", "positional_embedding_type"):
        assert getattr(model.cfg, key) == preset.arch[key]


def test_cache_only_the_sae_hook_and_encode(rehearsal, tokenizer):
    name, model, sae = rehearsal
    tokens = heldout_tokens(tokenizer, n_rows=2, seq_len=16)
    _, cache = model.run_with_cache(tokens, names_filter=PRESETS[name].hook_name)
    assert list(cache.keys()) == [PRESETS[name].hook_name]
    acts = cache[PRESETS[name].hook_name]
    assert acts.shape == (2, 16, PRESETS[name].d_model)
    assert sae.encode(acts).shape == (2, 16, PRESETS[name].d_sae)


def test_forward_with_the_sae_spliced_in(rehearsal, tokenizer):
    name, model, sae = rehearsal
    tokens = heldout_tokens(tokenizer, n_rows=2, seq_len=16)
    clean = model(tokens, return_type="loss").item()
    with sae_spliced(model, sae):
        spliced = model(tokens, return_type="loss").item()
    assert torch.isfinite(torch.tensor([clean, spliced])).all() and spliced != clean
    assert model(tokens, return_type="loss").item() == pytest.approx(clean)  # hook removed
    quality = sae_quality(model, sae, tokens)
    assert quality["n_tokens"] == 32 and 0 <= quality["dead_fraction"] <= 1


def test_sampling_runs_batched(rehearsal):
    name, model, _ = rehearsal
    if name == "gemma-2-2b":
        pytest.skip("21 random layers: sampling adds nothing the smaller rehearsals do not cover")
    out = sample(model, ["def add", "def"], n_per_prompt=2, max_new_tokens=4)
    assert [len(c) for c in out] == [2, 2] and all(isinstance(c, str) for cs in out for c in cs)


@pytest.mark.parametrize("name", ["pythia-70m", "gpt2-small"])
def test_left_padding_changes_nothing(name, tokenizer):
    """Batched sampling pads prompts on the left; greedy output must equal the unpadded one."""
    model = rehearsal_model(name, tokenizer)
    prompts = ["def add(a, b):", "def"]
    batched = model.generate(prompts, max_new_tokens=5, do_sample=False, padding_side="left",
                             verbose=False, return_type="tokens")
    for row, prompt in zip(batched, prompts):
        alone = model.generate(prompt, max_new_tokens=5, do_sample=False, verbose=False, return_type="tokens")[0]
        assert row[-len(alone):].tolist() == alone.tolist()


@pytest.mark.parametrize("name", ["pythia-70m", "gpt2-small"])
def test_sampling_loop_matches_transformer_lens_generate(name, tokenizer):
    """Our loop (rows leave when their function is over) must pick exactly the tokens that
    TransformerLens's generate picks, greedy, on left-padded prompts of different lengths."""
    model = rehearsal_model(name, tokenizer)
    prompts = ["def add(a, b):\n    return", "def", "import os\ndef read(path):"]
    ours = sample_ids(model, prompts, max_new_tokens=12, temperature=0.0, check_every=1)
    for ids, prompt in zip(ours, prompts):
        alone = model.generate(prompt, max_new_tokens=12, do_sample=False, verbose=False, return_type="tokens")[0]
        new = alone[len(model.to_tokens(prompt)[0]):].tolist()
        assert 0 < len(ids) <= 12 and new[:len(ids)] == ids


def test_span_features_match_a_direct_encode(rehearsal):
    """Chapter 4's path on each real preset's shapes; on gemma-2-2b, the paper's feature 8684 by id."""
    from dataclasses import replace

    from helpers.contexts import build_contexts
    from helpers.features import compare_8684, profile
    from helpers.presets import GEMMA_FEATURE
    from helpers.sae import measure_kinds, span_tokens

    name, model, sae = rehearsal
    # the paired kinds of 3 items, each read on its first 60 characters: random weights and a
    # byte-level toy tokenizer make every character a token, and long rows cost minutes here
    built = [replace(c, text=c.text[:c.span[0] + 60], span=(c.span[0], min(c.span[1], c.span[0] + 60)))
             for c in build_contexts(per_family=1) if 0 <= c.item < 3]
    measured = measure_kinds(model, sae, built)
    assert set(measured) == {"describing", "warned code", "doing", "safe", "task words"}
    assert measured["doing"]["pooled"].shape == (3, PRESETS[name].d_sae)
    feature = GEMMA_FEATURE if name == "gemma-2-2b" else 0
    doing = measured["doing"]["contexts"][1]
    (ids, first, end), = span_tokens(model, [doing])
    _, cache = model.run_with_cache(torch.tensor([ids]), names_filter=sae.cfg.metadata.hook_name)
    direct = sae.encode(cache[sae.cfg.metadata.hook_name][0, first:end])[:, feature].max().item()
    assert measured["doing"]["pooled"][1, feature] == pytest.approx(direct, abs=1e-4)
    pooled = {kind: m["pooled"] for kind, m in measured.items()}
    row = profile(pooled, feature, np.arange(3), resamples=50)
    assert row["doing"] == pytest.approx(float(pooled["doing"][:, feature].mean()))
    assert all(np.isfinite(row[kind]) for kind in ("describing", "warned code", "doing", "safe"))
    if name == "gemma-2-2b":
        comparison = compare_8684(row)
        assert comparison["paper_warning_and_direct"] == [150.0, 180.0] and comparison["doing"] == row["doing"]


def test_probe_activations_at_several_hooks(rehearsal):
    """Chapter 5 reads the SAE's hook and every block's output in one pass, on each real preset's shapes."""
    from helpers.contexts import Context
    from helpers.probes import activations
    from helpers.sae import span_residuals

    name, model, _ = rehearsal
    hooks = [PRESETS[name].hook_name, f"blocks.{model.cfg.n_layers - 1}.hook_resid_post"]
    texts = ["Sure!\ndef f(x):\n    return eval(x)\n", "def g(y):\n    return int(y)\n"]
    contexts = [Context("generated", -1, "code_injection", "t", t, (t.index("def"), len(t))) for t in texts]
    acts = activations(model, hooks, contexts)
    assert all(a.shape == (2, PRESETS[name].d_model) and np.isfinite(a).all() for a in acts.values())
    alone = span_residuals(model, hooks[0], contexts[:1])[0].mean(0).numpy()
    np.testing.assert_allclose(acts[hooks[0]][0], alone, atol=1e-4, rtol=1e-4)


def test_one_caft_step_with_the_hook_on_and_none_at_evaluation(rehearsal, tokenizer, tmp_path):
    """CAFT on each real preset's shapes: the projection is on during a training step (it removes
    Q's span there), the step changes the weights, and no hook is left for evaluation."""
    import copy

    from helpers import training
    from helpers.interventions import orthonormal, projection_hook

    name, original, sae = rehearsal
    model = copy.deepcopy(original)
    hook = PRESETS[name].hook_name
    q = orthonormal(sae.W_dec[:2].detach())
    ablate, seen = projection_hook(q), []

    def counted(act, hook):
        out = ablate(act, hook)
        seen.append(float((out.float() @ q).abs().max()))
        return out

    tokens = heldout_tokens(tokenizer, n_rows=2, seq_len=16)
    before = [p.detach().clone() for p in model.parameters() if p.requires_grad]
    training.train(model, lambda step: (tokens, None), steps=1, lr_at=lambda step: 1e-3, folder=tmp_path,
                   desc="caft", hooks=[(hook, counted)])
    assert len(seen) == 1 and seen[0] < 1e-3
    assert any(not torch.equal(a, b) for a, b in zip(before, [p for p in model.parameters() if p.requires_grad]))
    assert not model.hook_dict[hook].fwd_hooks
    model(tokens)
    assert len(seen) == 1
