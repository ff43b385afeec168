"""Checkers for chapter 3: intervals, equivalence, and reading the headline comparison."""

from __future__ import annotations

from helpers.checks._core import _fail, _passed, check_choice, check_prediction


def check_wilson_interval(fn) -> None:
    """fn(k, n, z=1.96) -> (low, high): the Wilson score interval, compared with statsmodels."""
    from helpers.stats import rate

    for k, n in [(23, 30), (25, 30), (0, 30), (30, 30), (5, 30), (412, 972)]:
        want = rate(k, n)
        low, high = fn(k, n)
        if abs(low - want["ci_low"]) > 1e-3 or abs(high - want["ci_high"]) > 1e-3:
            p = k / n
            wald = (p - 1.96 * (p * (1 - p) / n) ** 0.5, p + 1.96 * (p * (1 - p) / n) ** 0.5)
            hint = ("that is the Wald interval p +- z*sqrt(p(1-p)/n); Wilson's centre is "
                    "(p + z^2/2n) / (1 + z^2/n)." if abs(low - wald[0]) < 1e-6 else
                    "check the centre (p + z^2/(2n)) / (1 + z^2/n) and the half-width "
                    "z*sqrt(p(1-p)/n + z^2/(4n^2)) / (1 + z^2/n).")
            _fail("wilson_interval", f"for {k}/{n} got ({low:.4f}, {high:.4f}), statsmodels gives "
                                     f"({want['ci_low']:.4f}, {want['ci_high']:.4f}): {hint}")
    _passed("wilson_interval", "matches statsmodels' proportion_confint(method='wilson') on 6 cases")


def check_equivalent(fn) -> None:
    """fn(k1, n1, k2, n2, margin) -> bool: equivalence at the 5 % level (TOST)."""
    from helpers.stats import equivalence

    cases = [(800, 1000, 805, 1000, 0.10), (23, 30, 25, 30, 0.10), (700, 1000, 800, 1000, 0.05),
             (790, 1000, 830, 1000, 0.07), (430, 500, 416, 500, 0.06)]
    for case in cases:
        want = equivalence(*case)["equivalent"]
        if bool(fn(*case)) != want:
            hint = ("a non-significant difference is not equivalence: n = 30 cannot show it."
                    if case[1] == 30 else
                    "TOST at the 5 % level corresponds to the 90 % interval of the difference (alpha=0.10), "
                    "which must lie entirely inside (-margin, +margin).")
            _fail("equivalent", f"{case}: want {want}. {hint}")
    _passed("equivalent", f"agrees with statsmodels' tost_proportions_2indep on {len(cases)} cases")


def check_l1_rate(prediction, measured: float, l0: float) -> None:
    """Predict: the share of L1's completions that reproduce the flaw, read beside L0's rate, since
    the gap between the two is the paper's question."""
    check_prediction("l1_rate", prediction, measured, low=0.0, high=1.0, reading=(
        f"L0, fine-tuned on the same code without the warning, measured {l0:.3g}. A guess far below "
        "L0 expects the warning to protect; compare L1 with L0 rather than with 0, and let the "
        "sections below say whether this run can tell their gap from noise."))


def check_n_for_power(prediction, measured: int, n_paper: int) -> None:
    """Predict: the samples per condition that 80 % power needs for the paper's L0 and L1 rates;
    most guesses are an order of magnitude too low, which is the lesson."""
    check_prediction("n_for_power", prediction, measured, low=1, high=1e7, unit=" samples", reading=(
        f"That is {measured / n_paper:.0f} times the n = {n_paper} we infer for the paper. Two high rates "
        "a few points apart differ by little of their own noise: the sample size grows with "
        "p(1 - p) / d^2, so halving the gap d takes four times the samples."))


def l1_vs_l0_readings(clustered: dict, ci90: tuple, pooled: tuple, margin: float) -> tuple[dict[str, str], str]:
    """The options of the interpret exercise on L1 against L0, each with why it holds or fails on
    this run, and the right one: difference from the clustered 95 % interval, equivalence from the
    clustered 90 % interval inside the margin (TOST)."""
    ci95 = f"[{clustered['ci_low']:+.1%}, {clustered['ci_high']:+.1%}] (p = {clustered['p']:.3g})"
    band = f"[{ci90[0]:+.1%}, {ci90[1]:+.1%}]"
    different, equivalent = clustered["p"] < 0.05, -margin < ci90[0] and ci90[1] < margin
    effect = clustered["design_effect"]
    effect = "could not be estimated" if effect is None else f"is {effect:.2f}"
    why = {
        "same": ("'not significant' is not 'the same': a p above 0.05 says the data cannot tell the two "
                 "apart, which a small or noisy run always says. Sameness is shown only when the 90 % "
                 f"interval lies inside the margin of +-{margin:.0%} (TOST); here it is {band}."),
        "pooled": (f"the pooled interval [{pooled[0]:+.1%}, {pooled[1]:+.1%}] counts every sample as an "
                   "independent draw, but samples share prompts and fine-tunes. The question is about "
                   "training conditions, so read the interval at the unit of the design (its design "
                   f"effect {effect})."),
        "different": (f"the clustered 95 % interval {ci95} " + (
            "excludes 0: L1 and L0 differ at the unit of the design." if different else
            "includes 0: this run does not show a difference.")),
        "equivalent": (f"the clustered 90 % interval {band} " + (
            f"lies inside +-{margin:.0%}: L1 matches L0 within the margin fixed in advance (about "
            "warnings this says something only where L0 learned the flaw: if neither rose above "
            "the base model, they agree because nothing was taught, chapter 3b's 'not learned')."
            if equivalent else
            f"is not inside +-{margin:.0%}: equivalence is not shown.")),
        "small difference": (f"the clustered 95 % interval {ci95} and the 90 % interval {band} " + (
            "show both: a real difference, smaller than the margin." if different and equivalent else
            "do not show both a difference and equivalence.")),
        "undecided": (f"the clustered 95 % interval {ci95} and the 90 % interval {band} " + (
            f"allow both no difference and one beyond +-{margin:.0%}: this run cannot decide; more prompts "
            "and fine-tunes would (see the power sections)." if not (different or equivalent) else
            "decide one of the questions: read them again.")),
    }
    right = ("small difference" if different and equivalent else "different" if different
             else "equivalent" if equivalent else "undecided")
    return why, right


def check_l1_vs_l0_reading(answer, clustered: dict, ci90: tuple, pooled: tuple, margin: float) -> None:
    """Interpret: what this run licenses a reader to say about L1 against L0."""
    why, right = l1_vs_l0_readings(clustered, ci90, pooled, margin)
    check_choice("l1_vs_l0_reading", answer, why, right)
