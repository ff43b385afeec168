"""Offline rehearsals of the real presets: same architecture, d_model, hook name and SAE width,
random weights, fewer layers (and, for the biggest, narrower MLP and fewer heads).

The real weights cannot be downloaded here, so the tests drive these stand-ins through the
code that the real presets use after loading: hooks, SAE splicing, sampling, fine-tuning.
"""

from __future__ import annotations

from pathlib import Path

import torch
from sae_lens import SAE, StandardSAEConfig
from transformer_lens import HookedTransformer, HookedTransformerConfig

from helpers.presets import Preset, get_preset

MAX_PARAMS = 120e6  # keep a rehearsal model under ~0.5 GB of float32 weights


def rehearsal_config(preset: Preset, d_vocab: int) -> HookedTransformerConfig:
    """The preset's architecture with just enough layers to have its SAE hook."""
    arch = dict(preset.arch, n_layers=preset.layer + 1, d_vocab=d_vocab, n_ctx=min(preset.arch["n_ctx"], 512))
    if "attn_types" in arch:
        arch["attn_types"] = arch["attn_types"][: arch["n_layers"]]
    per_layer = 4 * arch["d_model"] * arch["n_heads"] * arch["d_head"] + 3 * arch["d_model"] * arch["d_mlp"]
    if per_layer * arch["n_layers"] > MAX_PARAMS:
        arch.update(d_mlp=256, n_heads=1)
        if "n_key_value_heads" in arch:
            arch["n_key_value_heads"] = 1
    return HookedTransformerConfig(**arch, device="cpu", seed=0)


def rehearsal_model(name: str, tokenizer) -> HookedTransformer:
    """A randomly initialised HookedTransformer shaped like preset `name`, with `tokenizer`."""
    preset = get_preset(name)
    torch.manual_seed(0)
    return HookedTransformer(rehearsal_config(preset, len(tokenizer)), tokenizer=tokenizer).eval()


def rehearsal_sae(name: str) -> SAE:
    """A random sae-lens SAE with the preset's width, reading the preset's hook."""
    preset = get_preset(name)
    cfg = StandardSAEConfig(d_in=preset.d_model, d_sae=preset.d_sae)
    cfg.metadata.hook_name = preset.hook_name
    cfg.metadata.model_name = preset.model_name
    torch.manual_seed(0)
    sae = SAE.from_dict(cfg.to_dict())
    return sae


def small_tokenizer(folder: Path):
    """A byte-level BPE trained in a fraction of a second, for rehearsals that need to decode."""
    from helpers.tiny import train_tokenizer

    texts = ['def add(a, b):\n    """Add."""\n    return a + b\n'] * 20
    return train_tokenizer(texts, folder)
