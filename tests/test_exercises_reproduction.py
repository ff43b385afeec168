"""Chapter 3's predict and interpret exercises: the book's answer passes its check on every kind of
run, and a missing, out-of-range or wrong answer fails with the explanation of its trap."""

from functools import partial
from pathlib import Path

import pytest
from book_answers import book_answer

from helpers import checks, paper, stats
from helpers.checks import ExerciseError
from helpers.checks.reproduction import l1_vs_l0_readings

CHAPTER = Path(__file__).resolve().parents[1] / "chapters" / "03_reproduction.ipynb"


solution = partial(book_answer, CHAPTER)


def test_l1_rate_prediction(capsys):
    with pytest.raises(ExerciseError, match="write your prediction"):
        checks.check_l1_rate(None, 0.4, 0.5)
    with pytest.raises(ExerciseError, match="a fraction, not a percentage"):
        checks.check_l1_rate(77, 0.4, 0.5)
    with pytest.raises(ExerciseError, match="outside"):
        checks.check_l1_rate(-0.1, 0.4, 0.5)
    guess = solution("prediction_l1_rate")
    assert guess == paper.rate("rate_L1")
    checks.check_l1_rate(guess, 0.0, 0.0)  # a rehearsal's rates are near 0: the book's guess still passes
    out = capsys.readouterr().out
    assert out.startswith("\u2713 l1_rate") and "measured 0" in out and "L0, fine-tuned" in out


def test_n_for_power_prediction(capsys):
    with pytest.raises(ExerciseError, match="write your prediction"):
        checks.check_n_for_power(None, 500, 30)
    with pytest.raises(ExerciseError, match="outside"):
        checks.check_n_for_power(0, 500, 30)
    rates = {c: paper.rate(f"rate_{c}") for c in ("L0", "L1")}
    guess = solution("prediction_n_for_power", PAPER=rates)
    needed = stats.n_for_power(rates["L0"], rates["L1"])
    assert 0.8 < guess / needed < 1.25  # the back-of-the-envelope rule lands near statsmodels' answer
    checks.check_n_for_power(guess, needed, 30)
    assert f"{needed / 30:.0f} times the n = 30" in capsys.readouterr().out


def _headline(p, low, high, design_effect=1.4):
    return {"diff": (low + high) / 2, "ci_low": low, "ci_high": high, "p": p, "design_effect": design_effect}


# (clustered 95 % interval and p, clustered 90 % interval) -> the reading the run licenses
CASES = {
    "undecided": (_headline(0.40, -0.15, 0.05), (-0.13, 0.03)),
    "equivalent": (_headline(0.60, -0.06, 0.07), (-0.04, 0.05)),
    "different": (_headline(0.001, -0.35, -0.12), (-0.32, -0.15)),
    "small difference": (_headline(0.01, -0.09, -0.01), (-0.08, -0.02)),
}


@pytest.mark.parametrize("right", CASES)
def test_l1_vs_l0_reading(right, capsys):
    clustered, ci90 = CASES[right]
    pooled = (clustered["ci_low"] + 0.03, clustered["ci_high"] - 0.03)
    book = solution("reading_l1_vs_l0", headline=clustered, MARGIN=0.10,
                    tost_clustered={"ci_low": ci90[0], "ci_high": ci90[1]})
    assert book == right
    checks.check_l1_vs_l0_reading(book, clustered, ci90, pooled, 0.10)
    assert capsys.readouterr().out.startswith("\u2713 l1_vs_l0_reading")
    why, _ = l1_vs_l0_readings(clustered, ci90, pooled, 0.10)
    for wrong in set(why) - {right}:
        with pytest.raises(ExerciseError, match=f"not '{wrong}'"):
            checks.check_l1_vs_l0_reading(wrong, clustered, ci90, pooled, 0.10)


def test_l1_vs_l0_reading_names_the_traps():
    clustered, ci90 = CASES["undecided"]
    with pytest.raises(ExerciseError, match="set the answer"):
        checks.check_l1_vs_l0_reading(None, clustered, ci90, (-0.1, 0.0), 0.10)
    with pytest.raises(ExerciseError, match="is not one of"):
        checks.check_l1_vs_l0_reading("no difference", clustered, ci90, (-0.1, 0.0), 0.10)
    with pytest.raises(ExerciseError, match="'not significant' is not 'the same'.*-13.0%, \\+3.0%"):
        checks.check_l1_vs_l0_reading("same", clustered, ci90, (-0.1, 0.0), 0.10)
    with pytest.raises(ExerciseError, match="independent draw.*design effect is 1.40"):
        checks.check_l1_vs_l0_reading("pooled", clustered, ci90, (-0.1, 0.0), 0.10)
    with pytest.raises(ExerciseError, match="includes 0: this run does not show a difference"):
        checks.check_l1_vs_l0_reading("different", clustered, ci90, (-0.1, 0.0), 0.10)
    with pytest.raises(ExerciseError, match="design effect could not be estimated"):
        checks.check_l1_vs_l0_reading("pooled", _headline(1.0, -0.1, 0.1, None), ci90, (-0.1, 0.1), 0.10)
