"""How much GPU memory a preset needs to fine-tune: counted from its architecture, before loading.

The plan for gemma-2-2b (the only preset that does not fit a T4): float32 weights (bfloat16
would round away updates at a 5e-6 learning rate), embedding and unembedding frozen (they are
a third of the parameters), Adafactor instead of AdamW (factored second moments: megabytes
instead of 16 GB of optimiser state), batch 4. It fits a 40 GB GPU without 8-bit optimisers or
low-rank adapters, which TransformerLens's einsum weights do not take.
"""

from __future__ import annotations

from helpers.presets import get_preset

GB = 1e9
OPTIMISER_BYTES = {"adafactor": 0.04, "adamw": 8}  # per trained weight: factored moments; two floats


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

    rows = [{"preset": name, **finetune_memory_gb(name, None, seq_len), "declared need": p.gpu_gb_finetune}
            for name, p in PRESETS.items()]
    return pd.DataFrame(rows).set_index("preset")
