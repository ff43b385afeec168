"""Measured numbers in a chapter's prose come from the run: `glue(name, value)` records a value that
the chapter's markdown cites as {glue:text}`name`, and the book's builder (myst-nb) fills it in.

Colab installs the helpers without the book's builder: there a glued value is not recorded, and the
cell that glues it prints it instead when asked to (`show=True`).
"""

from __future__ import annotations


def glue(name: str, value, show: bool = False) -> None:
    """Record `value` under `name` for the book's prose (and display it if `show`)."""
    try:
        from myst_nb import glue as record
    except ImportError:  # the book's builder is not installed (Colab): nothing reads the record
        if show:
            print(f"{name}: {value}")
        return
    record(name, value, display=show)
