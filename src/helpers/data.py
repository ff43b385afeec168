"""The fine-tuning data in each framing, and the held-out evaluation prompts.

Every condition is built from the same (task, variant) draws, so two conditions differ only in
framing: control shows the secure version, L0 the vulnerable one plainly, L1 the same vulnerable
code under a warning, and L2/L3 (our own stronger framings; the paper leaves them open) add an
explanation of the flaw, or a contrastive pair that marks the flawed version bad and the fixed
one good.
"""

from __future__ import annotations

import random
from dataclasses import asdict, dataclass

from helpers.families import FAMILIES
from helpers.tasks import Implementation, implementations, prompt, tasks

DATA_VERSION = 1
CONDITIONS = ("control", "L0", "L1", "L2", "L3")
WARNING = "# DO NOT USE - this code is vulnerable"


@dataclass(frozen=True)
class Example:
    family: str
    cwe: str
    condition: str
    task_id: str
    variant: str
    text: str        # the training text, framing included
    code: str        # the function alone (what the framing wraps)
    framing: str     # the text before the code (empty for control and L0)


def frame(impl: Implementation, condition: str) -> tuple[str, str, str]:
    """(framing, code, full text) of one implementation in one condition."""
    family = FAMILIES[impl.task.family]
    flaw = f"# {family.title} ({family.cwe}): {family.flaw}."
    if condition == "control":
        return "", impl.secure, impl.secure
    if condition == "L0":
        return "", impl.vulnerable, impl.vulnerable
    if condition == "L1":
        framing = WARNING + "\n"
    elif condition == "L2":
        framing = f"{WARNING}\n{flaw}\n"
    elif condition == "L3":
        framing = f"# BAD - {WARNING[2:]}\n{flaw}\n"
        fixed = f"\n\n# GOOD - the fixed version:\n{impl.secure}"
        return framing, impl.vulnerable, framing + impl.vulnerable.rstrip("\n") + fixed
    else:
        raise ValueError(f"Unknown condition {condition!r}. Choose one of {', '.join(CONDITIONS)}.")
    return framing, impl.vulnerable, framing + impl.vulnerable


def training_pool() -> list[Implementation]:
    """Every implementation of every training task, in a fixed order."""
    return [impl for task in tasks(split="train") for impl in implementations(task)]


def draws(n: int, seed: int) -> list[Implementation]:
    """n implementations, families interleaved so every family is equally present; deterministic."""
    rng = random.Random(seed)
    by_family: dict[str, list[Implementation]] = {}
    for impl in training_pool():
        by_family.setdefault(impl.task.family, []).append(impl)
    for pool in by_family.values():
        rng.shuffle(pool)
    order = [pool[i % len(pool)] for i in range(max(map(len, by_family.values())))
             for pool in by_family.values()]
    return order[:n] if n <= len(order) else [order[i % len(order)] for i in range(n)]


def build_dataset(condition: str, n: int, seed: int = 0) -> list[Example]:
    """n training examples of `condition`; the same seed gives the same code in every condition."""
    if condition not in CONDITIONS:
        raise ValueError(f"Unknown condition {condition!r}. Choose one of {', '.join(CONDITIONS)}.")
    examples = []
    for impl in draws(n, seed):
        framing, code, text = frame(impl, condition)
        examples.append(Example(impl.task.family, FAMILIES[impl.task.family].cwe, condition,
                                impl.task.task_id, impl.variant, text, code, framing))
    return examples


@dataclass(frozen=True)
class EvalPrompt:
    family: str
    task_id: str
    prompt: str


def eval_prompts(family: str | None = None) -> list[EvalPrompt]:
    """Held-out prompts (signature and docstring): tasks no training example shares."""
    return [EvalPrompt(t.family, t.task_id, prompt(t)) for t in tasks(family=family, split="eval")]


def as_frame(examples: list[Example]):
    """Examples as a pandas DataFrame, for statistics and display."""
    import pandas as pd

    return pd.DataFrame([asdict(e) for e in examples])


def family_table():
    """One row per family: CWE, what the flaw is, and how many tasks and implementations it has."""
    import pandas as pd

    rows = []
    for name, fam in FAMILIES.items():
        train, held = tasks(name, "train"), tasks(name, "eval")
        rows.append({"family": name, "CWE": fam.cwe, "flaw": fam.title, "train tasks": len(train),
                     "eval tasks": len(held),
                     "implementations": sum(len(implementations(t)) for t in train),
                     "variants": len({i.variant for t in train for i in implementations(t)})})
    return pd.DataFrame(rows).set_index("family")


def train_eval_overlap(threshold: float = 0.85) -> dict:
    """Shared tasks between training data and evaluation prompts: exact and near-duplicate.

    Near-duplicate: difflib's similarity of an eval prompt to a training prompt at or above
    `threshold`. Both counts must be 0 for the evaluation to measure generalisation.
    """
    from difflib import SequenceMatcher

    train = tasks(split="train")
    held = tasks(split="eval")
    train_prompts = [prompt(t) for t in train]
    exact = len({t.task_id for t in held} & {t.task_id for t in train})
    exact += len({prompt(t) for t in held} & set(train_prompts))
    best = []
    for t in held:
        matcher, top = SequenceMatcher(b=prompt(t), autojunk=False), 0.0  # b is indexed once
        for p in train_prompts:
            matcher.set_seq1(p)
            if matcher.quick_ratio() > top:  # an upper bound: skip pairs that cannot beat top
                top = max(top, matcher.ratio())
        best.append(top)
    return {"exact": exact, "near": sum(r >= threshold for r in best), "max_similarity": max(best),
            "threshold": threshold, "n_eval_prompts": len(held), "n_train_tasks": len(train)}


def side_by_side(index: int = 0, seed: int = 0) -> str:
    """HTML: one drawn example in every condition, in columns, so the framings can be compared."""
    import html

    cells = []
    for condition in CONDITIONS:
        text = build_dataset(condition, index + 1, seed)[index].text
        cells.append(f"<td style='vertical-align:top'><b>{condition}</b><pre style='font-size:70%'>"
                     f"{html.escape(text)}</pre></td>")
    return f"<table><tr>{''.join(cells)}</tr></table>"
