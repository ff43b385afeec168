"""SAE measurements: how well an SAE reconstructs a model's activations, and which features fire
on the tokens of a context (chapter 4)."""

from __future__ import annotations

import torch
from sae_lens import SAE
from transformer_lens import HookedTransformer

from helpers.contexts import Context
from helpers.models import sae_spliced


@torch.no_grad()
def sae_quality(model: HookedTransformer, sae: SAE, tokens: torch.Tensor, batch: int = 16) -> dict:
    """Explained variance, mean L0, dead-feature share and the loss with the SAE spliced in.

    Measured before trusting any feature: an SAE that reconstructs poorly on these texts
    describes some other model's activations.
    """
    hook = sae.cfg.metadata.hook_name
    acts = []
    for i in range(0, len(tokens), batch):
        _, cache = model.run_with_cache(tokens[i:i + batch], names_filter=hook)
        acts.append(cache[hook].reshape(-1, cache[hook].shape[-1]))
    x = torch.cat(acts).to(sae.W_enc.dtype).to(sae.W_enc.device)
    feats = sae.encode(x)
    recon = sae.decode(feats)
    clean = model(tokens[:batch], return_type="loss").item()
    with sae_spliced(model, sae):
        spliced = model(tokens[:batch], return_type="loss").item()
    return {"explained_variance": explained_variance(float(((x - recon) ** 2).sum()), x),
            "l0": float((feats > 0).float().sum(-1).mean()),
            "dead_fraction": float(((feats > 0).sum(0) == 0).float().mean()),
            "loss_clean": clean, "loss_spliced": spliced, "n_tokens": int(x.shape[0])}


def hook_layer(hook: str) -> int:
    """The block index in a hook name such as 'blocks.8.hook_resid_pre'."""
    return int(hook.split(".")[1])


def span_tokens(model: HookedTransformer, contexts: list[Context]) -> list[tuple[list[int], int, int]]:
    """(token ids, first, end) of every context: the ids of its whole text, BOS first where the
    model expects one, and the token range [first, end) that overlaps its span."""
    tok = model.tokenizer
    if not contexts:
        return []
    encoded = tok([c.text for c in contexts], add_special_tokens=False, return_offsets_mapping=True)
    bos = [tok.bos_token_id] if model.cfg.default_prepend_bos and tok.bos_token_id is not None else []
    out = []
    for c, ids, offsets in zip(contexts, encoded["input_ids"], encoded["offset_mapping"]):
        inside = [j for j, (a, b) in enumerate(offsets) if a < c.span[1] and b > c.span[0]]
        if not inside:
            raise ValueError(f"the span of a {c.kind} context holds no token: {c.read!r}")
        out.append((bos + list(ids), inside[0] + len(bos), inside[-1] + 1 + len(bos)))
    return out


def span_residuals(model: HookedTransformer, hook: str, contexts: list[Context], batch: int = 32) -> list[torch.Tensor]:
    """The residual stream at `hook` on each context's span: a [span tokens, d_model] tensor each."""
    return span_residuals_at(model, [hook], contexts, batch)[hook]


@torch.no_grad()
def span_residuals_at(model: HookedTransformer, hooks: list[str], contexts: list[Context],
                      batch: int = 32) -> dict[str, list[torch.Tensor]]:
    """For each of `hooks`, the residual stream on each context's span ([span tokens, d_model]).

    Only `hooks` are cached and the forward pass stops after the last of their blocks. Rows are
    padded on the right, which no real token can see (attention is causal), so batching
    changes nothing.
    """
    rows = span_tokens(model, contexts)
    order = sorted(range(len(rows)), key=lambda i: len(rows[i][0]))
    out: dict[str, list[torch.Tensor]] = {hook: [torch.empty(0)] * len(rows) for hook in hooks}
    stop = max(hook_layer(hook) for hook in hooks) + 1
    for start in range(0, len(order), batch):
        chunk = order[start:start + batch]
        width = max(len(rows[i][0]) for i in chunk)
        tokens = torch.zeros(len(chunk), width, dtype=torch.long)
        for r, i in enumerate(chunk):
            tokens[r, :len(rows[i][0])] = torch.tensor(rows[i][0])
        _, cache = model.run_with_cache(tokens.to(model.cfg.device), names_filter=hooks, stop_at_layer=stop)
        for hook in hooks:
            for r, i in enumerate(chunk):
                out[hook][i] = cache[hook][r, rows[i][1]:rows[i][2]].float().cpu()
    return out


@torch.no_grad()
def encode_spans(sae: SAE, residuals: list[torch.Tensor]) -> dict:
    """Each span's features max-pooled over its tokens ([contexts, d_sae]: a feature's strongest
    firing in the span, as dashboards show it), and how well the SAE reconstructs those tokens."""
    pooled, sq_err, active = [], 0.0, 0
    for resid in residuals:
        x = resid.to(sae.W_enc.device, sae.W_enc.dtype)
        feats = sae.encode(x)
        sq_err += float(((x - sae.decode(feats)).float() ** 2).sum())
        active += int((feats > 0).sum())
        pooled.append(feats.max(0).values.float().cpu())
    x = torch.cat(residuals)
    return {"pooled": torch.stack(pooled).numpy(), "explained_variance": explained_variance(sq_err, x),
            "l0": active / len(x), "n_tokens": len(x)}


def top_k_features(sae: SAE, residuals: list[torch.Tensor], k: int) -> list[int]:
    """The ids of the k features with the highest mean (over contexts) of their max (over tokens),
    strongest first: chapter 4's first exercise, and what the chapter uses until it is written."""
    mean = encode_spans(sae, residuals)["pooled"].mean(0)
    return [int(f) for f in (-mean).argsort(kind="stable")[:k]]


def explained_variance(sq_err: float, x: torch.Tensor) -> float:
    """1 - (squared reconstruction error) / (squared deviation of x from its mean), over all tokens."""
    return 1 - sq_err / float(((x - x.mean(0)) ** 2).sum())


def measure_kinds(model: HookedTransformer, sae: SAE, contexts: list[Context]) -> dict[str, dict]:
    """For every kind: its contexts, their span residuals (for dashboards), the pooled features
    and the SAE's reconstruction quality on those tokens."""
    residuals = span_residuals(model, sae.cfg.metadata.hook_name, contexts)
    out = {}
    for kind in dict.fromkeys(c.kind for c in contexts):
        rows = [i for i, c in enumerate(contexts) if c.kind == kind]
        picked = [residuals[i] for i in rows]
        out[kind] = {"contexts": [contexts[i] for i in rows], "residuals": picked, **encode_spans(sae, picked)}
    return out
