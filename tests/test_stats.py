"""The statistics agree with the paper's numbers (paper.md) and with textbook cases."""

import pytest

from helpers import stats


def test_wilson_interval_of_the_paper_rates():
    r = stats.rate(23, 30)
    assert r["rate"] == pytest.approx(0.7667, abs=1e-4)
    assert r["ci_low"] == pytest.approx(0.591, abs=0.002) and r["ci_high"] == pytest.approx(0.882, abs=0.002)
    edge = stats.rate(0, 30)
    assert edge["ci_low"] == 0 and 0.10 < edge["ci_high"] < 0.12


def test_paper_comparison_matches_paper_md():
    c = stats.compare(23, 30, 25, 30)
    assert c["fisher_p"] == pytest.approx(0.75, abs=0.01)
    assert c["diff_low"] == pytest.approx(-0.27, abs=0.01) and c["diff_high"] == pytest.approx(0.14, abs=0.01)


def test_equivalence_is_not_shown_at_n_30_but_is_at_large_n():
    assert not stats.equivalence(23, 30, 25, 30, 0.10)["equivalent"]
    assert stats.equivalence(800, 1000, 805, 1000, 0.10)["equivalent"]


def test_power_numbers_of_paper_md():
    assert 550 <= stats.n_for_power(0.833, 0.767) <= 650
    assert stats.power_at(0.833, 0.767, 30) < 0.12
    assert stats.power_at(0.833, 0.767, stats.n_for_power(0.833, 0.767)) == pytest.approx(0.8, abs=0.01)
    assert 0.4 < stats.detectable_below(0.833, 30) < 0.6


@pytest.mark.parametrize("n", range(1, 60))
def test_wilson_bounds_hold_their_rate_at_zero_and_at_n(n):
    """At k = 0 and k = n the Wilson bound meets the rate; rounding must not put it on the wrong
    side (matplotlib refuses a negative error bar, and a test of ci_low <= rate fails)."""
    for k in (0, n):
        r = stats.rate(k, n)
        assert 0 <= r["ci_low"] <= r["rate"] <= r["ci_high"] <= 1


def test_paired_change_counts_the_discordant_items_and_tests_them_exactly():
    before, after = [True] * 10, [False] * 8 + [True] * 2
    change = stats.paired_change(before, after)
    assert (change["n"], change["b"], change["c"], change["diff"]) == (10, 8, 0, -0.8)
    assert change["mcnemar_p"] == pytest.approx(2 * 0.5 ** 8)  # 8 of 8 discordant items went one way
    same = stats.paired_change([1, 1, 0, 0, 1], [1, 0, 0, 1, 1])
    assert (same["b"], same["c"], same["mcnemar_p"]) == (1, 1, 1.0)
    assert stats.paired_change([1, 0], [1, 0])["mcnemar_p"] == 1.0  # no discordant item: no evidence of change


def test_rogan_gladen_recovers_a_known_true_rate_from_simulated_judging():
    """Judge a million simulated completions with known truth and a judge of known sensitivity and
    specificity: the correction of the observed rate gives back the true rate, and a difference
    between two conditions shrinks by J = sens + spec - 1 before correction."""
    import numpy as np

    rng = np.random.default_rng(0)
    sens, spec = 0.8, 0.95

    def observed(true_rate, n=1_000_000):
        truth = rng.random(n) < true_rate
        return float(np.where(truth, rng.random(n) < sens, rng.random(n) > spec).mean())

    a, b = observed(0.6), observed(0.3)
    assert a == pytest.approx(0.6 * sens + 0.4 * (1 - spec), abs=2e-3)
    assert stats.corrected_rate(a, sens, spec) == pytest.approx(0.6, abs=3e-3)
    assert stats.corrected_rate(b, sens, spec) == pytest.approx(0.3, abs=3e-3)
    assert (a - b) == pytest.approx(0.3 * stats.youden(sens, spec), abs=3e-3)
    low, high = stats.corrected_band((a - 0.02, a + 0.02), (0.75, 0.85), (0.93, 0.97))
    assert low < 0.6 < high and stats.corrected_rate(a, sens, spec) <= high
    d_low, d_high = stats.corrected_difference_band((0.2, 0.26), (0.75, 0.85), (0.93, 0.97))
    assert d_low == pytest.approx(0.2 / (0.85 + 0.97 - 1)) and d_high == pytest.approx(0.26 / (0.75 + 0.93 - 1))
    assert stats.corrected_rate(0.01, sens, spec) == 0.0  # below the false-alarm rate: no true flaws
    with pytest.raises(ValueError, match="carries no information"):
        stats.corrected_rate(0.5, 0.5, 0.5)
