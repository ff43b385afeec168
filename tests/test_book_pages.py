"""The book's own changes to its pages (_ext/book_pages.py), on a book of one notebook whose
outputs are written here: a progress bar, an explorer and a plain result, as an executed chapter
holds them. The pages are built with the book's own Sphinx settings."""

import subprocess
import sys
from pathlib import Path

import nbformat
import yaml
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

ROOT = Path(__file__).resolve().parents[1]
WIDGET = "application/vnd.jupyter.widget-view+json"


def view(model_id: str) -> dict:
    return {"model_id": model_id, "version_major": 2, "version_minor": 0}


def executed_notebook():
    """What a chapter's executed notebook holds: tqdm's bar as a widget, with the text of its first
    state beside it; an explorer, a widget that carries its own HTML; a result."""
    bar = {WIDGET: view("bar"), "text/plain": "fine-tune L1:   0%|          | 0/54 [00:00<?, ?it/s]"}
    explorer = {WIDGET: view("explorer"), "text/html": "<p>first view of the explorer</p>",
                "text/plain": "VBox()"}
    nb = new_notebook(cells=[
        new_markdown_cell("# A chapter"),
        new_code_cell("train()", outputs=[new_output("display_data", data=bar),
                                          new_output("stream", name="stdout", text="trained\n")]),
        new_code_cell("explorer", outputs=[new_output("display_data", data=explorer)]),
        new_code_cell("6 * 7", outputs=[new_output("execute_result", data={"text/plain": "42"},
                                                   execution_count=1)]),
    ])
    nb.metadata.kernelspec = {"name": "python3", "display_name": "Python 3", "language": "python"}
    return nb


def test_a_progress_bar_is_left_out_of_the_page_and_the_rest_stays(tmp_path):
    book = yaml.safe_load((ROOT / "_config.yml").read_text())["sphinx"]
    config = {"title": "one chapter", "execute": {"execute_notebooks": "off"},
              "sphinx": {"local_extensions": {"book_pages": str(ROOT / "_ext")},
                         "config": {key: book["config"][key] for key in
                                    ("nb_ipywidgets_js", "suppress_warnings", "nb_mime_priority_overrides")}}}
    (tmp_path / "_config.yml").write_text(yaml.safe_dump(config))
    (tmp_path / "_toc.yml").write_text("format: jb-book\nroot: chapter\n")
    nbformat.write(executed_notebook(), tmp_path / "chapter.ipynb")
    built = subprocess.run([Path(sys.executable).parent / "jupyter-book", "build", str(tmp_path)],
                           capture_output=True, text=True)
    assert built.returncode == 0, (built.stdout + built.stderr)[-3000:]
    page = (tmp_path / "_build" / "html" / "chapter.html").read_text()
    assert "0/54" not in page and "fine-tune L1" not in page
    assert "first view of the explorer" in page and "trained" in page and ">42" in page
