"""Which SAE features separate flawed code from safe code, and do they fire when the flaw is
only described? Effect sizes, intervals and overlap measures over max-pooled activations.

`pooled` arrays are [contexts, d_sae], one per kind, with paired kinds in item order (row i of
every paired kind comes from the same implementation).
"""

from __future__ import annotations

import random

import numpy as np
from scipy import stats

from helpers import paper

MIN_ACTIVE = 0.1   # a discovered feature must fire on at least this share of the doing contexts


def split_items(task_ids: list[str], seed: int = 0) -> tuple[np.ndarray, np.ndarray]:
    """Row indices of a discovery half and a confirmation half that share no task: features are
    chosen on one half and measured on the other, so choosing them cannot inflate what is measured."""
    tasks = sorted(set(task_ids))
    random.Random(seed).shuffle(tasks)
    discovery = set(tasks[: len(tasks) // 2])
    rows = np.arange(len(task_ids))
    chosen = np.array([t in discovery for t in task_ids])
    return rows[chosen], rows[~chosen]


def paired_effect(a: np.ndarray, b: np.ndarray, axis: int = 0) -> np.ndarray:
    """Cohen's d_z of paired rows: the mean of a - b over its standard deviation (0 where both are 0)."""
    diff = a - b
    sd = diff.std(axis=axis, ddof=1)
    mean = diff.mean(axis=axis)
    return np.divide(mean, sd, out=np.zeros_like(mean, dtype=float), where=sd > 0)


def discover(doing: np.ndarray, safe: np.ndarray, top: int) -> list[int]:
    """The stated rule: the `top` features with the largest d_z of doing over safe, among those
    that fire on at least MIN_ACTIVE of the doing contexts."""
    effect = paired_effect(doing, safe)
    effect[(doing > 0).mean(0) < MIN_ACTIVE] = -np.inf
    return [int(f) for f in np.argsort(-effect, kind="stable")[:top]]


def bootstrap_ci(statistic, *samples: np.ndarray, resamples: int, seed: int = 0) -> tuple[float, float]:
    """95 % percentile bootstrap interval of `statistic(*samples, axis)` (paired when several
    samples are given)."""
    result = stats.bootstrap(samples, statistic, n_resamples=resamples, paired=len(samples) > 1,
                             vectorized=True, axis=0, method="percentile", random_state=seed)
    return float(result.confidence_interval.low), float(result.confidence_interval.high)


def profile(pooled: dict[str, np.ndarray], feature: int, rows: np.ndarray, resamples: int) -> dict:
    """One feature on the rows `rows` of the paired kinds: mean activation per kind with a
    bootstrap interval, and d_z of doing over safe and of describing over task words."""
    out = {"feature": feature}
    for kind in ("describing", "warned code", "doing", "safe", "task words"):
        x = pooled[kind][rows, feature]
        out[kind] = float(x.mean())
        out[f"{kind} ci"] = bootstrap_ci(np.mean, x, resamples=resamples)
    for name, (a, b) in {"d doing-safe": ("doing", "safe"), "d describing-task words": ("describing", "task words")}.items():
        x, y = pooled[a][rows, feature], pooled[b][rows, feature]
        out[name] = float(paired_effect(x, y))
        out[f"{name} ci"] = bootstrap_ci(paired_effect, x, y, resamples=resamples)
    return out


def top_k(pooled: np.ndarray, k: int) -> set[int]:
    """The k features with the highest mean pooled activation in one kind."""
    return {int(f) for f in np.argsort(-pooled.mean(0), kind="stable")[:k]}


def jaccard(a: set, b: set) -> float:
    return len(a & b) / len(a | b) if a | b else 0.0


def cosine(u: np.ndarray, v: np.ndarray) -> float:
    return float(u @ v / (np.linalg.norm(u) * np.linalg.norm(v)))


def set_overlap(pooled: dict[str, np.ndarray], pairs: list[tuple[str, str]], k: int, measure=jaccard) -> list[dict]:
    """Jaccard of the top-k features and cosine of the mean activation vectors, for each pair of kinds
    (`measure`: the Jaccard function to use, such as a learner's)."""
    return [{"a": a, "b": b, "jaccard": measure(top_k(pooled[a], k), top_k(pooled[b], k)),
             "cosine": cosine(pooled[a].mean(0), pooled[b].mean(0))} for a, b in pairs]


def effect_correlation(pooled: dict[str, np.ndarray], rows: np.ndarray, permutations: int, seed: int = 0) -> dict:
    """Spearman correlation over features of d_z(doing - safe) and d_z(describing - task words).

    Do the features that writing the flaw turns up also turn up when the flaw is described? The
    baseline: swap describing and task words in a random half of the pairs, which cancels any
    consistent effect of describing and leaves noise of the same size, and recompute
    (`permutations` times). Swapping exactly half matters: a random number of swaps keeps a
    fraction of the real effect, with a random sign.
    """
    doing = paired_effect(pooled["doing"][rows], pooled["safe"][rows])
    diff = pooled["describing"][rows] - pooled["task words"][rows]
    live = (np.abs(doing) > 0) | (np.abs(diff).sum(0) > 0)
    observed = stats.spearmanr(doing[live], _dz(diff)[live]).statistic
    rng, null = np.random.default_rng(seed), []
    for _ in range(permutations):
        signs = np.ones((len(rows), 1))
        signs[rng.permutation(len(rows))[: len(rows) // 2]] = -1.0
        null.append(stats.spearmanr(doing[live], _dz(diff * signs)[live]).statistic)
    null = np.nan_to_num(np.array(null))
    return {"spearman": float(observed), "null_low": float(np.quantile(null, 0.025)),
            "null_high": float(np.quantile(null, 0.975)),
            "p": float((1 + (np.abs(null) >= abs(observed)).sum()) / (1 + permutations)),
            "n_features": int(live.sum()), "permutations": permutations}


def _dz(diff: np.ndarray) -> np.ndarray:
    return paired_effect(diff, np.zeros_like(diff))


PAPER_8684 = {"warning and direct contexts": paper.FIGURES["feature_active"].value,  # reported
              "safe below": paper.FIGURES["feature_safe"].value}


def compare_8684(row) -> dict:
    """Feature 8684's mean peak activations (a `profile` row) beside the paper's (helpers.paper)."""
    low, high = PAPER_8684["warning and direct contexts"]
    out = {kind: float(row[kind]) for kind in ("describing", "warned code", "doing", "safe")}
    out.update({"paper_warning_and_direct": [low, high], "paper_safe_below": PAPER_8684["safe below"],
                "doing_in_paper_range": low <= out["doing"] <= high,
                "warned_in_paper_range": low <= out["warned code"] <= high,
                "safe_below_paper_bound": out["safe"] < PAPER_8684["safe below"]})
    return out
