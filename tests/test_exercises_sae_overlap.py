"""Chapter 4's predict and interpret exercises: the book's answer passes on every kind of run, a
missing or out-of-range answer fails, and each wrong reading fails with the trap it names."""

from functools import partial
from pathlib import Path

import pytest
from book_answers import book_answer

from helpers import checks
from helpers.checks.sae_overlap import effect_correlation_readings

CHAPTER = Path(__file__).resolve().parents[1] / "chapters" / "04_sae_overlap.ipynb"
ABOVE = {"spearman": 0.41, "null_low": -0.08, "null_high": 0.09, "p": 0.002}
INSIDE = {"spearman": 0.03, "null_low": -0.08, "null_high": 0.09, "p": 0.48}
BELOW = {"spearman": -0.30, "null_low": -0.08, "null_high": 0.09, "p": 0.002}


solved = partial(book_answer, CHAPTER)


def test_the_books_prediction_passes_and_is_read_against_the_baseline(capsys):
    guess = solved("prediction_describing_doing_jaccard")
    checks.check_describing_doing_jaccard(guess, 0.25, 0.31)
    out = capsys.readouterr().out
    assert out.startswith("\u2713") and f"you predicted {guess:g}" in out and "measured 0.25" in out
    assert "is not above it" in out and "0.31" in out
    checks.check_describing_doing_jaccard(guess, 0.6, 0.31)
    assert "is above it" in capsys.readouterr().out


@pytest.mark.parametrize("guess, hint", [(None, "write your prediction"), (1.4, r"outside \[0.0, 1.0\]"),
                                         (30, "a fraction, not a percentage"), ("low", "is a number")])
def test_a_missing_or_impossible_prediction_fails(guess, hint):
    with pytest.raises(checks.ExerciseError, match=hint):
        checks.check_describing_doing_jaccard(guess, 0.25, 0.31)


@pytest.mark.parametrize("corr, right", [(ABOVE, "shared"), (INSIDE, "chance"), (BELOW, "opposite")])
def test_the_books_reading_passes_on_every_kind_of_run(corr, right, capsys):
    answer = solved("answer_effect_correlation_reading", corr=corr)
    assert answer == right
    checks.check_effect_correlation_reading(answer, corr)
    assert capsys.readouterr().out.startswith("\u2713 effect_correlation_reading")


# (run, wrong answer, what its explanation must say)
TRAPS = [(ABOVE, "chance", "outside the range"), (ABOVE, "opposite", "not below the range"),
         (ABOVE, "causal", "correlational.*intervention"), (ABOVE, "nothing", "not significant is not equivalent"),
         (INSIDE, "shared", "not above the range: chance alone"), (INSIDE, "nothing", "'not shown', not 'shown absent'"),
         (INSIDE, "causal", "Only an intervention"), (BELOW, "shared", "not above the range"),
         (BELOW, "chance", "outside the range")]


@pytest.mark.parametrize("corr, answer, hint", TRAPS)
def test_a_wrong_reading_fails_with_its_trap(corr, answer, hint):
    with pytest.raises(checks.ExerciseError, match=hint):
        checks.check_effect_correlation_reading(answer, corr)


def test_every_option_is_explained_and_a_non_option_is_refused():
    for corr in (ABOVE, INSIDE, BELOW):
        why, right = effect_correlation_readings(corr)
        assert set(why) == {"shared", "opposite", "chance", "causal", "nothing"} and right in why
        assert f"rho = {corr['spearman']:.2f}" in why[right]
    with pytest.raises(checks.ExerciseError, match="set the answer"):
        checks.check_effect_correlation_reading(None, ABOVE)
    with pytest.raises(checks.ExerciseError, match="is not one of"):
        checks.check_effect_correlation_reading("significant", ABOVE)
