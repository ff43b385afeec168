"""The introduction's pipeline figure: it names every chapter of the table of contents, it is
what its script draws, and the introduction shows it with alt text."""

import re
import runpy
import xml.etree.ElementTree as ET

from test_notebook_lint import ROOT, toc_files

SVG = ROOT / "figures" / "pipeline.svg"


def figure_texts() -> list[str]:
    """Every text element of the committed SVG (its text is kept as text, not as paths)."""
    tree = ET.parse(SVG)
    return ["".join(t.itertext()).strip() for t in tree.iter("{http://www.w3.org/2000/svg}text")]


def chapter_number(stem: str) -> str:
    """'03b_dose_and_triggers' -> '3b', '00_setup' -> '0'."""
    return re.match(r"\d+[a-z]?", stem).group().lstrip("0") or "0"


def test_the_figure_names_every_chapter_of_the_toc():
    chapters = [f.removeprefix("chapters/") for f in toc_files() if f.startswith("chapters/")]
    labels = {m.group(1) for text in figure_texts() if (m := re.match(r"ch\. (\w+)\s", text))}
    assert chapters and labels == {chapter_number(stem) for stem in chapters}


def test_the_figure_shows_the_six_steps_in_order():
    steps = [m.group(1) for text in figure_texts() if (m := re.fullmatch(r"\d\. (.+)", text))]
    assert steps == ["Data", "Fine-tune", "Measure", "Features", "Probes", "Fixes"]


def test_the_committed_figure_is_what_the_script_draws(tmp_path):
    draw = runpy.run_path(str(ROOT / "figures" / "pipeline.py"))["draw"]
    assert draw(tmp_path / "pipeline.svg").read_text() == SVG.read_text(), \
        "redraw it: .venv/bin/python figures/pipeline.py"


def test_the_introduction_shows_it_with_alt_text():
    intro = (ROOT / "intro.md").read_text()
    figure = re.search(r"```\{figure\} (\S+)\n((?::\w+:.*\n)*)", intro)
    assert figure and (ROOT / figure.group(1)).resolve() == SVG
    alt = re.search(r":alt: (.+)", figure.group(2))
    assert alt and len(alt.group(1).split()) >= 15
