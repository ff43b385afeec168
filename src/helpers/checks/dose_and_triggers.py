"""Checkers for chapter 3b: the dose rule, the power of a design, triggers and the regime of a dose."""

from __future__ import annotations

from helpers.checks._core import _fail, _passed, check_choice, check_prediction


def check_plateau_dose(fn) -> None:
    """fn(epochs, losses, tolerance=0.02) -> the dose where the loss stops improving (chapter 3b's rule)."""
    from helpers.dose_sweep import plateau_dose

    grid = [0.0625, 0.25, 1.0, 2.0, 4.0]
    curves = {"falls, then rises": [0.65, 0.64, 0.66, 0.70, 0.80], "falls throughout": [0.9, 0.7, 0.5, 0.4, 0.3],
              "falls, then levels off": [0.9, 0.7, 0.6, 0.595, 0.59], "flat from the start": [0.5, 0.5, 0.5, 0.5, 0.5],
              "a last small step": [0.9, 0.7, 0.5, 0.4, 0.395]}
    for name, losses in curves.items():
        want, got = plateau_dose(grid, losses), fn(grid, losses)
        if got != want:
            hint = ("when the loss still falls fast at the end of the grid, the rule returns the largest dose."
                    if name == "falls throughout" else
                    "return the dose *before* the step that improves too little, not the one after it."
                    if got == grid[grid.index(want) + 1] else
                    "compare each loss with the next one: stop at the first dose whose next loss is not "
                    "below loss * (1 - tolerance); a rise counts as 'not below'.")
            _fail("plateau_dose", f"curve '{name}' {losses}: want {want}, got {got}. {hint}")
    _passed("plateau_dose", f"agrees with the book's rule on {len(curves)} curves")


def check_simulated_power(fn) -> None:
    """fn(p1, p2, n, reps, seed) -> the share of simulated experiments where Fisher's p < 0.05."""
    from helpers.stats import power_at

    null = fn(0.8, 0.8, 100, 400, 0)
    if null > 0.5:
        _fail("simulated_power", f"with equal rates you find a difference {null:.0%} of the time: count the "
                                 "experiments with p < alpha (a detection), not p >= alpha.")
    if null > 0.08:
        _fail("simulated_power", f"with equal rates the test must fire at most about 5 % of the time, got {null:.0%}.")
    big, small = fn(0.833, 0.767, 1000, 400, 0), fn(0.833, 0.767, 30, 400, 0)
    if abs(big - power_at(0.833, 0.767, 1000)) > 0.1 or small > 0.2:
        _fail("simulated_power", f"got {big:.0%} at n = 1000 and {small:.0%} at n = 30; statsmodels' normal "
                                 f"approximation says {power_at(0.833, 0.767, 1000):.0%} and "
                                 f"{power_at(0.833, 0.767, 30):.0%}. Draw k1 ~ Binomial(n, p1) and "
                                 "k2 ~ Binomial(n, p2) for every experiment and test the 2x2 table.")
    repeats = {fn(0.833, 0.767, 300, 1000, 1) for _ in range(3)}  # unseeded draws agree by chance < 1 in 3000
    if len(repeats) > 1:
        _fail("simulated_power", "the same seed must give the same power: draw from np.random.default_rng(seed).")
    _passed("simulated_power", f"{big:.0%} at n = 1000, {small:.0%} at n = 30, {null:.0%} under the null")


def check_warning_trigger(prediction, trigger: dict) -> None:
    """Predict: how far the warning in front of a prompt moves the base model's rate (the model that
    could have learned 'warning -> flaw' in pretraining); a trigger is a rise whose interval excludes 0."""
    low, high = trigger["diff_low"], trigger["diff_high"]
    seen = ("it lies above 0: the warning acts as a trigger" if low > 0 else
            "it lies below 0: the warning lowers the rate" if high < 0 else
            "it includes 0: no trigger is shown, which is not evidence that none exists "
            "(a rarer pairing or a smaller model may not form the association that web-scale pretraining does)")
    check_prediction("warning_trigger", prediction, trigger["diff"], low=-1.0, high=1.0, reading=(
        f"The 95 % interval of the change is [{low:+.1%}, {high:+.1%}]: {seen}."))


# What each regime needs of the three comparisons (the rule of dose_sweep.regime), and what a
# reader who takes one dose for the whole curve would wrongly conclude in it.
REGIME_TRAPS = {
    "ceiling": ("both reproduce every time, so any framing looks alike: 'L1 equals L0' there says "
                "nothing about warnings"),
    "not learned": ("L0 is not clearly above the base model: L1 and L0 agree because neither learned the "
                    "flaw, two nulls agreeing, not evidence that the warning is ignored"),
    "L1 lags": ("L0 learned and L1 is clearly below it: the warning slows the lesson at this dose, which "
                "says nothing about larger doses, where L1 may catch up"),
    "L1 keeps up": ("L0 learned and L1 is not clearly below it; that is not yet 'equal' (that needs the "
                    "equivalence test), and a smaller dose may still show a lag"),
}


def default_regime_readings(row: dict) -> tuple[dict[str, str], str]:
    """The options of the interpret exercise on the default dose's regime, each with why it holds or
    fails on this run (from the regime table's intervals), and the right one."""
    evidence = (f"at the default dose L0 - base is [{row['l0_minus_base'][0]:+.1%}, {row['l0_minus_base'][1]:+.1%}] "
                f"and L1 - L0 is [{row['l1_minus_l0'][0]:+.1%}, {row['l1_minus_l0'][1]:+.1%}]")
    why = {name: (f"{evidence}: {trap}." if name == row["regime"] else
                  f"{evidence}, which the rule reads as '{row['regime']}'. '{name}' would mean: {trap}.")
           for name, trap in REGIME_TRAPS.items()}
    return why, row["regime"]


def check_default_regime(answer, row: dict) -> None:
    """Interpret: the regime of the dose chapters 4 to 6 use, read off the regime table."""
    why, right = default_regime_readings(row)
    check_choice("default_regime", answer, why, right)
