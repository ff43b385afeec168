"""Offline rehearsals of the real presets: with $WARNBOOK_REHEARSAL=1, `models.load_model`,
`load_sae` and `load_tokenizer` of a real preset return stand-ins built here, and every chapter
runs through the production code after loading, so a chapter that would crash on a GPU crashes
here first. Random weights give meaningless rates: a rehearsal checks that things run and fit.

- the model: the preset's real architecture (`Preset.arch`) with random weights; pythia-70m at
  full size, gpt2-small with all its blocks at a third of the width, gemma-2-2b with every
  feature kept (grouped KV heads, local and global attention, soft-capping, pre- and post-norms,
  gated MLP, bfloat16) at reduced width and depth: `Preset.stand_in` holds what is reduced;
- the tokenizer: a byte-level BPE trained on the book's corpus, with the real one's special-token
  conventions (`Preset.tokens`: BOS, EOS, padding, whether it adds BOS itself);
- the SAE: a sae-lens SAE of the real kind (JumpReLU for Gemma Scope, standard otherwise) at the
  real hook, width and the stand-in's d_model.

With $WARNBOOK_REHEARSAL=full (on a GPU) every stand-in has the real size, vocabulary included,
and the real memory needs: a check of what fits and how fast it runs, still with random weights.
"""

from __future__ import annotations

import os
import sys
from dataclasses import replace
from pathlib import Path

import torch
from sae_lens import SAE, JumpReLUSAEConfig, StandardSAEConfig
from transformer_lens import HookedTransformer, HookedTransformerConfig

from helpers.presets import Preset

REHEARSAL_ENV = "WARNBOOK_REHEARSAL"
VOCAB_SIZE = 4096  # the corpus saturates a byte-level BPE well below this
_TOKENIZERS: dict[str, object] = {}


def active() -> bool:
    """True when $WARNBOOK_REHEARSAL asks for stand-ins (`make rehearse` sets it)."""
    return os.environ.get(REHEARSAL_ENV, "0") not in ("0", "", "false", "False")


def full_size() -> bool:
    """True when $WARNBOOK_REHEARSAL=full: stand-ins at the real size (a GPU's rehearsal)."""
    return os.environ.get(REHEARSAL_ENV) == "full"


def stand_in(preset: Preset) -> Preset:
    """The preset as rehearsed: its stand-in's architecture, nothing to download, and the memory
    need of the stand-in (small) in place of the real model's; at full size, only nothing to
    download."""
    if full_size():
        return replace(preset, needs_hub=False, gated=False)
    arch = {**preset.arch, **preset.stand_in}
    if "attn_types" in arch:
        arch["attn_types"] = arch["attn_types"][: arch["n_layers"]]
    return replace(preset, arch=arch, d_model=arch["d_model"], n_layers=arch["n_layers"], needs_hub=False,
                   gated=False, gpu_gb_inference=0.0, gpu_gb_finetune=0.0)


def config(preset: Preset, d_vocab: int, dtype: str = "float32", device: str = "cpu") -> HookedTransformerConfig:
    """The HookedTransformerConfig of the stand-in of `preset` (pass `stand_in(preset)`)."""
    return HookedTransformerConfig(**dict(preset.arch, d_vocab=d_vocab), dtype=getattr(torch, dtype), device=device,
                                   model_name=preset.model_name)


def stand_in_model(preset: Preset, tokenizer, dtype: str, device: str) -> HookedTransformer:
    """Random weights (seeded, without touching the global random state) in the real architecture."""
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        d_vocab = preset.arch["d_vocab"] if full_size() else len(tokenizer)  # the tokenizer's ids fit either
        model = HookedTransformer(config(preset, d_vocab, dtype, device), tokenizer=tokenizer)
    return model.to(getattr(torch, dtype), print_details=False).eval()


def stand_in_sae(preset: Preset) -> SAE:
    """A random sae-lens SAE of the real kind, width and hook (seeded)."""
    kind = JumpReLUSAEConfig if preset.sae_release.startswith("gemma-scope") else StandardSAEConfig
    cfg = kind(d_in=preset.d_model, d_sae=preset.d_sae)
    cfg.metadata.hook_name = preset.hook_name
    cfg.metadata.model_name = preset.model_name
    cfg.metadata.prepend_bos = True
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return SAE.from_dict(cfg.to_dict())


def stand_in_tokenizer(preset: Preset):
    """A byte-level BPE with the real tokenizer's special tokens, trained once and cached."""
    if preset.name not in _TOKENIZERS:
        from helpers import cache

        key = {"preset": preset.name, "tokens": preset.tokens, "vocab": VOCAB_SIZE,
               "code": cache.source_hash(sys.modules[__name__])}
        folder = cache.artifact("rehearsal-tokenizer", key, lambda f: _train_tokenizer(preset, f))
        from transformers import AutoTokenizer

        _TOKENIZERS[preset.name] = AutoTokenizer.from_pretrained(folder)
    return _TOKENIZERS[preset.name]


def _train_tokenizer(preset: Preset, folder: Path) -> None:
    from helpers.corpus import CorpusSpec, generate_files
    from helpers.tiny import train_tokenizer

    train_tokenizer(generate_files(CorpusSpec(n_files=400, seed=1)), folder, preset.tokens, VOCAB_SIZE)
