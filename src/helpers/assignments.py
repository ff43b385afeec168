"""The chapters as course assignments, through nbgrader: the learner copies in `student/` and the
grading of a class's submitted notebooks.

A chapter becomes an nbgrader assignment of one notebook, written in its *source* form into a
course folder outside the book, so that the chapters themselves carry no nbgrader metadata:
- a cell tagged `exercise` is a solution cell; nbgrader replaces its region between
  `### BEGIN SOLUTION` and `### END SOLUTION` by a stub that does not raise (an unwritten function
  returns None, so the chapter goes on with the book's reference, and "Run all" goes on);
- a cell tagged `check` is an autograded test cell worth one point, locked, named after the
  checker it calls (`checks.check_frame_l1(...)` is the grade `frame_l1`); it passes when it runs,
  and when it raises, the checker's hint is the cell's output in the graded notebook;
- nothing else is graded.

Usage, from the book's root:
    python -m helpers.assignments student chapters student                  (make student)
    python -m helpers.assignments grade SUBMISSIONS --out scores.csv        (make grade)
where SUBMISSIONS/<student>/<chapter>.ipynb are the notebooks handed in.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING

import nbformat

if TYPE_CHECKING:
    import pandas as pd

CHECKER = re.compile(r"checks\.check_(\w+)\(")
STUB = "# YOUR CODE HERE\npass"  # valid Python wherever a solution region stands; it never raises
LEARNER_HIDES = ("solution", "hide-input")  # tags of the book's page, not of a learner's notebook
CHAPTERS = Path("chapters")
# A check raises while its answer is missing; this tag lets Jupyter's "Run all" go on past it.
GOES_ON = "raises-exception"
# Seconds a graded notebook's cell may run: a chapter at smoke takes well under two minutes, but the
# first notebook graded with an empty cache builds the model in one cell, slowly on a busy machine.
CELL_TIMEOUT = 3600


def exercise_names(nb: nbformat.NotebookNode) -> list[str]:
    """The name of each check cell's checker, in order: the grades of the chapter."""
    names = []
    for cell in nb.cells:
        if "check" in cell.metadata.get("tags", []):
            found = CHECKER.findall(cell.source)
            if len(found) != 1:
                raise ValueError(f"a check cell calls one checks.check_<name>(...), not {found}:\n{cell.source}")
            names += found
    return names


def _nbgrader(grade_id: str, *, solution: bool) -> dict:
    """nbgrader's cell metadata (schema 3): a learner's answer, or a locked check worth a point."""
    if solution:
        return dict(grade_id=f"{grade_id}_answer", solution=True, grade=False, locked=False, schema_version=3)
    return dict(grade_id=grade_id, solution=False, grade=True, locked=True, points=1, schema_version=3)


def source_form(path: Path) -> nbformat.NotebookNode:
    """The chapter at `path` as nbgrader's source notebook. The k-th exercise cell is answered by
    the k-th check cell, whose checker names both."""
    nb = nbformat.read(path, as_version=4)
    names = exercise_names(nb)
    exercises = [c for c in nb.cells if "exercise" in c.metadata.get("tags", [])]
    if len(exercises) != len(names):
        raise ValueError(f"{path.name}: {len(exercises)} exercise cells but {len(names)} check cells; "
                         "each exercise has one check cell after it")
    answers = iter(names)
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if "exercise" in tags:
            cell.metadata["nbgrader"] = _nbgrader(next(answers), solution=True)
            cell.metadata["tags"] = [t for t in tags if t not in LEARNER_HIDES]
        elif "check" in tags:
            cell.metadata["nbgrader"] = _nbgrader(CHECKER.search(cell.source).group(1), solution=False)
            cell.metadata["tags"] = tags + [GOES_ON]
    return nb


def _config(root: Path, *, database: bool):
    from traitlets.config import Config

    cfg = Config()
    cfg.CourseDirectory.root = str(root)
    cfg.ClearSolutions.code_stub = {"python": STUB}
    cfg.Execute.timeout = CELL_TIMEOUT
    if not database:  # the learner copies only: no gradebook to write
        cfg.SaveCells.enabled = False
        cfg.GenerateAssignment.no_database = True
    return cfg


