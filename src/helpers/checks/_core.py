"""What every checker shares: the error that carries the hint, the line printed on success, the
three kinds of exercise (code, predict, interpret) and the small models the code checks run on.

Grading reads a check as passed when its cell runs and failed when it raises, so every check
raises ExerciseError for a missing or wrong answer, and only then."""

from __future__ import annotations

import functools


class ExerciseError(AssertionError):
    """The learner's answer is missing or wrong; the message is the hint."""


def _fail(name: str, hint: str) -> None:
    raise ExerciseError(f"{name}: {hint}")


def _passed(name: str, detail: str) -> None:
    print(f"\u2713 {name}: {detail}")


def yours_or_reference(mine, reference):
    """`mine` where the learner has written it, `reference` while it is still a stub (it returns
    None or raises NotImplementedError), so the chapter runs either way and says which it used."""
    told = []

    @functools.wraps(reference)
    def use(*args, **kwargs):
        try:
            got = mine(*args, **kwargs)
        except NotImplementedError:
            got = None
        if got is not None:
            return got
        if not told:
            print(f"({mine.__name__} is not written yet: the chapter uses the book's reference)")
            told.append(mine)
        return reference(*args, **kwargs)

    return use


def check_prediction(name: str, prediction, measured: float, *, low: float, high: float,
                     reading: str, unit: str = "") -> None:
    """A prediction is never wrong, only missing or out of range: the check shows the gap to the
    measured value and how to read it."""
    if prediction is None:
        _fail(name, "write your prediction in the cell before the result (a number), then run this cell again.")
    try:
        value = float(prediction)
    except (TypeError, ValueError):
        _fail(name, f"a prediction is a number between {low} and {high}, not {prediction!r}.")
    if not low <= value <= high:
        hint = " (a fraction, not a percentage: 0.7 for 70 %)" if high <= 1 < value <= 100 else ""
        _fail(name, f"{value} is outside [{low}, {high}]{hint}.")
    _passed(name, f"you predicted {value:g}{unit}, the run measured {measured:.3g}{unit} "
                  f"(a gap of {value - measured:+.3g}{unit}). {reading}")


def check_choice(name: str, answer, why: dict[str, str], right: str) -> None:
    """A multiple-choice reading of a result: `why` explains every option, so a wrong answer is
    told the trap it fell into and a right one why it holds. `right` may depend on the run."""
    if answer is None:
        _fail(name, f"set the answer to one of {', '.join(map(repr, why))}, then run this cell again.")
    if answer not in why:
        _fail(name, f"{answer!r} is not one of {', '.join(map(repr, why))}.")
    if answer != right:
        _fail(name, f"not {answer!r}: {why[answer]}")
    _passed(name, why[right])


def check_number(name: str, answer, want: float, *, tolerance: float, hint: str, reading: str) -> None:
    """A number the learner reads off a result (a rate, a count, an interval's end)."""
    if answer is None:
        _fail(name, "set the answer (a number), then run this cell again.")
    if abs(float(answer) - want) > tolerance:
        _fail(name, f"{answer} is not what the run shows: {hint}")
    _passed(name, reading)


def _tiny_random_model(seed: int = 0):
    """A 1-layer model to run the learner's code on, on the CPU whatever the machine: its test
    tensors are made on the CPU (on a GPU, TransformerLens would put the model on CUDA)."""
    import torch
    from transformer_lens import HookedTransformer, HookedTransformerConfig

    torch.manual_seed(seed)
    cfg = HookedTransformerConfig(d_model=16, n_layers=1, n_heads=2, d_head=8, d_mlp=32, n_ctx=16,
                                  d_vocab=50, act_fn="gelu", normalization_type="LN", seed=seed, device="cpu")
    return HookedTransformer(cfg)


def _random_sae(d_in: int = 16, d_sae: int = 64, seed: int = 0):
    import torch
    from sae_lens import SAE, StandardSAEConfig

    torch.manual_seed(seed)
    sae = SAE.from_dict(StandardSAEConfig(d_in=d_in, d_sae=d_sae).to_dict())
    with torch.no_grad():
        sae.b_enc.normal_(0, 0.5)  # so that some features fire on some tokens only
    return sae
