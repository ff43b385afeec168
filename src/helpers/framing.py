"""The L1 framing as a function of the code alone, the form chapter 1's exercise asks for: the
paper's warning line above the unchanged code. It must give what `data.frame(impl, "L1")` gives
(tests/test_finetune.py checks it on every family); it lives apart from `data` so that the
fine-tunes keyed by `data`'s source are not rebuilt for it."""

from __future__ import annotations

from helpers.data import WARNING


def warn(code: str) -> str:
    """The L1 training text of one function."""
    return WARNING + "\n" + code