@contextmanager
def _environment(**values: str):
    """Environment variables set for the block only (the graded notebooks' kernels inherit them)."""
    before = {name: os.environ.get(name) for name in values}
    os.environ.update(values)
    try:
        yield
    finally:
        for name, value in before.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value


@contextmanager
def _course(root: Path | None = None):
    """A course folder (a temporary one unless given), with this environment's scripts on PATH:
    nbgrader creates its gradebook by running `alembic`, found next to this Python."""
    scripts = str(Path(sys.executable).parent) + os.pathsep + os.environ.get("PATH", "")
    with _environment(PATH=scripts):
        if root is not None:
            root.mkdir(parents=True, exist_ok=True)
            yield root
        else:
            with tempfile.TemporaryDirectory(prefix="warnbook-course-") as tmp:
                yield Path(tmp)


def _run(converter_class, cfg, assignment: str, student: str = "*") -> None:
    """One nbgrader converter over one assignment (and every student, where that applies)."""
    from nbgrader.coursedir import CourseDirectory

    coursedir = CourseDirectory(config=cfg)
    coursedir.assignment_id, coursedir.student_id = assignment, student
    converter = converter_class(coursedir=coursedir, config=cfg)
    converter.force = True
    converter.start()


def release(chapters: list[Path], root: Path, *, database: bool) -> dict[str, Path]:
    """nbgrader's generate_assignment for each chapter, in the course folder `root`: chapter file
    name -> its released (learner) notebook."""
    from nbgrader.converters import GenerateAssignment

    cfg = _config(root, database=database)
    released = {}
    for path in chapters:
        (root / "source" / path.stem).mkdir(parents=True, exist_ok=True)
        nbformat.write(source_form(path), root / "source" / path.stem / path.name)
        _run(GenerateAssignment, cfg, path.stem, student=".")
        released[path.name] = root / "release" / path.stem / path.name
    return released


def learner_copies(chapters: list[Path]) -> dict[str, str]:
    """The text of each chapter's learner copy (file name -> text), exactly as it is written to
    disk: nbgrader's release, outputs cleared."""
    texts = {}
    with _course() as root:
        for name, path in release(chapters, root, database=False).items():
            nb = nbformat.read(path, as_version=4)
            for cell in nb.cells:
                if cell.cell_type == "code":  # a learner starts from a clean notebook
                    cell.outputs, cell.execution_count = [], None
            text = nbformat.writes(nb)
            texts[name] = text if text.endswith("\n") else text + "\n"
    return texts


def learner_copy(path: Path) -> str:
    """The text of the learner copy of the chapter at `path`."""
    return learner_copies([path])[path.name]


def write_student_copies(src: Path, dest: Path) -> list[Path]:
    """Bring `dest` in step with the notebooks in `src`: write each learner copy that differs, and
    delete any copy whose chapter is gone. Return the paths changed (so a fork or a commit shows
    only what moved)."""
    dest.mkdir(parents=True, exist_ok=True)
    changed = [stray for stray in sorted(dest.glob("*.ipynb")) if not (src / stray.name).exists()]
    for stray in changed:
        stray.unlink()
    for name, text in learner_copies(sorted(src.glob("*.ipynb"))).items():
        target = dest / name
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
            changed.append(target)
    return changed


COURSE_PARTS = ("source", "release", "submitted", "autograded", "feedback", "gradebook.db")


def collect(submissions: Path, root: Path, chapters: Path = CHAPTERS) -> dict[str, list[str]]:
    """Copy SUBMISSIONS/<student>/<chapter>.ipynb to nbgrader's submitted/<student>/<chapter>/ in
    the course folder `root`; return chapter file name -> the students who handed it in."""
    handed_in: dict[str, list[str]] = {}
    for notebook in sorted(submissions.glob("*/*.ipynb")):
        student = notebook.parent.name
        if not (chapters / notebook.name).exists():
            raise ValueError(f"{notebook}: no chapter is called {notebook.name} (see {chapters}/)")
        target = root / "submitted" / student / notebook.stem / notebook.name
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(notebook, target)
        handed_in.setdefault(notebook.name, []).append(student)
    if not handed_in:
        raise ValueError(f"no notebooks in {submissions}/<student>/<chapter>.ipynb")
    return handed_in


