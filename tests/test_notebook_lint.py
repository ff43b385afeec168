"""Every chapter follows the notebook contract (DESIGN.md), checked without running it."""

import ast
from pathlib import Path

import nbformat
import papermill
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[1]
CONTRACT = {"PRESET": "auto", "BUDGET": "standard", "SEED": 0, "OUTPUT_DIR": "outputs"}


def toc_files() -> list[str]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    found = []

    def walk(entries):
        for entry in entries:
            if "file" in entry:
                found.append(entry["file"])
            walk(entry.get("chapters", []) + entry.get("sections", []))
            for part in entry.get("parts", []):
                walk(part.get("chapters", []))

    walk(toc.get("chapters", []) + toc.get("parts", []))
    return found


NOTEBOOKS = sorted((ROOT / "chapters").glob("*.ipynb"))


def test_every_chapter_is_in_the_toc():
    listed = {f.removesuffix(".ipynb") for f in toc_files()}
    missing = [nb.name for nb in NOTEBOOKS if f"chapters/{nb.stem}" not in listed]
    assert NOTEBOOKS and not missing, f"not in _toc.yml: {missing}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_contract(path):
    nb = nbformat.read(path, as_version=4)
    tagged = [c for c in nb.cells if "parameters" in c.metadata.get("tags", [])]
    assert len(tagged) == 1, "exactly one cell tagged 'parameters'"
    params = papermill.inspect_notebook(str(path))
    assert {name: ast.literal_eval(p["default"]) for name, p in params.items()} == CONTRACT
    assert nb.metadata.kernelspec.name == "python3"
    assert not [c for c in nb.cells if c.cell_type == "code" and (c.outputs or c.execution_count)], \
        "commit notebooks without outputs"
    first = nb.cells[0].source
    assert first.startswith("# ") and "Objectives" in first and "Time" in first
    assert "run.finish(" in nb.cells[-1].source, "the last cell writes metrics.json"


# Characters of a code line that fit a code cell of the built page, measured in Chromium: 89 in
# the theme's widest content column (a window 1440 px wide or more; 77 at 1280 px). A line that
# fits is not cut off at the cell's right edge (tests/test_browser.py looks at the pages).
LINE_LIMIT = 88
NOT_ON_THE_PAGE = {"remove-cell", "remove-input"}  # the Colab cell: Colab shows it, the page does not


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_code_lines_fit_the_page(path):
    nb = nbformat.read(path, as_version=4)
    long = [f"cell {i}: {line}" for i, cell in enumerate(nb.cells)
            if cell.cell_type == "code" and not NOT_ON_THE_PAGE & set(cell.metadata.get("tags", []))
            for line in cell.source.splitlines() if len(line) > LINE_LIMIT]
    assert long == [], f"{len(long)} code lines longer than {LINE_LIMIT} characters"


def test_colab_cells_install_from_the_configured_repository():
    from helpers.fork import configured_url, notebook_urls

    urls = notebook_urls(ROOT)
    assert len(urls) == len(NOTEBOOKS)
    assert {name: found for name, found in urls.items() if found != [configured_url(ROOT)]} == {}


def test_fork_writes_its_address_everywhere(tmp_path):
    import shutil

    from helpers.fork import configured_url, notebook_urls, set_repository

    for name in ("_config.yml", "README.md", "chapters", "student"):
        copy = shutil.copytree if (ROOT / name).is_dir() else shutil.copy
        copy(ROOT / name, tmp_path / name)
    old = configured_url(tmp_path).removeprefix("https://github.com/")  # owner/name
    with pytest.raises(ValueError, match="github.com/you/your-fork"):
        set_repository(tmp_path, "git@github.com:someone/fork")
    changed = set_repository(tmp_path, "https://github.com/someone/fork.git")
    assert len(changed) == 2 + 2 * len(NOTEBOOKS)  # the learner copies carry the same Colab cell
    assert configured_url(tmp_path) == "https://github.com/someone/fork"
    for folder in ("chapters", "student"):
        urls = notebook_urls(tmp_path, folder)
        assert len(urls) == len(NOTEBOOKS) and set(map(tuple, urls.values())) == {("https://github.com/someone/fork",)}
    assert "colab.research.google.com/github/someone/fork/blob/main/student/" in (tmp_path / "README.md").read_text()
    leftovers = [p for p in [tmp_path / "_config.yml", tmp_path / "README.md", *tmp_path.glob("*/*.ipynb")]
                 if old in p.read_text()]
    assert leftovers == []
