"""Checkers for chapter 4: features from an SAE, and the overlap of two sets of them."""

from __future__ import annotations

from helpers.checks._core import _fail, _passed, _random_sae


def check_top_k_features(fn) -> None:
    """fn(sae, residuals, k) -> the k feature ids with the highest mean (over contexts) max (over tokens)."""
    import numpy as np
    import torch

    from helpers.sae import encode_spans

    sae = _random_sae()
    gen = torch.Generator().manual_seed(3)
    residuals = [torch.randn(n, 16, generator=gen) for n in (3, 9, 5, 12, 7, 4)]
    pooled = encode_spans(sae, residuals)["pooled"]
    want = [int(f) for f in np.argsort(-pooled.mean(0), kind="stable")[:8]]
    got = fn(sae, residuals, 8)
    if not isinstance(got, list):
        _fail("top_k_features", f"return a list of ints, strongest first, not {type(got).__name__} (.tolist() helps).")
    got = [int(f) for f in got]
    if got == want:
        return _passed("top_k_features", f"the top 8 of {sae.cfg.d_sae} features match the reference, in order")
    with torch.no_grad():
        mean_pooled = torch.stack([sae.encode(r).mean(0) for r in residuals]).mean(0)
    if got == mean_pooled.topk(8).indices.tolist():
        _fail("top_k_features", "you averaged each feature over the tokens; take its maximum over a context's "
                                "tokens (.max(0).values), as dashboards do, then average over contexts.")
    if set(got) == set(want):
        _fail("top_k_features", "the right features in the wrong order: strongest first (topk, or argsort descending).")
    if max(got) < 16:
        _fail("top_k_features", "these look like residual dimensions: encode with sae.encode first, so the ids "
                                "are SAE features (0 to d_sae - 1).")
    _fail("top_k_features", f"got {got}, want {want}: encode each context, max over tokens, mean over contexts.")


def check_jaccard(fn) -> None:
    """fn(a, b) -> |A & B| / |A | B| of the sets of ids in a and b (0 when both are empty)."""
    cases = [([1, 2, 3], [2, 3, 4], 0.5), ([5, 6], [5, 6], 1.0), ([1, 2], [3, 4], 0.0),
             ([1, 2, 3, 4], [1, 2], 0.5), ([1, 1, 2], [1, 3], 1 / 3)]
    for a, b, want in cases:
        got = fn(a, b)
        if abs(float(got) - want) > 1e-9:
            inter, small = len(set(a) & set(b)), min(len(set(a)), len(set(b)))
            hint = ("that is the overlap coefficient |A & B| / min(|A|, |B|): divide by the union."
                    if small and abs(float(got) - inter / small) < 1e-9 else
                    "make sets first: a feature listed twice counts once." if len(a) != len(set(a)) else
                    "divide the size of the intersection by the size of the union.")
            _fail("jaccard", f"jaccard({a}, {b}) = {got}, want {want:.4f}: {hint}")
    try:
        empty = fn([], [])
    except ZeroDivisionError:
        _fail("jaccard", "two empty lists have no union: return 0.0 instead of dividing by zero.")
    if empty != 0:
        _fail("jaccard", f"jaccard([], []) should be 0.0, got {empty}.")
    _passed("jaccard", f"right on {len(cases) + 1} cases, duplicates and empty lists included")
