"""Learner copies of the chapters: every function in a cell tagged `solution` keeps its
signature and docstring, and its body becomes `raise NotImplementedError("<name>")`.

The copies are committed in `student/`, where the book's Colab button opens them, so they are
written byte for byte as `learner_copy` makes them (a test compares the two) and carry no outputs.

Usage: python -m helpers.student chapters student   (what `make student` runs)
"""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import nbformat


def stub_source(source: str) -> str:
    """The cell's source with each top-level function body replaced by a stub."""
    tree = ast.parse(source)
    lines = source.splitlines()
    out, cursor = [], 0
    for node in tree.body:
        if not isinstance(node, ast.FunctionDef):
            continue
        body_start = node.body[0]
        has_doc = isinstance(body_start, ast.Expr) and isinstance(getattr(body_start, "value", None), ast.Constant) \
            and isinstance(body_start.value.value, str)
        keep_until = body_start.end_lineno if has_doc else node.body[0].lineno - 1
        indent = " " * (node.body[0].col_offset)
        out += lines[cursor:keep_until]
        out.append(f'{indent}raise NotImplementedError("{node.name}: write this function, then run the check below")')
        cursor = node.end_lineno
    out += lines[cursor:]
    return "\n".join(out).rstrip()


def student_notebook(path: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if "solution" in tags:
            cell.source = stub_source(cell.source)
            cell.metadata["tags"] = [t for t in tags if t not in ("solution", "hide-input")] + ["exercise"]
        if cell.cell_type == "code":  # a learner starts from a clean notebook, even if a chapter was saved run
            cell.outputs, cell.execution_count = [], None
    return nb


def learner_copy(path: Path) -> str:
    """The text of the learner copy of the chapter at `path`, exactly as it is written to disk."""
    text = nbformat.writes(student_notebook(path))
    return text if text.endswith("\n") else text + "\n"


def write_student_copies(src: Path, dest: Path) -> list[Path]:
    """Bring `dest` in step with the notebooks in `src`: write each learner copy that differs, and
    delete any copy whose chapter is gone. Return the paths changed (so a fork or a commit shows
    only what moved)."""
    dest.mkdir(parents=True, exist_ok=True)
    changed = [stray for stray in sorted(dest.glob("*.ipynb")) if not (src / stray.name).exists()]
    for stray in changed:
        stray.unlink()
    for path in sorted(src.glob("*.ipynb")):
        target, text = dest / path.name, learner_copy(path)
        if not target.exists() or target.read_text(encoding="utf-8") != text:
            target.write_text(text, encoding="utf-8")
            changed.append(target)
    return changed


if __name__ == "__main__":
    for changed in write_student_copies(Path(sys.argv[1]), Path(sys.argv[2])):
        print(f"{'updated' if changed.exists() else 'deleted'} {changed}")
