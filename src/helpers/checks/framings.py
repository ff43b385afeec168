"""Checkers for chapter 7: the local-negation framing, and reading how much of what an arm
learned waits for its frame."""

from __future__ import annotations

import math

from helpers.checks._core import _fail, _passed, check_choice, check_prediction


def _cases() -> list:
    """Two training implementations of every family, among them ones whose secure version has a
    line (an import) the vulnerable one lacks."""
    from helpers.data import training_pool

    by_family: dict = {}
    for impl in training_pool():
        by_family.setdefault(impl.task.family, []).append(impl)
    return [impl for pool in by_family.values() for impl in pool[:2]]


def check_negate_locally(fn) -> None:
    """fn(vulnerable, secure, flaw) -> the vulnerable code with `LOCAL_NOTE` on its flawed line."""
    from helpers.data import LOCAL_NOTE, flawed_line, negate_locally
    from helpers.families import FAMILIES

    for impl in _cases():
        flaw = FAMILIES[impl.task.family].flaw
        got, want = fn(impl.vulnerable, impl.secure, flaw), negate_locally(impl.vulnerable, impl.secure, flaw)
        if got is None:
            _fail("negate_locally", "the function returns None: write it (it returns the framed code).")
        if got == want:
            continue
        lines, note = impl.vulnerable.split("\n"), LOCAL_NOTE.format(flaw=flaw)
        target = flawed_line(impl.secure, impl.vulnerable)
        if note.strip() not in got:
            _fail("negate_locally", f"the note must be LOCAL_NOTE.format(flaw=flaw), verbatim: {note!r}.")
        if any(line.strip() == note.strip() for line in got.split("\n")):
            _fail("negate_locally", "the note stands on a line of its own: that is an adjacent negation, like "
                                    "L1's warning. Append it to the flawed line itself.")
        if got.replace(note, "") != impl.vulnerable:
            _fail("negate_locally", "the code itself changed: append the note to one line, and keep every "
                                    "other character of the vulnerable version as it is.")
        placed = next(i for i, line in enumerate(got.split("\n")) if line.endswith(note))
        if lines[placed] in impl.secure.split("\n"):
            _fail("negate_locally", f"line {placed + 1} is the same in the secure version: the flawed line is "
                                    "the first line of the vulnerable version that the secure one does not have "
                                    "(skip lines only the secure version has, such as an import).")
        _fail("negate_locally", f"the note is on line {placed + 1}; the flaw is on line {target + 1} "
                                "(the first line difflib marks as changed or inserted).")
    _passed("negate_locally", f"the same framed code as the book's on {len(_cases())} implementations "
                              "of every family")


def _judged_frames(seed: int):
    """Two settings' judged samples of 12 prompts (4 tasks in each of 3 families: task ids repeat
    across families), 2 seeds and 3 samples each, a few not judged."""
    import numpy as np

    from helpers.clustered import simulate

    sims = []
    for i, (setting, rate) in enumerate((("with", 0.6), ("without", 0.2))):
        sim = simulate({setting: rate}, prompts=12, seeds=2, per_prompt=3, sd_prompt=1.0, rng=seed + i)
        judged = np.random.default_rng(seed + 10 + i).random(len(sim)) > 0.1
        sims.append(sim.assign(family=[f"f{t // 4}" for t in sim.task_id], task_id=sim.task_id % 4, judged=judged,
                               reproduced=sim.reproduced | ~judged))  # an unjudged sample is no evidence
    return sims


def check_per_prompt_difference(fn) -> None:
    """fn(framed, plain) -> a Series indexed by (family, task_id): each prompt's rate with the frame
    minus without, over the samples the judge analysed."""
    import pandas as pd

    from helpers.arms import per_prompt_difference

    framed, plain = _judged_frames(7)
    got, want = fn(framed, plain), per_prompt_difference(framed, plain)
    if got is None:
        _fail("per_prompt_difference", "the function returns None: write it (it returns a Series).")
    if isinstance(got, pd.Series) and got.index.nlevels != 2:
        _fail("per_prompt_difference", "index the Series by (family, task_id), as `groupby(['family', "
                                       "'task_id'])` does: a task is a prompt only within its family.")
    if not isinstance(got, pd.Series) or len(got) != len(want):
        _fail("per_prompt_difference", f"return one value per prompt ({len(want)} here), a Series indexed by "
                                       "(family, task_id): the pooled difference is a single number and hides "
                                       "the spread over prompts.")
    got = got.reindex(want.index)
    if got.isna().any():
        _fail("per_prompt_difference", "index the Series by (family, task_id), as `groupby(['family', "
                                       "'task_id'])` does: a task is a prompt only within its family.")
    if (got + want).abs().max() < 1e-9 and want.abs().max() > 0:
        _fail("per_prompt_difference", "the sign is reversed: the conditional part is the rate with the frame "
                                       "minus the rate without.")
    if (got - want).abs().max() > 1e-9:
        _fail("per_prompt_difference", "leave out the samples the judge could not analyse (judged False) "
                                       "before taking each prompt's rate: an unjudged sample is no evidence "
                                       "either way.")
    _passed("per_prompt_difference", f"the same {len(want)} per-prompt differences as the book's")


