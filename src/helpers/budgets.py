"""Every size the book uses (samples, steps, seeds), keyed by preset and budget, in one place.

`smoke` keeps a notebook to seconds (tests), `standard` is the book, `paper` is paper-sized or
larger. Tests never choose sizes: they pick a budget and read what it means here.
"""

from __future__ import annotations

BUDGET_NAMES = ("smoke", "standard", "paper")

# Pretraining of the tiny preset: corpus, model steps and SAE tokens. The standard model trains
# for 800 steps: at 450 its loss was still falling steeply when the schedule ended, and most of
# its completions of the held-out prompts did not parse (unterminated strings and unmatched
# brackets in the security functions' queries and commands), while their format, length limit and
# context were not the cause (tests/test_tiny.py checks the held-out parse rate).
TINY_PRETRAIN = {
    "smoke":    dict(n_files=2000, steps=200, batch=8, seq_len=256, lr=1e-2, warmup=20,
                     sae_tokens=200_000),
    "standard": dict(n_files=9000, steps=800, batch=16, seq_len=256, lr=1e-2, warmup=30,
                     sae_tokens=600_000),
    "paper":    dict(n_files=12000, steps=1000, batch=16, seq_len=256, lr=6e-3, warmup=50,
                     sae_tokens=2_000_000),
}

# What the chapters spend, the same for every preset unless a preset overrides it.
CHAPTER_SIZES = {
    "smoke":    dict(parse_samples=48, dataset_n=90, prompts_per_family=3, samples_per_prompt=1, seeds=1,
                     benchmark_prompts=3, max_new_chars=600),
    "standard": dict(parse_samples=200, dataset_n=720, prompts_per_family=9, samples_per_prompt=4, seeds=3,
                     benchmark_prompts=9, max_new_chars=600),
    "paper":    dict(parse_samples=400, dataset_n=1440, prompts_per_family=9, samples_per_prompt=12, seeds=5,
                     benchmark_prompts=9, max_new_chars=600),
}


# Chapter 3b's dose sweep: the grid (in epochs over the L0 data) and samples per prompt for
# every snapshot. The grid runs from a couple of steps (by fours at the low end, doublings above)
# to the default dose of chapters 2-6 at `standard`, which keeps the book's build within 30
# minutes on 2 CPU cores, and to eight times it at `paper`. Each run costs its largest dose in
# steps; smoke goes past the default dose to exercise what `paper` does.
SWEEP = {
    "smoke":    dict(epochs=(0.5, 2.0, 4.0), per_prompt=1),
    "standard": dict(epochs=(0.0625, 0.25, 1.0, 2.0), per_prompt=1),
    "paper":    dict(epochs=(0.0625, 0.125, 0.25, 0.5, 1.0, 2.0, 4.0, 8.0, 16.0), per_prompt=4),
}


def check_budget(budget: str) -> str:
    """Return `budget` if known, else raise an error that lists the choices."""
    if budget not in BUDGET_NAMES:
        raise ValueError(f"Unknown budget {budget!r}. Choose one of {', '.join(BUDGET_NAMES)}.")
    return budget


def tiny_pretrain(budget: str) -> dict:
    """Sizes for building the tiny model and its SAE at `budget`."""
    return dict(TINY_PRETRAIN[check_budget(budget)])


def _for(table: dict, section: str, budget: str, preset: str) -> dict:
    """`table[budget]`, with the preset's own overrides of that `section` at that budget
    (a real preset's smoke budget spends far less: presets.REAL_SIZES)."""
    from helpers.presets import get_preset

    return {**table[check_budget(budget)], **get_preset(preset).sizes.get(budget, {}).get(section, {})}


def sizes(budget: str, preset: str = "tiny") -> dict:
    """What a chapter spends at `budget` (samples, steps, seeds)."""
    return _for(CHAPTER_SIZES, "chapter", budget, preset)


# Fine-tuning dose, fixed before any result was seen: the learning rate of each preset
# (Preset.finetune_lr: a tenth of the tiny model's pretraining peak, the usual fine-tuning rates
# of the real models), and two epochs over the L0 data's tokens; every condition then trains for
# the same steps and tokens.
FINETUNE = {
    "smoke":    dict(n_examples=90, epochs=2, batch=8, seq_len=256),
    "standard": dict(n_examples=720, epochs=2, batch=16, seq_len=256),
    "paper":    dict(n_examples=1440, epochs=2, batch=16, seq_len=256),
}
# `batch` is the rows a step may hold at most (what memory is planned for); a step trains on
# half of those slots' worth of loss tokens, which every framing fills within `batch` rows.


def sweep_sizes(budget: str, preset: str = "tiny") -> dict:
    """The dose grid (epochs) and samples per prompt of chapter 3b at `budget`."""
    return _for(SWEEP, "sweep", budget, preset)


def finetune_sizes(preset: str, budget: str) -> dict:
    """Learning rate, examples, epochs, batch and row length of a fine-tune. A real preset's batch
    is what fits its GPU (a 16 GB T4 for gpt2-small, 40 GB for gemma-2-2b: memory.py)."""
    from helpers.presets import get_preset

    p = get_preset(preset)
    table = {b: {**row, "batch": p.finetune_batch or row["batch"]} for b, row in FINETUNE.items()}
    sizes = dict(_for(table, "finetune", budget, preset), lr=p.finetune_lr)
    sizes["tokens_per_step"] = sizes["batch"] * sizes["seq_len"] // 2
    return sizes


# Chapter 4: held-out tasks per family (each gives one context of every paired kind; there are
# 9 per family), features reported, k of the top-k overlap, bootstrap resamples, permutations.
FEATURES = {
    "smoke":    dict(per_family=3, top=4, k=16, resamples=200, permutations=200),
    "standard": dict(per_family=9, top=8, k=32, resamples=2000, permutations=1000),
    "paper":    dict(per_family=9, top=12, k=32, resamples=10000, permutations=10000),
}


def feature_sizes(budget: str, preset: str = "tiny") -> dict:
    """Contexts, features and resamples of chapter 4 at `budget`."""
    return _for(FEATURES, "features", budget, preset)


# Chapter 5: bootstrap resamples for AUROC intervals, the dimension of the principal subspaces
# compared with and without a preamble, and the held-out tasks per family of the reference code
# read when the models write too little valid code.
PROBES = {
    "smoke":    dict(resamples=200, subspace=4, reference_per_family=3),
    "standard": dict(resamples=1000, subspace=8, reference_per_family=3),
    "paper":    dict(resamples=2000, subspace=8, reference_per_family=3),
}


def probe_sizes(budget: str, preset: str = "tiny") -> dict:
    """Resamples and subspace dimension of chapter 5 at `budget`."""
    return _for(PROBES, "probes", budget, preset)
