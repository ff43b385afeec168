"""How much GPU memory a preset needs to fine-tune: counted from its architecture, before loading.

The plan for gemma-2-2b (the only preset that does not fit a T4): float32 weights (bfloat16
would round away updates at a 5e-6 learning rate), embedding and unembedding frozen (they are
a third of the parameters), Adafactor instead of AdamW (factored second moments: megabytes
instead of 16 GB of optimiser state), batch 4. It fits a 40 GB GPU without 8-bit optimisers or
low-rank adapters, which TransformerLens's einsum weights do not take.
"""

from __future__ import annotations

import tempfile
import time
from pathlib import Path

from helpers.presets import get_preset

GB = 1e9
OPTIMISER_BYTES = {"adafactor": 0.04, "adamw": 8}  # per trained weight: factored moments; two floats
CONTEXT_GB = 0.5  # the CUDA context and allocator slack a declared need adds to a measured peak
MEASURED = Path(__file__).with_name("gpu_memory.json")  # measure() on a GPU, kept as data


def n_params(arch: dict) -> dict:
    """Parameter counts of a HookedTransformer with this config: embeddings, blocks, total."""
    d, layers, vocab = arch["d_model"], arch["n_layers"], arch["d_vocab"]
    heads, kv, d_head = arch["n_heads"], arch.get("n_key_value_heads") or arch["n_heads"], arch["d_head"]
    attn = 2 * heads * d_head * d + 2 * kv * d_head * d + heads * d_head + 2 * kv * d_head + d
    mlp = (3 if arch.get("gated_mlp") else 2) * d * arch["d_mlp"] + arch["d_mlp"] + d
    norms_per_block = 4 if arch.get("use_normalization_before_and_after") else 2
    norm = (2 if arch.get("normalization_type", "LN") == "LN" else 1) * d
    blocks = layers * (attn + mlp + norms_per_block * norm)
    embed = vocab * d + (arch["n_ctx"] * d if arch.get("positional_embedding_type", "standard") == "standard" else 0)
    unembed = d * vocab + vocab + norm  # W_U, b_U and the final norm
    return {"embed": embed, "blocks": blocks, "unembed": unembed, "total": embed + blocks + unembed}


def trainable_params(arch: dict, frozen: tuple) -> int:
    """Parameters a fine-tune trains: all but the `frozen` embedding and unembedding matrices."""
    sizes = {"embed.W_E": arch["d_vocab"] * arch["d_model"], "unembed.W_U": arch["d_model"] * arch["d_vocab"]}
    return n_params(arch)["total"] - sum(sizes[name] for name in frozen)


def finetune_memory_gb(preset: str, batch: int | None = None, seq_len: int = 256) -> dict:
    """Estimated GPU memory of one fine-tuning step (float32), in GB, by component."""
    from helpers.budgets import finetune_sizes

    p = get_preset(preset)
    batch = batch or finetune_sizes(preset, "standard")["batch"]
    counts = n_params(p.arch)
    trainable = trainable_params(p.arch, p.frozen)
    d, layers, heads = p.arch["d_model"], p.arch["n_layers"], p.arch["n_heads"]
    # Activations kept for the backward pass: ~34 values per token and d_model per layer plus
    # the attention scores (Korthikanti et al. 2022), in float32; the logits and their softmax.
    acts = layers * batch * seq_len * (34 * d + 5 * heads * seq_len) * 2 + 2 * batch * seq_len * p.arch["d_vocab"] * 4
    optimiser = trainable * OPTIMISER_BYTES[p.optimiser]
    parts = {"weights": counts["total"] * 4, "gradients": trainable * 4, "optimiser_state": optimiser,
             "activations": acts}
    out = {k: round(v / GB, 2) for k, v in parts.items()}
    out["total"] = round(sum(parts.values()) / GB * 1.1, 1)  # 10 % for the allocator and CUDA context
    out.update(trainable_params=trainable, batch=batch, optimiser=p.optimiser)
    return out


