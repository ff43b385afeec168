"""Chapter 1's predict and interpret checkers: the book's answer (read from the chapter's solution
cell) passes, and a missing, out-of-range or wrong answer fails with the explanation it needs."""

from pathlib import Path

import pytest

from book_answers import book_answer
from helpers import checks

CHAPTER = Path(__file__).resolve().parents[1] / "chapters" / "01_data_construction.ipynb"


def test_the_book_prediction_passes_and_shows_the_gap(capsys):
    checks.check_judge_recall_unparsed(book_answer(CHAPTER, "prediction_recall_unparsed"), 0.62, 0.91)
    out = capsys.readouterr().out
    assert out.startswith("\u2713") and "measured 0.62" in out and "0.91" in out


@pytest.mark.parametrize("prediction, hint", [(None, "write your prediction"), (1.5, r"outside \[0.0, 1.0\]"),
                                              (70, "a fraction, not a percentage"), ("high", "a number")])
def test_a_missing_or_impossible_prediction_fails(prediction, hint):
    with pytest.raises(checks.ExerciseError, match=hint):
        checks.check_judge_recall_unparsed(prediction, 0.62, 0.91)


def test_the_book_reading_of_judge_error_passes_with_the_measured_factor(capsys):
    checks.check_judge_error_gap(book_answer(CHAPTER, "judge_error_gap"), 0.8, 0.95)
    out = capsys.readouterr().out
    assert out.startswith("\u2713") and "(0.75 for this judge" in out


@pytest.mark.parametrize("answer, hint", [
    (None, "set the answer"), ("smaller", "is not one of"),
    ("cancels", "Missed flaws scale with the rate"), ("widens", "at most 1"),
    ("test unchanged", "harder to detect")])
def test_each_wrong_reading_of_judge_error_is_told_its_trap(answer, hint):
    with pytest.raises(checks.ExerciseError, match=hint):
        checks.check_judge_error_gap(answer, 0.8, 0.95)


def test_the_factor_in_the_reading_is_what_a_judge_does_to_a_gap():
    """The explanation's arithmetic: measured rates of two true rates, through one judge."""
    sensitivity, specificity, p_l0, p_l1 = 0.8, 0.95, 0.6, 0.3
    measured = {p: sensitivity * p + (1 - specificity) * (1 - p) for p in (p_l0, p_l1)}
    assert measured[p_l0] - measured[p_l1] == pytest.approx((sensitivity + specificity - 1) * (p_l0 - p_l1))
