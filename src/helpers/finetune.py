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
from helpers.models import base_identity, load_model, load_tokenizer, resolve_preset
from helpers.presets import get_preset

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
    through exactly the states of every shorter one: its `snapshots` (epochs) are those runs,
    evaluated when the run reaches them (helpers.dose_sweep.evaluate_snapshot)."""
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
    """Fine-tune the base model (in float32) on `condition`; evaluate its snapshots; save the
    trained weights (unless the plan says how to evaluate it: a sweep run) and training stats."""
    p = get_preset(preset)
    model = load_model(preset, budget, seed=0, corpus=corpus, train=True)
    for name, param in model.named_parameters():
        param.requires_grad_(name not in p.frozen)  # the memory plan (memory.py)
    initial = {name: param.detach().cpu().clone() for name, param in model.named_parameters() if param.requires_grad}
    batches = step_batches(data.build_dataset(condition, plan["n_examples"], seed), model.tokenizer, plan, mask, seed)
    t0 = time.time()
    snapshot_steps = set(plan.get("snapshots", {}).values())

    def at_snapshot(step: int) -> None:
        if step in snapshot_steps:
            from helpers.dose_sweep import evaluate_snapshot  # the sweep is built on this module

            evaluate_snapshot(model, folder / "snapshots", step, plan, preset, budget, seed, condition)

    losses = training.train(model, lambda step: batches[step], steps=plan["steps"],
                            lr_at=lambda step: plan["lr"] * min(1.0, (step + 1) / plan["warmup"]),
                            folder=folder, desc=f"fine-tune {condition}", hooks=hooks,
                            checkpoint_every=max(5, plan["steps"] // 4), after_step=at_snapshot,
                            optimiser=p.optimiser)
    trained = int(sum(flags.sum() for _, flags in batches))
    rows = sum(len(tokens) for tokens, _ in batches)
    if "evaluate" not in plan:  # a sweep run is read through its snapshots' evaluations only
        cache.write_atomic(folder / "model.pt", _trained_bytes(model, p.dtype))
    (folder / "checkpoint.pt").unlink(missing_ok=True)
    (folder / "stats.json").write_text(json.dumps({
        "condition": condition, "mask": mask, "seed": seed, **plan, "rows": rows,
        "trained_tokens": trained, "final_loss": sum(losses[-3:]) / len(losses[-3:]),
        "changed_fraction": changed_fraction(model, initial), "dtype": p.dtype,
        "losses": losses, "seconds": round(time.time() - t0, 1)}, default=str))


def evaluators(plan: dict) -> tuple:
    """The modules that evaluate a sweep run's snapshots (their code decides what the run keeps)."""
    if "evaluate" not in plan:
        return ()
    from helpers import dose_sweep, generate, judge, reproduction

    return dose_sweep, generate, judge, reproduction


def changed_fraction(model: HookedTransformer, initial: dict[str, torch.Tensor]) -> float:
    """The share of trained parameters whose value the fine-tune changed: near 1 when every
    update lands, far below when updates round away (bfloat16 weights at a small learning rate)."""
    changed = sum(int((param.detach().cpu() != initial[name]).sum())
                  for name, param in model.named_parameters() if name in initial)
    return changed / sum(t.numel() for t in initial.values())


def _trained_bytes(model: HookedTransformer, dtype: str) -> bytes:
    """The trained parameters only (frozen ones come from the base model), in the dtype the
    model is read in: a gemma-2-2b fine-tune takes 4 GB, not the 13 GB of a float32 state dict."""
    state = {name: param.detach().to(getattr(torch, dtype)).cpu()
             for name, param in model.named_parameters() if param.requires_grad}
    buffer = io.BytesIO()
    torch.save(state, buffer)
    return buffer.getvalue()


def finetune_key(preset: str, condition: str, budget: str, seed: int, mask: str, plan: dict, tag: str,
                 corpus: str) -> dict:
    """What decides a fine-tune: its data, dose and code, and the weights it starts from (the base
    model's identity, so a retrained tiny model never reuses the old model's fine-tunes)."""
    key = {"preset": preset, "condition": condition, "budget": budget, "seed": seed, "mask": mask,
           "plan": plan, "tag": tag, "data": data.DATA_VERSION, "base": base_identity(preset, budget, corpus),
           "code": cache.source_hash(data, tasks, training, sys.modules[__name__], *evaluators(plan))}
    if corpus != "plain":
        key["corpus"] = corpus
    return key


def finetuned_folder(preset: str, condition: str, budget: str, seed: int = 0, mask: str = "all",
                     plan: dict | None = None, hooks: list = (), tag: str = "", corpus: str = "plain") -> Path:
    """The cache folder of one fine-tune, building it if missing (resumes if interrupted).

    `hooks` cannot be in the key (a function has no stable value), so `tag` must name them:
    hooks without a tag would share the plain fine-tune's key and silently get its model."""
    preset = resolve_preset(preset, verbose=False)
    if condition not in TRAINED + data.ARMS:
        raise ValueError(f"Unknown condition {condition!r}: fine-tuned ones are "
                         f"{', '.join(TRAINED + data.ARMS)}.")
    if hooks and not tag:
        raise ValueError("a hooked fine-tune needs a tag naming its hooks (interventions.caft gives one)")
    if plan is None:
        plan = dose(preset, budget, seed, load_tokenizer(preset, budget, corpus=corpus))
    key = finetune_key(preset, condition, budget, seed, mask, plan, tag, corpus)
    return cache.artifact("finetune", key, lambda f: build(f, preset, condition, budget, seed, mask, plan,
                                                            hooks, corpus))


def load_finetuned(preset: str, condition: str, budget: str, seed: int = 0, **kwargs) -> HookedTransformer:
    """The model fine-tuned on `condition` ("base": the model before any fine-tuning): the base
    model with the trained parameters put in."""
    folder = None if condition == "base" else finetuned_folder(preset, condition, budget, seed, **kwargs)
    model = load_model(preset, budget, seed=0, corpus=kwargs.get("corpus", "plain"))
    if folder is not None:
        trained = torch.load(folder / "model.pt", weights_only=True, map_location=model.cfg.device)
        missing = set(trained) - set(dict(model.named_parameters()))
        if missing:
            raise ValueError(f"{folder.name} holds parameters this model lacks ({sorted(missing)[:3]}); "
                             "clear it with `python -m helpers.cache clear`.")
        model.load_state_dict(trained, strict=False)
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
