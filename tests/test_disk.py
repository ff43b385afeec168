"""The disk plan: what the cache will hold per preset and budget, and what a fine-tune stores."""

import torch

from helpers import disk, finetune, models, rehearsal
from helpers.memory import trainable_params
from helpers.presets import PRESETS


def test_the_real_presets_fit_their_disks_at_standard():
    """gpt2-small within 40 GB, gemma-2-2b within 100 GB, peaks included."""
    assert disk.disk_plan_gb("gpt2-small")["peak"] <= 40
    assert disk.disk_plan_gb("gemma-2-2b")["peak"] <= 100
    plan = disk.disk_plan_gb("gemma-2-2b")
    assert plan["gb_per_fine_tune"] == round(trainable_params(PRESETS["gemma-2-2b"].arch, ("embed.W_E", "unembed.W_U"))
                                             * 2 / 1e9, 2)  # bfloat16, embeddings frozen
    assert disk.disk_plan_gb("gemma-2-2b", "paper")["total"] > plan["total"]  # more seeds, more fine-tunes
    assert list(disk.disk_table().index) == list(PRESETS)


def test_a_fine_tune_stores_only_its_trained_parameters_in_the_read_dtype(tmp_path, monkeypatch, rehearsal_mode):
    monkeypatch.setenv("WARNBOOK_CACHE", str(tmp_path))
    folder = finetune.finetuned_folder("gemma-2-2b", "L0", "smoke", 0)
    state = torch.load(folder / "model.pt", weights_only=True)
    preset = rehearsal.stand_in(PRESETS["gemma-2-2b"])
    assert not set(preset.frozen) & set(state) and {t.dtype for t in state.values()} == {torch.bfloat16}
    vocab = len(models.load_tokenizer("gemma-2-2b"))
    assert sum(t.numel() for t in state.values()) == trainable_params(preset.arch | {"d_vocab": vocab}, preset.frozen)
    assert not (folder / "snapshots").exists() and not (folder / "checkpoint.pt").exists()
