"""Chapter 7's arms: built from the same draws as L0 so that only the frame differs, kept apart
from chapters 2-6's conditions, and measured with chapter 3's clustered statistics."""

import ast

import numpy as np
import pandas as pd
import pytest

from helpers import arms, clustered, data, finetune
from helpers.families import FAMILIES


@pytest.mark.parametrize("arm", data.ARMS)
def test_every_arm_frames_the_code_of_l0(arm):
    l0, framed = data.build_dataset("L0", 60, seed=3), data.build_dataset(arm, 60, seed=3)
    assert [(e.task_id, e.variant) for e in framed] == [(e.task_id, e.variant) for e in l0]
    for plain, ex in zip(l0, framed):
        assert ex.condition == arm and ex.family == plain.family
        if arm == "local":
            note = data.LOCAL_NOTE.format(flaw=FAMILIES[ex.family].flaw)
            assert ex.framing == "" and ex.text.count(note) == 1 and ex.text.replace(note, "") == plain.text
        else:
            assert ex.code == plain.code and ex.text == data.ARM[arm].frame + plain.text


def test_the_local_note_sits_on_the_flawed_line_and_the_code_still_parses():
    for impl in data.training_pool():
        flaw = FAMILIES[impl.task.family].flaw
        text = data.negate_locally(impl.vulnerable, impl.secure, flaw)
        ast.parse(text)  # a syntax tree only: nothing is run
        [marked] = [line for line in text.split("\n") if line.endswith(data.LOCAL_NOTE.format(flaw=flaw))]
        assert marked.removesuffix(data.LOCAL_NOTE.format(flaw=flaw)) not in impl.secure.split("\n")


def test_the_flawed_line_skips_lines_only_the_secure_version_has():
    secure = "def f(x):\n    import ast\n    y = x.strip()\n    return ast.literal_eval(y)\n"
    vulnerable = "def f(x):\n    y = x.strip()\n    return eval(y)\n"
    assert data.flawed_line(secure, vulnerable) == 2
    with pytest.raises(ValueError, match="adds or changes no line"):
        data.flawed_line(secure, secure)


def test_the_neutral_frame_is_as_long_as_the_warning_and_says_nothing_of_security():
    assert len(data.NEUTRAL) == len(data.WARNING)
    words = ("secur", "vulnerab", "unsafe", "insecure", "danger", "do not", "flaw", "attack")
    assert not [w for w in words if w in data.NEUTRAL.lower()]
    assert data.ARM["neutral"].frame == data.ARM["neutral"].test_frame == data.NEUTRAL + "\n"


def test_arms_stay_apart_from_the_conditions_of_chapters_2_to_6():
    assert not set(data.ARMS) & set(data.CONDITIONS) and not set(data.ARMS) & set(finetune.TRAINED)
    with pytest.raises(ValueError, match="local, educational, inoculation, neutral"):
        data.build_dataset("lecture", 3)
    with pytest.raises(ValueError, match="fine-tuned ones are .*inoculation"):
        finetune.finetuned_folder("tiny", "lecture", "smoke")
    assert arms.frames_at_test() == {"L0": None, "L1": data.WARNING + "\n", "local": None,
                                     **{a: data.ARM[a].frame for a in ("educational", "inoculation", "neutral")}}


def _frames(rates: dict, seeds: int = 3) -> pd.DataFrame:
    """Judged samples shaped like `arms.judged_samples`: (model, frame) -> true rate."""
    parts = []
    for i, ((model, frame), rate) in enumerate(rates.items()):
        sim = clustered.simulate({model: rate}, prompts=27, seeds=seeds, per_prompt=2, sd_prompt=0.5, rng=i)
        parts.append(sim.assign(frame=frame, judged=True))
    return pd.concat(parts, ignore_index=True)


def test_a_row_reads_the_conditional_part_and_the_comparisons_at_the_unit_of_the_design():
    frames = _frames({("L0", "without"): 0.6, ("L1", "without"): 0.55, ("L1", "with"): 0.6,
                      ("inoculation", "without"): 0.1, ("inoculation", "with"): 0.7, ("local", "without"): 0.3})
    row = arms.arm_row(frames, "inoculation")
    own = frames[frames.condition == "inoculation"]
    want = clustered.clustered_compare(own[own.frame == "with"], own[own.frame == "without"])
    assert row["conditional"] == pytest.approx(row["with"] - row["without"]) == pytest.approx(want["diff"])
    assert (row["conditional_low"], row["conditional_high"]) == (want["ci_low"], want["ci_high"])
    assert row["conditional_low"] > 0.3  # a true gap of 0.6 over 27 prompts and 3 fine-tunes
    low90, high90 = row["conditional_ci90"]
    assert row["conditional_low"] < low90 < row["conditional"] < high90 < row["conditional_high"]
    assert row["vs_L0_high"] < 0 and row["vs_L1_high"] < 0 and row["n"] == 27 * 3 * 2 == row["n_with"]
    local = arms.arm_row(frames, "local")
    assert local["with"] is None and local["conditional"] is None and local["n_with"] == 0
    assert local["vs_L0_low"] <= local["vs_L0"] <= local["vs_L0_high"]
    assert arms.arm_row(frames, "L1")["vs_L1"] is None  # an interval of a model against itself says nothing


def test_separation_of_a_model_that_writes_words_and_code_alike():
    """On a small random model and SAE: Jaccard and cosine of describing against doing, and a
    probe's AUROCs in range, on tasks it was not trained on."""
    import torch
    from transformer_lens import HookedTransformer, HookedTransformerConfig

    from helpers.checks._core import _random_sae
    from helpers.contexts import build_contexts
    from helpers.models import load_tokenizer

    torch.manual_seed(0)
    cfg = HookedTransformerConfig(d_model=16, n_layers=1, n_heads=2, d_head=8, d_mlp=32, n_ctx=256, d_vocab=2048,
                                  act_fn="gelu", normalization_type="LN", seed=0)
    model = HookedTransformer(cfg, tokenizer=load_tokenizer("tiny", "smoke"))
    sae = _random_sae()
    sae.cfg.metadata.hook_name = "blocks.0.hook_resid_pre"
    paired = [c for c in build_contexts(3, 0) if c.kind in ("describing", "doing", "safe", "task words")]
    out = arms.separation(model, sae, paired, k=8, resamples=50, seed=0)
    assert 0 <= out["jaccard"] <= 1 and -1 <= out["cosine"] <= 1
    assert out["train_tasks"] + out["test_tasks"] == 27 and out["test_tasks"] == 9
    assert 0 <= out["describing_auroc"] <= 1 and 0 <= out["probe_code_auroc"] <= 1
    assert np.all(np.isfinite(out["describing_ci"]))