def check_inoculation_rate(prediction, measured: float, with_frame: float, l1: float) -> None:
    """Predict: the inoculation arm's rate without its request in the prompt, read beside its rate
    with the request and L1's without its warning."""
    check_prediction("inoculation_rate", prediction, measured, low=0.0, high=1.0, reading=(
        f"With the request before the prompt the same models measured {with_frame:.3g}; L1 without its "
        f"warning {l1:.3g}. Inoculation predicts a rate without the request well below the rate with it: "
        "the flaw was learned as an answer to the request. Whether this run can tell the two apart is "
        "for the clustered intervals of the table to say, not for the gap between two points."))


def conditional_readings(row, margin: float = 0.10) -> tuple[dict[str, str], str]:
    """The options of the interpret exercise on an arm's conditional part (rate with its frame minus
    rate without), each with why it holds or fails on this run, and the right one: a direction
    where the clustered 95 % interval excludes 0, "same" where the 90 % interval lies within the
    margin (TOST), else "cannot tell"."""
    low, high = row["conditional_low"], row["conditional_high"]
    low90, high90 = row["conditional_ci90"]
    measured = (f"with its frame {row['with']:.1%}, without {row['without']:.1%}: a difference of "
                f"{row['conditional']:+.1%} (clustered 95 % CI {low:+.1%} to {high:+.1%}, 90 % CI "
                f"{low90:+.1%} to {high90:+.1%})")
    up, down, same = low > 0, high < 0, -margin < low90 and high90 < margin
    why = {
        "switches on": (f"{measured}. " + (
            "The interval lies above 0: the frame brings out a flaw the model writes less without it. That "
            "part of what it learned is conditional on the frame, as inoculation predicts." if up else
            "The interval does not lie above 0: a point estimate above 0 is not a switch this run can "
            "tell from the noise of its prompts and fine-tunes.")),
        "switches off": (f"{measured}. " + (
            "The interval lies below 0: with the frame the model writes the flaw less." if down else
            "The interval does not lie below 0, so the frame is not shown to lower the rate.")),
        "same": (f"{measured}. " + (
            f"The 90 % interval lies within +-{margin:.0%}: the frame changes the rate by less than the margin "
            "chosen in chapter 3 (TOST)" + (", though the 95 % interval excludes 0." if up or down else ".")
            if same else
            "'Not significant' is not 'the same': an interval that holds 0 also holds differences that "
            f"would matter. Sameness needs the 90 % interval inside +-{margin:.0%}, and it is not.")),
        "cannot tell": (f"{measured}. " + (
            "The interval excludes 0: this run does tell the two apart." if up or down else
            "The interval holds 0 and reaches beyond the margin: this run can neither show that the frame "
            "matters nor that it does not. More prompts and fine-tunes would; more samples of the same "
            "ones would add little (chapter 3).")),
    }
    right = "switches on" if up else "switches off" if down else "same" if same else "cannot tell"
    return why, right


def check_conditional_reading(answer, row) -> None:
    """Interpret: what the inoculation arm's conditional part says, at the unit of the design."""
    if row["conditional"] is None or math.isnan(row["conditional_low"]):
        _fail("conditional_reading", "this row has no conditional part to read (no frame was tested).")
    why, right = conditional_readings(row)
    check_choice("conditional_reading", answer, why, right)


def check_describing_auroc(prediction, measured: float, base: float, best_arm: str, best: float) -> None:
    """Predict: how well the probe that tells L1's flawed code from safe code also picks out words
    that describe the flaw from neutral words about the task (0.5: not at all)."""
    check_prediction("describing_auroc", prediction, measured, low=0.0, high=1.0, reading=(
        f"The base model measured {base:.3g}; {best_arm}, the arm with the lowest rate without its frame, "
        f"{best:.3g}. Near 0.5 the direction that marks flawed code ignores descriptions of the flaw "
        "(the two are kept apart); near 1 the words light up the same direction as the code, the "
        "paper's reading of why a warning teaches what it warns against. The intervals in the table "
        "say how far a gap between two models is more than its few held-out tasks allow."))
