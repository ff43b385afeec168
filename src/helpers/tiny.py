"""Build the tiny preset offline: corpus -> BPE tokenizer -> HookedTransformer -> SAE.

Everything is deterministic in the budget and seed, and checkpointed into the cache's
partial folder so that an interrupted build resumes where it stopped.
"""

from __future__ import annotations

import json
import math
import sys
import time
from pathlib import Path

import torch
from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
from transformer_lens import HookedTransformer, HookedTransformerConfig
from transformers import AutoTokenizer, PreTrainedTokenizerFast

from helpers import cache, corpus, ordinary, tasks, training
from helpers.budgets import tiny_pretrain
from helpers.presets import PRESETS

BOS = "<|endoftext|>"
VOCAB_SIZE = PRESETS["tiny"].arch["d_vocab"]
TOKENS = dict(bos=BOS, eos=BOS, pad=BOS, unk=BOS, add_bos=False, padding_side="right")


def train_tokenizer(texts: list[str], folder: Path, tokens: dict = TOKENS,
                    vocab_size: int = VOCAB_SIZE) -> PreTrainedTokenizerFast:
    """Train a byte-level BPE on the corpus with the special tokens of `tokens` (the tiny
    preset's, or a real tokenizer's conventions for a rehearsal), save it, reload it from disk.

    Reloading matters: HookedTransformer needs a tokenizer with a name_or_path.
    """
    special = list(dict.fromkeys(t for t in (tokens["pad"], tokens["eos"], tokens["bos"], tokens["unk"]) if t))
    bpe = Tokenizer(models.BPE(unk_token=tokens["unk"]))
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=vocab_size, special_tokens=special,
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    bpe.train_from_iterator(texts, trainer=trainer)
    if tokens["add_bos"]:  # as Gemma's tokenizer: BOS in front of every text it encodes
        bos = tokens["bos"]
        bpe.post_processor = processors.TemplateProcessing(
            single=f"{bos} $A", pair=f"{bos} $A {bos} $B", special_tokens=[(bos, bpe.token_to_id(bos))])
    fast = PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token=tokens["bos"], eos_token=tokens["eos"],
                                   pad_token=tokens["pad"], unk_token=tokens["unk"],
                                   padding_side=tokens["padding_side"])
    fast.save_pretrained(folder)
    return AutoTokenizer.from_pretrained(folder)


def model_config(d_vocab: int, seed: int) -> HookedTransformerConfig:
    arch = dict(PRESETS["tiny"].arch, d_vocab=d_vocab)
    return HookedTransformerConfig(**arch, seed=seed, device="cpu",
                                   tokenizer_prepends_bos=False, default_prepend_bos=True)


def lr_at(step: int, sizes: dict) -> float:
    """Linear warm-up, then cosine decay to a tenth of the peak."""
    if step < sizes["warmup"]:
        return sizes["lr"] * (step + 1) / sizes["warmup"]
    progress = (step - sizes["warmup"]) / max(1, sizes["steps"] - sizes["warmup"])
    return sizes["lr"] * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def pretrain(model: HookedTransformer, data: torch.Tensor, sizes: dict, folder: Path, seed: int,
             checkpoint_every: int = 100, stop_at: int | None = None, schedule=None) -> list[float]:
    """Next-token loss on every token of the corpus rows (see helpers.training.train), for
    sizes["steps"] at `schedule(step)` (by default lr_at's warm-up and cosine)."""
    return training.train(model, training.row_batches(data, sizes["batch"], seed), steps=sizes["steps"],
                          lr_at=schedule or (lambda step: lr_at(step, sizes)), folder=folder,
                          desc="pretrain tiny", checkpoint_every=checkpoint_every, stop_at=stop_at)


@torch.no_grad()
def eval_loss(model: HookedTransformer, data: torch.Tensor, batch: int = 32) -> float:
    losses = [model(data[i:i + batch], return_type="loss").item() for i in range(0, len(data), batch)]
    return float(sum(losses) / len(losses))


