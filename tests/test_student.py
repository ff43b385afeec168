"""The learner copies committed in student/ (what the book's Colab button opens) are exactly what
`make student` makes from chapters/ now: one per chapter, solutions stubbed, no outputs."""

from pathlib import Path

import nbformat
import pytest

from helpers.student import learner_copy, write_student_copies

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
FIX = "run `make student` and commit student/"


def test_one_learner_copy_per_chapter():
    copies = {p.name for p in (ROOT / "student").glob("*.ipynb")}
    chapters = {p.name for p in CHAPTERS}
    assert CHAPTERS and not chapters - copies, f"no learner copy of {sorted(chapters - copies)}: {FIX}"
    assert not copies - chapters, f"learner copies of no chapter {sorted(copies - chapters)}: {FIX}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_learner_copy_is_in_step_with_its_chapter(path):
    committed = ROOT / "student" / path.name
    assert committed.exists(), f"no learner copy of {path.name}: {FIX}"
    assert committed.read_text(encoding="utf-8") == learner_copy(path), \
        f"student/{path.name} is out of step with chapters/{path.name}: {FIX}"
    nb = nbformat.read(committed, as_version=4)
    assert not [c for c in nb.cells if c.cell_type == "code" and (c.outputs or c.execution_count)]


def test_make_student_brings_a_folder_in_step(tmp_path):
    chapter = CHAPTERS[0]
    (tmp_path / "chapters").mkdir()
    (tmp_path / "chapters" / chapter.name).write_bytes(chapter.read_bytes())
    student = tmp_path / "student"
    student.mkdir()
    (student / chapter.name).write_text(learner_copy(chapter).replace("REPO", "REPOSITORY"), encoding="utf-8")
    (student / "99_gone.ipynb").write_text("{}")
    assert write_student_copies(tmp_path / "chapters", student) == [student / "99_gone.ipynb", student / chapter.name]
    assert [p.name for p in student.iterdir()] == [chapter.name]
    assert (student / chapter.name).read_text(encoding="utf-8") == learner_copy(chapter)
    assert write_student_copies(tmp_path / "chapters", student) == []  # nothing left to change
