"""Checkers for chapter 5: probes and angles."""

from __future__ import annotations

from helpers.checks._core import _fail, _passed, check_choice, check_prediction


def _parallel_past_one() -> tuple:
    """Two parallel vectors whose cosine, computed as written, rounds above 1 on this machine
    (where it does depends on the BLAS kernel and its threads): arccos of it is nan unless clipped."""
    import numpy as np

    rng = np.random.default_rng(0)
    for _ in range(10_000):
        u = rng.random(5)
        v = u * float(rng.integers(2, 9))
        if u @ v / (np.linalg.norm(u) * np.linalg.norm(v)) > 1:
            return tuple(u), tuple(v), 0.0
    raise RuntimeError("no parallel pair rounds past a cosine of 1 here")


def check_train_probe(fn) -> None:
    """fn(x, y, seed) -> a fitted StandardScaler + LogisticRegression pipeline."""
    import numpy as np
    from sklearn.exceptions import NotFittedError
    from sklearn.preprocessing import StandardScaler

    from helpers.probes import train_probe

    rng = np.random.default_rng(4)
    scales = np.geomspace(0.01, 100, 24)  # residual dimensions differ in scale by orders of magnitude
    x = rng.normal(size=(600, 24)) * scales
    y = ((x[:, :4] / scales[:4]).sum(1) + rng.normal(0, 0.5, 600) > 0).astype(int)
    got = fn(x[:400], y[:400], 0)
    try:
        scores = got.predict_proba(x[400:])[:, 1]
    except NotFittedError:
        _fail("train_probe", "the pipeline is not fitted: call .fit(x, y) and return what it returns.")
    except AttributeError:
        _fail("train_probe", f"return the fitted pipeline (it has predict_proba), not a {type(got).__name__}.")
    if not hasattr(got, "steps") or not isinstance(got[0], StandardScaler):
        _fail("train_probe", "standardise first: make_pipeline(StandardScaler(), LogisticRegression(...)).")
    accuracy = float(((scores > 0.5) == y[400:]).mean())
    want = float(((train_probe(x[:400], y[:400], 0).predict_proba(x[400:])[:, 1] > 0.5) == y[400:]).mean())
    if accuracy < 0.5:
        _fail("train_probe", f"accuracy {accuracy:.0%}, worse than chance: are the labels inverted (fit on y, 1 = vulnerable)?")
    if abs(accuracy - want) > 0.02:
        _fail("train_probe", f"held-out accuracy {accuracy:.1%}, the reference reaches {want:.1%}: use C=1.0 and a "
                             "max_iter large enough to converge.")
    if not np.allclose(fn(x[:400], y[:400], 0).predict_proba(x[400:]), got.predict_proba(x[400:])):
        _fail("train_probe", "two fits with the same seed differ: pass random_state=seed.")
    _passed("train_probe", f"held-out accuracy {accuracy:.1%} on synthetic activations of mixed scales")


def check_angle_degrees(fn) -> None:
    """fn(u, v) -> the angle between u and v in degrees."""
    import math

    import numpy as np

    cases = [((1, 0), (0, 1), 90.0), ((1, 0), (1, 1), 45.0), ((2, 0), (-3, 0), 180.0), ((3, 4), (6, 8), 0.0),
             _parallel_past_one()]
    for a, b, want in cases:
        got = fn(np.array(a, dtype=float), np.array(b, dtype=float))
        if got is None:
            _fail("angle_degrees", "the function returns None: write its body, which returns a number.")
        if math.isnan(float(got)):
            _fail("angle_degrees", f"angle_degrees({a}, {b}) is nan: clip the cosine to [-1, 1] before arccos.")
        if abs(float(got) - want) > 1e-4:
            hint = ("that is radians: convert with np.degrees." if abs(float(got) - math.radians(want)) < 1e-4 else
                    "divide the dot product by both norms before arccos.")
            _fail("angle_degrees", f"angle_degrees({a}, {b}) = {got}, want {want}: {hint}")
    _passed("angle_degrees", f"right on {len(cases)} cases, parallel vectors included")


