"""Point a fork of the book at its own repository: one address, written everywhere it is used.

`_config.yml` (repository.url) is the one setting; the Colab and repository buttons read it, and
each chapter's Colab cell installs the helpers from it (a notebook on Colab sees nothing else,
so the address is written into the cell). The learner copies in `student/` carry the same cell,
so they are made again from the chapters. Usage, from the book's root:

    python -m helpers.fork https://github.com/you/your-fork     (what `make fork URL=...` runs)
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import nbformat
import yaml

from helpers.assignments import write_student_copies

URL = re.compile(r"https://github\.com/[\w.-]+/[\w.-]+")
REPO_LINE = re.compile(r'REPO = "[^"]*"')


def configured_url(root: Path) -> str:
    """The repository address in `_config.yml`."""
    return yaml.safe_load((root / "_config.yml").read_text())["repository"]["url"]


def notebook_urls(root: Path, folder: str = "chapters") -> dict[str, list[str]]:
    """The address each notebook's Colab cell installs from (file name -> addresses), for the
    chapters or, with folder="student", their learner copies."""
    found = {}
    for path in sorted((root / folder).glob("*.ipynb")):
        cells = nbformat.read(path, as_version=4).cells
        found[path.name] = [m.split('"')[1] for c in cells for m in REPO_LINE.findall(c.source)]
    return found


def set_repository(root: Path, url: str) -> list[Path]:
    """Write `url` into _config.yml, every chapter's Colab cell and the README, and make the learner
    copies again from the chapters; return the files changed."""
    url = url.rstrip("/").removesuffix(".git")
    if not URL.fullmatch(url):
        raise ValueError(f"{url!r} is not a GitHub repository address; "
                         "give one like https://github.com/you/your-fork (Colab opens notebooks from GitHub).")
    old, new = (u.removeprefix("https://github.com/") for u in (configured_url(root), url))  # owner/name
    changed = []
    for path in [root / "_config.yml", root / "README.md"]:  # the README also shows Colab addresses
        text = path.read_text()
        if old in text:
            path.write_text(text.replace(old, new))
            changed.append(path)
    for path in sorted((root / "chapters").glob("*.ipynb")):
        nb = nbformat.read(path, as_version=4)
        edited = False
        for cell in nb.cells:
            source = REPO_LINE.sub(f'REPO = "{url}"', cell.source)
            edited |= source != cell.source
            cell.source = source
        if edited:
            nbformat.write(nb, path)
            changed.append(path)
    return changed + write_student_copies(root / "chapters", root / "student")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m helpers.fork https://github.com/you/your-fork")
    for path in set_repository(Path.cwd(), sys.argv[1]):
        print(f"updated {path}")
