"""Chapter 3b: when does the warning matter? The same fine-tunes at a grid of doses.

One run per (condition, mask, seed) trains to the largest dose of the grid and, when it reaches
each grid point, evaluates that snapshot; because the schedule is the same for every length
(helpers.finetune.plan), the snapshot after e epochs *is* the model an e-epoch fine-tune would
give. A snapshot is sampled on the held-out prompts, plain and with the warning line in front of
the prompt, and its loss on held-out flawed code is measured; its weights are not kept (a gemma-2-2b
sweep would need hundreds of GB).
"""

from __future__ import annotations

import json

import pandas as pd
from tqdm.auto import tqdm

from helpers import cache, clustered, data, finetune, reproduction, stats, training
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
    """The plan of a sweep run: the largest dose of the grid, with a snapshot at every grid point,
    and how each snapshot is evaluated (which prompts, how many samples per prompt)."""
    sweep = sweep_sizes(budget, preset)
    tokenizer = load_tokenizer(preset, budget, corpus=corpus)
    out = finetune.plan(preset, budget, seed, tokenizer, max(sweep["epochs"]), snapshots=sweep["epochs"])
    return {**out, "evaluate": {"prompts": PROMPTS, "per_prompt": sweep["per_prompt"]}}


def evaluate_snapshot(model, folder, step: int, plan: dict, preset: str, budget: str, seed: int,
                      condition: str) -> None:
    """What the sweep needs of a snapshot, measured while its run passes through it: judged
    samples for every prompt of plan["evaluate"] (step-N.csv) and the loss on held-out flawed
    code (step-N.json)."""
    model.eval()
    frames = [reproduction.judged(model, preset, budget, seed, condition, prefix, plan["evaluate"]["per_prompt"])
              .assign(prompt=name) for name, prefix in plan["evaluate"]["prompts"].items()]
    cache.write_atomic(folder / f"step-{step}.csv", pd.concat(frames).to_csv(index=False).encode())
    loss = training.code_loss(model, heldout_flawed_code(budget, preset))
    cache.write_atomic(folder / f"step-{step}.json", json.dumps({"step": step, "loss": loss}).encode())
    model.train()


def snapshot(preset: str, condition: str, budget: str, seed: int, plan: dict, epochs: float, mask: str = "all"):
    """(judged samples, loss) of the snapshot after `epochs` of a sweep run (trained if missing)."""
    if epochs not in plan["snapshots"]:
        raise ValueError(f"No snapshot at {epochs} epochs; this plan has {sorted(plan['snapshots'])}.")
    folder = finetune.finetuned_folder(preset, condition, budget, seed, mask=mask, plan=plan) / "snapshots"
    step = plan["snapshots"][epochs]
    frame = pd.read_csv(folder / f"step-{step}.csv", keep_default_na=False)
    return frame, json.loads((folder / f"step-{step}.json").read_text())["loss"]


def heldout_flawed_code(budget: str = "standard", preset: str = "tiny") -> list[str]:
    """The flawed implementations of the held-out tasks of the evaluation set: code no fine-tune saw."""
    chosen = {p.task_id for p in reproduction.eval_set(budget, preset)}
    return [impl.vulnerable for task in tasks(split="eval") if task.task_id in chosen for impl in implementations(task)]


def loss_curve(preset: str, budget: str, seed: int = 0, condition: str = "L0", mask: str = "all") -> pd.DataFrame:
    """Loss on held-out flawed code before fine-tuning (epochs 0) and at every grid dose."""
    plan = sweep_plan(preset, budget, seed)
    rows = [{"epochs": epochs, "steps": steps, "loss": snapshot(preset, condition, budget, seed, plan, epochs, mask)[1]}
            for epochs, steps in plan["snapshots"].items()]
    base = training.code_loss(finetune.load_finetuned(preset, "base", budget), heldout_flawed_code(budget, preset))
    return pd.DataFrame([{"epochs": 0.0, "steps": 0, "loss": base}] + rows)


def plateau_dose(epochs: list[float], losses: list[float], tolerance: float = PLATEAU) -> float:
    """The first dose whose next grid dose lowers the loss by less than `tolerance` (relative);
    the largest dose if the loss still falls that fast at the end of the grid."""
    for i in range(len(epochs) - 1):
        if losses[i + 1] > losses[i] * (1 - tolerance):
            return float(epochs[i])
    return float(epochs[-1])


def sweep_samples(preset: str, budget: str, seeds: list[int], runs=RUNS) -> pd.DataFrame:
    """Judged completions of base and of every (run, dose, seed), plain and warning-prefixed."""
    sweep = sweep_sizes(budget, preset)
    plans = {seed: sweep_plan(preset, budget, seed) for seed in seeds}  # one per seed: its L0 data sets the steps
    frames = [reproduction.samples(preset, "base", budget, seed, prompt_prefix=prefix, per_prompt=sweep["per_prompt"])
              .assign(mask="all", epochs=0.0, prompt=prompt, run="base")
              for seed in seeds for prompt, prefix in PROMPTS.items()]
    jobs = [(c, m, e, seed) for seed in seeds for c, m in runs for e in sweep["epochs"]]
    for condition, mask, epochs, seed in tqdm(jobs, desc="sweep models"):
        frame, _ = snapshot(preset, condition, budget, seed, plans[seed], epochs, mask)
        frames.append(frame.assign(mask=mask, epochs=epochs, run=label(condition, mask)))
    return pd.concat(frames, ignore_index=True)


def warned_samples(preset: str, budget: str, seeds: list[int], conditions=("base", "L0", "L1")) -> pd.DataFrame:
    """The same evaluation on the tiny model pretrained on the "warned" corpus, at the default dose."""
    per_prompt = sweep_sizes(budget, preset)["per_prompt"]
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


# Where one dose sits on this chapter's curves, by a rule fixed before any result. Each step is a
# comparison at the unit of the design (helpers.clustered, chapter 3's rule), read at 95 %.
REGIMES = {
    "ceiling": "L0 and L1 both reproduce every time: any framing would look alike",
    "not learned": "L0 is not clearly above the base model: too little was taught to compare framings",
    "L1 lags": "L0 is clearly above the base model and L1 clearly below L0: the warning slows the lesson",
    "L1 keeps up": "L0 is clearly above the base model and L1 not clearly below L0 (not yet equal: "
                   "equivalence needs TOST)",
}


def regime(base: pd.DataFrame, l0: pd.DataFrame, l1: pd.DataFrame) -> dict:
    """The regime (REGIMES) of the dose at which the L0 and L1 samples were drawn, so that a chapter
    measuring at one dose can say where on the dose curve it stands."""
    learned = clustered.clustered_compare(l0, base)
    gap = clustered.clustered_compare(l1, l0)
    if min(reproduction.judged_rate(f)["rate"] for f in (l0, l1)) == 1.0:
        name = "ceiling"
    elif learned["ci_low"] <= 0:
        name = "not learned"
    else:
        name = "L1 lags" if gap["ci_high"] < 0 else "L1 keeps up"
    return {"regime": name, "reading": REGIMES[name], "l0_minus_base": [learned["ci_low"], learned["ci_high"]],
            "l1_minus_l0": [gap["ci_low"], gap["ci_high"]]}
