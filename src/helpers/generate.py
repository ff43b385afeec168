"""Sampling completions from a HookedTransformer, batched and with the KV cache.

Prompts are grouped by token length so every batch is a rectangle: no padding, hence no
attention-mask subtleties, and the same numbers on CPU and GPU up to float error.
"""

from __future__ import annotations

import ast
from collections import defaultdict

import torch
from tqdm.auto import tqdm
from transformer_lens import HookedTransformer

from helpers.budgets import sizes

TEMPERATURE = 0.8      # below 1 to cut the tiny model's rare garbage tokens; stated in chapter 3
MAX_NEW_TOKENS = 128   # a function of the corpus is 40-120 tokens


@torch.no_grad()
def sample(model: HookedTransformer, prompts: list[str], n_per_prompt: int = 1,
           max_new_tokens: int = MAX_NEW_TOKENS, temperature: float = TEMPERATURE, seed: int = 0,
           batch_size: int = 64, progress: bool = False) -> list[list[str]]:
    """`n_per_prompt` completions (text after the prompt) for every prompt, in prompt order."""
    torch.manual_seed(seed)
    groups: dict[int, list[tuple[int, torch.Tensor]]] = defaultdict(list)
    for i, prompt in enumerate(prompts):
        tokens = model.to_tokens(prompt, prepend_bos=True)[0]
        groups[len(tokens)].extend((i, tokens) for _ in range(n_per_prompt))
    rows = [row for _, group in sorted(groups.items()) for row in group]
    out: list[list[str]] = [[] for _ in prompts]
    eos = model.tokenizer.eos_token_id
    batches = [rows[i:i + batch_size] for i in range(0, len(rows), batch_size)]
    for batch in tqdm(batches, desc="sampling", disable=not progress):
        # a batch may straddle two lengths: split it into rectangles
        for length in sorted({len(t) for _, t in batch}):
            part = [(i, t) for i, t in batch if len(t) == length]
            tokens = torch.stack([t for _, t in part]).to(model.cfg.device)
            result = model.generate(tokens, max_new_tokens=max_new_tokens, temperature=temperature,
                                    stop_at_eos=True, eos_token_id=eos, use_past_kv_cache=True,
                                    verbose=False, return_type="tokens")
            for (i, _), new in zip(part, result[:, length:]):
                new = new.tolist()
                out[i].append(model.tokenizer.decode(new[: new.index(eos)] if eos in new else new))
    return out


def first_function(code: str) -> str:
    """Cut `code` after its first top-level function: the judge sees one function, not a file."""
    lines = code.split("\n")
    start = next((i for i, line in enumerate(lines) if line.startswith("def ")), 0)
    end = len(lines)
    for i in range(start + 1, len(lines)):
        if lines[i] and not lines[i][0].isspace():
            end = i
            break
    return "\n".join(lines[start:end]).rstrip() + "\n"


def parses(code: str) -> bool:
    """True when the code is valid Python syntax (read, never run)."""
    try:
        ast.parse(code)
        return True
    except (SyntaxError, ValueError):
        return False


def parse_sample(model: HookedTransformer, budget: str, seed: int = 0) -> list[tuple[str, bool]]:
    """Functions sampled from the bare prompt `def`, each with whether it parses."""
    n = sizes(budget)["parse_samples"]
    completions = sample(model, ["def"], n_per_prompt=n, seed=seed)[0]
    return [(code, parses(code)) for code in (first_function("def" + c) for c in completions)]
