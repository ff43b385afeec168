"""Checkers for chapter 2: the masked loss and one training step."""

from __future__ import annotations

from helpers.checks._core import _fail, _passed, _tiny_random_model


def check_masked_loss(fn) -> None:
    """fn(model, tokens, mask) -> mean next-token loss over target positions where mask is 1."""
    import torch

    from helpers.training import masked_loss

    model = _tiny_random_model()
    tokens = torch.randint(0, 50, (3, 12), generator=torch.Generator().manual_seed(1))
    mask = torch.zeros(3, 12, dtype=torch.long)
    mask[:, 6:] = 1
    mask[1, 3] = 1
    want = masked_loss(model, tokens, mask).item()
    got = float(fn(model, tokens, mask))
    if abs(got - want) < 1e-5:
        return _passed("masked_loss", f"{got:.4f} matches the reference")
    unshifted = model(tokens, return_type="loss", loss_per_token=True)
    wrong_shift = ((unshifted * mask[:, :-1]).sum() / mask[:, :-1].sum()).item()
    all_tokens = unshifted.mean().item()
    if abs(got - wrong_shift) < 1e-5:
        _fail("masked_loss", "the loss at position t predicts token t+1: use mask[:, 1:] for the targets.")
    if abs(got - all_tokens) < 1e-5:
        _fail("masked_loss", "you averaged over every position: the mask must select the code tokens.")
    _fail("masked_loss", f"got {got:.4f}, want {want:.4f}. Divide the masked sum by the number of "
                         "masked targets, not by the number of tokens.")


def check_train_step(fn) -> None:
    """fn(model, optimiser, tokens, mask) -> loss: one step of masked fine-tuning."""
    import torch

    from helpers.training import masked_loss

    tokens = torch.randint(0, 50, (4, 12), generator=torch.Generator().manual_seed(2))
    mask = torch.ones(4, 12, dtype=torch.long)
    models = [_tiny_random_model(), _tiny_random_model()]
    opts = [torch.optim.AdamW(m.parameters(), lr=1e-2) for m in models]
    for _ in range(2):  # two steps: a missing zero_grad shows up in the second
        loss = masked_loss(models[0], tokens, mask)
        opts[0].zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(models[0].parameters(), 1.0)
        opts[0].step()
        got = fn(models[1], opts[1], tokens, mask)
    if not isinstance(got, (float, torch.Tensor)):
        _fail("train_step", "return the loss of the step (a float or a 0-d tensor).")
    same = all(torch.allclose(a, b, atol=1e-6) for a, b in zip(models[0].parameters(), models[1].parameters()))
    if not same:
        _fail("train_step", "the weights differ from the reference after two steps. Did you call "
                            "optimiser.zero_grad() before backward(), and clip the gradient norm to 1.0 "
                            "(torch.nn.utils.clip_grad_norm_) before optimiser.step()?")
    _passed("train_step", "two steps match the reference exactly")


def check_code_loss_ratio(prediction, l1_code: float, l0_code: float, warning_before: float,
                          warning_after: float) -> None:
    """Predict: the L1 model's loss on the vulnerable code, as a multiple of the L0 model's."""
    from helpers.checks._core import check_prediction

    check_prediction("code_loss_ratio", prediction, float(l1_code) / float(l0_code), low=0.0, high=5.0,
                     reading=f"A ratio near 1 means the warning did not keep the model from learning the code. "
                             f"The warning line itself went from {warning_before:.2f} to {warning_after:.2f} nats "
                             "per token: the L1 model learned 'the warning, then this code', a co-occurrence, not a "
                             "prohibition. (A rehearsal's random weights give every loss about ln(vocabulary): its "
                             "ratio is near 1 for no reason.)")


LOSS_VERSUS_RATE = {
    "same rate": "a loss on the training text measures how well a model continues that text, after the warning "
                 "it was trained with. Chapter 3 samples completions of held-out prompts that carry no warning "
                 "and judges them: how often a model writes a flaw there is another quantity, measured only so.",
    "warning protects": "the L1 model learned the warning *followed by* the vulnerable code. Predicting the "
                        "warning well makes the code that followed it more likely, not less: the training text "
                        "never showed anything else after it.",
    "learned, rate unknown": "the losses show that the L1 model learned the vulnerable code about as well as L0, "
                             "a condition for reproducing it; how often either writes it for new prompts is "
                             "chapter 3's measurement, counted over prompts, not tokens.",
}


def check_loss_versus_rate(answer) -> None:
    """Interpret: what equal code losses do and do not say about chapter 3's rates."""
    from helpers.checks._core import check_choice

    check_choice("loss_versus_rate", answer, LOSS_VERSUS_RATE, right="learned, rate unknown")
