"""Offline rehearsals of the real presets: the stand-ins `models.load_*` return with
$WARNBOOK_REHEARSAL=1, driven through the code paths the real presets use."""

import numpy as np
import pytest
import torch
from conftest import REAL, rehearsing

from helpers import models
from helpers.corpus import heldout_tokens
from helpers.generate import sample, sample_ids
from helpers.models import sae_spliced
from helpers.presets import PRESETS
from helpers.sae import sae_quality


@pytest.fixture(scope="module", params=REAL)
def rehearsal(request):
    with rehearsing():
        model = models.load_model(request.param, "smoke")
        sae = models.load_sae(request.param, "smoke")
    return request.param, model, sae


@pytest.fixture(scope="module")
def tokenizer():
    with rehearsing():
        return models.load_tokenizer("gpt2-small")


def test_stand_ins_keep_the_real_conventions(rehearsal):
    """Special tokens, padding side, BOS, dtype and the kind of SAE are the real preset's."""
    name, model, sae = rehearsal
    preset, tok = PRESETS[name], model.tokenizer
    assert (tok.bos_token, tok.eos_token, tok.padding_side) == (preset.tokens["bos"], preset.tokens["eos"],
                                                               preset.tokens["padding_side"])
    with rehearsing():
        raw = models.load_tokenizer(name)
    assert (raw("def f")["input_ids"][0] == raw.bos_token_id) == preset.tokens["add_bos"]
    assert raw.pad_token == preset.tokens["pad"]
    assert next(model.parameters()).dtype == getattr(torch, preset.dtype)
    assert type(sae).__name__ == ("JumpReLUSAE" if name == "gemma-2-2b" else "StandardSAE")
    assert sae.cfg.d_sae == preset.d_sae and sae.cfg.metadata.prepend_bos


def test_gemma_stand_in_keeps_every_feature_of_the_architecture():
    with rehearsing():
        cfg = models.effective_preset("gemma-2-2b").arch
    real = PRESETS["gemma-2-2b"].arch
    for key in ("act_fn", "normalization_type", "positional_embedding_type", "use_local_attn", "gated_mlp",
                "attn_scores_soft_cap", "output_logits_soft_cap", "use_normalization_before_and_after", "final_rms",
                "use_attn_scale", "rotary_base", "eps"):
        assert cfg[key] == real[key], key
    assert cfg["n_key_value_heads"] < cfg["n_heads"]                     # grouped KV heads
    assert cfg["attn_types"] == real["attn_types"][: cfg["n_layers"]]   # local and global in turn
    assert cfg["window_size"] < 128 and cfg["n_layers"] > PRESETS["gemma-2-2b"].layer  # local differs; hook exists
    assert cfg["d_model"] < real["d_model"]


def test_stand_in_sizes():
    """pythia-70m is rehearsed at its real size; gpt2-small keeps its 12 blocks at reduced width;
    with WARNBOOK_REHEARSAL=full every stand-in has the real size."""
    dims = ("d_model", "n_layers", "n_heads", "d_mlp", "d_vocab")
    with rehearsing():
        pythia, gpt2 = (models.effective_preset(name).arch for name in ("pythia-70m", "gpt2-small"))
    assert all(pythia[k] == PRESETS["pythia-70m"].arch[k] for k in dims)
    assert gpt2["n_layers"] == 12 and gpt2["d_model"] < PRESETS["gpt2-small"].arch["d_model"]
    with rehearsing("full"):
        assert all(models.effective_preset(name).arch == PRESETS[name].arch for name in REAL)


def test_shapes_and_hook_names_match_the_real_preset(rehearsal):
    name, model, sae = rehearsal
    with rehearsing():
        preset = models.effective_preset(name)
    assert model.cfg.d_model == preset.d_model
    assert preset.hook_name in model.hook_dict
    assert (sae.cfg.d_in, sae.cfg.d_sae) == (preset.d_model, preset.d_sae)
    assert sae.cfg.metadata.hook_name == preset.hook_name
    for key in ("act_fn", "normalization_type", "positional_embedding_type"):
        assert getattr(model.cfg, key) == preset.arch[key]


def test_cache_only_the_sae_hook_and_encode(rehearsal):
    name, model, sae = rehearsal
    tokens = heldout_tokens(model.tokenizer, n_rows=2, seq_len=16, bos=True)
    assert (tokens[:, 0] == model.tokenizer.bos_token_id).all()  # every row starts as the SAE's did
    _, cache = model.run_with_cache(tokens, names_filter=PRESETS[name].hook_name)
    assert list(cache.keys()) == [PRESETS[name].hook_name]
    acts = cache[PRESETS[name].hook_name]
    assert acts.shape == (2, 16, model.cfg.d_model)
    assert sae.encode(acts.to(sae.W_enc.dtype)).shape == (2, 16, PRESETS[name].d_sae)


def test_forward_with_the_sae_spliced_in(rehearsal):
    name, model, sae = rehearsal
    tokens = heldout_tokens(model.tokenizer, n_rows=2, seq_len=16)
    clean = model(tokens)
    with sae_spliced(model, sae):
        spliced = model(tokens)  # logits: a bfloat16 loss is too coarse to show the change
    assert torch.isfinite(spliced.float()).all() and not torch.equal(spliced, clean)
    assert torch.equal(model(tokens), clean)  # hook removed
    quality = sae_quality(model, sae, tokens)
    assert quality["n_tokens"] == 32 and 0 <= quality["dead_fraction"] <= 1


