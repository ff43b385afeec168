"""What surrounds a chapter's exercises: staged hints after every exercise, two or three "Think
about it" boxes, at least one pitfall and one box of key takeaways (chapters listed as they get them)."""

from pathlib import Path

import nbformat
import pytest

CHAPTERS = Path(__file__).resolve().parents[1] / "chapters"
WITH_BOXES = ["03_reproduction", "03b_dose_and_triggers", "04_sae_overlap", "05_stealth_slip", "07_framings"]


@pytest.mark.parametrize("stem", WITH_BOXES)
def test_every_exercise_has_staged_hints(stem):
    cells = nbformat.read(CHAPTERS / f"{stem}.ipynb", as_version=4).cells
    exercises = [i for i, c in enumerate(cells) if "exercise" in c.metadata.get("tags", [])]
    assert len(exercises) >= 4
    for i in exercises:
        hints = cells[i + 1].source
        assert cells[i + 1].cell_type == "markdown" and hints.startswith("<details><summary>Hint 1</summary>")
        assert "<summary>Hint 2</summary>" in hints and hints.count("<details>") == hints.count("</details>")


@pytest.mark.parametrize("stem", WITH_BOXES)
def test_the_chapter_has_its_boxes(stem):
    text = "\n".join(c.source for c in nbformat.read(CHAPTERS / f"{stem}.ipynb", as_version=4).cells
                     if c.cell_type == "markdown")
    assert 2 <= text.count("```{admonition} Think about it") <= 3
    assert text.count("```{admonition} Key takeaways") == 1 and "```{admonition} Pitfall: " in text
