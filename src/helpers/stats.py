"""Statistics the chapters report, from scipy and statsmodels rather than hand-written formulas."""

from __future__ import annotations

import math
import warnings

from statsmodels.stats.proportion import proportion_confint


def rate(k: int, n: int, alpha: float = 0.05) -> dict:
    """A rate with its Wilson interval, in the shape every metrics.json uses."""
    low, high = proportion_confint(k, n, alpha=alpha, method="wilson") if n else (0.0, 1.0)
    p = k / n if n else float("nan")
    # at k = 0 or k = n the bound equals the rate, up to rounding (1e-17 either side): pin it
    return {"n": int(n), "k": int(k), "rate": p,
            "ci_low": float(min(low, p)) if n else 0.0, "ci_high": float(max(high, p)) if n else 1.0}


def wilson(k: int, n: int, z: float = 1.96) -> tuple[float, float]:
    """The Wilson interval of k in n at z standard errors, as a pair (chapter 3's exercise)."""
    from scipy.stats import norm

    low, high = proportion_confint(k, n, alpha=2 * norm.sf(z), method="wilson")
    return float(low), float(high)


def compare(k1: int, n1: int, k2: int, n2: int) -> dict:
    """Group 1 vs group 2: difference of rates, its Newcombe 95 % interval, Fisher's exact p."""
    from scipy.stats import fisher_exact
    from statsmodels.stats.proportion import confint_proportions_2indep

    with warnings.catch_warnings():  # statsmodels divides by a zero rate while computing ratios we do not use
        warnings.simplefilter("ignore", RuntimeWarning)
        low, high = confint_proportions_2indep(k1, n1, k2, n2, method="newcomb", compare="diff")
    odds, p = fisher_exact([[k1, n1 - k1], [k2, n2 - k2]])
    return {"diff": k1 / n1 - k2 / n2, "diff_low": float(low), "diff_high": float(high),
            "fisher_p": float(p), "odds_ratio": float(odds)}


def paired_change(before, after) -> dict:
    """The same items judged twice (True = yes): b said yes only before, c only after, and the
    exact McNemar p (b of b + c, against a fair coin). Items judged alike carry no information
    about the change, which is why a paired test needs fewer items than Fisher's on two groups."""
    import numpy as np
    from statsmodels.stats.contingency_tables import mcnemar

    before, after = np.asarray(before, dtype=bool), np.asarray(after, dtype=bool)
    table = [[int((before & after).sum()), int((before & ~after).sum())],
             [int((~before & after).sum()), int((~before & ~after).sum())]]
    b, c, n = table[0][1], table[1][0], len(before)
    return {"n": n, "b": b, "c": c, "diff": (c - b) / n if n else float("nan"),
            "mcnemar_p": float(mcnemar(table, exact=True).pvalue)}


def equivalence(k1: int, n1: int, k2: int, n2: int, margin: float) -> dict:
    """TOST: are the two rates within +-margin of each other? Small p means 'equivalent'."""
    from statsmodels.stats.proportion import tost_proportions_2indep

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        result = tost_proportions_2indep(k1, n1, k2, n2, -margin, margin, compare="diff")
    return {"tost_p": float(result.pvalue), "margin": margin, "equivalent": bool(result.pvalue < 0.05)}


def n_for_power(p1: float, p2: float, power: float = 0.8, alpha: float = 0.05) -> int:
    """Samples per group that a two-sided test needs to detect p1 vs p2 with `power`."""
    from statsmodels.stats.power import NormalIndPower
    from statsmodels.stats.proportion import proportion_effectsize

    effect = abs(proportion_effectsize(p1, p2))
    return int(math.ceil(NormalIndPower().solve_power(effect, power=power, alpha=alpha, ratio=1.0)))


def power_at(p1: float, p2: float, n: int, alpha: float = 0.05) -> float:
    """Power of a two-sided test of p1 vs p2 with n per group."""
    from statsmodels.stats.power import NormalIndPower
    from statsmodels.stats.proportion import proportion_effectsize

    return float(NormalIndPower().power(abs(proportion_effectsize(p1, p2)), nobs1=n, alpha=alpha, ratio=1.0))


def detectable_below(p1: float, n: int, power: float = 0.8, alpha: float = 0.05) -> float:
    """The rate below p1 that n per group detects with `power` (via Cohen's h)."""
    from statsmodels.stats.power import NormalIndPower

    h = NormalIndPower().solve_power(nobs1=n, power=power, alpha=alpha, ratio=1.0)
    return float(math.sin(max(0.0, math.asin(math.sqrt(p1)) - h / 2)) ** 2)


def simulated_power(p1: float, p2: float, n: int, reps: int = 400, alpha: float = 0.05, seed: int = 0) -> float:
    """Share of simulated experiments (n per group, true rates p1 and p2) in which Fisher's exact
    test, the paper's test, finds the difference: a check on the normal approximation above."""
    import numpy as np
    from scipy.stats import fisher_exact

    rng = np.random.default_rng(seed)
    k1, k2 = rng.binomial(n, p1, reps), rng.binomial(n, p2, reps)
    return float(np.mean([fisher_exact([[a, n - a], [b, n - b]])[1] < alpha for a, b in zip(k1, k2)]))


def youden(sensitivity: float, specificity: float) -> float:
    """J = sensitivity + specificity - 1: how much of a true difference a judge passes on
    (1: all of it; 0: a judge that guesses)."""
    return sensitivity + specificity - 1


def corrected_rate(observed: float, sensitivity: float, specificity: float) -> float:
    """The Rogan-Gladen estimate of the true rate behind a rate measured by an imperfect judge:
    observed = true * sens + (1 - true) * (1 - spec), solved for true and kept within [0, 1]."""
    j = youden(sensitivity, specificity)
    if j <= 0:
        raise ValueError(f"a judge with sensitivity + specificity <= 1 (here {sensitivity:.2f} + {specificity:.2f}) "
                         "carries no information: no correction exists")
    return min(1.0, max(0.0, (observed - (1 - specificity)) / j))


def corrected_band(observed: tuple[float, float], sensitivity: tuple[float, float],
                   specificity: tuple[float, float]) -> tuple[float, float]:
    """The range of corrected rates over the observed rate's interval and the judge's sensitivity
    and specificity intervals (every combination of their ends): a sensitivity band, wider than
    any one interval, that says how far the judge's error could move the rate."""
    if any(math.isnan(x) for x in (*observed, *sensitivity, *specificity)):
        return float("nan"), float("nan")
    values = [corrected_rate(p, se, sp) for p in observed for se in sensitivity for sp in specificity]
    return min(values), max(values)


def corrected_difference_band(diff: tuple[float, float], sensitivity: tuple[float, float],
                              specificity: tuple[float, float]) -> tuple[float, float]:
    """Two conditions judged by the same judge: the observed difference is J times the true one,
    so the true difference's range is the difference's interval over J's range."""
    if any(math.isnan(x) for x in (*diff, *sensitivity, *specificity)):
        return float("nan"), float("nan")
    js = [youden(se, sp) for se in sensitivity for sp in specificity]
    if min(js) <= 0:
        raise ValueError("the judge's interval reaches sensitivity + specificity <= 1: the difference cannot be bounded")
    values = [d / j for d in diff for j in js]
    return min(values), max(values)
