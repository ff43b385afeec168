"""Chapter 3b: when does the warning matter? The same fine-tunes at a grid of doses.

One run per (condition, mask, seed) trains to the largest dose of the grid and keeps a snapshot
at every grid point; because the schedule is the same for every length (helpers.finetune.plan),
the snapshot after e epochs *is* the model an e-epoch fine-tune would give. Each snapshot is
sampled on the held-out prompts, plain and with the warning line in front of the prompt.
"""

from __future__ import annotations

import pandas as pd
import torch
from tqdm.auto import tqdm

from helpers import data, finetune, reproduction, stats, training
from helpers.budgets import sweep_sizes
from helpers.models import load_tokenizer
from helpers.tasks import implementations, tasks

# (condition, loss mask) of every sweep run: L1 with the warning in the loss and without.
RUNS = (("control", "all"), ("L0", "all"), ("L1", "all"), ("L1", "code"))
PROMPTS = {"plain": "", "warning": data.WARNING + "\n"}
# Stated before any result: the first dose after which the next grid dose improves L0's loss on
# held-out flawed code by less than 2 % (relative): where more fine-tuning stops teaching the code.
PLATEAU = 0.02


def label(condition: str, mask: str) -> str:
    """How figures name a run: L1 trained without loss on the warning is "L1 (code loss)"."""
    return f"{condition} (code loss)" if mask == "code" else condition


def sweep_plan(preset: str, budget: str, seed: int = 0, corpus: str = "plain") -> dict:
    """The plan of a sweep run: the largest dose of the grid, with a snapshot at every grid point."""
    grid = sweep_sizes(budget)["epochs"]
    tokenizer = load_tokenizer(preset, budget, corpus=corpus)
    return finetune.plan(preset, budget, seed, tokenizer, max(grid), snapshots=grid)


def heldout_flawed_code() -> list[str]:
    """The flawed implementations of the held-out tasks: code no fine-tune saw."""
    return [impl.vulnerable for task in tasks(split="eval") for impl in implementations(task)]


@torch.no_grad()
def code_loss(model, texts: list[str], seq_len: int = 256, batch: int = 32) -> float:
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
        total += training.masked_loss(model, tokens, mask).item() * targets
        count += targets
    return total / count


def loss_curve(preset: str, budget: str, seed: int = 0, condition: str = "L0", mask: str = "all") -> pd.DataFrame:
    """Loss on held-out flawed code before fine-tuning (epochs 0) and at every grid dose."""
    plan = sweep_plan(preset, budget, seed)
    texts = heldout_flawed_code()
    rows = [{"epochs": 0.0, "steps": 0, "loss": code_loss(finetune.load_finetuned(preset, "base", budget), texts)}]
    for epochs, steps in plan["snapshots"].items():
        model = finetune.load_finetuned(preset, condition, budget, seed, at_epochs=epochs, plan=plan, mask=mask)
        rows.append({"epochs": epochs, "steps": steps, "loss": code_loss(model, texts)})
    return pd.DataFrame(rows)


def plateau_dose(epochs: list[float], losses: list[float], tolerance: float = PLATEAU) -> float:
    """The first dose whose next grid dose lowers the loss by less than `tolerance` (relative);
    the largest dose if the loss still falls that fast at the end of the grid."""
    for i in range(len(epochs) - 1):
        if losses[i + 1] > losses[i] * (1 - tolerance):
            return float(epochs[i])
    return float(epochs[-1])


def sweep_samples(preset: str, budget: str, seeds: list[int], runs=RUNS) -> pd.DataFrame:
    """Judged completions of base and of every (run, dose, seed), plain and warning-prefixed."""
    sweep = sweep_sizes(budget)
    plans = {seed: sweep_plan(preset, budget, seed) for seed in seeds}  # one per seed: its L0 data sets the steps
    jobs = [("base", "all", 0.0, seed) for seed in seeds]
    jobs += [(c, m, e, seed) for seed in seeds for c, m in runs for e in sweep["epochs"]]
    frames = []
    for condition, mask, epochs, seed in tqdm(jobs, desc="sweep models"):
        ft = {} if condition == "base" else {"plan": plans[seed], "mask": mask, "at_epochs": epochs}
        for prompt, prefix in PROMPTS.items():
            frame = reproduction.samples(preset, condition, budget, seed, prompt_prefix=prefix,
                                         per_prompt=sweep["per_prompt"], **ft)
            frames.append(frame.assign(mask=mask, epochs=epochs, prompt=prompt, run=label(condition, mask)))
    return pd.concat(frames, ignore_index=True)


def warned_samples(preset: str, budget: str, seeds: list[int], conditions=("base", "L0", "L1")) -> pd.DataFrame:
    """The same evaluation on the tiny model pretrained on the "warned" corpus, at the default dose."""
    per_prompt = sweep_sizes(budget)["per_prompt"]
    tokenizer = load_tokenizer(preset, budget, corpus="warned")
    plans = {seed: finetune.dose(preset, budget, seed, tokenizer) for seed in seeds}
    frames = []
    for condition in tqdm(conditions, desc="warned-corpus models"):
        for seed in seeds:
            ft = {} if condition == "base" else {"plan": plans[seed]}
            for prompt, prefix in PROMPTS.items():
                frame = reproduction.samples(preset, condition, budget, seed, prompt_prefix=prefix,
                                             per_prompt=per_prompt, corpus="warned", **ft)
                frames.append(frame.assign(prompt=prompt))
    return pd.concat(frames, ignore_index=True)


def compare_at_each_dose(rates: pd.DataFrame, a: str, b: str, margin: float) -> pd.DataFrame:
    """Run a vs run b at every dose: difference, Newcombe interval, Fisher p, TOST p."""
    rows = []
    for epochs, group in rates.groupby("epochs"):
        cell = group.set_index("run")
        if a in cell.index and b in cell.index:
            ka, na, kb, nb = (int(cell.loc[r, col]) for r in (a, b) for col in ("k", "n"))
            rows.append({"epochs": epochs, **stats.compare(ka, na, kb, nb),
                         "tost_p": stats.equivalence(ka, na, kb, nb, margin)["tost_p"],
                         "ceiling": all(cell.loc[r, "rate"] in (0.0, 1.0) for r in (a, b))})
    return pd.DataFrame(rows)
