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
