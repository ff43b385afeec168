"""Checkers for chapter 3b: the dose rule and the power of a design."""

from __future__ import annotations

from helpers.checks._core import _fail, _passed


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
