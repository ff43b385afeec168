"""Checkers for chapter 5: probes and angles."""

from __future__ import annotations

from helpers.checks._core import _fail, _passed


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
        if got is None or math.isnan(float(got)):
            _fail("angle_degrees", f"angle_degrees({a}, {b}) is nan: clip the cosine to [-1, 1] before arccos.")
        if abs(float(got) - want) > 1e-4:
            hint = ("that is radians: convert with np.degrees." if abs(float(got) - math.radians(want)) < 1e-4 else
                    "divide the dot product by both norms before arccos.")
            _fail("angle_degrees", f"angle_degrees({a}, {b}) = {got}, want {want}: {hint}")
    _passed("angle_degrees", f"right on {len(cases)} cases, parallel vectors included")
