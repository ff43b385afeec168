"""How much disk the artifact cache needs, per preset and budget, counted before anything runs.

A fine-tune keeps only its trained parameters, in the dtype the model is read in (a gemma-2-2b
fine-tune: 2.0 B parameters in bfloat16, 4 GB); chapter 3b's sweep runs keep no weights at all,
only what the sweep measures of their snapshots. A Colab runtime has about 80 GB of disk.
"""

from __future__ import annotations

from helpers.budgets import sizes
from helpers.memory import GB, OPTIMISER_BYTES, n_params, trainable_params
from helpers.presets import PRESETS, get_preset

BYTES = {"float32": 4, "bfloat16": 2, "float16": 2}
CAFT_DIRECTIONS = 3  # SAE, PCA and random directions (chapter 6)
CONDITIONS = 5       # control, L0-L3 (chapter 2)


def fine_tunes(preset: str, budget: str) -> int:
    """Fine-tunes whose weights the cache keeps: chapter 2's conditions and chapter 6's CAFT runs
    for every seed, and chapter 3b's warned-corpus L0 and L1 on the tiny preset."""
    seeds = sizes(budget, preset)["seeds"]
    warned = 2 if get_preset(preset).trained_here else 0
    return seeds * (CONDITIONS + CAFT_DIRECTIONS + warned)


def disk_plan_gb(preset: str, budget: str = "standard") -> dict:
    """The cache's size once every chapter has run, in GB, by part; `peak` adds the largest
    temporary file (a fine-tune's float32 checkpoint with its optimiser state)."""
    p = get_preset(preset)
    total, trained = n_params(p.arch)["total"], trainable_params(p.arch, p.frozen)
    one = trained * BYTES[p.dtype]
    parts = {"download": 0.0 if p.trained_here else (total * 4 + 2 * p.d_model * p.d_sae * 4) / GB,
             "fine_tunes": fine_tunes(preset, budget) * one / GB,
             "samples": 0.05}
    out = {k: round(v, 2) for k, v in parts.items()}
    out["total"] = round(sum(parts.values()), 1)
    out["checkpoint"] = round((total * 4 + trained * OPTIMISER_BYTES[p.optimiser]) / GB, 1)
    out["peak"] = round(out["total"] + out["checkpoint"], 1)
    out.update(n_fine_tunes=fine_tunes(preset, budget), gb_per_fine_tune=round(one / GB, 2))
    return out


def disk_table(budget: str = "standard"):
    """The plan of every preset at `budget`, as a table."""
    import pandas as pd

    return pd.DataFrame({name: disk_plan_gb(name, budget) for name in PRESETS}).T.rename_axis("preset")


def disk_note(preset: str, budget: str) -> str:
    """One line for the learner: what this preset and budget will keep in the cache, and whether
    the cache's disk has room for it (a full disk would stop a fine-tune halfway)."""
    import shutil

    from helpers.cache import cache_root

    plan, free = disk_plan_gb(preset, budget), shutil.disk_usage(cache_root()).free / GB
    line = (f"{preset} at {budget}: the cache will hold about {plan['total']:g} GB (up to {plan['peak']:g} GB "
            f"while a fine-tune is saved); {free:.0f} GB free where it lives.")
    return line + ("" if free >= plan["peak"] else " NOT ENOUGH: free some disk, or point $WARNBOOK_CACHE elsewhere.")
