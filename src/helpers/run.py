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

from helpers import rehearsal
from helpers.budgets import check_budget
from helpers.cache import shown, write_atomic
from helpers.models import check_can_run, resolve_preset
from helpers.rebuilds import colab_note
from helpers.results import CHAPTERS, chapter_time

PRESET_ENV, BUDGET_ENV = "WARNBOOK_PRESET", "WARNBOOK_BUDGET"
INFERENCE_ONLY = ("00_setup", "01_data_construction")  # every other chapter fine-tunes (or reads fine-tunes)
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
                   "seconds": round(time.time() - self.started, 1), "device": device_name(),
                   "rehearsal": rehearsal.active(), "peak_memory_gb": peak_memory_gb(), **figures}
        blob = json.dumps(metrics, indent=1, default=_to_json).encode()
        write_atomic(self.output_dir / "metrics.json", blob)
        if self.chapter and os.environ.get(METRICS_ENV):
            write_atomic(Path(os.environ[METRICS_ENV]) / f"{self.chapter}.json", blob)
        print(f"metrics.json written to {shown(self.output_dir)} after {metrics['seconds']} s")


def peak_memory_gb() -> dict:
    """The most memory this kernel has held: resident CPU memory, and GPU memory where there is one.
    The CPU figure is the kernel's own high-water mark (VmHWM, which starts afresh with the
    process; getrusage's maxrss would carry over the larger process that started the kernel)."""
    import resource

    status = Path("/proc/self/status")
    hwm = [line.split()[1] for line in status.read_text().splitlines() if line.startswith("VmHWM")] \
        if status.exists() else []
    kb = int(hwm[0]) if hwm else resource.getrusage(resource.RUSAGE_SELF).ru_maxrss  # kB on Linux
    peak = {"cpu_rss": round(kb / 1e6, 2)}
    if torch.cuda.is_available():
        peak["gpu"] = round(torch.cuda.max_memory_allocated() / 1e9, 2)
    return peak


def device_name() -> str:
    """What the chapter ran on, so that a committed time can be read against its hardware."""
    if torch.cuda.is_available():
        return torch.cuda.get_device_name(0)
    return f"cpu ({os.cpu_count()} cores)"


def _to_json(value):
    if hasattr(value, "item"):
        return value.item()
    if hasattr(value, "tolist"):
        return value.tolist()
    raise TypeError(f"cannot write {type(value).__name__} to metrics.json")


def device_line() -> str:
    """The GPU and its memory, which decide the preset and the time a chapter takes."""
    from helpers.models import gpu_memory_gb

    if torch.cuda.is_available():
        return f"device: {device_name()}, {gpu_memory_gb():.0f} GB of GPU memory"
    return f"device: no GPU, {os.cpu_count()} CPU cores"


def start(preset: str, budget: str, seed: int, output_dir: str, chapter: str = "") -> Run:
    """Resolve PRESET ('auto' may be set by $WARNBOOK_PRESET, as `make book` does) and BUDGET, and say
    first what a learner plans with: the preset, the device, this chapter's time and, on Colab, what
    an empty cache makes it rebuild. Then refuse, before anything downloads, a preset that cannot run.

    `chapter` names the chapter's copy of its metrics in $WARNBOOK_METRICS_DIR (the results page)."""
    quiet()
    if preset == "auto" and os.environ.get(PRESET_ENV):
        preset = os.environ[PRESET_ENV]
        print(f"PRESET auto -> {preset}: set by ${PRESET_ENV}")
    budget = os.environ.get(BUDGET_ENV) or budget
    preset = resolve_preset(preset)
    check_budget(budget)
    out = Path(output_dir)
    print(f"preset={preset}  budget={budget}  seed={seed}  outputs -> {shown(out)}")
    print(device_line())
    if chapter in CHAPTERS:
        print(f"this chapter: {chapter_time(preset, chapter, budget).describe(budget)}")
    for line in colab_note(chapter, preset, budget):
        print(line)
    check_can_run(preset, finetune=chapter not in INFERENCE_ONLY)  # before anything downloads
    seed_everything(seed)
    out.mkdir(parents=True, exist_ok=True)
    return Run(preset, budget, int(seed), out, chapter)
