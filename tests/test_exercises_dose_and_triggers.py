"""Chapter 3b's predict and interpret exercises: the book's answer passes its check on every kind
of run, and a missing, out-of-range or wrong answer fails with the explanation of its trap."""

from functools import partial
from pathlib import Path

import pandas as pd
import pytest
from book_answers import book_answer

from helpers import checks, dose_sweep
from helpers.checks import ExerciseError
from helpers.checks.dose_and_triggers import REGIME_TRAPS

CHAPTER = Path(__file__).resolve().parents[1] / "chapters" / "03b_dose_and_triggers.ipynb"


solution = partial(book_answer, CHAPTER)


def _trigger(low, high):
    return {"diff": (low + high) / 2, "diff_low": low, "diff_high": high, "fisher_p": 0.5}


def test_warning_trigger_prediction(capsys):
    with pytest.raises(ExerciseError, match="write your prediction"):
        checks.check_warning_trigger(None, _trigger(-0.1, 0.1))
    with pytest.raises(ExerciseError, match="outside"):
        checks.check_warning_trigger(1.5, _trigger(-0.1, 0.1))
    guess = solution("prediction_warning_trigger")
    checks.check_warning_trigger(guess, _trigger(-0.1, 0.1))
    assert "includes 0: no trigger is shown, which is not evidence that none exists" in capsys.readouterr().out
    checks.check_warning_trigger(guess, _trigger(0.05, 0.25))
    assert "above 0: the warning acts as a trigger" in capsys.readouterr().out
    checks.check_warning_trigger(guess, _trigger(-0.3, -0.02))
    assert "below 0: the warning lowers the rate" in capsys.readouterr().out


def test_every_regime_has_its_trap():
    assert set(REGIME_TRAPS) == set(dose_sweep.REGIMES)


@pytest.mark.parametrize("right", sorted(REGIME_TRAPS))
def test_default_regime(right, capsys):
    row = {"regime": right, "l0_minus_base": [0.05, 0.30], "l1_minus_l0": [-0.25, -0.02]}
    regimes = pd.DataFrame([{"epochs": 0.5, **row, "regime": "not learned"}, {"epochs": 2.0, **row}])
    book = solution("regime_at_default", regimes=regimes, default={"epochs": 2.0})
    assert book == right
    checks.check_default_regime(book, row)
    out = capsys.readouterr().out
    assert out.startswith("\u2713 default_regime") and "L0 - base is [+5.0%, +30.0%]" in out
    for wrong in set(REGIME_TRAPS) - {right}:
        with pytest.raises(ExerciseError, match=f"not '{wrong}'.*reads as '{right}'.*'{wrong}' would mean"):
            checks.check_default_regime(wrong, row)


def test_default_regime_without_an_answer():
    row = {"regime": "not learned", "l0_minus_base": [-0.02, 0.03], "l1_minus_l0": [-0.01, 0.01]}
    with pytest.raises(ExerciseError, match="set the answer"):
        checks.check_default_regime(None, row)
    with pytest.raises(ExerciseError, match="two nulls agreeing"):
        checks.check_default_regime("not learned", {**row, "regime": "L1 keeps up"})
