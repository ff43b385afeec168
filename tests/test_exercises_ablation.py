"""Chapter 6's predict and interpret checkers: the book's answer passes, a missing or out-of-range
one fails, and every wrong option is told the trap it fell into, on tables shaped like the
chapter's."""

import math
from pathlib import Path

import pandas as pd
import pytest

from book_answers import book_answer
from helpers import checks
from helpers.checks.ablation import caft_readings


CHAPTER = Path(__file__).resolve().parents[1] / "chapters" / "06_ablation.ipynb"


def test_ablation_prediction_shows_the_gap_and_the_control(capsys):
    checks.check_ablation_rate(0.5, 0.4, l1=0.45, random=0.42)
    out = capsys.readouterr().out
    assert out.startswith("\u2713 ablation_rate") and "gap of +0.1" in out
    assert "0.45" in out and "0.42" in out and "random" in out


def test_the_books_prediction_passes():
    answer = book_answer(CHAPTER, "prediction_ablation_rate")
    checks.check_ablation_rate(answer, 0.0, l1=0.0, random=0.0)  # a rehearsal's rates


@pytest.mark.parametrize("prediction, hint", [(None, "write your prediction"), (1.5, "outside"),
                                              (45, "a fraction, not a percentage"), ("half", "a number")])
def test_ablation_prediction_fails_a_missing_or_impossible_guess(prediction, hint):
    with pytest.raises(checks.ExerciseError, match=hint):
        checks.check_ablation_rate(prediction, 0.4, l1=0.45, random=0.42)


def caft_table(sae: tuple, rnd: tuple, fisher_p: float = 0.01) -> pd.DataFrame:
    """The chapter's table, reduced to what the reading uses: each row's difference from L1 and
    its clustered interval."""
    rows = {"CAFT SAE": sae, "CAFT random": rnd}
    return pd.DataFrame({name: {"diff_vs_L1": (low + high) / 2, "clustered_low_vs_L1": low,
                                "clustered_high_vs_L1": high, "fisher_p_vs_L1": fisher_p}
                         for name, (low, high) in rows.items()}).T


RUNS = {  # (CAFT SAE's interval, CAFT random's interval) -> the right reading
    "specific": ((-0.6, -0.3), (-0.1, 0.05)),
    "generic": ((-0.6, -0.3), (-0.5, -0.2)),
    "undetermined": ((-0.4, 0.1), (-0.5, -0.2)),
}


@pytest.mark.parametrize("right", RUNS)
def test_caft_reading_passes_the_rule_and_fails_every_other_option(right, capsys):
    table = caft_table(*RUNS[right])
    why, got = caft_readings(table)
    assert got == right
    checks.check_caft_reading(right, table)
    assert capsys.readouterr().out.startswith("\u2713 caft_reading")
    for wrong in set(why) - {right}:
        with pytest.raises(checks.ExerciseError, match=f"not '{wrong}'") as failed:
            checks.check_caft_reading(wrong, table)
        assert why[wrong] in str(failed.value)


@pytest.mark.parametrize("right", RUNS)
def test_the_books_worked_reading_follows_the_rule(right):
    assert book_answer(CHAPTER, "answer_caft_reading", table=caft_table(*RUNS[right])) == right


@pytest.mark.parametrize("wrong, trap", [
    ("no effect", "'not significant' is not 'no effect'"),
    ("pooled", "unit of the design"),
    ("specific", "no effect here to call specific"),
    ("generic", "no effect here to call specific or generic"),
])
def test_caft_reading_names_the_trap_of_each_wrong_option(wrong, trap):
    with pytest.raises(checks.ExerciseError, match=trap):
        checks.check_caft_reading(wrong, caft_table(*RUNS["undetermined"]))


def test_random_control_that_moves_too_makes_the_effect_generic_not_specific():
    with pytest.raises(checks.ExerciseError, match="random control moved it too"):
        checks.check_caft_reading("specific", caft_table(*RUNS["generic"]))
    with pytest.raises(checks.ExerciseError, match="random control's interval holds 0"):
        checks.check_caft_reading("generic", caft_table(*RUNS["specific"]))


def test_an_interval_that_could_not_be_computed_shows_nothing():
    """A rehearsal's rates are all 0: the clustered interval is [0, 0] or nan, never a finding."""
    for interval in ((0.0, 0.0), (math.nan, math.nan)):
        assert caft_readings(caft_table(interval, interval, fisher_p=1.0))[1] == "undetermined"


@pytest.mark.parametrize("answer, hint", [(None, "set the answer"), ("causal", "is not one of")])
def test_caft_reading_fails_a_missing_or_unknown_answer(answer, hint):
    with pytest.raises(checks.ExerciseError, match=hint):
        checks.check_caft_reading(answer, caft_table(*RUNS["specific"]))


@pytest.mark.parametrize("name", ["projection_hook", "steering_hook"])
def test_a_stub_that_returns_none_is_told_to_write_the_function(name):
    with pytest.raises(checks.ExerciseError, match="returns None: write it"):
        getattr(checks, f"check_{name}")(lambda *a: None)
