"""The memory estimator counts parameters exactly and keeps each preset within its GPU."""

import pytest

from helpers.memory import finetune_memory_gb, n_params
from helpers.presets import PRESETS
from helpers import rehearsal


@pytest.mark.parametrize("name", ["pythia-70m", "gpt2-small", "gemma-2-2b"])
def test_parameter_count_matches_a_real_hooked_transformer(name):
    from transformer_lens import HookedTransformer

    cfg = rehearsal.config(rehearsal.stand_in(PRESETS[name]), 512)
    model = HookedTransformer(cfg)
    arch = {k: getattr(cfg, k) for k in ("d_model", "n_layers", "d_vocab", "n_heads", "d_head", "d_mlp", "n_ctx",
                                         "n_key_value_heads", "gated_mlp", "normalization_type",
                                         "positional_embedding_type", "use_normalization_before_and_after")}
    assert n_params(arch)["total"] == sum(p.numel() for p in model.parameters())


def test_known_sizes():
    assert 2.5e9 < n_params(PRESETS["gemma-2-2b"].arch)["total"] < 3.3e9   # 2.6 B, W_U untied in TL
    assert 1.2e8 < n_params(PRESETS["gpt2-small"].arch)["total"] < 1.7e8


def test_each_preset_fits_the_gpu_it_declares():
    for name, preset in PRESETS.items():
        estimate = finetune_memory_gb(name)
        assert estimate["total"] <= max(preset.gpu_gb_finetune, 0.5), name
    assert finetune_memory_gb("gpt2-small")["total"] < 15        # a free Colab T4
    assert finetune_memory_gb("gemma-2-2b")["total"] < 40        # a 40 GB A100
    assert finetune_memory_gb("gemma-2-2b", batch=8)["total"] > finetune_memory_gb("gemma-2-2b")["total"]


def test_each_real_preset_declares_at_least_what_it_was_measured_to_need():
    """The peaks `memory.measure` found on a GPU at the real sizes (gpu_memory.json), plus the CUDA
    context, fit what each preset declares: the figures `auto` and the loading checks go by."""
    from helpers.memory import CONTEXT_GB, measured_gb

    measured = measured_gb()
    assert set(measured["presets"]) == {"pythia-70m", "gpt2-small", "gemma-2-2b"} and measured["device"]
    for name, peak in measured["presets"].items():
        preset = PRESETS[name]
        assert peak["finetune_gb"] + CONTEXT_GB <= preset.gpu_gb_finetune, name
        assert peak["sampling_gb"] + CONTEXT_GB <= preset.gpu_gb_inference, name
        assert peak["dtype"] == f"torch.{preset.dtype}" and peak["completions"] > 0, name


def test_the_memory_table_shows_the_measured_peaks_beside_the_estimate():
    from helpers.memory import memory_table

    table = memory_table()
    [finetune] = [c for c in table.columns if c.startswith("measured finetune")]
    assert "H200" in finetune and table.loc["gemma-2-2b", finetune] > 30
    # chapter 2 says so: gemma-2-2b's step took more than the estimate, and less than its 40 GB plan
    assert table.loc["gemma-2-2b", "total"] < table.loc["gemma-2-2b", finetune] < 40
