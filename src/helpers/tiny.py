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
from tokenizers import Tokenizer, models, pre_tokenizers, decoders, trainers
from tqdm.auto import tqdm
from transformer_lens import HookedTransformer, HookedTransformerConfig
from transformers import AutoTokenizer, PreTrainedTokenizerFast

from helpers import cache, corpus, ordinary, tasks
from helpers.budgets import tiny_pretrain
from helpers.presets import PRESETS

BOS = "<|endoftext|>"
VOCAB_SIZE = 4096


def train_tokenizer(texts: list[str], folder: Path) -> PreTrainedTokenizerFast:
    """Train a byte-level BPE on the corpus, save it, and reload it from disk.

    Reloading matters: HookedTransformer needs a tokenizer with a name_or_path.
    """
    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(vocab_size=VOCAB_SIZE, special_tokens=[BOS],
                                  initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
                                  show_progress=False)
    bpe.train_from_iterator(texts, trainer=trainer)
    fast = PreTrainedTokenizerFast(tokenizer_object=bpe, bos_token=BOS, eos_token=BOS,
                                   pad_token=BOS, unk_token=BOS)
    fast.save_pretrained(folder)
    return AutoTokenizer.from_pretrained(folder)


def model_config(d_vocab: int, seed: int) -> HookedTransformerConfig:
    arch = dict(PRESETS["tiny"].arch)
    return HookedTransformerConfig(**arch, d_vocab=d_vocab, seed=seed, device="cpu",
                                   tokenizer_prepends_bos=False, default_prepend_bos=True)


def lr_at(step: int, sizes: dict) -> float:
    """Linear warm-up, then cosine decay to a tenth of the peak."""
    if step < sizes["warmup"]:
        return sizes["lr"] * (step + 1) / sizes["warmup"]
    progress = (step - sizes["warmup"]) / max(1, sizes["steps"] - sizes["warmup"])
    return sizes["lr"] * (0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress)))


def pretrain(model: HookedTransformer, data: torch.Tensor, sizes: dict, folder: Path, seed: int) -> list[float]:
    """AdamW on next-token loss, resuming from folder/checkpoint.pt if an earlier run stopped."""
    opt = torch.optim.AdamW(model.parameters(), lr=sizes["lr"], betas=(0.9, 0.95), weight_decay=0.01)
    gen = torch.Generator().manual_seed(seed)
    order = torch.randperm(len(data), generator=gen)
    ckpt, start, losses = folder / "checkpoint.pt", 0, []
    if ckpt.exists():
        state = torch.load(ckpt, weights_only=False)
        model.load_state_dict(state["model"]); opt.load_state_dict(state["opt"])
        start, losses = state["step"], state["losses"]
    model.train()
    bar = tqdm(range(start, sizes["steps"]), desc="pretrain tiny", initial=start, total=sizes["steps"])
    for step in bar:
        idx = order[(step * sizes["batch"] + torch.arange(sizes["batch"])) % len(order)]
        loss = model(data[idx], return_type="loss")
        opt.zero_grad(); loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        for group in opt.param_groups:
            group["lr"] = lr_at(step, sizes)
        opt.step()
        losses.append(loss.item()); bar.set_postfix(loss=f"{loss.item():.3f}")
        if (step + 1) % 100 == 0 and step + 1 < sizes["steps"]:
            tmp = folder / "checkpoint.tmp"
            torch.save({"model": model.state_dict(), "opt": opt.state_dict(),
                        "step": step + 1, "losses": losses}, tmp)
            tmp.replace(ckpt)
    model.eval()
    return losses


@torch.no_grad()
def eval_loss(model: HookedTransformer, data: torch.Tensor, batch: int = 32) -> float:
    losses = [model(data[i:i + batch], return_type="loss").item() for i in range(0, len(data), batch)]
    return float(sum(losses) / len(losses))


