"""One training loop for pretraining the tiny model and for every fine-tune (CAFT included).

A function gives the batch of each step (token ids and an optional loss mask), so pretraining
can draw rows and fine-tuning can give every step the same number of loss tokens. AdamW with a
schedule, gradient clipping, forward hooks that are on during training only, and checkpoints
that let an interrupted run resume.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import torch
from tqdm.auto import tqdm
from transformer_lens import HookedTransformer


def masked_loss(model: HookedTransformer, tokens: torch.Tensor, mask: torch.Tensor | None) -> torch.Tensor:
    """Mean next-token loss over the target positions where `mask` is 1 (all, if None)."""
    per_token = model(tokens, return_type="loss", loss_per_token=True)  # [batch, pos - 1]
    if mask is None:
        return per_token.mean()
    target = mask[:, 1:].to(per_token.dtype)
    return (per_token * target).sum() / target.sum().clamp(min=1)


@torch.no_grad()
def code_loss(model: HookedTransformer, texts: list[str], seq_len: int = 256, batch: int = 32) -> float:
    """Mean next-token loss over every token of `texts` (each BOS + text, padded, pads masked)."""
    tok = model.tokenizer
    encoded = [([tok.bos_token_id] + ids)[:seq_len] for ids in tok(texts, add_special_tokens=False)["input_ids"]]
    total, count = 0.0, 0
    for i in range(0, len(encoded), batch):
        rows = encoded[i:i + batch]
        width = max(map(len, rows))
        tokens = torch.tensor([r + [tok.bos_token_id] * (width - len(r)) for r in rows]).to(model.cfg.device)
        mask = torch.tensor([[1] * len(r) + [0] * (width - len(r)) for r in rows]).to(model.cfg.device)
        targets = int(mask[:, 1:].sum())  # masked_loss averages over these; weight each batch by them
        total += masked_loss(model, tokens, mask).item() * targets
        count += targets
    return total / count


def row_batches(rows: torch.Tensor, batch: int, seed: int) -> Callable[[int], tuple[torch.Tensor, None]]:
    """Step -> `batch` rows in a seeded order, cycling through the rows (pretraining)."""
    order = torch.randperm(len(rows), generator=torch.Generator().manual_seed(seed))
    return lambda step: (rows[order[(step * batch + torch.arange(batch)) % len(order)]], None)


def train(model: HookedTransformer, batch_at: Callable[[int], tuple[torch.Tensor, torch.Tensor | None]], *,
          steps: int, lr_at: Callable[[int], float], folder: Path, desc: str,
          hooks: list[tuple[str, Callable]] = (), weight_decay: float = 0.01,
          checkpoint_every: int = 100, stop_at: int | None = None, optimiser: str = "adamw",
          after_step: Callable[[int], None] | None = None) -> list[float]:
    """Train for `steps` on `batch_at(step)`; resume from folder/checkpoint.pt if it exists.

    `hooks` (name, fn) are attached for the forward passes of training and removed after, so
    evaluation never sees them. `stop_at` ends this call early; a later call resumes.
    `after_step(n)` runs once n steps are done (to save snapshots of a dose sweep).
    """
    params = [p for p in model.parameters() if p.requires_grad]
    opt = make_optimiser(optimiser, params, lr_at(0), weight_decay)
    ckpt, start, losses = folder / "checkpoint.pt", 0, []
    if ckpt.exists():
        start, losses = _load_checkpoint(ckpt, model, opt)
    device = next(model.parameters()).device
    deterministic = torch.are_deterministic_algorithms_enabled()
    # CPU embedding gradients are summed in a thread-dependent order otherwise: the same seed
    # would give weights that differ in the 4th decimal. (On a GPU this only warns.)
    torch.use_deterministic_algorithms(True, warn_only=True)
    model.train()
    bar = tqdm(range(start, min(steps, stop_at or steps)), desc=desc, initial=start, total=steps)
    try:
        for name, fn in hooks:
            model.add_hook(name, fn)
        for step in bar:
            tokens, mask = batch_at(step)
            loss = masked_loss(model, tokens.to(device), None if mask is None else mask.to(device))
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            for group in opt.param_groups:
                group["lr"] = lr_at(step)
            opt.step()
            opt.zero_grad(set_to_none=True)  # gradients freed before anything else runs (snapshots)
            losses.append(loss.item())
            bar.set_postfix(loss=f"{loss.item():.3f}")
            if after_step is not None:
                after_step(step + 1)
            if (step + 1) % checkpoint_every == 0 or step + 1 == stop_at:
                _save_checkpoint(ckpt, model, opt, step + 1, losses)
    finally:
        torch.use_deterministic_algorithms(deterministic)
        model.reset_hooks()
        model.eval()
    return losses


def make_optimiser(name: str, params: list, lr: float, weight_decay: float) -> torch.optim.Optimizer:
    """AdamW, or Adafactor where AdamW's two floats per weight do not fit (helpers.memory)."""
    if name == "adafactor":
        from transformers.optimization import Adafactor

        return Adafactor(params, lr=lr, weight_decay=weight_decay, scale_parameter=False,
                         relative_step=False, warmup_init=False)
    return torch.optim.AdamW(params, lr=lr, betas=(0.9, 0.95), weight_decay=weight_decay)


def _save_checkpoint(path: Path, model, opt, step: int, losses: list[float]) -> None:
    """Only tensors, plain numbers and containers of them (the optimisers' state dicts, AdamW's and
    Adafactor's, are such), so that it loads with weights_only=True: unpickling arbitrary objects
    from a cache folder could run any code."""
    tmp = path.with_suffix(".tmp")
    torch.save({"model": model.state_dict(), "opt": opt.state_dict(), "step": int(step),
                "losses": [float(loss) for loss in losses]}, tmp)
    tmp.replace(path)


def _load_checkpoint(path: Path, model, opt) -> tuple[int, list[float]]:
    """Put a checkpoint's weights and optimiser state back; return its step and losses so far."""
    state = torch.load(path, weights_only=True)
    model.load_state_dict(state["model"])
    opt.load_state_dict(state["opt"])
    return state["step"], state["losses"]
