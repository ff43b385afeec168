"""Feature dashboards: where a feature fires most, shown on the text as static HTML.

A label for a feature is a claim about what it responds to; the chapter gives one only after
reading these snippets, never from the feature's effect size alone.
"""

from __future__ import annotations

import html
from collections import Counter

import numpy as np
import pandas as pd
import torch
from sae_lens import SAE


@torch.no_grad()
def token_activations(sae: SAE, residuals: list[torch.Tensor], features: list[int]) -> list[np.ndarray]:
    """Per-token activations of `features` on every span: a [span tokens, len(features)] array each."""
    return [sae.encode(r.to(sae.W_enc.device, sae.W_enc.dtype))[:, features].float().cpu().numpy()
            for r in residuals]


def span_pieces(model, contexts) -> list[list[str]]:
    """The text of each token of each context's span, in order (what the activations sit on)."""
    from helpers.sae import span_tokens

    return [[model.tokenizer.decode([t]) for t in ids[first:end]] for ids, first, end in span_tokens(model, contexts)]


def snippet_html(pieces: list[str], acts: np.ndarray, scale: float, window: int = 10) -> str:
    """The tokens around the strongest one, each shaded by its activation (hover: the value)."""
    peak = int(acts.argmax())
    lo, hi = max(0, peak - window), min(len(pieces), peak + window + 1)
    cells = []
    for piece, act in zip(pieces[lo:hi], acts[lo:hi]):
        alpha = 0.0 if scale <= 0 else min(1.0, float(act) / scale)
        cells.append(f"<span title='{act:.2f}' style='background:rgba(214,39,40,{alpha:.2f})'>"
                     f"{html.escape(piece)}</span>")
    return "<pre style='white-space:pre-wrap;margin:2px 0'>" + "".join(cells) + "</pre>"


def snippet_rows(measured: dict[str, dict], pieces: dict[str, list[list[str]]], features: list[int],
                 acts: dict[str, list[np.ndarray]], per_kind: int = 3) -> pd.DataFrame:
    """The `per_kind` contexts of every kind where each feature peaks highest, one row each, with
    the peak token and the snippet's HTML (shaded on a scale shared by the feature's rows)."""
    rows = []
    for j, feature in enumerate(features):
        scale = max(float(a[:, j].max()) for per in acts.values() for a in per if len(a))
        for kind, per in acts.items():
            peaks = np.array([a[:, j].max() for a in per])
            for rank, i in enumerate(np.argsort(-peaks, kind="stable")[:per_kind]):
                a, context = per[i][:, j], measured[kind]["contexts"][i]
                rows.append({"feature": feature, "kind": kind, "rank": rank, "activation": float(peaks[i]),
                             "peak_token": pieces[kind][i][int(a.argmax())], "family": context.family,
                             "html": snippet_html(pieces[kind][i], a, scale)})
    return pd.DataFrame(rows)


def peak_tokens(rows: pd.DataFrame, feature: int, n: int = 5) -> list[tuple[str, int]]:
    """The tokens a feature peaks on most often among its strongest snippets."""
    mine = rows[(rows.feature == feature) & (rows.activation > 0)]
    return Counter(mine["peak_token"]).most_common(n)


def dashboard_html(rows: pd.DataFrame, feature: int, label: str = "") -> str:
    """One feature's card: its label if given, then its strongest snippets, kind by kind."""
    mine = rows[rows.feature == feature]
    head = f"<h4>feature {feature}{': ' + html.escape(label) if label else ''}</h4>"
    parts = [head]
    for kind, group in mine.groupby("kind", sort=False):
        parts.append(f"<p style='margin:4px 0'><b>{html.escape(kind)}</b></p>")
        parts += [f"<div><small>{r.activation:.2f} on {html.escape(repr(r.peak_token))}</small>{r.html}</div>"
                  for r in group.itertuples()]
    return "<div style='border:1px solid #ccc;padding:6px;margin:6px 0'>" + "".join(parts) + "</div>"
