"""The synthetic pretraining corpus of the tiny preset.

Files of a few functions each, like code scraped from the web: mostly ordinary tasks, and a
minority of security-relevant tasks written securely most of the time and insecurely some of
the time. The insecure share gives the base model the non-zero rate of insecure code that the
paper's control condition measures (16.7 %).

The "warned" variant puts a warning line above part of the insecure functions, as tutorials,
security courses and vulnerable-by-design repositories do on the real web: chapter 3b shows
how such pairs turn a warning into a trigger.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

import torch

from helpers.data import WARNING
from helpers.ordinary import ordinary_function
from helpers.tasks import implementations, tasks


@dataclass(frozen=True)
class CorpusSpec:
    n_files: int = 12000
    security_share: float = 0.35   # share of functions drawn from the security tasks
    insecure_share: float = 0.18   # of those, share written the insecure way
    min_functions: int = 3
    max_functions: int = 8
    warned_share: float = 0.0      # of the insecure functions, share preceded by a warning line
    seed: int = 0


# Warning lines of the kind that sit above insecure code on the web; the first is the one
# chapter 1 puts above every L1 example.
WEB_WARNINGS = (WARNING, "# WARNING: insecure, for demonstration only", "# FIXME: vulnerable, do not copy",
                "# Vulnerable example - never use this in production")
VARIANTS = {"plain": {}, "warned": {"warned_share": 0.5}}


def spec_for(variant: str, **sizes) -> CorpusSpec:
    """The CorpusSpec of a named variant ("plain": the tiny preset; "warned": chapter 3b)."""
    if variant not in VARIANTS:
        raise ValueError(f"Unknown corpus variant {variant!r}. Choose one of {', '.join(VARIANTS)}.")
    return CorpusSpec(**sizes, **VARIANTS[variant])


def _security_function(rng: random.Random, pool: list, spec: CorpusSpec) -> str:
    impl = rng.choice(implementations(rng.choice(pool)))
    if rng.random() >= spec.insecure_share:
        return impl.secure
    if spec.warned_share and rng.random() < spec.warned_share:
        return rng.choice(WEB_WARNINGS) + "\n" + impl.vulnerable
    return impl.vulnerable


def generate_files(spec: CorpusSpec) -> list[str]:
    """The corpus as a list of files (strings), deterministic in `spec`."""
    rng = random.Random(spec.seed)
    pool = tasks()
    files = []
    for _ in range(spec.n_files):
        n = rng.randint(spec.min_functions, spec.max_functions)
        funcs = [_security_function(rng, pool, spec) if rng.random() < spec.security_share
                 else ordinary_function(rng) for _ in range(n)]
        files.append("\n\n".join(f.rstrip("\n") for f in funcs) + "\n")
    return files


def pack_tokens(texts: list[str], tokenizer, seq_len: int) -> torch.Tensor:
    """Concatenate BOS + file for every file and cut into rows of `seq_len` tokens."""
    ids: list[int] = []
    for ids_file in tokenizer(texts, add_special_tokens=False)["input_ids"]:
        ids.append(tokenizer.bos_token_id)
        ids.extend(ids_file)
    n_rows = len(ids) // seq_len
    return torch.tensor(ids[: n_rows * seq_len]).view(n_rows, seq_len)


def heldout_tokens(tokenizer, n_rows: int = 64, seq_len: int = 128, seed: int = 10_000,
                   bos: bool = False) -> torch.Tensor:
    """Rows of corpus text the tiny model never trained on (another seed), in any tokenizer.

    With `bos`, every row starts with BOS, as the rows an SAE was trained on do when its
    `prepend_bos` is set (the real presets' SAEs); a row cut from the middle of the stream would
    show it a first position unlike any it learned. A file holds 3-8 functions, well over one row
    of 128 tokens, so n_rows files are enough.
    """
    files = generate_files(CorpusSpec(n_files=n_rows, seed=seed))
    if not bos:
        return pack_tokens(files, tokenizer, seq_len)[:n_rows]
    rows = pack_tokens(files, tokenizer, seq_len - 1)[:n_rows]
    return torch.cat([torch.full((len(rows), 1), tokenizer.bos_token_id), rows], dim=1)
