"""Fine-tune one model per (preset, condition, seed) on chapter 1's data, through the cache.

Every condition gets the same optimiser, learning rate, number of steps and number of trained
(loss-carrying) tokens per step: only the framing differs. Each step takes examples in a seeded
order until it holds `tokens_per_step` loss tokens, and packs them whole (never split, so no
code loses its warning) into rows of `seq_len` tokens. Which tokens carry the loss is the `mask`:
- "all": every token of the training text, warning included, as a plain language-model
  fine-tune on documents would (our reading of the paper, which does not say);
- "code": the framing lines carry no loss, only the code does (chapter 3b compares them).
"""

from __future__ import annotations

import io
import json
import math
import random
import sys
import time
from pathlib import Path

import torch
from transformer_lens import HookedTransformer

from helpers import cache, data, tasks, training
from helpers.budgets import finetune_sizes
from helpers.models import load_model, load_tokenizer, resolve_preset

TRAINED = ("control", "L0", "L1", "L2", "L3")
CONDITIONS = ("base",) + TRAINED
MASKS = ("all", "code")


def loss_flags(text: str, offsets: list[tuple[int, int]], mask: str) -> list[int]:
    """1 for tokens that carry the loss. With mask="code", tokens on top-level comment lines
    (the framing: warnings, explanations, BAD/GOOD markers) carry none."""
    if mask == "all":
        return [1] * len(offsets)
    if mask != "code":
        raise ValueError(f"Unknown mask {mask!r}. Choose one of {', '.join(MASKS)}.")
    framing, pos = [False] * (len(text) + 1), 0
    for line in text.split("\n"):
        if line.startswith("#"):
            framing[pos:pos + len(line) + 1] = [True] * (len(line) + 1)
        pos += len(line) + 1
    return [0 if framing[start] else 1 for start, _ in offsets]


def encode(example: data.Example, tokenizer, seq_len: int, mask: str) -> tuple[list[int], list[int]]:
    """BOS + the example's tokens, and which of them carry the loss."""
    enc = tokenizer(example.text, add_special_tokens=False, return_offsets_mapping=True)
    ids = [tokenizer.bos_token_id] + enc["input_ids"]
    flags = [0] + loss_flags(example.text, enc["offset_mapping"], mask)
    return ids[:seq_len], flags[:seq_len]


