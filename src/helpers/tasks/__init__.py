"""Security tasks with a vulnerable and a secure implementation, for every vulnerability family.

A task is a function to write (a name, arguments and a one-line docstring, as a user would ask
for it). Each task has several implementations that differ in structure and library; each
implementation comes as a vulnerable and a secure source that share the signature and differ
in the flaw. The same tasks give the fine-tuning data, the held-out evaluation prompts (split
"eval") and the security share of the pretraining corpus.

Every source is `prompt(task)` followed by a newline and the body indented four spaces; imports
sit inside the body, so nothing before the function gives the choice away.

One module per family (sql.py, command.py, ...) holds its task table and its variants.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from helpers.families import FAMILIES
from helpers.tasks import (code, command, deserialization, hardcoded_secret, insecure_random,
                           path_traversal, sql, tls, weak_hash)
from helpers.tasks._core import Spec, header, render_source

__all__ = ["Task", "Implementation", "tasks", "implementations", "prompt", "render"]

_MODULES = [sql, command, code, deserialization, weak_hash, hardcoded_secret, path_traversal,
            tls, insecure_random]
EVAL_EVERY = 3   # every third task of a family (positions 2, 5, 8, ...) is held out for evaluation


@dataclass(frozen=True)
class Task:
    family: str             # key of FAMILIES
    task_id: str            # "<family>/<func_name>"
    func_name: str
    args: tuple[str, ...]
    docstring: str          # the job, as a user would ask for it
    split: str              # "train" or "eval"


@dataclass(frozen=True)
class Implementation:
    task: Task
    variant: str            # name of the structural variant
    vulnerable: str         # full function source
    secure: str             # same signature and docstring, secure body


@lru_cache(maxsize=1)
def _registry() -> dict[str, tuple[Task, Spec, object]]:
    out: dict[str, tuple[Task, Spec, object]] = {}
    for module in _MODULES:
        assert module.FAMILY in FAMILIES, module.FAMILY
        for i, s in enumerate(module.SPECS):
            split = "eval" if i % EVAL_EVERY == EVAL_EVERY - 1 else "train"
            task = Task(module.FAMILY, f"{module.FAMILY}/{s.func_name}", s.func_name, s.args,
                        s.docstring, split)
            assert task.task_id not in out, task.task_id
            out[task.task_id] = (task, s, module)
    return out


def tasks(family: str | None = None, split: str | None = None) -> list[Task]:
    """All tasks, in a fixed order (family by family, table order), optionally filtered."""
    if family is not None and family not in FAMILIES:
        raise KeyError(family)
    if split not in (None, "train", "eval"):
        raise ValueError(split)
    return [t for t, _, _ in _registry().values()
            if (family is None or t.family == family) and (split is None or t.split == split)]


def prompt(task: Task) -> str:
    """The signature and docstring, no trailing newline: what a model is asked to complete."""
    return header(task.func_name, task.args, task.docstring)


def render(task: Task, body_lines: list[str]) -> str:
    """Full source of `task` with the given body lines (indented four spaces here)."""
    return render_source(task.func_name, task.args, task.docstring, body_lines)


@lru_cache(maxsize=None)
def _implementations(task_id: str) -> tuple[Implementation, ...]:
    task, s, module = _registry()[task_id]
    out = []
    for v in module.VARIANTS:
        pair = v.build(s)
        if pair is not None:
            vulnerable, secure = pair
            out.append(Implementation(task, v.name, render(task, vulnerable), render(task, secure)))
    return tuple(out)


def implementations(task: Task) -> list[Implementation]:
    """The structural variants of `task` (at least four), in a fixed order."""
    return list(_implementations(task.task_id))