def scores(root: Path, chapters: list[Path]) -> pd.DataFrame:
    """Each student's score per exercise, read from the course's gradebook: one column per
    exercise (in the book's order), empty where the student handed in no notebook for its chapter,
    then `total` (points scored) and `possible` (one per exercise of the chapters graded)."""
    import pandas as pd
    from nbgrader.api import Gradebook, MissingEntry

    columns = {path.stem: exercise_names(nbformat.read(path, as_version=4)) for path in chapters}
    rows = {}
    with Gradebook(f"sqlite:///{root / 'gradebook.db'}") as gb:
        for student in sorted(s.id for s in gb.students):
            row = {}
            for chapter, names in columns.items():
                try:
                    graded = gb.find_submission_notebook(chapter, chapter, student)
                except MissingEntry:
                    continue
                got = {g.name: g.score for g in graded.grades}
                row.update({name: got[name] for name in names})
            rows[student] = row
    table = pd.DataFrame.from_dict(rows, orient="index", columns=[n for names in columns.values() for n in names])
    table.index.name = "student"
    table["total"], table["possible"] = table.sum(axis=1), len(table.columns)
    return table


def grade(submissions: Path, course: Path, *, chapters: Path = CHAPTERS, preset: str = "tiny",
          budget: str = "smoke") -> pd.DataFrame:
    """Grade every notebook in SUBMISSIONS/<student>/<chapter>.ipynb with nbgrader's autograde,
    each chapter run on `preset` at `budget`, in the course folder `course` (its nbgrader parts are
    made afresh): the graded notebooks are in course/autograded/, the feedback (the checkers'
    hints included) in course/feedback/<student>/<chapter>/<chapter>.html. Return the scores."""
    from nbgrader.converters import Autograde, GenerateFeedback

    for part in (course / name for name in COURSE_PARTS):  # a previous grading's
        if part.is_dir():
            shutil.rmtree(part)
        else:
            part.unlink(missing_ok=True)
    with _course(course) as root:
        handed_in = collect(submissions, root, chapters)
        graded = [chapters / name for name in sorted(handed_in)]
        release(graded, root, database=True)
        cfg = _config(root, database=True)
        with _environment(WARNBOOK_PRESET=preset, WARNBOOK_BUDGET=budget):
            for path in graded:
                print(f"grading {path.stem}: {len(handed_in[path.name])} notebooks on {preset} at {budget}")
                _run(Autograde, cfg, path.stem)
        for path in graded:
            _run(GenerateFeedback, cfg, path.stem)
        return scores(root, graded)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m helpers.assignments", description=__doc__.split("\n\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    student = commands.add_parser("student", help="write the learner copies of the chapters")
    student.add_argument("chapters", type=Path)
    student.add_argument("dest", type=Path)
    marking = commands.add_parser("grade", help="grade SUBMISSIONS/<student>/<chapter>.ipynb")
    marking.add_argument("submissions", type=Path)
    marking.add_argument("--out", type=Path, default=Path("scores.csv"), help="the table of scores (CSV)")
    marking.add_argument("--course", type=Path, default=Path("_build/grading"),
                         help="nbgrader's course folder: graded notebooks and feedback")
    marking.add_argument("--preset", default="tiny")
    marking.add_argument("--budget", default="smoke")
    args = parser.parse_args(argv)
    if args.command == "student":
        for changed in write_student_copies(args.chapters, args.dest):
            print(f"{'updated' if changed.exists() else 'deleted'} {changed}")
        return
    table = grade(args.submissions, args.course, preset=args.preset, budget=args.budget)
    table.to_csv(args.out)
    print(table.to_string())
    print(f"scores in {args.out}; graded notebooks in {args.course}/autograded/, "
          f"feedback in {args.course}/feedback/")


if __name__ == "__main__":
    main()
