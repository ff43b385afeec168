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
