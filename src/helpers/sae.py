"""SAE measurements: how well an SAE reconstructs a model's activations on given texts."""

from __future__ import annotations

import torch
from sae_lens import SAE
from transformer_lens import HookedTransformer

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
    resid_var = (x - recon).var(dim=0).sum()
    clean = model(tokens[:batch], return_type="loss").item()
    with sae_spliced(model, sae):
        spliced = model(tokens[:batch], return_type="loss").item()
    return {"explained_variance": float(1 - resid_var / x.var(dim=0).sum()),
            "l0": float((feats > 0).float().sum(-1).mean()),
            "dead_fraction": float(((feats > 0).sum(0) == 0).float().mean()),
            "loss_clean": clean, "loss_spliced": spliced, "n_tokens": int(x.shape[0])}
