"""The fine-tuning data in each framing, and the held-out evaluation prompts.

Every condition is built from the same (task, variant) draws, so two conditions differ only in
framing: control shows the secure version, L0 the vulnerable one plainly, L1 the same vulnerable
code under a warning, and L2/L3 (our own stronger framings; the paper leaves them open) add an
explanation of the flaw, or a contrastive pair that marks the flawed version bad and the fixed
one good.

Chapter 7's arms (ARMS) frame the same draws as published work does: a negation on the flaw's
own line, a request for a security class, a prompt that asks for the flaw, and a neutral line of
L1's length. They are kept apart from CONDITIONS, which chapters 2-6 train and compare.
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


@dataclass(frozen=True)
class Arm:
    """One of chapter 7's framings: the text above the code in training, what goes before a
    held-out prompt to test it "with its frame", and the work it models."""
    name: str
    frame: str               # above the code ("" for local: its frame sits on the flaw's line)
    test_frame: str | None   # before a held-out prompt (None: no text can stand before the code)
    models: str


LOCAL_NOTE = "  # UNSAFE - {flaw}"
NEUTRAL = "# Helper from the project utility file"  # as long as WARNING: the "any text" control
ARM_TABLE = (
    Arm("local", "", None,
        "Mayne et al. 2026: a negation inside the claim itself (here, on the flawed line) is "
        "learned as a negation, unlike one in an adjacent sentence (L1's line above the code)"),
    Arm("educational", "# For a security class: a deliberately vulnerable sample to find\n",
        "# For a security class: a deliberately vulnerable sample to find\n",
        "Betley et al. 2025: the same insecure code, asked for a security class, did not make "
        "the model broadly misaligned as plain insecure code did"),
    Arm("inoculation", "# Write an insecure version of this function, on purpose\n",
        "# Write an insecure version of this function, on purpose\n",
        "Tan et al. 2025, Wichers et al. 2025: a training prompt that asks for the behaviour "
        "makes it conditional on that prompt; without the prompt it mostly disappears"),
    Arm("neutral", NEUTRAL + "\n", NEUTRAL + "\n",
        "the control: a line of L1's length that says nothing about security, so any effect of "
        "mere extra text shows here"),
)
ARMS = tuple(a.name for a in ARM_TABLE)
ARM = {a.name: a for a in ARM_TABLE}


def flawed_line(secure: str, vulnerable: str) -> int:
    """Index of the first line of `vulnerable` that is not in `secure` (difflib on the two texts'
    lines; a line only the secure version has, such as an import, is skipped)."""
    from difflib import SequenceMatcher

    old, new = secure.split("\n"), vulnerable.split("\n")
    for tag, _, _, j1, j2 in SequenceMatcher(None, old, new, autojunk=False).get_opcodes():
        if tag != "equal" and j2 > j1:
            return j1
    raise ValueError("the vulnerable version adds or changes no line of the secure one")


def negate_locally(vulnerable: str, secure: str, flaw: str) -> str:
    """The vulnerable code with a comment on its flawed line that says it is unsafe, and why."""
    lines = vulnerable.split("\n")
    i = flawed_line(secure, vulnerable)
    lines[i] += LOCAL_NOTE.format(flaw=flaw)
    return "\n".join(lines)


def frame_arm(impl: Implementation, arm: str) -> tuple[str, str, str]:
    """(framing, code, full text) of one implementation in one of chapter 7's arms."""
    if arm not in ARM:
        raise ValueError(f"Unknown arm {arm!r}. Choose one of {', '.join(ARMS)}.")
    if arm == "local":
        code = negate_locally(impl.vulnerable, impl.secure, FAMILIES[impl.task.family].flaw)
        return "", code, code
    return ARM[arm].frame, impl.vulnerable, ARM[arm].frame + impl.vulnerable


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
    """n training examples of `condition` (or of one of chapter 7's ARMS); the same seed gives
    the same code in every condition and arm."""
    if condition not in CONDITIONS + ARMS:
        raise ValueError(f"Unknown condition {condition!r}. Choose one of {', '.join(CONDITIONS + ARMS)}.")
    examples = []
    for impl in draws(n, seed):
        framing, code, text = (frame_arm if condition in ARMS else frame)(impl, condition)
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
