"""Learner copies of the chapters: every function in a cell tagged `solution` keeps its
signature and docstring, and its body becomes `raise NotImplementedError("<name>")`.

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
    return "\n".join(out).rstrip() + "\n"


def student_notebook(path: Path) -> nbformat.NotebookNode:
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        tags = cell.metadata.get("tags", [])
        if "solution" in tags:
            cell.source = stub_source(cell.source)
            cell.metadata["tags"] = [t for t in tags if t not in ("solution", "hide-input")] + ["exercise"]
    return nb


def write_student_copies(src: Path, dest: Path) -> list[Path]:
    """Write a learner copy of every notebook in `src` to `dest`; return the paths written."""
    dest.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sorted(src.glob("*.ipynb")):
        target = dest / path.name
        nbformat.write(student_notebook(path), target)
        written.append(target)
    return written


if __name__ == "__main__":
    for written in write_student_copies(Path(sys.argv[1]), Path(sys.argv[2])):
        print(written)
