"""Real presets on a machine that cannot reach the hub: a clear error, at once."""

import time

import pytest

from helpers import models
from helpers.models import PresetUnavailable, load_model, load_sae, resolve_preset


@pytest.mark.parametrize("preset", ["pythia-70m", "gpt2-small"])
@pytest.mark.parametrize("offline_flag", ["1", "0"])
def test_real_preset_offline_fails_fast_and_names_tiny(preset, offline_flag, monkeypatch):
    monkeypatch.setenv("HF_HUB_OFFLINE", offline_flag)  # "0": the network itself refuses here
    t0 = time.time()
    with pytest.raises(PresetUnavailable, match="unreachable.*'tiny' preset runs fully offline"):
        load_model(preset)
    with pytest.raises(PresetUnavailable, match="unreachable"):
        load_sae(preset)
    assert time.time() - t0 < 5


def test_gemma_without_a_big_gpu_is_refused_before_any_download():
    t0 = time.time()
    with pytest.raises(PresetUnavailable, match=r"needs a GPU with 12 GB.*no GPU.*PRESET = 'tiny'"):
        load_model("gemma-2-2b")
    assert time.time() - t0 < 5


def test_a_fine_tune_checks_the_gpu_for_fine_tuning_and_names_what_fits(monkeypatch):
    """A T4 runs gemma-2-2b's inference plan but not its fine-tune: the check before a fine-tune
    (and before a chapter that fine-tunes) refuses it and names the preset that fits."""
    from helpers import finetune, run

    monkeypatch.setattr(models, "gpu_memory_gb", lambda: 15.0)
    monkeypatch.setattr(models, "hub_reachable", lambda timeout=3.0: True)
    monkeypatch.setattr(models, "has_hf_token", lambda: True)
    models.check_can_run("gemma-2-2b")  # inference fits
    with pytest.raises(PresetUnavailable, match=r"needs a GPU with 36 GB for fine-tuning.*15.0 GB.*'gpt2-small'"):
        finetune.finetuned_folder("gemma-2-2b", "L1", "smoke", plan={"steps": 1})
    with pytest.raises(PresetUnavailable, match="36 GB for fine-tuning"):
        run.start("gemma-2-2b", "smoke", 0, "/tmp/unused", chapter="02_fine_tuning")


def test_small_gpu_is_refused_with_both_numbers(monkeypatch):
    monkeypatch.setattr(models, "gpu_memory_gb", lambda: 4.0)
    with pytest.raises(PresetUnavailable, match=r"needs a GPU with 6 GB.*has 4.0 GB.*pythia-70m"):
        models.check_can_run(models.get_preset("gpt2-small"), finetune=True)


def test_gated_model_without_token_explains_the_licence(monkeypatch):
    monkeypatch.setattr(models, "gpu_memory_gb", lambda: 80.0)
    monkeypatch.setattr(models, "hub_reachable", lambda timeout=3.0: True)
    monkeypatch.setattr(models, "has_hf_token", lambda: False)
    with pytest.raises(PresetUnavailable, match=r"gated: accept its licence.*HF_TOKEN"):
        models.check_can_run(models.get_preset("gemma-2-2b"))


def test_auto_picks_tiny_offline_and_says_why(capsys, monkeypatch):
    assert resolve_preset("auto") == "tiny"
    line = capsys.readouterr().out.strip()
    assert line.startswith("PRESET auto -> tiny") and "no GPU" in line and "\n" not in line
    monkeypatch.setattr(models, "gpu_memory_gb", lambda: 15.0)
    assert resolve_preset("auto") == "tiny" and "unreachable" in capsys.readouterr().out


@pytest.mark.parametrize("gpu, token, expected", [(0.0, True, "tiny"), (4.0, False, "pythia-70m"), (15.0, False, "gpt2-small"),
                                                  (80.0, False, "gpt2-small"), (80.0, True, "gemma-2-2b")])
def test_auto_picks_the_largest_preset_the_machine_can_run(gpu, token, expected, monkeypatch):
    monkeypatch.setattr(models, "gpu_memory_gb", lambda: gpu)
    monkeypatch.setattr(models, "hub_reachable", lambda timeout=3.0: True)
    monkeypatch.setattr(models, "has_hf_token", lambda: token)
    assert resolve_preset("auto", verbose=False) == expected


def test_unknown_budget_names_the_choices():
    with pytest.raises(ValueError, match="smoke, standard, paper"):
        load_model("tiny", budget="huge")


def test_corpus_variants_exist_only_for_tiny():
    from helpers import tiny

    with pytest.raises(PresetUnavailable, match="only the tiny preset"):
        load_model("gpt2-small", "smoke", corpus="warned")
    with pytest.raises(ValueError, match="plain, warned"):
        tiny.model_folder("smoke", 0, "noisy")
