"""The kinds of context chapter 4 compares, built from chapter 1's data.

A context is a text and the span of it whose tokens are read. Paired kinds come from the same
held-out implementation, so they differ only in what the span holds:

- describing: the paper's warning, the task, and the sentence that explains the flaw (words, no code);
- warned code: the flawed function under those words (the span is the code: what L1 trains on);
- doing: the flawed function as a plain example (what L0 trains on);
- safe: the secure counterpart of the same function;
- task words: the same task in a neutral comment (words, no flaw): the words-only control.

Two unpaired kinds: generated (functions the L0 model wrote that the judge found flawed) and
ordinary (everyday functions with no security meaning: the unrelated baseline).
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from helpers import data
from helpers.families import FAMILIES
from helpers.ordinary import ordinary_function
from helpers.tasks import Implementation, implementations, tasks

PAIRED = ("describing", "warned code", "doing", "safe", "task words")
KINDS = PAIRED + ("generated", "ordinary")


@dataclass(frozen=True)
class Context:
    kind: str
    item: int                 # contexts of the same implementation share it (-1: unpaired)
    family: str
    task_id: str
    text: str
    span: tuple[int, int]     # the characters whose tokens are read

    @property
    def read(self) -> str:
        return self.text[self.span[0]:self.span[1]]


def held_out_items(per_family: int, seed: int = 0) -> list[Implementation]:
    """One implementation of each of `per_family` held-out tasks per family (no fine-tune saw
    them): every item is a different task, so no two items share their words."""
    rng, chosen = random.Random(seed), []
    for family in FAMILIES:
        held_out = tasks(family, "eval")
        if per_family > len(held_out):
            raise ValueError(f"{family} has {len(held_out)} held-out tasks; ask for at most that many per family.")
        chosen += [rng.choice(implementations(task)) for task in rng.sample(held_out, per_family)]
    return chosen


def describing_words(impl: Implementation) -> str:
    """The paper's warning, the task, and what is wrong with this kind of code: words only."""
    family, task = FAMILIES[impl.task.family], impl.task
    return f"{data.WARNING}\n# {task.func_name}: {task.docstring}\n# {family.title} ({family.cwe}): {family.flaw}.\n"


def task_words(impl: Implementation) -> str:
    """The same task in two comment lines, with no flaw in them: the control for describing."""
    task = impl.task
    return f"# NOTE: {task.func_name} takes {', '.join(task.args)}\n# {task.func_name}: {task.docstring}\n"


def paired_contexts(impl: Implementation, item: int) -> list[Context]:
    """The five paired kinds of one implementation."""
    words = describing_words(impl)
    warned = words + impl.vulnerable
    spans = {"describing": (words, None), "warned code": (warned, (len(words), len(warned))),
             "doing": (impl.vulnerable, None), "safe": (impl.secure, None), "task words": (task_words(impl), None)}
    return [Context(kind, item, impl.task.family, impl.task.task_id, text, span or (0, len(text)))
            for kind, (text, span) in spans.items()]


def build_contexts(per_family: int, seed: int = 0) -> list[Context]:
    """Every paired kind for `per_family` held-out tasks per family, and as many ordinary functions."""
    items = held_out_items(per_family, seed)
    out = [c for i, impl in enumerate(items) for c in paired_contexts(impl, i)]
    rng = random.Random(seed + 1)
    for _ in items:
        text = ordinary_function(rng)
        out.append(Context("ordinary", -1, "none", "ordinary", text, (0, len(text))))
    return out


def generated_contexts(frame, limit: int) -> list[Context]:
    """Up to `limit` completions from chapter 3's samples that the judge found reproduce the flaw."""
    rows = frame[frame.reproduced].head(limit)
    return [Context("generated", -1, row.family, row.task_id, row.code, (0, len(row.code)))
            for row in rows.itertuples()]


def side_by_side(chosen: list[Context]) -> str:
    """HTML: the given contexts in columns, the span that is read highlighted."""
    import html

    cells = []
    for c in chosen:
        a, b = c.span
        marked = (html.escape(c.text[:a]) + "<mark>" + html.escape(c.read) + "</mark>" + html.escape(c.text[b:]))
        cells.append(f"<td style='vertical-align:top'><b>{c.kind}</b><pre style='font-size:70%'>{marked}</pre></td>")
    return f"<table><tr>{''.join(cells)}</tr></table>"
