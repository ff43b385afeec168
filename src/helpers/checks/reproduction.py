"""Checkers for chapter 3: intervals and equivalence."""

from __future__ import annotations

from helpers.checks._core import _fail, _passed


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
