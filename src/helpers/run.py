"""The notebook contract: resolve the parameters cell, seed everything, write metrics.json.

Every chapter starts with `run = start(PRESET, BUDGET, SEED, OUTPUT_DIR)` and ends with
`run.finish(...)`, so every chapter's metrics.json has the same top-level shape.
"""

from __future__ import annotations

import json
import os
import random
import time
import warnings
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

from helpers.budgets import check_budget
from helpers.cache import write_atomic
from helpers.models import resolve_preset

PRESET_ENV, BUDGET_ENV = "WARNBOOK_PRESET", "WARNBOOK_BUDGET"
METRICS_ENV = "WARNBOOK_METRICS_DIR"  # set by `make book`: every chapter's metrics, for the results page


def quiet() -> None:
    """Silence the warnings stack.md lists as harmless, so a learner sees only what matters."""
    for pattern in (".*HookedTransformer.*", ".*deprecat.*", ".*running over TCP.*", ".*override.*",
                    ".*model_from_pretrained_kwargs.*", r"\s*This SAE has non-empty model_from_pretrained_kwargs"):
        warnings.filterwarnings("ignore", message=pattern)
    warnings.filterwarnings("ignore", category=DeprecationWarning)
    warnings.filterwarnings("ignore", category=SyntaxWarning)  # the judge parses generated code
    warnings.filterwarnings("ignore", category=FutureWarning)


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


@dataclass
class Run:
    preset: str
    budget: str
    seed: int
    output_dir: Path
    chapter: str = ""
    started: float = field(default_factory=time.time)

    def finish(self, **figures) -> None:
        """Write OUTPUT_DIR/metrics.json (atomically); the file, not a printout, is the record."""
        metrics = {"preset": self.preset, "budget": self.budget, "seed": self.seed,
                   "seconds": round(time.time() - self.started, 1), **figures}
        blob = json.dumps(metrics, indent=1, default=_to_json).encode()
        write_atomic(self.output_dir / "metrics.json", blob)
        if self.chapter and os.environ.get(METRICS_ENV):
            write_atomic(Path(os.environ[METRICS_ENV]) / f"{self.chapter}.json", blob)
        print(f"metrics.json written to {self.output_dir} after {metrics['seconds']} s")


def _to_json(value):
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot write {type(value).__name__} to metrics.json")


def start(preset: str, budget: str, seed: int, output_dir: str, chapter: str = "") -> Run:
    """Resolve PRESET ('auto' may be set by $WARNBOOK_PRESET, as `make book` does) and BUDGET.

    `chapter` names the chapter's copy of its metrics in $WARNBOOK_METRICS_DIR (the results page)."""
    quiet()
    if preset == "auto" and os.environ.get(PRESET_ENV):
        preset = os.environ[PRESET_ENV]
        print(f"PRESET auto -> {preset}: set by ${PRESET_ENV}")
    budget = os.environ.get(BUDGET_ENV) or budget
    preset = resolve_preset(preset)
    check_budget(budget)
    seed_everything(seed)
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    print(f"preset={preset}  budget={budget}  seed={seed}  outputs -> {out.resolve()}")
    return Run(preset, budget, int(seed), out, chapter)
