"""Chapter 7's predict and interpret exercises: the book's answer passes its check on every kind of
run, and a missing, out-of-range or wrong answer fails with the explanation of its trap."""

from functools import partial
from pathlib import Path

import pandas as pd
import pytest
from book_answers import book_answer

from helpers import arms, checks
from helpers.checks import ExerciseError
from helpers.checks.framings import conditional_readings

CHAPTER = Path(__file__).resolve().parents[1] / "chapters" / "07_framings.ipynb"

solution = partial(book_answer, CHAPTER)


def test_inoculation_prediction(capsys):
    with pytest.raises(ExerciseError, match="write your prediction"):
        checks.check_inoculation_rate(None, 0.1, 0.6, 0.5)
    with pytest.raises(ExerciseError, match="a fraction, not a percentage"):
        checks.check_inoculation_rate(30, 0.1, 0.6, 0.5)
    with pytest.raises(ExerciseError, match="outside"):
        checks.check_inoculation_rate(-0.2, 0.1, 0.6, 0.5)
    guess = solution("prediction_inoculation_rate")
    checks.check_inoculation_rate(guess, 0.0, 0.0, 0.0)  # a rehearsal's rates are near 0
    checks.check_inoculation_rate(guess, 0.35, 0.7, 0.6)
    out = capsys.readouterr().out
    assert out.startswith("\u2713 inoculation_rate") and "measured 0.35" in out and "measured 0.7" in out


def test_describing_auroc_prediction(capsys):
    with pytest.raises(ExerciseError, match="write your prediction"):
        checks.check_describing_auroc(None, 0.6, 0.7, "local", 0.5)
    with pytest.raises(ExerciseError, match="outside"):
        checks.check_describing_auroc(1.5, 0.6, 0.7, "local", 0.5)
    guess = solution("prediction_describing_auroc")
    for measured in (0.0, 0.5, 1.0):
        checks.check_describing_auroc(guess, measured, 0.5, "neutral", 0.5)
    out = capsys.readouterr().out
    assert out.startswith("\u2713 describing_auroc") and "neutral, the arm with the lowest rate" in out


def _row(low, high, low90, high90, without=0.2):
    """An arm's row, reduced to what the reading uses."""
    diff = (low + high) / 2
    return pd.Series({"without": without, "with": without + diff, "conditional": diff,
                      "conditional_low": low, "conditional_high": high, "conditional_ci90": [low90, high90]})


# (95 % interval, 90 % interval) of with minus without -> the reading the run licenses
CASES = {
    "switches on": (0.15, 0.55, 0.2, 0.5),
    "switches off": (-0.4, -0.05, -0.35, -0.1),
    "same": (-0.11, 0.1, -0.08, 0.07),
    "cannot tell": (-0.1, 0.3, -0.05, 0.25),
}


@pytest.mark.parametrize("right", CASES)
def test_conditional_reading(right, capsys):
    row = _row(*CASES[right])
    table = pd.DataFrame({"inoculation": row}).T
    book = solution("answer_conditional_reading", table=table, arms=arms)
    assert book == right
    checks.check_conditional_reading(book, row)
    assert capsys.readouterr().out.startswith("\u2713 conditional_reading")
    why, got = conditional_readings(row)
    assert got == right
    for wrong in set(why) - {right}:
        with pytest.raises(ExerciseError, match=f"not '{wrong}'") as failed:
            checks.check_conditional_reading(wrong, row)
        assert why[wrong] in str(failed.value)


def test_conditional_reading_names_the_traps():
    row = _row(*CASES["cannot tell"])
    with pytest.raises(ExerciseError, match="set the answer"):
        checks.check_conditional_reading(None, row)
    with pytest.raises(ExerciseError, match="is not one of"):
        checks.check_conditional_reading("no effect", row)
    with pytest.raises(ExerciseError, match="90 % CI -5.0% to \\+25.0%.*'Not significant' is not 'the same'"):
        checks.check_conditional_reading("same", row)
    with pytest.raises(ExerciseError, match="a point estimate above 0 is not a switch"):
        checks.check_conditional_reading("switches on", row)
    with pytest.raises(ExerciseError, match="excludes 0: this run does tell"):
        checks.check_conditional_reading("cannot tell", _row(*CASES["switches on"]))
    # significant and within the margin: the direction is the reading, and "same" says why not
    small = _row(0.01, 0.06, 0.02, 0.05)
    assert conditional_readings(small)[1] == "switches on"
    with pytest.raises(ExerciseError, match="though the 95 % interval excludes 0"):
        checks.check_conditional_reading("same", small)


def test_a_row_without_a_frame_has_no_reading():
    row = pd.Series({"without": 0.2, "with": None, "conditional": None, "conditional_low": float("nan"),
                     "conditional_high": float("nan"), "conditional_ci90": None})
    with pytest.raises(ExerciseError, match="no conditional part"):
        checks.check_conditional_reading("cannot tell", row)
