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


def test_what_differs_between_presets_is_a_field_not_a_string_test():
    """dtype, optimiser, frozen parts, batches and learning rates are fields of Preset: no module
    or chapter decides them by comparing a preset's name."""
    import re

    from test_notebook_lint import ROOT

    pattern = re.compile(r"""(==|!=)\s*\\?["'](tiny|pythia-70m|gpt2-small|gemma-2-2b)\\?["']""")
    files = list((ROOT / "src" / "helpers").rglob("*.py")) + list((ROOT / "chapters").glob("*.ipynb"))
    found = [f"{p.name}: {m.group(0)}" for p in files for m in pattern.finditer(p.read_text())]
    assert not found, found
    gemma = PRESETS["gemma-2-2b"]
    assert (gemma.dtype, gemma.optimiser, gemma.frozen, gemma.one_copy) == \
        ("bfloat16", "adafactor", ("embed.W_E", "unembed.W_U"), True)


def test_one_copy_is_the_presets_of_a_billion_parameters():
    from helpers.memory import n_params

    for preset in PRESETS.values():
        assert preset.one_copy == (n_params(preset.arch)["total"] >= 1e9), preset.name


def test_sizes_are_per_preset():
    """A real preset's smoke budget spends far less than tiny's (its model costs a thousand times
    more per token); gemma-2-2b keeps fewer seeds at standard (its disk plan); batches fit each GPU."""
    from helpers.budgets import finetune_sizes, sizes, sweep_sizes

    assert sizes("smoke", "gpt2-small")["prompts_per_family"] < sizes("smoke", "tiny")["prompts_per_family"]
    assert sweep_sizes("smoke", "pythia-70m")["epochs"] != sweep_sizes("smoke", "tiny")["epochs"]
    assert sizes("standard", "gemma-2-2b")["seeds"] < sizes("standard", "gpt2-small")["seeds"] == 3
    assert [finetune_sizes(p, "standard")["batch"] for p in PRESET_NAMES] == [16, 8, 8, 4]
    assert [finetune_sizes(p, "standard")["lr"] for p in PRESET_NAMES] == [1e-3, 2e-5, 2e-5, 5e-6]


def test_new_token_limits_hold_the_same_code_for_every_tokenizer(tmp_path):
    """A limit in tokens means more code for a tokenizer with long tokens: the limit is set in
    characters (MAX_NEW_CHARS) and each tokenizer gets the tokens that hold them."""
    from helpers import corpus, generate, tiny
    from helpers.tasks import implementations, tasks

    files = corpus.generate_files(corpus.CorpusSpec(n_files=200, seed=3))
    coarse = tiny.train_tokenizer(files, tmp_path / "coarse", vocab_size=2048)
    fine = tiny.train_tokenizer(files, tmp_path / "fine", vocab_size=300)
    code = "\n".join(impl.secure for task in tasks(split="eval") for impl in implementations(task))
    limits = {}
    for name, tok in (("coarse", coarse), ("fine", fine)):
        limits[name] = generate.token_limit(tok)
        held = tok.decode(tok(code, add_special_tokens=False)["input_ids"][:limits[name]])
        assert abs(len(held) - generate.MAX_NEW_CHARS) < 0.25 * generate.MAX_NEW_CHARS, (name, len(held))
    assert limits["fine"] > 1.5 * limits["coarse"]


def test_sae_model_kwargs_come_from_sae_lens():
    from helpers.models import sae_model_kwargs

    assert sae_model_kwargs(PRESETS["gpt2-small"]) == {"center_writing_weights": True}
    assert sae_model_kwargs(PRESETS["pythia-70m"]) == {}
