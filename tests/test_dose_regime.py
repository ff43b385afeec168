"""helpers.dose_sweep.regime: where one dose sits on chapter 3b's curves, from the samples there."""

import pytest

from helpers import clustered
from helpers.dose_sweep import REGIMES, regime


def samples(rates, seed=0):
    frame = clustered.simulate(rates, prompts=40, seeds=2, per_prompt=4, rng=seed).assign(judged=True)
    return [frame[frame.condition == c] for c in ("base", "L0", "L1")]


@pytest.mark.parametrize(("rates", "expected"), [
    ({"base": 0.2, "L0": 0.2, "L1": 0.2}, "not learned"),
    ({"base": 0.1, "L0": 0.8, "L1": 0.3}, "L1 lags"),
    ({"base": 0.1, "L0": 0.8, "L1": 0.8}, "L1 keeps up"),
    ({"base": 0.1, "L0": 1.0, "L1": 1.0}, "ceiling"),
])
def test_regime_reads_the_curve(rates, expected):
    found = regime(*samples(rates))
    assert found["regime"] == expected and found["reading"] == REGIMES[expected]
    low, high = found["l1_minus_l0"]
    assert low <= high and (high < 0) == (expected == "L1 lags")
