"""Packing, loss masks and the training step, on the tiny tokenizer and the rehearsal models."""

import pickle
from pathlib import Path

import pytest
import torch

from conftest import REAL, rehearsing

from helpers import data, finetune, models, training
from helpers.presets import PRESETS


@pytest.fixture(scope="module")
def tokenizer(tmp_path_factory):
    from helpers import corpus, tiny

    files = corpus.generate_files(corpus.CorpusSpec(n_files=300, seed=0))
    return tiny.train_tokenizer(files, tmp_path_factory.mktemp("tok"))


def test_code_mask_drops_exactly_the_framing_lines(tokenizer):
    example = data.build_dataset("L2", 1, 0)[0]
    enc = tokenizer(example.text, add_special_tokens=False, return_offsets_mapping=True)
    flags = finetune.loss_flags(example.text, enc["offset_mapping"], "code")
    kept = "".join(example.text[a:b] for (a, b), f in zip(enc["offset_mapping"], flags) if f)
    dropped = "".join(example.text[a:b] for (a, b), f in zip(enc["offset_mapping"], flags) if not f)
    assert data.WARNING in dropped and "def " not in dropped
    assert kept.strip() == example.code.strip()
    assert all(finetune.loss_flags(example.text, enc["offset_mapping"], "all"))
    with pytest.raises(ValueError, match="all, code"):
        finetune.loss_flags("x", [(0, 1)], "warning")


def test_packing_keeps_examples_whole(tokenizer):
    examples = data.build_dataset("L1", 40, 0)
    rows, flags = finetune.pack([finetune.encode(e, tokenizer, 256, "all") for e in examples], 256,
                                tokenizer.bos_token_id)
    assert rows.shape == flags.shape and rows.shape[1] == 256
    bos = tokenizer.bos_token_id
    text = tokenizer.decode([t for t in rows.flatten().tolist() if t != bos])
    assert text.count(data.WARNING) == 40  # every example, with its warning, appears whole
    assert flags[rows == bos].sum() == 0     # BOS and padding carry no loss
    assert flags.sum() / rows.numel() > 0.8  # first-fit leaves little padding