def build_model(folder: Path, budget: str, seed: int) -> None:
    """Fill `folder` with tokenizer/, model.pt, config.json and train_stats.json."""
    sizes = tiny_pretrain(budget)
    t0 = time.time()
    files = corpus.generate_files(corpus.CorpusSpec(n_files=sizes["n_files"], seed=seed))
    tokenizer = train_tokenizer(files, folder / "tokenizer")
    n_val = max(50, len(files) // 50)
    train, val = (corpus.pack_tokens(part, tokenizer, sizes["seq_len"]) for part in (files[n_val:], files[:n_val]))
    torch.manual_seed(seed)
    model = HookedTransformer(model_config(len(tokenizer), seed), tokenizer=tokenizer)
    losses = pretrain(model, train, sizes, folder, seed)
    stats = {"n_params": sum(p.numel() for p in model.parameters()), "train_tokens": train.numel(),
             "corpus_chars": sum(map(len, files)), "vocab": len(tokenizer), "steps": sizes["steps"],
             "final_train_loss": sum(losses[-20:]) / len(losses[-20:]),
             "val_loss": eval_loss(model, val[:64]), "seconds": round(time.time() - t0, 1),
             "loss_curve": losses[:: max(1, len(losses) // 200)]}
    torch.save(model.state_dict(), folder / "model.pt")
    (folder / "config.json").write_text(json.dumps(model.cfg.to_dict(), default=str))
    (folder / "train_stats.json").write_text(json.dumps(stats, indent=1))
    (folder / "checkpoint.pt").unlink(missing_ok=True)


def model_key(budget: str, seed: int) -> dict:
    return {"preset": "tiny", "sizes": tiny_pretrain(budget), "seed": seed,
            "code": cache.source_hash(corpus, ordinary, tasks, cache, sys.modules[__name__])}


def model_folder(budget: str, seed: int = 0) -> Path:
    return cache.artifact("tiny-model", model_key(budget, seed), lambda f: build_model(f, budget, seed))


def pretrain_stats(budget: str, seed: int = 0) -> dict:
    """What building the tiny model measured: sizes, time, losses and the loss curve."""
    return json.loads((model_folder(budget, seed) / "train_stats.json").read_text())


def load_tiny_model(budget: str, seed: int = 0) -> HookedTransformer:
    folder = model_folder(budget, seed)
    tokenizer = AutoTokenizer.from_pretrained(folder / "tokenizer")
    model = HookedTransformer(model_config(len(tokenizer), seed), tokenizer=tokenizer)
    model.load_state_dict(torch.load(folder / "model.pt", weights_only=True))
    model.eval()
    return model


SAE_WIDTH = PRESETS["tiny"].d_sae
SAE_L1 = 5.0


def build_sae(folder: Path, budget: str, seed: int) -> None:
    """Train a ReLU SAE on the tiny model's residual stream with sae-lens's own runner."""
    import datasets
    from sae_lens import (LanguageModelSAERunnerConfig, LanguageModelSAETrainingRunner,
                          LoggingConfig, StandardTrainingSAEConfig)

    sizes, preset = tiny_pretrain(budget), PRESETS["tiny"]
    model = load_tiny_model(budget, seed)
    files = corpus.generate_files(corpus.CorpusSpec(n_files=sizes["n_files"], seed=seed))
    rows = corpus.pack_tokens(files, model.tokenizer, sizes["seq_len"])
    cfg = LanguageModelSAERunnerConfig(
        sae=StandardTrainingSAEConfig(d_in=preset.d_model, d_sae=SAE_WIDTH, l1_coefficient=SAE_L1,
                                      normalize_activations="expected_average_only_in"),
        model_name="tiny", hook_name=preset.hook_name, dataset_path="", is_dataset_tokenized=True,
        streaming=False, context_size=sizes["seq_len"], training_tokens=sizes["sae_tokens"],
        train_batch_size_tokens=4096, n_batches_in_buffer=16, store_batch_size_prompts=16, lr=3e-4,
        logger=LoggingConfig(log_to_wandb=False), device="cpu", seed=seed, verbose=False,
        output_path=str(folder / "sae"), checkpoint_path=str(folder / "checkpoints"), n_checkpoints=0,
        n_batches_for_norm_estimate=10)
    t0 = time.time()
    runner = LanguageModelSAETrainingRunner(cfg, override_dataset=datasets.Dataset.from_dict({"tokens": rows.tolist()}),
                                            override_model=model)
    runner.run()
    (folder / "train_stats.json").write_text(json.dumps({"seconds": round(time.time() - t0, 1),
                                                         "training_tokens": sizes["sae_tokens"]}))


def sae_folder(budget: str, seed: int = 0) -> Path:
    key = {**model_key(budget, seed), "sae_width": SAE_WIDTH, "sae_l1": SAE_L1}
    return cache.artifact("tiny-sae", key, lambda f: build_sae(f, budget, seed))


def load_tiny_sae(budget: str, seed: int = 0):
    from sae_lens import SAE

    return SAE.load_from_disk(sae_folder(budget, seed) / "sae", device="cpu")
