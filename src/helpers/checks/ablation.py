"""Checkers for chapter 6: hooks that remove or steer a direction."""

from __future__ import annotations

from helpers.checks._core import _fail, _passed


def check_projection_hook(fn) -> None:
    """fn(Q) -> hook(act, hook) removing the span of Q's orthonormal columns from act."""
    import torch

    gen = torch.Generator().manual_seed(5)
    q, _ = torch.linalg.qr(torch.randn(16, 3, generator=gen))
    act = torch.randn(2, 7, 16, generator=gen)
    got = fn(q)(act.clone(), None)
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
    got = fn(direction, 3.0)(act.clone(), None)
    want = act - 3.0 * direction / direction.norm()
    if torch.allclose(got, want, atol=1e-5):
        return _passed("steering_hook", "subtracts alpha times the unit direction at every position")
    if torch.allclose(got, act + 3.0 * direction / direction.norm(), atol=1e-5):
        _fail("steering_hook", "you added the direction: steering *away* from a feature subtracts it.")
    if torch.allclose(got, act - 3.0 * direction, atol=1e-5):
        _fail("steering_hook", "normalise the direction first (direction / direction.norm()), so alpha is in the "
                               "units of the residual stream, whatever the direction's length.")
    _fail("steering_hook", "return act - alpha * direction / |direction|, the same at every position.")