def test_sampling_runs_batched(rehearsal):
    name, model, _ = rehearsal
    out = sample(model, ["def add", "def"], n_per_prompt=2, max_new_tokens=4)
    assert [len(c) for c in out] == [2, 2] and all(isinstance(c, str) for cs in out for c in cs)


@pytest.mark.parametrize("name", ["pythia-70m", "gpt2-small"])
def test_left_padding_changes_nothing(name):
    """Batched sampling pads prompts on the left; greedy output must equal the unpadded one."""
    with rehearsing():
        model = models.load_model(name, "smoke")
    prompts = ["def add(a, b):", "def"]
    batched = model.generate(prompts, max_new_tokens=5, do_sample=False, padding_side="left",
                             verbose=False, return_type="tokens")
    for row, prompt in zip(batched, prompts):
        alone = model.generate(prompt, max_new_tokens=5, do_sample=False, verbose=False, return_type="tokens")[0]
        assert row[-len(alone):].tolist() == alone.tolist()


@pytest.mark.parametrize("name", ["pythia-70m", "gpt2-small"])
def test_sampling_loop_matches_transformer_lens_generate(name):
    """Our loop (rows leave when their function is over) must pick exactly the tokens that
    TransformerLens's generate picks, greedy, on left-padded prompts of different lengths."""
    with rehearsing():
        model = models.load_model(name, "smoke")
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
    from helpers.sae import measure_kinds, span_tokens

    name, model, sae = rehearsal
    # the paired kinds of 3 items, each read on its first 60 characters: random weights and a
    # byte-level toy tokenizer make every character a token, and long rows cost minutes here
    built = [replace(c, text=c.text[:c.span[0] + 60], span=(c.span[0], min(c.span[1], c.span[0] + 60)))
             for c in build_contexts(per_family=1) if 0 <= c.item < 3]
    measured = measure_kinds(model, sae, built)
    assert set(measured) == {"describing", "warned code", "doing", "safe", "task words"}
    assert measured["doing"]["pooled"].shape == (3, PRESETS[name].d_sae)
    feature = PRESETS[name].paper_feature or 0
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
    assert all(a.shape == (2, model.cfg.d_model) and np.isfinite(a).all() for a in acts.values())
    alone = span_residuals(model, hooks[0], contexts[:1])[0].mean(0).numpy()
    np.testing.assert_allclose(acts[hooks[0]][0], alone, atol=1e-4, rtol=1e-4)


def test_one_caft_step_with_the_hook_on_and_none_at_evaluation(rehearsal, tmp_path):
    """CAFT on each real preset's shapes: the projection is on during a training step (it removes
    Q's span there), the step changes the weights, and no hook is left for evaluation."""
    import copy

    from helpers import training
    from helpers.interventions import orthonormal, projection_hook

    name, original, sae = rehearsal
    model = copy.deepcopy(original).to(torch.float32)  # fine-tunes train float32 weights (models.TRAIN_DTYPE)
    hook = PRESETS[name].hook_name
    q = orthonormal(sae.W_dec[:2].detach().float())
    ablate, seen = projection_hook(q), []

    def counted(act, hook):
        out = ablate(act, hook)
        seen.append(float((out.detach().float() @ q).abs().max()))
        return out

    tokens = heldout_tokens(model.tokenizer, n_rows=2, seq_len=16)
    before = [p.detach().clone() for p in model.parameters() if p.requires_grad]
    training.train(model, lambda step: (tokens, None), steps=1, lr_at=lambda step: 1e-3, folder=tmp_path,
                   desc="caft", hooks=[(hook, counted)])
    assert len(seen) == 1 and seen[0] < 1e-3
    assert any(not torch.equal(a, b) for a, b in zip(before, [p for p in model.parameters() if p.requires_grad]))
    assert not model.hook_dict[hook].fwd_hooks
    model(tokens)
    assert len(seen) == 1


def test_a_full_size_rehearsal_has_the_real_size_and_a_cache_of_its_own(monkeypatch):
    """$WARNBOOK_REHEARSAL=full (a GPU's rehearsal): the real vocabulary and widths, the real memory
    needs, and artifacts kept apart from the reduced stand-ins' (same names, other shapes)."""
    from helpers import cache, rehearsal

    monkeypatch.setenv("WARNBOOK_REHEARSAL", "1")
    reduced_root = cache.cache_root()
    assert models.effective_preset("gemma-2-2b").d_model < PRESETS["gemma-2-2b"].d_model
    monkeypatch.setenv("WARNBOOK_REHEARSAL", "full")
    assert rehearsal.active() and rehearsal.full_size()
    gemma = models.effective_preset("gemma-2-2b")
    assert gemma.arch == PRESETS["gemma-2-2b"].arch and gemma.gpu_gb_finetune == PRESETS["gemma-2-2b"].gpu_gb_finetune
    assert not gemma.needs_hub and cache.cache_root() != reduced_root
    model = models.load_model("pythia-70m", "smoke", device="cpu")
    assert model.cfg.d_vocab == PRESETS["pythia-70m"].arch["d_vocab"] > len(model.tokenizer)
    assert model.cfg.d_model == PRESETS["pythia-70m"].d_model


def test_measuring_gpu_memory_without_a_gpu_says_what_to_read_instead():
    from helpers import memory

    if torch.cuda.is_available():
        pytest.skip("this machine has a GPU")
    with pytest.raises(RuntimeError, match="finetune_memory_gb"):
        memory.measure("pythia-70m")
