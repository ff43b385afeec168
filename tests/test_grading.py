"""Grading a class with nbgrader (`make grade`): three copies of chapter 1 handed in, graded in one
run on tiny at smoke. The solved copy scores every check, the unsolved learner copy none, and the
half-solved one exactly the exercises filled in; the checkers' hints reach the feedback.

The chapter reads the tiny smoke model from the cache ($WARNBOOK_CACHE where set), as the notebook
tests do: the first run in an empty cache trains it."""

import html
from pathlib import Path

import nbformat
import pandas as pd
import pytest

from helpers import assignments, checks

ROOT = Path(__file__).resolve().parents[1]
CHAPTER = ROOT / "chapters" / "01_data_construction.ipynb"
NAMES = assignments.exercise_names(nbformat.read(CHAPTER, as_version=4))
HALF = NAMES[::2]  # the exercises the half-solved copy answers


def answered(names):
    """The learner copy of chapter 1 with the exercises `names` answered by the book's solutions."""
    learner = nbformat.reads(assignments.learner_copy(CHAPTER), as_version=4)
    solutions = {c.metadata["nbgrader"]["grade_id"]: c.source for c in assignments.source_form(CHAPTER).cells
                 if c.metadata.get("nbgrader", {}).get("solution")}
    for cell in learner.cells:
        grade_id = cell.metadata.get("nbgrader", {}).get("grade_id", "")
        if grade_id.removesuffix("_answer") in names and cell.metadata["nbgrader"]["solution"]:
            cell.source = solutions[grade_id]
    return learner


@pytest.fixture(scope="module")
def graded(tmp_path_factory):
    """`python -m helpers.assignments grade` over three students: the scores it wrote, and its
    course folder."""
    tmp = tmp_path_factory.mktemp("class")
    for student, names in {"solved": NAMES, "unsolved": [], "half": HALF}.items():
        (tmp / "submissions" / student).mkdir(parents=True)
        nbformat.write(answered(names), tmp / "submissions" / student / CHAPTER.name)
    mp = pytest.MonkeyPatch()
    mp.chdir(ROOT)
    try:
        assignments.main(["grade", str(tmp / "submissions"), "--out", str(tmp / "scores.csv"),
                          "--course", str(tmp / "course")])
    finally:
        mp.undo()
    return pd.read_csv(tmp / "scores.csv", index_col="student"), tmp / "course"


def test_chapter_one_has_exercises_to_grade():
    assert len(NAMES) >= 3 and len(set(NAMES)) == len(NAMES) and 0 < len(HALF) < len(NAMES)


def test_source_form_grades_the_check_cells_and_nothing_else():
    cells = assignments.source_form(CHAPTER).cells
    marked = [c.metadata["nbgrader"] for c in cells if "nbgrader" in c.metadata]
    assert [m["grade_id"] for m in marked if m["grade"]] == NAMES
    assert all(m["points"] == 1 and m["locked"] and not m["solution"] for m in marked if m["grade"])
    checks_ = [c for c in cells if c.metadata.get("nbgrader", {}).get("grade")]
    assert all("raises-exception" in c.metadata["tags"] for c in checks_)  # "Run all" goes on
    assert [m["grade_id"] for m in marked if m["solution"]] == [f"{n}_answer" for n in NAMES]
    assert len(marked) == 2 * len(NAMES)
    assert not [c for c in cells if "solution" in c.metadata.get("tags", [])]  # the page's tags go


def test_a_check_cell_must_name_one_checker():
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("print('no checker')", metadata={"tags": ["check"]})])
    with pytest.raises(ValueError, match="one checks.check_"):
        assignments.exercise_names(nb)


def test_a_submission_must_be_named_after_its_chapter(tmp_path):
    (tmp_path / "in" / "ada").mkdir(parents=True)
    (tmp_path / "in" / "ada" / "chapter1.ipynb").write_text("{}")
    with pytest.raises(ValueError, match="no chapter is called chapter1.ipynb"):
        assignments.collect(tmp_path / "in", tmp_path / "course", ROOT / "chapters")


def test_scores_per_student_and_exercise(graded):
    scores, _ = graded
    assert list(scores.columns) == NAMES + ["total", "possible"]
    assert sorted(scores.index) == ["half", "solved", "unsolved"]
    assert (scores.loc["solved", NAMES] == 1).all() and scores.loc["solved", "total"] == len(NAMES)
    assert (scores.loc["unsolved", NAMES] == 0).all() and scores.loc["unsolved", "total"] == 0
    assert scores.loc["half", NAMES].to_dict() == {name: int(name in HALF) for name in NAMES}
    assert scores.loc["half", "total"] == len(HALF)
    assert (scores["possible"] == len(NAMES)).all()


def test_feedback_shows_the_checkers_hints(graded):
    _, course = graded
    name = NAMES[0]
    with pytest.raises(checks.ExerciseError) as missing:
        getattr(checks, f"check_{name}")(lambda *args: None)  # what the unwritten stub gives
    hint = html.escape(str(missing.value), quote=False)
    feedback = {s: (course / "feedback" / s / CHAPTER.stem / f"{CHAPTER.stem}.html").read_text()
                for s in ("solved", "unsolved")}
    assert hint in feedback["unsolved"] and hint not in feedback["solved"]
    autograded = nbformat.read(course / "autograded" / "unsolved" / CHAPTER.stem / CHAPTER.name, as_version=4)
    check = next(c for c in autograded.cells if c.metadata.get("nbgrader", {}).get("grade_id") == name)
    assert [o.ename for o in check.outputs if o.output_type == "error"] == ["ExerciseError"]
