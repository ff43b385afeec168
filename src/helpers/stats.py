"""Statistics the chapters report, from scipy and statsmodels rather than hand-written formulas."""

from __future__ import annotations

from statsmodels.stats.proportion import proportion_confint


def rate(k: int, n: int, alpha: float = 0.05) -> dict:
    """A rate with its Wilson interval, in the shape every metrics.json uses."""
    low, high = proportion_confint(k, n, alpha=alpha, method="wilson") if n else (0.0, 1.0)
    return {"n": int(n), "k": int(k), "rate": k / n if n else float("nan"),
            "ci_low": float(low), "ci_high": float(high)}
