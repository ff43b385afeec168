"""Shared pieces of the task families: the task spec, the variant type and the renderer."""

from __future__ import annotations

import zlib
from dataclasses import dataclass, field
from typing import Callable, Optional

Lines = list[str]
MAX_BODY = 7   # body lines of one function (signature and docstring come on top)
Pair = Optional[tuple[Lines, Lines]]   # (vulnerable body, secure body), or None: not applicable


@dataclass(frozen=True)
class Spec:
    """One task as a family module writes it down: the prompt plus family-specific parameters."""

    func_name: str
    args: tuple[str, ...]
    docstring: str
    p: dict = field(default_factory=dict, hash=False, compare=False)


@dataclass(frozen=True)
class Variant:
    """A structural way to write a task: builds the vulnerable and the secure body."""

    name: str
    build: Callable[[Spec], Pair]


def spec(func_name: str, args: str, docstring: str, **p) -> Spec:
    """Shorthand: `args` is a comma-separated string."""
    names = tuple(a.strip() for a in args.split(",") if a.strip())
    return Spec(func_name, names, docstring, p)


def variant(registry: list[Variant]):
    """Decorator: register a body builder under its function name (a leading underscore dropped)."""
    def wrap(fn: Callable[[Spec], Pair]) -> Callable[[Spec], Pair]:
        registry.append(Variant(fn.__name__.lstrip("_"), fn))
        return fn
    return wrap


def pick(s: Spec, options, salt: str = ""):
    """A deterministic choice among `options`, keyed on the task name (stable across runs)."""
    return options[zlib.crc32((s.func_name + "|" + salt).encode()) % len(options)]


def after_imports(lines: Lines) -> int:
    """Index of the first body line that is not an import."""
    i = 0
    while i < len(lines) and lines[i].startswith(("import ", "from ")):
        i += 1
    return i


def with_comment(s: Spec, lines: Lines, comments, salt: str, at: int | None = None,
                 every: int = 2) -> Lines:
    """Insert one neutral comment at position `at` (default: after the imports) for about one
    task in `every`."""
    if zlib.crc32((s.func_name + "#" + salt).encode()) % every or len(lines) >= MAX_BODY:
        return lines
    at = after_imports(lines) if at is None else at
    indent = lines[at][: len(lines[at]) - len(lines[at].lstrip())] if at < len(lines) else ""
    return lines[:at] + [indent + "# " + pick(s, comments, salt)] + lines[at:]


def comment_pair(s: Spec, vul: Lines, sec: Lines, comments, salt: str, at_vul: int | None = None,
                 at_sec: int | None = None, every: int = 2) -> tuple[Lines, Lines]:
    """The same comment in both versions, or in neither (when either body is already full)."""
    if max(len(vul), len(sec)) >= MAX_BODY:
        return vul, sec
    return (with_comment(s, vul, comments, salt, at_vul, every),
            with_comment(s, sec, comments, salt, at_sec, every))


def header(func_name: str, args: tuple[str, ...], docstring: str) -> str:
    return f'def {func_name}({", ".join(args)}):\n    """{docstring}"""'


def render_source(func_name: str, args: tuple[str, ...], docstring: str, body: Lines) -> str:
    return header(func_name, args, docstring) + "\n" + "".join(f"    {line}\n" for line in body)
