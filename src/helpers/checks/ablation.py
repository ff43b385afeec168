"""Checkers for chapter 6: hooks that remove or steer a direction, and reading what an
intervention did against its random-direction control."""

from __future__ import annotations

from helpers.checks._core import _fail, _passed, check_choice, check_prediction


def _written(name: str, hook) -> None:
    """A stub returns None instead of a hook: say so, rather than fail on calling None."""
    if hook is None:
        _fail(name, "the function returns None: write it (it returns a hook, a function of (act, hook)), "
                    "then run this cell again.")


def check_projection_hook(fn) -> None:
    """fn(Q) -> hook(act, hook) removing the span of Q's orthonormal columns from act."""
    import torch

    gen = torch.Generator().manual_seed(5)
    q, _ = torch.linalg.qr(torch.randn(16, 3, generator=gen))
    act = torch.randn(2, 7, 16, generator=gen)
    hook = fn(q)
    _written("projection_hook", hook)
    got = hook(act.clone(), None)
    if not isinstance(got, torch.Tensor) or got.shape != act.shape:
        _fail("projection_hook", "the hook must return a tensor shaped like act (batch, position, d_model).")
    if torch.allclose(got, (act @ q) @ q.T, atol=1e-5):
        _fail("projection_hook", "you returned the part *inside* the span, (h Q) Q^T; subtract it from h.")
    if (got @ q).abs().max() > 1e-4:
        _fail("projection_hook", "the result still has a component along Q: h - (h Q) Q^T removes all of it "
                                 "(multiply by Q on the right, then by Q^T).")
    if not torch.allclose(act - got, ((act - got) @ q) @ q.T, atol=1e-4):
        _fail("projection_hook", "you removed more than the span of Q: only h's component along Q may change.")
    _passed("projection_hook", "removes exactly the span of Q and keeps the rest")


def check_steering_hook(fn) -> None:
    """fn(direction, alpha) -> hook(act, hook) subtracting alpha times the unit direction."""
    import torch

    gen = torch.Generator().manual_seed(6)
    direction = torch.randn(16, generator=gen) * 7
    act = torch.randn(2, 5, 16, generator=gen)
    hook = fn(direction, 3.0)
    _written("steering_hook", hook)
    got = hook(act.clone(), None)
    want = act - 3.0 * direction / direction.norm()
    if torch.allclose(got, want, atol=1e-5):
        return _passed("steering_hook", "subtracts alpha times the unit direction at every position")
    if torch.allclose(got, act + 3.0 * direction / direction.norm(), atol=1e-5):
        _fail("steering_hook", "you added the direction: steering *away* from a feature subtracts it.")
    if torch.allclose(got, act - 3.0 * direction, atol=1e-5):
        _fail("steering_hook", "normalise the direction first (direction / direction.norm()), so alpha is in the "
                               "units of the residual stream, whatever the direction's length.")
    _fail("steering_hook", "return act - alpha * direction / |direction|, the same at every position.")


def check_ablation_rate(prediction, measured: float, l1: float, random: float) -> None:
    """Predict: L1's rate with the SAE directions removed while it writes, read beside L1's own
    rate and the random-direction control's, which together say what the cut did."""
    check_prediction("ablation_rate", prediction, measured, low=0.0, high=1.0, reading=(
        f"L1 without the cut measured {l1:.3g}; removing as many random directions gave {random:.3g}. "
        "A rate near L1's is the paper's finding: removing the feature while the model writes does not "
        "undo what fine-tuning taught. A fall the random control shares is the cost of cutting any "
        "directions, not the feature's effect. Whether a gap is more than chance is for the "
        "clustered comparison below to say."))


def _differs(row) -> bool:
    """The clustered 95 % interval against L1 excludes 0 (an interval that could not be computed,
    nan, shows nothing)."""
    return bool(row.clustered_low_vs_L1 > 0 or row.clustered_high_vs_L1 < 0)


def caft_readings(table) -> tuple[dict[str, str], str]:
    """The options of the interpret exercise on CAFT, each with why it holds or fails on this run,
    and the right one: CAFT with the SAE directions against L1 at the unit of the design, beside
    CAFT with as many random directions."""
    sae, rnd = table.loc["CAFT SAE"], table.loc["CAFT random"]

    def moved(name, row):
        interval = f"[{row.clustered_low_vs_L1:+.1%}, {row.clustered_high_vs_L1:+.1%}]"
        return f"{name} moved L1's rate by {row.diff_vs_L1:+.1%} (clustered 95 % CI {interval})"

    both = f"{moved('CAFT with the SAE directions', sae)}; {moved('CAFT with random directions', rnd)}"
    nothing = "The SAE row's interval holds 0: there is no effect here to call specific or generic."
    shared = ("The random control moved it too: removing any directions during training does this, so the "
              "effect is not shown to be about the features.")
    only = ("Only the SAE directions moved it: an effect of removing those directions during training, "
            "which chapter 4's overlap (a correlation) could not show.")
    why = {
        "specific": f"{both}. " + (nothing if not _differs(sae) else shared if _differs(rnd) else only),
        "generic": f"{both}. " + (nothing if not _differs(sae) else shared if _differs(rnd) else
                                  "The random control's interval holds 0: " + only[0].lower() + only[1:]),
        "undetermined": (f"{both}. " + (
            "The SAE row's interval holds 0: this run cannot tell whether CAFT did anything, which is "
            "not the same as showing that it did nothing." if not _differs(sae) else
            "The SAE row's interval excludes 0: this run does show a change.")),
        "no effect": ("'not significant' is not 'no effect': an interval that holds 0 also holds effects "
                      "that would matter. Showing no effect takes an equivalence test with a margin "
                      f"fixed in advance (chapter 3's TOST). Here: {both}."),
        "pooled": (f"Fisher's p (pooled: {sae.fisher_p_vs_L1:.3g}) counts every sample as an independent "
                   "draw, but samples share prompts, and the samples of one fine-tune share its seed: read "
                   "the comparison at the unit of the design, the clustered interval."),
    }
    right = "undetermined" if not _differs(sae) else "generic" if _differs(rnd) else "specific"
    return why, right


def check_caft_reading(answer, table) -> None:
    """Interpret: what CAFT did to L1's rate, read against its random-direction control and at the
    unit of the design."""
    why, right = caft_readings(table)
    check_choice("caft_reading", answer, why, right)
