"""Chapter 2's predict and interpret checkers: the book's answer (read from the chapter's solution
cell) passes, and a missing, out-of-range or wrong answer fails with the explanation it needs."""

from pathlib import Path

import pytest

from book_answers import book_answer
from helpers import checks

CHAPTER = Path(__file__).resolve().parents[1] / "chapters" / "02_fine_tuning.ipynb"
LOSSES = {"l1_code": 1.32, "l0_code": 1.2, "warning_before": 7.5, "warning_after": 0.04}


def test_the_book_prediction_passes_and_shows_the_ratio(capsys):
    checks.check_code_loss_ratio(book_answer(CHAPTER, "prediction_code_loss_ratio"), **LOSSES)
    out = capsys.readouterr().out
    assert out.startswith("\u2713") and "measured 1.1" in out and "from 7.50 to 0.04" in out


@pytest.mark.parametrize("prediction, hint", [(None, "write your prediction"), (-1, r"outside \[0.0, 5.0\]"),
                                              (12, "outside"), ("same", "a number")])
def test_a_missing_or_impossible_prediction_fails(prediction, hint):
    with pytest.raises(checks.ExerciseError, match=hint):
        checks.check_code_loss_ratio(prediction, **LOSSES)


def test_the_book_reading_of_the_losses_passes(capsys):
    checks.check_loss_versus_rate(book_answer(CHAPTER, "loss_versus_rate"))
    assert capsys.readouterr().out.startswith("\u2713 loss_versus_rate: the losses show")


@pytest.mark.parametrize("answer, hint", [
    (None, "set the answer"), ("equal", "is not one of"),
    ("same rate", "measured only so"), ("warning protects", r"\*followed by\*")])
def test_each_wrong_reading_of_the_losses_is_told_its_trap(answer, hint):
    with pytest.raises(checks.ExerciseError, match=hint):
        checks.check_loss_versus_rate(answer)


def test_the_checkers_model_stays_on_the_cpu_on_a_machine_with_a_gpu(monkeypatch):
    """On a GPU, TransformerLens puts a model on CUDA by default, while the checkers make their test
    tokens on the CPU: chapter 2's check then failed on a device mismatch (seen on an H200)."""
    import torch

    from helpers.checks._core import _tiny_random_model

    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert _tiny_random_model().cfg.device == "cpu"
