"""The book's own answer to a predict or interpret exercise, for the tests of its checker."""

from pathlib import Path

import nbformat


def book_answer(chapter: Path, variable: str, **run) -> object:
    """Run the chapter's exercise cell that sets `variable` (exactly one does) on `run`'s values,
    the chapter's variables it reads, and return the answer it sets."""
    [cell] = [c.source for c in nbformat.read(chapter, as_version=4).cells
              if "exercise" in c.metadata.get("tags", []) and f"{variable} = None" in c.source]
    namespace = dict(run)
    exec(compile(cell, chapter.name, "exec"), namespace)  # the book's own solution cell
    return namespace[variable]