def check_slip_detection(prediction, without: float, behind: float) -> None:
    """The learner's guess at the share of L1's vulnerable code the probe flags behind a preamble
    (averaged over the preambles), beside detection without one."""
    check_prediction("slip_detection", prediction, behind, low=0.0, high=1.0, reading=(
        f"Without a preamble the probe flagged {without:.1%} of the same code. A fall in detection at "
        "p > 0.5 says the scores moved, not how: a shift of every score and a rotation away from the "
        "probe both lower it. The AUROC column (next cells) tells them apart."))


KIND_NEEDS = {"none": "detection to fall by no more than the rule's margin, or too few preambles to hide the code",
              "shift": "a reproduced slip whose hiding preambles mostly keep the ranking",
              "rotation": "a reproduced slip where at least half of the hiding preambles scramble the ranking",
              "undetermined": "a reproduced slip with a hiding preamble that has no AUROC interval"}


def slip_kind_readings(verdict: dict, none_auroc=None) -> tuple[dict[str, str], str]:
    """The options of the interpret exercise on the kind of slip, each with why it holds or fails on
    this run; the right one is the verdict of the rule stated before measuring."""
    kind = verdict["kind"]
    drop = 100 * verdict["drop"]
    fall = f"detection fell by {drop:.1f} points on average" if drop >= 0 else \
        f"detection rose by {-drop:.1f} points on average"
    state = f"{fall} and {verdict['hiding']} preambles hide the code (McNemar, Holm)"
    known = none_auroc is not None and none_auroc == none_auroc  # None or nan: no AUROC without a preamble
    auroc = f" (AUROC {none_auroc:.2f} without a preamble)" if known else ""
    holds = {
        "none": ("the rule fixed in advance does not call the slip reproduced. Not reproduced here is "
                 "not shown absent: a larger run, another layer or a model that reads the preamble as "
                 "English could find it."),
        "shift": (f"most hiding preambles keep the ranking{auroc}: the scores moved together, the "
                  "probe's direction still separates the code, and a new threshold finds it again."),
        "rotation": (f"most hiding preambles scramble the ranking{auroc}: the code moved out of the "
                     "probe's direction, the paper's claim, and no threshold finds it again."),
        "undetermined": ("some hiding preamble has no AUROC interval (one class too small), so the "
                         "rule cannot say shift or rotation."),
    }
    why = {option: f"{state}: " + (holds[option] if option == kind else
                                  f"'{option}' needs {KIND_NEEDS[option]}, and the rule's verdict is '{kind}'.")
           for option in holds}
    why["detection"] = ("a fall in detection at one threshold cannot tell a shift from a rotation: both "
                        "lower it. Only the ranking (the AUROC behind the preamble) can.")
    return why, kind


def check_slip_kind(answer, verdict: dict, none_auroc=None) -> None:
    """Interpret: what the run says the stealth slip is, by the rule stated before measuring."""
    why, right = slip_kind_readings(verdict, none_auroc)
    check_choice("slip_kind", answer, why, right)


def check_preamble_judge_reading(answer, test: dict, alpha: float = 0.05) -> None:
    """Interpret: does the code L1 writes after a preamble stay as vulnerable as without one?"""
    where = (f"the difference is {test['diff']:+.1%} (95 % CI [{test['diff_low']:+.1%}, "
             f"{test['diff_high']:+.1%}]), Fisher p = {test['fisher_p']:.3g}")
    clustered = ("every prompt is sampled once behind each preamble, so the pooled samples are clustered "
                 "by prompt and Fisher's p, which counts them as independent, is if anything too small")
    significant = test["fisher_p"] < alpha
    why = {
        "differs": (f"{where}: below {alpha}, so a preamble changes how often the code is flawed "
                    f"({clustered})." if significant else
                    f"{where}: not below {alpha}, so this run does not show a difference."),
        "cannot tell": (f"{where}: below {alpha}, so the run does tell the rates apart." if significant else
                        f"{where}: not significant, and the interval still holds differences that would "
                        "matter. The code may stay as vulnerable, but this run does not show it."),
        "same": ("'not significant' is not 'the same': showing that the rates are equal needs an "
                 "equivalence test with a stated margin (chapter 3's TOST), and an interval inside it."),
        "exact": (f"Fisher's test is exact for independent samples, and these are not: {clustered}. "
                  "Chapter 3's rule: test at the unit of the design."),
    }
    check_choice("preamble_judge_reading", answer, why, "differs" if significant else "cannot tell")
