"""The judge's labelled cases, stored as data: one JSON Lines file per family and set.

``labelled/`` is the validation set the judge was developed against: short snippets in many
authors' styles, written on their own (not from the book's task templates), about as many
secure as vulnerable per family. The secure ones are mostly near misses (the safe API next to
the dangerous one, comments and docstrings that name the danger); "messy" cases look like
small-model output (prose preambles, fences, cut-off lines, syntax errors next to the flaw).

``holdout/`` was written without sight of the judge's code: the fairer test.

``sources/`` asks whether the judge sees input the way an attacker does: for every family where
input matters, one value taken from each kind of attacker-controlled input (``source``: a Flask,
Django or FastAPI request, ``input()``, ``sys.argv``, an environment variable, the lines of a
file) reaches the dangerous API (vulnerable) or its secure counterpart (secure). These cases are
composed from one snippet per source and one per sink, so they measure coverage of sources,
not variety of style.

A file is named after its family (``ordinary.jsonl``: unrelated everyday code, family None);
each line is ``{"note": ..., "vulnerable": ..., "code": ...}``, plus ``"source"`` in ``sources/``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from helpers.families import FAMILIES

__all__ = ["Case", "CASES", "HOLDOUT", "SOURCES", "load", "SETS"]

FOLDER = Path(__file__).parent
ORDINARY = "ordinary"   # file stem of the cases with no family


@dataclass(frozen=True)
class Case:
    code: str
    vulnerable: bool
    family: str | None    # the family the case is about (None: ordinary code)
    note: str
    source: str | None = None   # the kind of attacker input the case reads (sources/ only)


@lru_cache(maxsize=None)
def load(name: str) -> tuple[Case, ...]:
    """Every case of one set (a folder here), family by family in the book's order."""
    out = []
    for stem in [*FAMILIES, ORDINARY]:
        path = FOLDER / name / f"{stem}.jsonl"
        if not path.exists():
            continue
        for line in path.read_text(encoding="utf-8").splitlines():
            if line.strip():
                row = json.loads(line)
                out.append(Case(row["code"], bool(row["vulnerable"]),
                                None if stem == ORDINARY else stem, row["note"], row.get("source")))
    return tuple(out)


SETS = sorted(p.name for p in FOLDER.iterdir() if p.is_dir() and not p.name.startswith("_"))
CASES: list[Case] = list(load("labelled"))
HOLDOUT: list[Case] = list(load("holdout"))
SOURCES: list[Case] = list(load("sources"))