def memory_table(seq_len: int = 256):
    """The estimate for every preset, beside the GPU memory each preset declares it needs."""
    import pandas as pd

    from helpers.presets import PRESETS

    measured = measured_gb()
    rows = [{"preset": name, **finetune_memory_gb(name, None, seq_len), "declared need": p.gpu_gb_finetune,
             **{f"measured {what} ({measured['device'].split(' (')[0]})": measured["presets"].get(name, {}).get(f"{what}_gb")
                for what in ("finetune", "sampling")}}
            for name, p in PRESETS.items()]
    return pd.DataFrame(rows).set_index("preset")


def measured_gb() -> dict:
    """What `measure` found on a GPU for each real preset (helpers/gpu_memory.json), and how."""
    import json

    return json.loads(MEASURED.read_text())



def measure(preset: str, budget: str = "standard", steps: int = 2) -> dict:
    """Peak GPU memory (GB) and seconds of what the chapters do with `preset`, measured on this
    machine's GPU beside the estimate and the declared needs: `steps` fine-tuning steps of the
    production dose, then sampling chapter 3's evaluation set. Where the hub is unreachable, run
    it on a rehearsal at full size ($WARNBOOK_REHEARSAL=full): random weights, real sizes."""
    import torch

    from helpers import models

    if not torch.cuda.is_available():
        raise RuntimeError("measuring GPU memory needs a GPU; on a CPU, read the estimate "
                           "(helpers.memory.finetune_memory_gb) instead")
    p = models.effective_preset(preset)
    out = {"preset": preset, "budget": budget, "device": torch.cuda.get_device_name(),
           "estimate_gb": finetune_memory_gb(preset)["total"], "declared_gb": p.gpu_gb_finetune,
           "declared_inference_gb": p.gpu_gb_inference}
    for name, phase in (("finetune", _finetune_steps), ("sampling", _sampling)):
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
        t0 = time.time()
        facts = phase(preset, budget, p, steps)
        torch.cuda.synchronize()
        out.update({f"{name}_gb": round(torch.cuda.max_memory_allocated() / GB, 2),
                    f"{name}_seconds": round(time.time() - t0, 1), **facts})
    return out


def _finetune_steps(preset: str, budget: str, p, steps: int) -> dict:
    """The production fine-tune (float32, the preset's optimiser and frozen weights) for `steps`."""
    from helpers import data, finetune, models, training

    model = models.load_model(preset, budget, train=True)
    for name, param in model.named_parameters():
        param.requires_grad_(name not in p.frozen)
    plan = {**finetune.dose(preset, budget, 0, model.tokenizer), "steps": steps}
    batches = finetune.step_batches(data.build_dataset("L1", plan["n_examples"], 0), model.tokenizer, plan, "all", 0)
    with tempfile.TemporaryDirectory() as folder:
        training.train(model, lambda step: batches[step], steps=steps, lr_at=lambda step: plan["lr"],
                       folder=Path(folder), desc="measure", optimiser=p.optimiser, checkpoint_every=10 ** 9)
    return {"rows_per_step": [len(tokens) for tokens, _ in batches]}


def _sampling(preset: str, budget: str, p, steps: int) -> dict:
    """Chapter 3's sampling of one model: the evaluation set at the preset's `sample_batch`."""
    from helpers import generate, models, reproduction
    from helpers.budgets import sizes

    model = models.load_model(preset, budget)
    size, prompts = sizes(budget, preset), [e.prompt for e in reproduction.eval_set(budget, preset)]
    completions = generate.sample(model, prompts, n_per_prompt=size["samples_per_prompt"], batch_size=p.sample_batch,
                                  max_new_tokens=generate.token_limit(model.tokenizer, size["max_new_chars"]))
    return {"completions": sum(map(len, completions)), "dtype": str(next(model.parameters()).dtype)}


if __name__ == "__main__":  # python -m helpers.memory PRESET [BUDGET]: the measurement, as JSON
    import json
    import sys

    print(json.dumps(measure(*sys.argv[1:3])))
