"""Glossary and bibliography links in the book's sources, checked without building it: every
{term} names a term of glossary.md and every {cite} a key of references.bib. (The browser test
checks the same links on the built site.)"""

import re
from pathlib import Path

import nbformat
import pybtex.database
import yaml

ROOT = Path(__file__).resolve().parents[1]
TERM = re.compile(r"\{term\}`([^`]*)`")
CITE = re.compile(r"\{cite(?::[a-z]+)?\}`([^`]*)`")


def toc_files() -> list[Path]:
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    stems = [toc["root"]] + [c["file"] for part in toc["parts"] for c in part["chapters"]]
    return [next(ROOT / (stem + ext) for ext in (".md", ".ipynb") if (ROOT / (stem + ext)).exists())
            for stem in stems]


def text_of(path: Path) -> str:
    if path.suffix == ".ipynb":
        cells = nbformat.read(path, as_version=4).cells
        return "\n".join(c.source for c in cells if c.cell_type == "markdown")
    return path.read_text()


def glossary_terms(text: str) -> set[str]:
    """The terms of a MyST glossary: the unindented lines of its block (Sphinx matches them
    case-insensitively)."""
    block = text.split("```{glossary}", 1)[1].split("```", 1)[0]
    return {line.strip().lower() for line in block.splitlines() if line.strip() and not line.startswith(" ")}


def term_targets(text: str) -> list[str]:
    """`{term}`text <target>`` links to target, `{term}`target`` to itself."""
    return [(m.group(2) if m else t).strip().lower()
            for t in TERM.findall(text) for m in [re.fullmatch(r"(.*)<(.*)>", t, re.S)]]


def cite_keys(text: str) -> list[str]:
    return [key.strip() for keys in CITE.findall(text) for key in keys.split(",")]


def test_the_parsers_read_roles_as_sphinx_does():
    assert term_targets("a {term}`L1`, {term}`probes <Linear probe>` and {term}`two\nlines <Judge>`") == \
        ["l1", "linear probe", "judge"]
    assert cite_keys("{cite:p}`a,b` {cite}`c` {cite:t}`d`") == ["a", "b", "c", "d"]
    assert glossary_terms("x\n```{glossary}\nA\nB c\n  defines A and B c.\n\nD\n  d\n```\n") == {"a", "b c", "d"}


def test_every_term_and_citation_has_an_entry():
    glossary = glossary_terms((ROOT / "glossary.md").read_text())
    bib = set(pybtex.database.parse_file(ROOT / "references.bib").entries)
    missing, terms, cited = [], set(), set()
    for path in toc_files():
        text = text_of(path)
        missing += [(path.name, "term", t) for t in term_targets(text) if t not in glossary]
        missing += [(path.name, "cite", k) for k in cite_keys(text) if k not in bib]
        if path.name not in {"glossary.md", "references.md"}:
            terms |= set(term_targets(text))
            cited |= set(cite_keys(text))
    assert not missing, missing
    # issue 18: at least 15 glossary terms and 10 works linked from the chapters and pages
    assert len(terms) >= 15 and len(cited) >= 10, (sorted(terms), sorted(cited))


def test_every_work_names_its_authors_title_and_year_or_version():
    for key, entry in pybtex.database.parse_file(ROOT / "references.bib").entries.items():
        assert entry.persons.get("author") and "title" in entry.fields, key
        assert "year" in entry.fields or "version" in entry.fields.get("howpublished", ""), key