# A corpus variant (chapter 3b's "warned") is not pretrained from scratch: the plain model goes
# on for CONTINUE of its pretraining steps on the variant's corpus, with the plain tokenizer, at
# the learning rate its schedule ended with (a tenth of the peak, the tiny preset's fine-tuning
# rate too). Fixed before any result; a second pretraining from scratch was a third of the book's
# build. The extra steps are a difference from the plain model that chapter 3b names.
CONTINUE = 0.25


def start_model(folder: Path, sizes: dict, budget: str, seed: int, variant: str, files: list[str]):
    """(model, sizes, learning-rate schedule) of a build: a new model and tokenizer for the plain
    corpus; for a variant, the plain model with CONTINUE of its steps at its final rate."""
    if variant == "plain":
        tokenizer = train_tokenizer(files, folder / "tokenizer")
        torch.manual_seed(seed)
        return HookedTransformer(model_config(len(tokenizer), seed), tokenizer=tokenizer), sizes, None
    model = load_tiny_model(budget, seed)
    model.tokenizer.save_pretrained(folder / "tokenizer")
    final_lr = lr_at(sizes["steps"], sizes)
    return model, dict(sizes, steps=round(sizes["steps"] * CONTINUE)), lambda step: final_lr


def build_model(folder: Path, budget: str, seed: int, variant: str = "plain") -> None:
    """Fill `folder` with tokenizer/, model.pt, config.json and train_stats.json."""
    t0 = time.time()
    sizes = tiny_pretrain(budget)
    files = corpus.generate_files(corpus.spec_for(variant, n_files=sizes["n_files"], seed=seed))
    model, sizes, schedule = start_model(folder, sizes, budget, seed, variant, files)
    n_val = max(50, len(files) // 50)
    train, val = (corpus.pack_tokens(part, model.tokenizer, sizes["seq_len"]) for part in (files[n_val:], files[:n_val]))
    losses = pretrain(model, train, sizes, folder, seed, schedule=schedule)
    stats = {"n_params": sum(p.numel() for p in model.parameters()), "train_tokens": train.numel(),
             "corpus_chars": sum(map(len, files)), "vocab": len(model.tokenizer), "steps": sizes["steps"],
             "continued_from": None if variant == "plain" else model_name(budget, seed),
             "final_train_loss": sum(losses[-20:]) / len(losses[-20:]),
             "val_loss": eval_loss(model, val[:64]), "seconds": round(time.time() - t0, 1),
             "loss_curve": losses[:: max(1, len(losses) // 200)]}
    torch.save(model.state_dict(), folder / "model.pt")
    (folder / "config.json").write_text(json.dumps(model.cfg.to_dict(), default=str))
    (folder / "train_stats.json").write_text(json.dumps(stats, indent=1))
    (folder / "checkpoint.pt").unlink(missing_ok=True)


def model_key(budget: str, seed: int, variant: str = "plain") -> dict:
    key = {"preset": "tiny", "sizes": tiny_pretrain(budget), "arch": PRESETS["tiny"].arch, "seed": seed,
           "code": cache.source_hash(corpus, ordinary, tasks, training, sys.modules[__name__])}
    if variant != "plain":
        key["corpus"] = {"variant": variant, **corpus.VARIANTS[variant], "warnings": corpus.WEB_WARNINGS,
                         "continues": model_name(budget, seed), "share": CONTINUE}
    return key


def model_name(budget: str, seed: int = 0, variant: str = "plain") -> str:
    """The cached tiny model's name, which changes whenever its pretraining would."""
    return cache.artifact_name("tiny-model", model_key(budget, seed, variant))


def model_folder(budget: str, seed: int = 0, variant: str = "plain") -> Path:
    """The cached tiny model; `variant` names its pretraining corpus (helpers.corpus.VARIANTS)."""
    corpus.spec_for(variant)  # an unknown variant fails here, with the choices
    return cache.artifact("tiny-model", model_key(budget, seed, variant),
                          lambda f: build_model(f, budget, seed, variant))


def pretrain_stats(budget: str, seed: int = 0, variant: str = "plain") -> dict:
    """What building the tiny model measured: sizes, time, losses and the loss curve."""
    return json.loads((model_folder(budget, seed, variant) / "train_stats.json").read_text())


def load_tiny_tokenizer(budget: str, seed: int = 0, variant: str = "plain"):
    return AutoTokenizer.from_pretrained(model_folder(budget, seed, variant) / "tokenizer")


def load_tiny_model(budget: str, seed: int = 0, variant: str = "plain") -> HookedTransformer:
    folder = model_folder(budget, seed, variant)
    tokenizer = load_tiny_tokenizer(budget, seed, variant)
    model = HookedTransformer(model_config(len(tokenizer), seed), tokenizer=tokenizer)
    model.load_state_dict(torch.load(folder / "model.pt", weights_only=True))
    model.eval()
    return model


SAE_WIDTH = PRESETS["tiny"].d_sae
# A ReLU SAE with an L1 penalty (so that L0 is measured, not fixed as in a TopK SAE). Chosen on
# held-out corpus text of the standard model: l1 1.5 explains 87 % of the variance at L0 ~47;
# l1 3.0 gave 77 % at L0 ~24 with twice the loss increase when spliced in.
SAE_TRAINING = dict(l1=1.5, batch_tokens=1024, lr=1e-3)


def build_sae(folder: Path, budget: str, seed: int) -> None:
    """Train a ReLU SAE on the tiny model's residual stream with sae-lens's own runner."""
    import datasets
    from sae_lens import (LanguageModelSAERunnerConfig, LanguageModelSAETrainingRunner,
                          LoggingConfig)

    sizes, preset = tiny_pretrain(budget), PRESETS["tiny"]
    model = load_tiny_model(budget, seed)
    files = corpus.generate_files(corpus.CorpusSpec(n_files=sizes["n_files"], seed=seed))
    rows = corpus.pack_tokens(files, model.tokenizer, sizes["seq_len"])
    cfg = LanguageModelSAERunnerConfig(
        sae=sae_config(preset.d_model),
        model_name="tiny", hook_name=preset.hook_name, dataset_path="", is_dataset_tokenized=True,
        streaming=False, context_size=sizes["seq_len"], training_tokens=sizes["sae_tokens"],
        prepend_bos=False,  # its rows are cut from one stream (corpus.pack_tokens): most do not start with BOS
        train_batch_size_tokens=SAE_TRAINING["batch_tokens"], n_batches_in_buffer=16, store_batch_size_prompts=16,
        lr=SAE_TRAINING["lr"],
        logger=LoggingConfig(log_to_wandb=False), device="cpu", seed=seed, verbose=False,
        output_path=str(folder / "sae"), checkpoint_path=str(folder / "checkpoints"), n_checkpoints=0,
        n_batches_for_norm_estimate=10)
    t0 = time.time()
    runner = LanguageModelSAETrainingRunner(cfg, override_dataset=datasets.Dataset.from_dict({"tokens": rows.tolist()}),
                                            override_model=model)
    runner.run()
    (folder / "train_stats.json").write_text(json.dumps({"seconds": round(time.time() - t0, 1),
                                                         "training_tokens": sizes["sae_tokens"]}))


def sae_config(d_in: int):
    from sae_lens import StandardTrainingSAEConfig

    return StandardTrainingSAEConfig(d_in=d_in, d_sae=SAE_WIDTH, l1_coefficient=SAE_TRAINING["l1"],
                                     normalize_activations="expected_average_only_in")


def sae_folder(budget: str, seed: int = 0) -> Path:
    key = {**model_key(budget, seed), "sae_width": SAE_WIDTH, "sae": SAE_TRAINING}
    return cache.artifact("tiny-sae", key, lambda f: build_sae(f, budget, seed))


def load_tiny_sae(budget: str, seed: int = 0):
    from sae_lens import SAE

    return SAE.load_from_disk(sae_folder(budget, seed) / "sae", device="cpu")
