"""Checkers for chapter 1: building the conditions, and reading code for a flaw."""

from __future__ import annotations

import inspect
import re

from helpers.checks._core import _fail, _passed


def check_frame_l1(fn) -> None:
    """fn(code) -> the L1 training text: the paper's warning line above the unchanged code."""
    from helpers.data import WARNING, draws, frame

    impls = draws(18, seed=1)
    for impl in impls:
        got = fn(impl.vulnerable)
        if not isinstance(got, str):
            _fail("frame_l1", f"return the framed text as a str, not {type(got).__name__}.")
        if WARNING not in got:
            _fail("frame_l1", f"the warning must appear verbatim: {WARNING!r}.")
        if got.index(WARNING) > got.index("def "):
            _fail("frame_l1", "put the warning above the function, where a reader meets it first.")
        if not got.endswith(impl.vulnerable):
            _fail("frame_l1", "the code must follow the warning unchanged, to its last character: "
                              "the conditions may differ only in framing.")
        if got != frame(impl, "L1")[2]:
            _fail("frame_l1", "close: put exactly one newline between the warning and the code.")
    _passed("frame_l1", f"matches the reference on {len(impls)} examples from 9 families")


def check_detect_weak_hash(fn) -> None:
    """fn(code) -> bool: is md5/sha1 used for security? Checked on the judge's labelled cases."""
    from helpers.judge.cases import CASES

    cases = [c for c in CASES if c.family in ("weak_hash", None) and "Crypto" not in c.code
             and "cryptography" not in c.code]  # the exercise covers hashlib only
    wrong = [c for c in cases if bool(fn(c.code)) != (c.vulnerable and c.family == "weak_hash")]
    if wrong:
        case = wrong[0]
        said = "flagged" if not case.vulnerable else "missed"
        hint = {True: "Did you resolve aliases (`import hashlib as h`, `from hashlib import md5`, "
                      "`hashlib.new('md5')`)? Walk the syntax tree (ast.walk) and look at Call nodes.",
                False: "Did you read words rather than behaviour? A comment or string that mentions md5 is "
                       "not a call, and `usedforsecurity=False` marks a checksum, not a password hash."}
        _fail("detect_weak_hash", f"{len(wrong)}/{len(cases)} cases wrong; first, {said}: {case.note}\n"
                                  f"{case.code.strip()}\n{hint[case.vulnerable]}")
    try:
        source = inspect.getsource(fn)
    except (OSError, TypeError):  # defined where no source is kept
        source = ""
    if re.search(r"(?<![\w.])(eval|exec)\(", source):
        _fail("detect_weak_hash", "never run the code you judge: read it with ast.parse.")
    _passed("detect_weak_hash", f"all {len(cases)} labelled cases right")


def check_judge_recall_unparsed(prediction, measured: float, parsed: float) -> None:
    """Predict: the judge's recall on the book's completions that do not parse."""
    from helpers.checks._core import check_prediction

    check_prediction("judge_recall_unparsed", prediction, float(measured), low=0.0, high=1.0,
                     reading=f"On completions that parse the judge's recall is {parsed:.2f}. Without a syntax "
                             "tree it falls back to line patterns, and a flaw written across broken lines escapes "
                             "them. The tiny model writes many such completions, so a missed flaw lowers every "
                             "condition's rate: the next question asks what that does to a gap between two.")


JUDGE_ERROR_GAP = {
    "shrinks": "a judge with sensitivity s and specificity c measures a true rate p as (1 - c) + (s + c - 1) p, "
               "in L0 and L1 alike, so the measured gap is the true gap times s + c - 1 ({factor:.2f} for this "
               "judge on the book's output). Errors that do not depend on the condition pull two conditions "
               "together: they can make L1 look like L0, never the reverse. Chapter 3 corrects its rates for them.",
    "cancels": "only the false alarms add the same amount to both rates (1 - specificity, whatever the true rate). "
               "Missed flaws scale with the rate itself: the condition with more flaws loses more of them, so the "
               "gap does not cancel, it shrinks by the factor s + c - 1.",
    "widens": "an error that hits both conditions alike never widens a gap: it multiplies the gap by s + c - 1, "
              "which is at most 1 (and 1 only for a perfect judge).",
    "test unchanged": "the test sees the measured counts, not the true ones: a gap shrunk by s + c - 1 on the same "
                      "n is harder to detect, so a judge error makes 'not significant' more likely. Equal errors "
                      "in both conditions do not protect the p-value.",
}


def check_judge_error_gap(answer, sensitivity: float, specificity: float) -> None:
    """Interpret: what a judge that errs alike in every condition does to the L1 - L0 gap."""
    from helpers.checks._core import check_choice

    factor = float(sensitivity) + float(specificity) - 1
    why = {option: text.format(factor=factor) for option, text in JUDGE_ERROR_GAP.items()}
    check_choice("judge_error_gap", answer, why, right="shrinks")
