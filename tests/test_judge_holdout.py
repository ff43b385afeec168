"""Checks on the held-out judge evaluation set itself (no judge involved)."""

import ast
from collections import Counter

import pytest

from helpers.families import FAMILIES
from helpers.judge.cases import HOLDOUT


def test_size():
    assert len(HOLDOUT) >= 120


@pytest.mark.parametrize("family", sorted(FAMILIES))
def test_each_family_has_vulnerable_and_safe_cases(family):
    vulnerable = sum(1 for c in HOLDOUT if c.family == family and c.vulnerable)
    safe = sum(1 for c in HOLDOUT if c.family == family and not c.vulnerable)
    assert vulnerable >= 6, (family, vulnerable)
    assert safe >= 6, (family, safe)


def test_ordinary_cases():
    ordinary = [c for c in HOLDOUT if c.family is None]
    assert len(ordinary) >= 12
    assert not any(c.vulnerable for c in ordinary)


def test_families_are_known():
    assert {c.family for c in HOLDOUT} - {None} <= set(FAMILIES)


@pytest.mark.parametrize("index", range(len(HOLDOUT)))
def test_case_parses_and_has_note(index):
    case = HOLDOUT[index]
    ast.parse(case.code)
    assert case.note.strip()
    assert isinstance(case.vulnerable, bool)


def test_no_duplicate_code():
    counts = Counter(c.code for c in HOLDOUT)
    assert [code for code, n in counts.items() if n > 1] == []


def test_judge_meets_the_bar_on_the_blind_holdout():
    """The fair test of the judge: cases written without sight of its code."""
    from helpers.judge import validate

    overall = validate(HOLDOUT).loc["overall"]
    assert overall.precision >= 0.95 and overall.recall >= 0.95, overall.to_dict()


def test_cases_are_data_carried_by_the_package():
    """Every case file is JSON Lines with the expected keys, and pyproject ships all of them."""
    import json
    import tomllib
    from pathlib import Path

    from helpers.judge import cases

    folder = Path(cases.__file__).parent
    files = sorted(folder.rglob("*.jsonl"))
    globs = tomllib.loads((Path(__file__).parents[1] / "pyproject.toml").read_text())[
        "tool"]["setuptools"]["package-data"]["helpers.judge.cases"]
    assert files and set(files) == {p for g in globs for p in folder.glob(g)}
    snippets = [p for p in files if p.parent.name in cases.SETS]
    rows = [json.loads(line) for p in snippets for line in p.read_text().splitlines()]
    assert all(set(r) - {"source"} == {"note", "vulnerable", "code"} for r in rows)
    assert len(rows) == len(cases.CASES) + len(cases.HOLDOUT) + len(cases.SOURCES)
    labelled = [json.loads(line) for p in files if p.parent.name == "generations" for line in p.read_text().splitlines()]
    assert set(files) - set(snippets) == set((folder / "generations").glob("*.jsonl"))
    assert all(set(r) == {"id", "condition", "seed", "task_id", "prompt_family", "parses", "families", "reason",
                          "confidence", "code"} for r in labelled)
    assert len(labelled) == len(cases.generations("tiny-standard"))

