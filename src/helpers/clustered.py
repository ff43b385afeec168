"""Statistics at the unit of the design: prompts and fine-tunes, not single samples.

A chapter's samples are not independent draws. Every condition completes the *same* held-out
prompts (some easy, some hard), several times each, with a few fine-tunes (seeds) per condition.
Pooling all samples into one k/n, as a Wilson interval or Fisher's test does, treats them as
independent and so overstates what the data know. `clustered_compare` estimates the variance of a
difference of rates from its two units: prompts (paired: both conditions answer the same ones)
and fine-tunes (each condition's own seeds), by the method of moments of a random-effects model,
with a t interval on Satterthwaite's degrees of freedom. `simulate` draws data of that design with
a known truth, for the tests and for power.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
from scipy.optimize import brentq
from scipy.special import expit

PROMPT = ("family", "task_id")  # a held-out prompt is one task of one family


def cells(frame: pd.DataFrame, prompts: list[tuple], outcome: str = "reproduced", unit=PROMPT,
          seed: str = "seed") -> tuple[np.ndarray, np.ndarray]:
    """Successes and samples per (seed, prompt): two arrays of shape (seeds, prompts); a prompt
    a seed never saw counts 0 of 0. Samples the judge could not analyse (`judged` False) are left
    out, as the pooled rates leave them out; any other sample without a True/False outcome is an
    error, never read as a failure."""
    if "judged" in frame:
        frame = frame[frame.judged.astype(bool)]
    y = frame[outcome].to_numpy()
    if y.dtype != bool:
        raise ValueError(f"{outcome!r} must be True/False for every sample: mark one the judge could not "
                         "analyse as unjudged (judged=False), never leave it blank")
    seeds, s_idx = np.unique(frame[seed].to_numpy(), return_inverse=True)
    keys = pd.MultiIndex.from_frame(frame[list(unit)])
    p_idx = pd.MultiIndex.from_tuples(prompts, names=list(unit)).get_indexer(keys)
    k, n = np.zeros((len(seeds), len(prompts))), np.zeros((len(seeds), len(prompts)))
    np.add.at(k, (s_idx, p_idx), y)
    np.add.at(n, (s_idx, p_idx), 1)
    return k, n


def _seed_mean_squares(rates: np.ndarray) -> tuple[float, float]:
    """A condition's table of cell rates (seeds x prompts), as two-way ANOVA mean squares over
    (prompts x seeds): seeds, and residual. Their difference estimates, by the method of moments,
    the variance the fine-tunes add to the condition's mean rate: the seeds' spread beyond what the
    noise within cells explains. One seed: no spread to measure (0, 0)."""
    s, p = rates.shape
    if s < 2 or p < 2:
        return 0.0, 0.0
    seed_means, prompt_means = rates.mean(1), rates.mean(0)
    residual = rates - seed_means[:, None] - prompt_means[None, :] + rates.mean()
    ms_seed, ms_res = p * seed_means.var(ddof=1), (residual ** 2).sum() / ((s - 1) * (p - 1))
    return ms_seed / (p * s), ms_res / (p * s)


def _method(paired: bool, seeds: list[int]) -> str:
    levels = "prompts" + (" and fine-tunes" if min(seeds) > 1 else "")
    note = "" if min(seeds) > 1 else " (one seed per condition: fine-tune variation not estimable, left out)"
    return f"random-effects moments over {levels}{', paired by prompt' if paired else ''}, Satterthwaite t{note}"


def compare_tables(a: tuple, b: tuple | None = None, alpha: float = 0.05) -> dict:
    """`clustered_compare` on tables of successes and samples per (seed, prompt), as `cells` makes
    them (the same prompts, in the same order, in both)."""
    from scipy.stats import t

    tables = [x for x in (a, b) if x is not None]
    with np.errstate(invalid="ignore", divide="ignore"):
        rates = [k / n for k, n in tables]
        per_prompt = [k.sum(0) / n.sum(0) for k, n in tables]
    seen = np.all([n.sum(0) > 0 for _, n in tables], axis=0)  # prompts every condition sampled
    d = (per_prompt[0] - per_prompt[1] if b is not None else per_prompt[0])[seen]
    pooled = [k.sum() / n.sum() for k, n in tables]
    point = pooled[0] - pooled[1] if b is not None else pooled[0]
    pooled_var = sum(p * (1 - p) / n.sum() for p, (_, n) in zip(pooled, tables))
    n_p = len(d)
    if pooled_var == 0:  # every sample alike (all 0 or all 1): no spread to estimate any variance from
        return _alike(tables, point, alpha)
    prompt_var = d.var(ddof=1) / n_p if n_p > 1 else float("nan")  # one prompt: nothing to compare it with
    seed_parts = [_seed_mean_squares(r) for r in rates]
    seed_var = max(0.0, sum(ms_seed - ms_res for ms_seed, ms_res in seed_parts))  # 0 if noise explains it all
    var = prompt_var + seed_var
    # Satterthwaite: each estimated mean square contributes (its share)^2 / its degrees of freedom
    terms = [(prompt_var, n_p - 1)]
    for (ms_seed, ms_res), r in zip(seed_parts, rates):
        if seed_var > 0 and r.shape[0] > 1:
            terms += [(ms_seed, r.shape[0] - 1), (ms_res, (r.shape[0] - 1) * (n_p - 1))]
    df = var ** 2 / sum(x ** 2 / f for x, f in terms) if var > 0 else float("inf")
    se = float(np.sqrt(var))
    if np.isnan(se):
        low = high = p = df = float("nan")
    elif se == 0:  # every prompt and seed gave the same rate: nothing varies
        low, high, p, df = point, point, float(point == 0), None
    else:
        half, floor = t.ppf(1 - alpha / 2, df) * se, -1.0 if b is not None else 0.0  # a rate stays in [0, 1]
        low, high, p = max(floor, point - half), min(1.0, point + half), float(2 * t.sf(abs(point) / se, df))
    return {"method": _method(b is not None, [r.shape[0] for r in rates]),
            ("diff" if b is not None else "rate"): float(point), "ci_low": float(low), "ci_high": float(high),
            "p": p if b is not None else float("nan"), "se": se, "df": None if df is None else float(df),
            "pooled_se": float(np.sqrt(pooled_var)),
            "design_effect": float(var / pooled_var),
            "prompts": n_p, "seeds": [r.shape[0] for r in rates]}


def _alike(tables: list, point: float, alpha: float) -> dict:
    """Where every sample of each condition gave the same answer, the clustered variance is 0/0:
    report the pooled interval (Newcombe's, or Wilson's for one rate; wide at small n) and say so."""
    from statsmodels.stats.proportion import confint_proportions_2indep

    from helpers.stats import compare, rate

    counts = [int(x.sum()) for k, n in tables for x in (k, n)]
    if len(tables) == 2:
        with warnings.catch_warnings():  # statsmodels divides by the zero rate for ratios we do not use
            warnings.simplefilter("ignore", RuntimeWarning)
            low, high = confint_proportions_2indep(*counts, method="newcomb", compare="diff", alpha=alpha)
        p = compare(*counts)["fisher_p"]
    else:
        low, high, p = *(rate(*counts, alpha=alpha)[x] for x in ("ci_low", "ci_high")), float("nan")
    return {"method": "every sample alike: no spread to estimate a clustered variance from; pooled interval",
            ("diff" if len(tables) == 2 else "rate"): float(point), "ci_low": float(low), "ci_high": float(high),
            "p": p, "se": 0.0, "df": None, "pooled_se": 0.0, "design_effect": None,
            "prompts": int(tables[0][1].shape[1]), "seeds": [k.shape[0] for k, _ in tables]}


def clustered_compare(a: pd.DataFrame, b: pd.DataFrame | None = None, outcome: str = "reproduced",
                      unit=PROMPT, seed: str = "seed", alpha: float = 0.05) -> dict:
    """Rate of `a` minus rate of `b` (or `a`'s rate alone when `b` is None) with its interval and
    two-sided p at the unit of the design, and the design effect: its variance over the variance
    an analysis of independent samples assumes.

    The variance has two parts, each from its own unit: the spread over prompts of the per-prompt
    difference (each condition's rate on that prompt, over all its seeds and samples), divided by
    the number of prompts; and each condition's spread over fine-tunes beyond its noise within
    cells (`_seed_mean_squares`). The interval is t-based, with Satterthwaite's degrees of freedom:
    with 3 fine-tunes per condition they can be few, and the interval says so by widening."""
    frames = [f for f in (a, b) if f is not None]
    prompts = sorted(set().union(*(map(tuple, f[list(unit)].drop_duplicates().to_numpy()) for f in frames)))
    return compare_tables(*(cells(f, prompts, outcome, unit, seed) for f in frames), alpha=alpha)


def compare_by(frame: pd.DataFrame, column: str, a: str, b: str, by: str) -> pd.DataFrame:
    """`clustered_compare` of rows with `column` == a against `column` == b, at every value of `by`."""
    rows = []
    for value, group in frame.groupby(by, sort=True):
        pair = [group[group[column] == name] for name in (a, b)]
        if all(len(part) for part in pair):
            rows.append({by: value, **clustered_compare(*pair)})
    return pd.DataFrame(rows)


_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(40)
_WEIGHTS = _WEIGHTS / _WEIGHTS.sum()  # expectations over a standard normal


def logit_mean(rate: float, sd: float) -> float:
    """The logit-scale mean whose rate, averaged over normal effects of total `sd`, is `rate`."""
    if rate in (0, 1):  # never or always, whatever the effects
        return -np.inf if rate == 0 else np.inf
    return brentq(lambda mu: float(_WEIGHTS @ expit(mu + sd * _NODES)) - rate, -30, 30)


def simulate_tables(rates: dict[str, float], prompts: int, seeds: int, per_prompt: int, sd_prompt: float = 0.0,
                    sd_interaction: float = 0.0, sd_seed: float = 0.0, rng: np.random.Generator | int = 0) -> dict:
    """Successes and samples per (seed, prompt) of every condition in a clustered design whose true
    rates (averaged over prompts and fine-tunes) are `rates`: on the logit scale, a prompt effect
    every condition shares, a prompt x condition effect, and one effect per fine-tune; each of a
    cell's `per_prompt` samples is then an independent Bernoulli draw."""
    rng = np.random.default_rng(rng)
    sd_total = float(np.hypot(np.hypot(sd_prompt, sd_interaction), sd_seed))
    shared = rng.normal(0, sd_prompt, prompts)
    tables = {}
    for condition, rate in rates.items():
        logit = logit_mean(rate, sd_total) + shared + rng.normal(0, sd_interaction, prompts)[None, :] \
            + rng.normal(0, sd_seed, seeds)[:, None]
        n = np.full((seeds, prompts), float(per_prompt))
        tables[condition] = (rng.binomial(per_prompt, expit(logit)).astype(float), n)
    return tables


def simulate(rates: dict[str, float], prompts: int, seeds: int, per_prompt: int, sd_prompt: float = 0.0,
             sd_interaction: float = 0.0, sd_seed: float = 0.0, rng: np.random.Generator | int = 0) -> pd.DataFrame:
    """`simulate_tables` as judged samples, one row each, in the shape of chapter 3's frames."""
    rows = []
    for condition, (k, n) in simulate_tables(rates, prompts, seeds, per_prompt, sd_prompt, sd_interaction,
                                             sd_seed, rng).items():
        for (s, p), successes in np.ndenumerate(k):
            rows += [(condition, s, "sim", p, i, i < successes) for i in range(int(n[s, p]))]
    return pd.DataFrame(rows, columns=["condition", "seed", "family", "task_id", "sample", "reproduced"])


def logit_components(a: pd.DataFrame, b: pd.DataFrame, outcome: str = "reproduced", unit=PROMPT,
                     seed: str = "seed") -> dict:
    """The standard deviations `simulate` takes, estimated from two conditions' samples: by moments
    on the rate scale (the covariance of their per-prompt rates, the variance of the per-prompt
    difference beyond binomial noise, the fine-tunes' spread), then put on the logit scale by the
    rate's mean slope, p(1 - p) averaged over the effects (a few fixed-point steps)."""
    prompts = sorted(set(map(tuple, a[list(unit)].to_numpy())) | set(map(tuple, b[list(unit)].to_numpy())))
    tables = [cells(f, prompts, outcome, unit, seed) for f in (a, b)]
    seen = np.all([n.sum(0) > 0 for _, n in tables], axis=0)
    per_prompt = [k.sum(0)[seen] / n.sum(0)[seen] for k, n in tables]
    rates = [k.sum() / n.sum() for k, n in tables]
    noise = sum(r * (1 - r) / n.sum(0).mean() for r, (_, n) in zip(rates, tables))  # binomial, per prompt
    variance = {"sd_prompt": max(0.0, float(np.cov(per_prompt[0], per_prompt[1])[0, 1])),
                "sd_interaction": max(0.0, (float(np.var(per_prompt[0] - per_prompt[1], ddof=1)) - noise) / 2),
                "sd_seed": max(0.0, float(np.mean([np.subtract(*_seed_mean_squares(k / n)) * len(k) for k, n in tables])))}
    if not all(0 < r < 1 for r in rates):  # a rate of 0 or 1 has no slope: no effect can be seen
        return dict.fromkeys(variance, 0.0)
    sds = dict.fromkeys(variance, 0.0)
    for _ in range(20):
        total = float(np.sqrt(sum(v ** 2 for v in sds.values())))
        slope = np.mean([_WEIGHTS @ (lambda q: q * (1 - q))(expit(logit_mean(r, total) + total * _NODES)) for r in rates])
        sds = {name: float(np.sqrt(v) / slope) for name, v in variance.items()}
    return sds


def simulated_power(rates: dict[str, float], prompts: int, seeds: int, per_prompt: int, sd_prompt: float = 0.0,
                    sd_interaction: float = 0.0, sd_seed: float = 0.0, reps: int = 200, alpha: float = 0.05,
                    seed: int = 0) -> float:
    """Share of simulated experiments of the clustered design (two conditions with true rates
    `rates`) in which `compare_tables` finds the difference at level `alpha`."""
    rng = np.random.default_rng(seed)
    hits = 0
    for _ in range(reps):
        a, b = simulate_tables(rates, prompts, seeds, per_prompt, sd_prompt, sd_interaction, sd_seed, rng).values()
        hits += compare_tables(a, b, alpha)["p"] < alpha
    return hits / reps


def coverage(rates: dict[str, float], prompts: int, seeds: int, per_prompt: int, sd_prompt: float = 0.0,
             sd_interaction: float = 0.0, sd_seed: float = 0.0, reps: int = 200, seed: int = 0) -> dict:
    """Share of simulated experiments of the clustered design whose 95 % interval holds the true
    difference of the two `rates`: the clustered interval, and the pooled (Newcombe) one."""
    from helpers.stats import compare

    rng = np.random.default_rng(seed)
    truth = np.subtract(*rates.values())
    held = {"clustered": 0, "pooled": 0}
    for _ in range(reps):
        a, b = simulate_tables(rates, prompts, seeds, per_prompt, sd_prompt, sd_interaction, sd_seed, rng).values()
        c = compare_tables(a, b)
        pooled = compare(*(int(x.sum()) for x in (*a, *b)))
        held["clustered"] += c["ci_low"] <= truth <= c["ci_high"]
        held["pooled"] += pooled["diff_low"] <= truth <= pooled["diff_high"]
    return {name: count / reps for name, count in held.items()}
