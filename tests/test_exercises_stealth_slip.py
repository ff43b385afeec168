"""Chapter 5's predict and interpret exercises: the book's answer passes on every kind of run (its
solution agrees with the slip rule's verdict), a missing or out-of-range answer fails, and each
wrong reading fails with the trap it names."""

from functools import partial
from pathlib import Path

import pandas as pd
import pytest
from book_answers import book_answer

from helpers import checks, probes
from helpers.checks.stealth_slip import slip_kind_readings

CHAPTER = Path(__file__).resolve().parents[1] / "chapters" / "05_stealth_slip.ipynb"


solved = partial(book_answer, CHAPTER)


def slip_table(detection: list[float], lost_won: list[tuple[int, int]], change_high: list) -> pd.DataFrame:
    """A slip table as chapter 5 builds it: the row without a preamble first, then one per preamble
    (its detection, its discordant pairs and the upper end of its AUROC-change interval)."""
    from scipy.stats import binomtest

    rows = [{"detection": detection[0], "discordant": [0, 0], "mcnemar_p": 1.0, "auroc_change_ci": [None, None]}]
    for d, (b, c), high in zip(detection[1:], lost_won, change_high):
        rows.append({"detection": d, "discordant": [b, c], "mcnemar_p": binomtest(b, b + c).pvalue if b + c else 1.0,
                     "auroc_change_ci": [None if high is None else high - 0.2, high]})
    return pd.DataFrame(rows)


HIDDEN = [(40, 0)] * 4  # every preamble loses 40 items and wins none: each hides the code
RUNS = {"none": slip_table([0.9, 0.85, 0.9, 0.88, 0.86], [(2, 1)] * 4, [0.1] * 4),
        "shift": slip_table([0.9, 0.1, 0.2, 0.1, 0.15], HIDDEN, [0.05, 0.1, -0.01, 0.2]),
        "rotation": slip_table([0.9, 0.1, 0.2, 0.1, 0.15], HIDDEN, [-0.1, -0.2, 0.05, -0.3]),
        "undetermined": slip_table([0.9, 0.1, 0.2, 0.1, 0.15], HIDDEN, [None, -0.2, 0.05, -0.3])}


@pytest.mark.parametrize("kind", RUNS)
def test_the_books_reading_of_the_slip_is_the_rules_verdict(kind, capsys):
    slip, verdict = probes.SLIP_RULE.apply(RUNS[kind])
    assert verdict["kind"] == kind  # the tables above cover every verdict
    answer = solved("answer_slip_kind", slip=slip, verdict=verdict)
    assert answer == kind
    checks.check_slip_kind(answer, verdict, 0.81)
    assert capsys.readouterr().out.startswith("\u2713 slip_kind")


@pytest.mark.parametrize("kind", RUNS)
def test_a_wrong_kind_fails_with_what_it_would_need(kind):
    _, verdict = probes.SLIP_RULE.apply(RUNS[kind])
    why, right = slip_kind_readings(verdict, float("nan"))
    assert right == kind and set(why) == {"none", "shift", "rotation", "undetermined", "detection"}
    for answer in set(why) - {kind}:
        hint = "cannot tell a shift from a rotation" if answer == "detection" else f"rule's verdict is '{kind}'"
        with pytest.raises(checks.ExerciseError, match=hint):
            checks.check_slip_kind(answer, verdict, None)


def test_the_slip_readings_state_the_run():
    _, verdict = probes.SLIP_RULE.apply(RUNS["rotation"])
    why, _ = slip_kind_readings(verdict, 0.81)
    assert f"detection fell by {100 * verdict['drop']:.1f} points" in why["rotation"]
    assert "4 preambles hide the code" in why["rotation"] and "AUROC 0.81 without a preamble" in why["rotation"]
    with pytest.raises(checks.ExerciseError, match="set the answer"):
        checks.check_slip_kind(None, verdict)
    with pytest.raises(checks.ExerciseError, match="is not one of"):
        checks.check_slip_kind("rotated", verdict)


def test_the_books_detection_prediction_passes(capsys):
    guess = solved("prediction_slip_detection")
    checks.check_slip_detection(guess, 0.9, 0.35)
    out = capsys.readouterr().out
    assert out.startswith("\u2713 slip_detection") and "measured 0.35" in out and "90.0%" in out and "AUROC" in out


@pytest.mark.parametrize("guess, hint", [(None, "write your prediction"), (-0.1, "outside"),
                                         (60, "a fraction, not a percentage"), ([0.5], "is a number")])
def test_a_missing_or_impossible_detection_prediction_fails(guess, hint):
    with pytest.raises(checks.ExerciseError, match=hint):
        checks.check_slip_detection(guess, 0.9, 0.35)


SIGNIFICANT = {"diff": -0.21, "diff_low": -0.33, "diff_high": -0.08, "fisher_p": 0.004}
NOT_SIGNIFICANT = {"diff": -0.04, "diff_low": -0.19, "diff_high": 0.12, "fisher_p": 0.61}


@pytest.mark.parametrize("test, right", [(SIGNIFICANT, "differs"), (NOT_SIGNIFICANT, "cannot tell")])
def test_the_books_judge_reading_passes(test, right, capsys):
    answer = solved("answer_preamble_judge_reading", judge_test=test)
    assert answer == right
    checks.check_preamble_judge_reading(answer, test)
    assert capsys.readouterr().out.startswith("\u2713 preamble_judge_reading")


@pytest.mark.parametrize("test, answer, hint", [
    (NOT_SIGNIFICANT, "same", "'not significant' is not 'the same'.*equivalence"),
    (NOT_SIGNIFICANT, "differs", "not below 0.05"),
    (NOT_SIGNIFICANT, "exact", "clustered by prompt"),
    (SIGNIFICANT, "cannot tell", "does tell the rates apart"),
    (SIGNIFICANT, "same", "equivalence test"),
    (SIGNIFICANT, "exact", "unit of the design"),
    (SIGNIFICANT, None, "set the answer")])
def test_a_wrong_judge_reading_fails_with_its_trap(test, answer, hint):
    with pytest.raises(checks.ExerciseError, match=hint):
        checks.check_preamble_judge_reading(answer, test)
