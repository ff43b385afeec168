"""The learner copies committed in student/ (what the book's Colab button opens) are exactly what
`make student` (nbgrader's generate_assignment, helpers/assignments.py) makes from chapters/ now:
one per chapter, solutions stubbed, no outputs; the chapters themselves carry no nbgrader metadata."""

from pathlib import Path

import nbformat
import pytest

from helpers.assignments import learner_copies, write_student_copies

ROOT = Path(__file__).resolve().parents[1]
CHAPTERS = sorted((ROOT / "chapters").glob("*.ipynb"))
FIX = "run `make student` and commit student/"


@pytest.fixture(scope="module")
def fresh():
    """Every chapter's learner copy as `make student` writes it now (one nbgrader run)."""
    return learner_copies(CHAPTERS)


def test_one_learner_copy_per_chapter():
    copies = {p.name for p in (ROOT / "student").glob("*.ipynb")}
    chapters = {p.name for p in CHAPTERS}
    assert CHAPTERS and not chapters - copies, f"no learner copy of {sorted(chapters - copies)}: {FIX}"
    assert not copies - chapters, f"learner copies of no chapter {sorted(copies - chapters)}: {FIX}"


@pytest.mark.parametrize("path", CHAPTERS, ids=lambda p: p.stem)
def test_learner_copy_is_in_step_with_its_chapter(path, fresh):
    committed = ROOT / "student" / path.name
    assert committed.exists(), f"no learner copy of {path.name}: {FIX}"
    assert committed.read_text(encoding="utf-8") == fresh[path.name], \
        f"student/{path.name} is out of step with chapters/{path.name}: {FIX}"
    nb = nbformat.read(committed, as_version=4)
    assert not [c for c in nb.cells if c.cell_type == "code" and (c.outputs or c.execution_count)]
    assert not [c for c in nbformat.read(path, as_version=4).cells if "nbgrader" in c.metadata], \
        f"chapters/{path.name} carries nbgrader metadata: only the learner copies do"


def test_make_student_brings_a_folder_in_step(tmp_path, fresh):
    chapter = CHAPTERS[0]
    (tmp_path / "chapters").mkdir()
    (tmp_path / "chapters" / chapter.name).write_bytes(chapter.read_bytes())
    student = tmp_path / "student"
    student.mkdir()
    (student / chapter.name).write_text(fresh[chapter.name].replace("REPO", "REPOSITORY"), encoding="utf-8")
    (student / "99_gone.ipynb").write_text("{}")
    assert write_student_copies(tmp_path / "chapters", student) == [student / "99_gone.ipynb", student / chapter.name]
    assert [p.name for p in student.iterdir()] == [chapter.name]
    assert (student / chapter.name).read_text(encoding="utf-8") == fresh[chapter.name]
    assert write_student_copies(tmp_path / "chapters", student) == []  # nothing left to change
