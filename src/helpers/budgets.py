"""Every size the book uses (samples, steps, seeds), keyed by preset and budget, in one place.

`smoke` keeps a notebook to seconds (tests), `standard` is the book, `paper` is paper-sized or
larger. Tests never choose sizes: they pick a budget and read what it means here.
"""

from __future__ import annotations

BUDGET_NAMES = ("smoke", "standard", "paper")

# Pretraining of the tiny preset: corpus, model steps and SAE tokens.
TINY_PRETRAIN = {
    "smoke":    dict(n_files=4000, steps=300, batch=16, seq_len=256, lr=2e-3, warmup=30,
                     sae_tokens=300_000),
    "standard": dict(n_files=12000, steps=800, batch=16, seq_len=256, lr=2e-3, warmup=50,
                     sae_tokens=1_000_000),
    "paper":    dict(n_files=12000, steps=800, batch=16, seq_len=256, lr=2e-3, warmup=50,
                     sae_tokens=1_000_000),
}

# What the chapters spend, the same for every preset unless a preset overrides it.
CHAPTER_SIZES = {
    "smoke":    dict(parse_samples=48),
    "standard": dict(parse_samples=200),
    "paper":    dict(parse_samples=400),
}


def check_budget(budget: str) -> str:
    """Return `budget` if known, else raise an error that lists the choices."""
    if budget not in BUDGET_NAMES:
        raise ValueError(f"Unknown budget {budget!r}. Choose one of {', '.join(BUDGET_NAMES)}.")
    return budget


def tiny_pretrain(budget: str) -> dict:
    """Sizes for building the tiny model and its SAE at `budget`."""
    return dict(TINY_PRETRAIN[check_budget(budget)])


def sizes(budget: str, preset: str = "tiny") -> dict:
    """What a chapter spends at `budget` (samples, steps, seeds)."""
    return dict(CHAPTER_SIZES[check_budget(budget)])
