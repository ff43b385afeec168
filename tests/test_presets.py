import pytest
from sae_lens.loading.pretrained_saes_directory import get_pretrained_saes_directory
from transformer_lens.loading_from_pretrained import get_official_model_name

from helpers.presets import PRESET_NAMES, PRESETS, get_preset, presets_table

REAL = [p for p in PRESETS.values() if p.sae_release]


@pytest.mark.parametrize("preset", REAL, ids=lambda p: p.name)
def test_sae_release_and_id_exist_in_sae_lens(preset):
    directory = get_pretrained_saes_directory()
    assert preset.sae_release in directory, f"{preset.sae_release} is not a sae-lens release"
    lookup = directory[preset.sae_release]
    assert preset.sae_id in lookup.saes_map
    assert get_official_model_name(lookup.model) == get_official_model_name(preset.model_name)
    assert get_official_model_name(preset.model_name).lower().endswith(preset.hf_repo.split("/")[-1])


def test_hooks_match_the_sae_ids():
    assert PRESETS["pythia-70m"].hook_name == PRESETS["pythia-70m"].sae_id
    assert PRESETS["gpt2-small"].hook_name == PRESETS["gpt2-small"].sae_id
    gemma = PRESETS["gemma-2-2b"]
    assert gemma.sae_id.startswith(f"layer_{gemma.layer}/width_16k/")
    assert gemma.d_sae == 16 * 1024 and gemma.hook_name == f"blocks.{gemma.layer}.hook_resid_post"
    for preset in PRESETS.values():
        assert f"blocks.{preset.layer}." in preset.hook_name and preset.layer < preset.n_layers


def test_gemma_architecture_matches_transformer_lens():
    from transformer_lens.loading_from_pretrained import convert_hf_model_config

    reference = convert_hf_model_config("google/gemma-2-2b")
    for key, value in PRESETS["gemma-2-2b"].arch.items():
        assert reference[key] == value, key


def test_gpt2_architecture_matches_transformers_defaults():
    from transformers import GPT2Config

    ref, arch = GPT2Config(), PRESETS["gpt2-small"].arch
    assert (arch["d_model"], arch["n_layers"], arch["n_heads"], arch["d_vocab"], arch["n_ctx"]) == \
        (ref.n_embd, ref.n_layer, ref.n_head, ref.vocab_size, ref.n_positions)
    assert arch["act_fn"] == ref.activation_function


def test_memory_needs_grow_with_the_model():
    needs = [PRESETS[n].gpu_gb_finetune for n in PRESET_NAMES]
    assert needs == sorted(needs) and needs[-1] <= 40


def test_unknown_preset_names_the_choices():
    with pytest.raises(ValueError, match="tiny, pythia-70m, gpt2-small, gemma-2-2b"):
        get_preset("gpt-5")


def test_presets_table_lists_every_preset():
    table = presets_table()
    assert list(table.index) == list(PRESET_NAMES)
    assert table.loc["gemma-2-2b", "gated"] and not table.loc["tiny", "gated"]
