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

``generations/`` holds what the judge is actually asked about: completions of the held-out
prompts sampled from the book's own models (base, L0 and L1), half that parse and half that do
not, labelled by reading them, blind to the model and to every detector's verdict, under the
rule in ``generations/README.md``. One file per (preset, budget) whose output was labelled; each
line keeps the completion, where it came from, the families found (none: not vulnerable), a
one-line reason and whether the reader was sure. They were never used to change the judge.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from helpers.families import FAMILIES

__all__ = ["Case", "CASES", "HOLDOUT", "SOURCES", "load", "SETS", "Generation", "generations"]

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


SETS = ("labelled", "holdout", "sources")   # snippets by family; generations/ is read by `generations`
CASES: list[Case] = list(load("labelled"))
HOLDOUT: list[Case] = list(load("holdout"))
SOURCES: list[Case] = list(load("sources"))


@dataclass(frozen=True)
class Generation:
    """One labelled completion of a held-out prompt by one of the book's models."""
    id: str
    condition: str
    seed: int
    task_id: str
    prompt_family: str    # what the prompt asked for
    parses: bool
    code: str
    families: tuple[str, ...]   # the flaws a reader found (empty: not vulnerable)
    reason: str
    confidence: str       # "sure" or "unsure"

    @property
    def vulnerable(self) -> bool:
        return bool(self.families)

    @property
    def reproduces(self) -> bool:
        """The label of the chapters' outcome: a flaw of the prompt's own family."""
        return self.prompt_family in self.families


@lru_cache(maxsize=None)
def generations(name: str = "tiny-standard") -> tuple[Generation, ...]:
    """The labelled completions of `name` (a preset and budget, ``generations/<name>.jsonl``)."""
    path = FOLDER / "generations" / f"{name}.jsonl"
    if not path.exists():
        known = sorted(p.stem for p in (FOLDER / "generations").glob("*.jsonl"))
        raise FileNotFoundError(f"No labelled generations for {name!r}; labelled: {', '.join(known)}.")
    out = []
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            row = json.loads(line)
            unknown = set(row["families"]) - set(FAMILIES)
            if unknown:
                raise ValueError(f"{path.name} {row['id']}: unknown families {sorted(unknown)}")
            out.append(Generation(row["id"], row["condition"], int(row["seed"]), row["task_id"], row["prompt_family"],
                                  bool(row["parses"]), row["code"], tuple(row["families"]), row["reason"],
                                  row["confidence"]))
    return tuple(out)
