"""What each chapter rebuilds of earlier chapters' work when the artifact cache is empty.

Every chapter runs on its own: what it needs from an earlier chapter it takes from the cache, or
builds. A Colab notebook starts in a fresh runtime whose cache is empty, so there a chapter first
redoes that earlier work, unless the cache is kept on Google Drive (CACHE_ON_DRIVE in the first
cell). `colab_note` says which case this is, what the chapter will rebuild and about how long
that takes, with the times of the instructor page (helpers.results.chapter_time).
"""

from __future__ import annotations

import sys
from dataclasses import dataclass

from helpers import cache, results
from helpers.presets import get_preset

MY_DRIVE = "MyDrive"  # a learner's own folder of Google Drive, wherever the first cell mounts it


@dataclass(frozen=True)
class Need:
    """Work of an earlier chapter that a later one reads from the cache."""
    chapter: str              # the chapter that builds it
    what: str                 # a few words for the learner
    kinds: tuple[str, ...]    # the cache kinds that hold it (helpers.cache.artifact)
    trained_here_only: bool = False  # a real preset downloads it instead: no cache of the book's holds it


TINY_MODEL = Need("00_setup", "the tiny model", ("tiny-model",), trained_here_only=True)
TINY_MODEL_SAE = Need("00_setup", "the tiny model and its SAE", ("tiny-model", "tiny-sae"), trained_here_only=True)
FINE_TUNES = Need("02_fine_tuning", "the fine-tuned models", ("finetune",))
SAMPLES = Need("03_reproduction", "the judged samples", ("samples",))

# Read from each chapter's calls: load_model/load_tokenizer (the tiny model), load_sae (its SAE),
# finetune.load_finetuned/finetuned_folder (chapter 2's fine-tunes, at the default dose),
# reproduction.samples (chapter 3's samples). Chapter 3b trains its own dose sweep and warned-corpus
# model; chapter 6 reruns chapter 4's feature rule itself (nothing of chapter 4 is cached).
NEEDS: dict[str, tuple[Need, ...]] = {
    "00_setup": (),
    "01_data_construction": (TINY_MODEL,),
    "02_fine_tuning": (TINY_MODEL,),
    "03_reproduction": (TINY_MODEL, FINE_TUNES),
    "03b_dose_and_triggers": (TINY_MODEL,),
    "04_sae_overlap": (TINY_MODEL_SAE, FINE_TUNES, SAMPLES),
    "05_stealth_slip": (TINY_MODEL, FINE_TUNES, SAMPLES),
    "06_ablation": (TINY_MODEL_SAE, FINE_TUNES, SAMPLES),
    "07_framings": (TINY_MODEL_SAE, FINE_TUNES),  # samples its arms itself (L0's and L1's are chapter 3's)
}


def held_kinds(preset: str, budget: str) -> set[str]:
    """The kinds of artifact the cache holds for this preset and budget: a look at the manifests, not
    a check of exact keys (those need the models and plans to compute)."""
    return {row["kind"] for row in cache.list_artifacts()
            if row["key"].get("preset") == preset and row["key"].get("budget", budget) == budget}


def missing(chapter: str, preset: str, budget: str) -> list[Need]:
    """What `chapter` will rebuild of earlier chapters' work, with the cache as it is now."""
    trained_here, held = get_preset(preset).trained_here, held_kinds(preset, budget)
    return [n for n in NEEDS.get(chapter, ()) if (trained_here or not n.trained_here_only) and not set(n.kinds) <= held]


def on_colab() -> bool:
    return "google.colab" in sys.modules


def on_drive() -> bool:
    return MY_DRIVE in cache.cache_root().parts


def colab_note(chapter: str, preset: str, budget: str) -> list[str]:
    """On Colab, the lines that say where the cache lives and, when it is the runtime's own, what this
    chapter rebuilds and for how long; off Colab, none."""
    if not on_colab():
        return []
    if on_drive():
        return [f"cache: on Google Drive ({cache.cache_root()}); earlier chapters' work is read from there"]
    lines = []
    if needs := missing(chapter, preset, budget):
        chapters = list(dict.fromkeys(n.chapter for n in needs))
        took = results.ChapterTime.total([results.chapter_time(preset, c, budget) for c in chapters])
        what = [f"{n.what} (chapter {results.CHAPTERS[n.chapter].split()[0]})" for n in needs]
        what = ", ".join(what[:-1]) + " and " + what[-1] if len(what) > 1 else what[0]
        lines.append(f"first, this chapter rebuilds what this runtime's cache lacks: {what}, up to {took.describe(budget)}")
    lines.append("set CACHE_ON_DRIVE = True in the first cell to keep the cache on Google Drive, across runtimes")
    return lines