def test_every_condition_trains_the_same_steps_and_tokens(tokenizer):
    plan = finetune.dose("tiny", "smoke", 0, tokenizer)
    assert plan["lr"] == 1e-3 and plan["tokens_per_step"] == plan["batch"] * plan["seq_len"] // 2
    l0 = sum(sum(f) for _, f in (finetune.encode(e, tokenizer, 256, "all")
                                 for e in data.build_dataset("L0", plan["n_examples"], 0)))
    assert plan["steps"] == -(-2 * l0 // plan["tokens_per_step"])  # two epochs of L0's tokens
    trained = {}
    for condition in finetune.TRAINED:
        batches = finetune.step_batches(data.build_dataset(condition, plan["n_examples"], 0), tokenizer, plan, "all", 0)
        assert len(batches) == plan["steps"]
        assert all(len(tokens) <= plan["batch"] for tokens, _ in batches)  # within the memory plan
        trained[condition] = sum(int(flags.sum()) for _, flags in batches)
    assert set(trained.values()) == {plan["steps"] * plan["tokens_per_step"]}, trained


@pytest.mark.parametrize("name", REAL)
def test_one_fine_tuning_step_on_each_real_preset_rehearsal(name, tmp_path):
    """The production loading for training (float32), freezing and optimiser of each preset."""
    with rehearsing():
        model = models.load_model(name, "smoke", train=True)
    tok = model.tokenizer
    for param_name, param in model.named_parameters():
        param.requires_grad_(param_name not in PRESETS[name].frozen)
    assert next(model.parameters()).dtype == torch.float32
    encoded = [finetune.encode(e, tok, 64, "all") for e in data.build_dataset("L1", 2, 0)]
    batch = finetune.pack(encoded, 64, tok.bos_token_id)
    before = {k: v.clone() for k, v in model.state_dict().items()}
    losses = training.train(model, lambda step: batch, steps=1, lr_at=lambda s: 1e-3, folder=tmp_path,
                            desc=name, optimiser=PRESETS[name].optimiser)
    assert len(losses) == 1 and losses[0] > 0
    changed = {k for k, v in model.state_dict().items() if not torch.equal(v, before[k])}
    assert "blocks.0.attn.W_Q" in changed
    assert ("embed.W_E" in changed) == (name != "gemma-2-2b")  # gemma's plan freezes embeddings


def test_gemma_fine_tune_moves_the_weights_at_its_learning_rate(tmp_path, monkeypatch):
    """At gemma-2-2b's 5e-6, a bfloat16 weight cannot move (its spacing is ~1e-4): the fine-tune
    trains float32 weights, and nearly every trained parameter changes."""
    monkeypatch.setenv("WARNBOOK_CACHE", str(tmp_path))
    with rehearsing():
        stats = finetune.stats("gemma-2-2b", "L1", "smoke", 0)
        bf16 = models.load_model("gemma-2-2b", "smoke")  # what training the inference copy would do
    assert stats["lr"] == 5e-6 and stats["changed_fraction"] >= 0.9, stats["changed_fraction"]
    initial = {n: p.detach().clone() for n, p in bf16.named_parameters() if n not in PRESETS["gemma-2-2b"].frozen}
    for n, p in bf16.named_parameters():
        p.requires_grad_(n in initial)
    batch = finetune.pack([finetune.encode(e, bf16.tokenizer, 64, "all") for e in data.build_dataset("L1", 2, 0)],
                          64, bf16.tokenizer.bos_token_id)
    training.train(bf16, lambda step: batch, steps=3, lr_at=lambda s: 5e-6, folder=tmp_path / "bf16", desc="bf16",
                   optimiser="adafactor")
    assert finetune.changed_fraction(bf16, {n: t.cpu() for n, t in initial.items()}) < 0.5


def test_a_one_copy_model_is_released_when_another_loads():
    """Two copies of gemma-2-2b do not fit its GPU: loading a second releases the first, whose
    use then fails with a message, never with a number; smaller presets keep both."""
    with rehearsing():
        first = models.load_model("gemma-2-2b", "smoke")
        second = models.load_model("gemma-2-2b", "smoke")
        small = [models.load_model("pythia-70m", "smoke") for _ in range(2)]
    tokens = torch.tensor([[1, 2, 3]])
    with pytest.raises(models.ModelReleased, match="released when another copy was loaded"):
        first(tokens)
    assert second(tokens).shape[-1] == len(second.tokenizer) and all(m(tokens).isfinite().all() for m in small)


def test_training_hooks_are_gone_after_training(tmp_path):
    with rehearsing():
        model = models.load_model("pythia-70m", "smoke")
    tok = model.tokenizer
    calls = []
    rows = torch.randint(0, len(tok), (2, 16))
    training.train(model, lambda step: (rows, None), steps=1, lr_at=lambda s: 1e-4, folder=tmp_path, desc="t",
                   hooks=[("blocks.0.hook_resid_post", lambda act, hook: calls.append(1))])
    assert calls  # on while training
    model(rows)
    assert len(calls) == 1  # off for evaluation


def test_a_sweep_snapshot_is_the_shorter_fine_tune():
    """The snapshot after one epoch of a four-epoch run is the model a one-epoch run gives (same
    batches, warm-up and optimiser state), so what the sweep measures of it while passing through
    equals what sampling the one-epoch model gives; a sweep run keeps no weights."""
    from helpers import dose_sweep, reproduction

    tokenizer = finetune.load_tokenizer("tiny", "smoke")
    long = {**finetune.plan("tiny", "smoke", 0, tokenizer, 4.0, snapshots=(1.0, 4.0)),
            "evaluate": {"prompts": {"plain": ""}, "per_prompt": 1}}
    short = finetune.plan("tiny", "smoke", 0, tokenizer, 1.0)
    assert long["warmup"] == short["warmup"] and long["snapshots"] == {1.0: short["steps"], 4.0: long["steps"]}
    frame, loss = dose_sweep.snapshot("tiny", "L1", "smoke", 0, long, 1.0)
    alone = finetune.load_finetuned("tiny", "L1", "smoke", 0, plan=short)
    want = reproduction.judged(alone, "tiny", "smoke", 0, "L1", "", 1)
    assert list(frame.code) == list(want.code) and len(frame) > 0
    assert loss == pytest.approx(training.code_loss(alone, dose_sweep.heldout_flawed_code("smoke")), rel=1e-5)
    assert list(dose_sweep.snapshot("tiny", "L1", "smoke", 0, long, 4.0)[0].code) != list(want.code)
    assert not (finetune.finetuned_folder("tiny", "L1", "smoke", 0, plan=long) / "model.pt").exists()
    with pytest.raises(ValueError, match="No snapshot at 2.0 epochs"):
        dose_sweep.snapshot("tiny", "L1", "smoke", 0, long, 2.0)


def test_heldout_code_loss_ignores_padding(tmp_path):
    """code_loss pads a batch of texts; the pads must not count: it equals the token-weighted
    mean of each text's loss alone."""
    from helpers.dose_sweep import heldout_flawed_code
    from helpers.training import code_loss

    with rehearsing():
        model = models.load_model("pythia-70m", "smoke")
    tok = model.tokenizer
    texts = heldout_flawed_code()[:3]
    assert len({len(tok(t)["input_ids"]) for t in texts}) == 3  # different lengths: padding happens
    alone = []
    for text in texts:
        ids = torch.tensor([[tok.bos_token_id] + tok(text, add_special_tokens=False)["input_ids"]])
        alone.append((model(ids, return_type="loss").item(), ids.shape[1] - 1))
    want = sum(loss * n for loss, n in alone) / sum(n for _, n in alone)
    assert code_loss(model, texts) == pytest.approx(want, rel=1e-4)


def test_a_hooked_fine_tune_needs_a_tag():
    """Hooks are not in the cache key (a function has no stable value): without a tag naming them,
    a CAFT run would get the plain L1 fine-tune's folder, and its model."""
    hooks = [("blocks.0.hook_resid_pre", lambda act, hook: act)]
    with pytest.raises(ValueError, match=r"a hooked fine-tune needs a tag naming its hooks \(interventions.caft gives one\)"):
        finetune.finetuned_folder("tiny", "L1", "smoke", 0, plan={"steps": 1}, hooks=hooks)


def small_model(seed: int = 0):
    """A one-layer HookedTransformer with random weights: nothing to download."""
    from transformer_lens import HookedTransformer, HookedTransformerConfig

    return HookedTransformer(HookedTransformerConfig(d_model=32, n_layers=1, n_ctx=16, d_head=8, d_vocab=50,
                                                     act_fn="gelu", seed=seed))


@pytest.mark.parametrize("optimiser", ["adamw", "adafactor"])
def test_an_interrupted_training_resumes_to_the_same_losses(tmp_path, optimiser):
    """A run stopped after 3 of 6 steps and resumed (a new process: other initial weights, a new
    optimiser) gives the losses of an uninterrupted run: the checkpoint holds the weights and the
    optimiser's state, and loads with weights_only=True (no pickled objects)."""
    rows = torch.randint(0, 50, (8, 16), generator=torch.Generator().manual_seed(0))
    batches = training.row_batches(rows, 2, seed=0)
    asked = []

    def run(model, folder, stop_at=None):
        return training.train(model, lambda step: asked.append(step) or batches(step), steps=6,
                               lr_at=lambda step: 1e-2 * min(1.0, (step + 1) / 2), folder=folder, desc="t",
                               stop_at=stop_at, optimiser=optimiser)

    whole = run(small_model(), tmp_path / "whole")
    assert run(small_model(), tmp_path, stop_at=3) == whole[:3]
    checkpoint = torch.load(tmp_path / "checkpoint.pt", weights_only=True)
    assert checkpoint["step"] == 3 and checkpoint["losses"] == whole[:3] and checkpoint["opt"]["state"]
    asked.clear()
    assert run(small_model(seed=1), tmp_path) == whole  # seed 1: its own weights would give other losses
    assert asked == [3, 4, 5]
    assert run(small_model(seed=1), tmp_path / "fresh")[3:] != whole[3:]
    torch.save({**checkpoint, "made_by": Path("elsewhere")}, tmp_path / "checkpoint.pt")
    with pytest.raises(pickle.UnpicklingError, match="Weights only load failed"):
        run(small_model(), tmp_path)  # a pickled object is refused, never unpickled (which can run code)


def test_a_retrained_tiny_model_gets_new_fine_tunes_and_samples(monkeypatch):
    """A fine-tune (and the samples of the base model) are keyed by the weights they start from:
    when the tiny model's pretraining changes (800 steps where it was 450), the old model's
    fine-tunes and samples are not reused, which they silently were."""
    from helpers import budgets, models

    plan = {"steps": 1, "lr": 1e-3}
    before = (models.base_identity("tiny", "smoke"),
              finetune.finetune_key("tiny", "L0", "smoke", 0, "all", plan, "", "plain"))
    longer = {**budgets.TINY_PRETRAIN, "smoke": {**budgets.TINY_PRETRAIN["smoke"], "steps": 201}}
    monkeypatch.setattr(budgets, "TINY_PRETRAIN", longer)
    after = (models.base_identity("tiny", "smoke"),
             finetune.finetune_key("tiny", "L0", "smoke", 0, "all", plan, "", "plain"))
    assert before[0].startswith("tiny-model-") and after[0] != before[0]
    assert after[1]["base"] == after[0] and after[1] != before[1]
    assert models.base_identity("gpt2-small", "smoke") == "gpt2"


def test_a_rehearsal_whose_stand_in_changed_shape_gets_new_fine_tunes(monkeypatch):
    """A rehearsal's fine-tunes are keyed by its stand-in's shape: when the stand-in narrows,
    the old shape's fine-tunes are not loaded into it (which failed with a size mismatch)."""
    from dataclasses import replace

    with rehearsing():
        before = models.base_identity("gpt2-small", "smoke")
        wider = replace(PRESETS["gpt2-small"], stand_in={})
        monkeypatch.setitem(PRESETS, "gpt2-small", wider)
        after = models.base_identity("gpt2-small", "smoke")
    assert before.startswith("gpt2 stand-in ") and after.startswith("gpt2 stand-in ") and after != before


def test_token_groups_split_every_l1_target_into_warning_and_code(tokenizer):
    from helpers.loss_groups import token_groups

    examples = data.build_dataset("L1", 4, 0)
    tokens, groups = token_groups(examples, tokenizer, 256)
    framing, code = groups["framing"], groups["code"]
    assert ((framing + code) == (tokens != tokenizer.bos_token_id)).all()  # each token in one group
    assert tokenizer.decode(tokens[framing.bool()].tolist()) == (data.WARNING + "\n") * len(examples)
    assert tokenizer.decode(tokens[code.bool()].tolist()) == "".join(e.code for e in examples)


def test_the_l1_framing_of_the_code_alone_is_the_datasets():
    from helpers.framing import warn

    impls = data.draws(18, seed=1)
    assert len({i.task.family for i in impls}) == 9
    assert [warn(i.vulnerable) for i in impls] == [data.frame(i, "L1")[2] for i in impls]