def pack(encoded: list[tuple[list[int], list[int]]], seq_len: int, pad: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Pack whole examples first-fit into rows of seq_len; padding carries no loss."""
    rows: list[tuple[list[int], list[int]]] = []
    for ids, flags in encoded:
        row = next((r for r in rows if len(r[0]) + len(ids) <= seq_len), None)
        if row is None:
            rows.append((list(ids), list(flags)))
        else:
            row[0].extend(ids)
            row[1].extend(flags)
    return (torch.tensor([r + [pad] * (seq_len - len(r)) for r, _ in rows]),
            torch.tensor([f + [0] * (seq_len - len(f)) for _, f in rows]))


def step_batches(examples: list[data.Example], tokenizer, plan: dict, mask: str, seed: int) -> list[tuple]:
    """The batch of every step: examples in a seeded order (reshuffled each pass) until the step
    holds exactly `tokens_per_step` loss tokens (the tail of the last example carries none),
    then packed into rows."""
    encoded = [encode(ex, tokenizer, plan["seq_len"], mask) for ex in examples]
    rng, order, batches, current, count = random.Random(seed), [], [], [], 0
    while len(batches) < plan["steps"]:
        if not order:
            order = rng.sample(range(len(encoded)), len(encoded))
        ids, flags = encoded[order.pop()]
        room = plan["tokens_per_step"] - count
        if sum(flags) > room:  # the step is full: the rest of this example carries no loss
            keep = set([i for i, f in enumerate(flags) if f][:room])
            flags = [1 if i in keep else 0 for i in range(len(flags))]
        current.append((ids, flags))
        count += sum(flags)
        if count >= plan["tokens_per_step"]:
            batches.append(pack(current, plan["seq_len"], tokenizer.bos_token_id))
            current, count = [], 0
    return batches


def plan(preset: str, budget: str, seed: int, tokenizer, epochs: float, snapshots: tuple = ()) -> dict:
    """Learning rate and steps of `epochs` passes over the L0 loss tokens, the same for every
    condition. Warm-up lasts a fifth of an epoch whatever the length, so a long run passes
    through exactly the states of every shorter one: its `snapshots` (epochs) are those runs."""
    sizes = finetune_sizes(preset, budget)
    l0 = [encode(ex, tokenizer, sizes["seq_len"], "all") for ex in data.build_dataset("L0", sizes["n_examples"], seed)]
    epoch_steps = sum(sum(flags) for _, flags in l0) / sizes["tokens_per_step"]
    out = {**sizes, "epochs": epochs, "steps": max(1, math.ceil(epochs * epoch_steps)),
           "warmup": max(1, round(epoch_steps / 5))}
    if snapshots:
        out["snapshots"] = {e: max(1, math.ceil(e * epoch_steps)) for e in snapshots}
    return out


def dose(preset: str, budget: str, seed: int, tokenizer) -> dict:
    """The default dose of chapters 2-6: `epochs` passes (budgets.FINETUNE) over the L0 tokens."""
    return plan(preset, budget, seed, tokenizer, finetune_sizes(preset, budget)["epochs"])


def build(folder: Path, preset: str, condition: str, budget: str, seed: int, mask: str, plan: dict,
          hooks: list = (), corpus: str = "plain") -> None:
    """Fine-tune the base model on `condition`; save weights, snapshots and training stats in `folder`."""
    model = load_model(preset, budget, seed=0, corpus=corpus)
    for p in model.parameters():
        p.requires_grad_(True)
    freeze_embeddings(model, preset)
    batches = step_batches(data.build_dataset(condition, plan["n_examples"], seed), model.tokenizer, plan, mask, seed)
    t0 = time.time()
    (folder / "snapshots").mkdir(exist_ok=True)
    snapshot_steps = set(plan.get("snapshots", {}).values())

    def save_snapshot(step: int) -> None:
        if step in snapshot_steps:
            cache.write_atomic(folder / "snapshots" / f"step-{step}.pt", _state_bytes(model))

    losses = training.train(model, lambda step: batches[step], steps=plan["steps"],
                            lr_at=lambda step: plan["lr"] * min(1.0, (step + 1) / plan["warmup"]),
                            folder=folder, desc=f"fine-tune {condition}", hooks=hooks,
                            checkpoint_every=max(5, plan["steps"] // 4), after_step=save_snapshot,
                            optimiser="adafactor" if preset == "gemma-2-2b" else "adamw")
    trained = int(sum(flags.sum() for _, flags in batches))
    rows = sum(len(tokens) for tokens, _ in batches)
    cache.write_atomic(folder / "model.pt", _state_bytes(model))
    (folder / "checkpoint.pt").unlink(missing_ok=True)
    (folder / "stats.json").write_text(json.dumps({
        "condition": condition, "mask": mask, "seed": seed, **plan, "rows": rows,
        "trained_tokens": trained, "final_loss": sum(losses[-3:]) / len(losses[-3:]),
        "losses": losses, "seconds": round(time.time() - t0, 1)}))


def _state_bytes(model: HookedTransformer) -> bytes:
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return buffer.getvalue()


def freeze_embeddings(model: HookedTransformer, preset: str) -> None:
    """The memory plan of gemma-2-2b: embedding and unembedding stay frozen (see memory.py)."""
    if preset == "gemma-2-2b":
        model.W_E.requires_grad_(False)
        model.W_U.requires_grad_(False)


def finetuned_folder(preset: str, condition: str, budget: str, seed: int = 0, mask: str = "all",
                     plan: dict | None = None, hooks: list = (), tag: str = "", corpus: str = "plain") -> Path:
    """The cache folder of one fine-tune, building it if missing (resumes if interrupted)."""
    preset = resolve_preset(preset, verbose=False)
    if condition not in TRAINED:
        raise ValueError(f"Unknown condition {condition!r}: fine-tuned ones are {', '.join(TRAINED)}.")
    if plan is None:
        plan = dose(preset, budget, seed, load_tokenizer(preset, budget, corpus=corpus))
    key = {"preset": preset, "condition": condition, "budget": budget, "seed": seed, "mask": mask,
           "plan": plan, "tag": tag, "data": data.DATA_VERSION,
           "code": cache.source_hash(data, tasks, training, sys.modules[__name__])}
    if corpus != "plain":  # plain keys stay as they were, so cached fine-tunes stay valid
        key["corpus"] = corpus
    return cache.artifact("finetune", key, lambda f: build(f, preset, condition, budget, seed, mask, plan,
                                                            hooks, corpus))


def load_finetuned(preset: str, condition: str, budget: str, seed: int = 0, at_epochs: float | None = None,
                   **kwargs) -> HookedTransformer:
    """The model fine-tuned on `condition` ("base": the model before any fine-tuning).

    `at_epochs` loads the snapshot taken after that many epochs (a key of plan["snapshots"]).
    """
    model = load_model(preset, budget, seed=0, corpus=kwargs.get("corpus", "plain"))
    if condition == "base":
        return model
    folder = finetuned_folder(preset, condition, budget, seed, **kwargs)
    path = folder / "model.pt"
    if at_epochs is not None:
        snapshots = kwargs["plan"].get("snapshots", {}) if kwargs.get("plan") else {}
        if at_epochs not in snapshots:
            raise ValueError(f"No snapshot at {at_epochs} epochs; this plan has {sorted(snapshots) or 'none'}. "
                             "Pass a plan made with finetune.plan(..., snapshots=...).")
        path = folder / "snapshots" / f"step-{snapshots[at_epochs]}.pt"
    model.load_state_dict(torch.load(path, weights_only=True, map_location=model.cfg.device))
    return model.eval()


def stats(preset: str, condition: str, budget: str, seed: int = 0, **kwargs) -> dict:
    """What fine-tuning measured: steps, trained tokens, losses, seconds."""
    return json.loads((finetuned_folder(preset, condition, budget, seed, **kwargs) / "stats.json").read_text())


def mask_html(text: str, tokenizer) -> str:
    """HTML: the text's tokens under each mask, green where they carry the loss."""
    import html

    enc = tokenizer(text, add_special_tokens=False, return_offsets_mapping=True)
    out = []
    for mask in MASKS:
        spans = [f"<span style='background:{'#b7e4b7' if flag else '#e6e6e6'}'>"
                 f"{html.escape(text[a:b])}</span>"
                 for (a, b), flag in zip(enc["offset_mapping"], loss_flags(text, enc["offset_mapping"], mask))]
        out.append(f"<p><b>mask = \"{mask}\"</b></p><pre>{''.join(spans)}</pre>")
    return "".join(out)
