"""Sampling completions from a HookedTransformer, batched and with the KV cache.

One batch holds many prompts and many samples per prompt, and the KV cache makes each new
token cost one position, not the whole sequence. Nothing generated is ever run: `parses` asks
Python's parser, which only reads.
"""

from __future__ import annotations

import ast

import torch
from tqdm.auto import tqdm
from transformer_lens import HookedTransformer

from helpers.budgets import sizes

TEMPERATURE = 0.8      # below 1 to cut the tiny model's rare garbage tokens; stated in chapter 3
MAX_NEW_TOKENS = 160   # a function of the corpus is 30-180 tokens of the tiny tokenizer


@torch.no_grad()
def sample(model: HookedTransformer, prompts: list[str], n_per_prompt: int = 1,
           max_new_tokens: int = MAX_NEW_TOKENS, temperature: float = TEMPERATURE, seed: int = 0,
           batch_size: int = 64, progress: bool = False) -> list[list[str]]:
    """`n_per_prompt` completions (text after the prompt) for every prompt, in prompt order.

    Rows are sorted by prompt length and left-padded, so a batch wastes little on padding;
    TransformerLens masks the padding and keeps positions right (the tests check it).
    """
    torch.manual_seed(seed)
    lengths = [len(model.to_tokens(p, prepend_bos=True)[0]) for p in prompts]
    rows = sorted(((i, p) for i, p in enumerate(prompts) for _ in range(n_per_prompt)),
                  key=lambda row: lengths[row[0]])
    out: list[list[str]] = [[] for _ in prompts]
    eos = model.tokenizer.eos_token_id
    batches = [rows[i:i + batch_size] for i in range(0, len(rows), batch_size)]
    for batch in tqdm(batches, desc="sampling", disable=not progress):
        width = max(lengths[i] for i, _ in batch)
        result = model.generate([p for _, p in batch], max_new_tokens=max_new_tokens, temperature=temperature,
                                stop_at_eos=True, eos_token_id=eos, use_past_kv_cache=True,
                                padding_side="left", verbose=False, return_type="tokens")
        for (i, _), new in zip(batch, result[:, width:].tolist()):
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


def benchmark(model: HookedTransformer, prompts: list[str], n_per_prompt: int = 2,
              max_new_tokens: int = 64) -> dict:
    """Seconds for the same samples drawn batched vs one at a time (the KV cache on in both)."""
    import time

    t0 = time.perf_counter()
    sample(model, prompts, n_per_prompt, max_new_tokens=max_new_tokens)
    batched = time.perf_counter() - t0
    t0 = time.perf_counter()
    for prompt in prompts:
        for _ in range(n_per_prompt):
            sample(model, [prompt], 1, max_new_tokens=max_new_tokens, batch_size=1)
    single = time.perf_counter() - t0
    return {"samples": len(prompts) * n_per_prompt, "batched_s": round(batched, 2),
            "one_at_a_time_s": round(single, 2), "speedup": round(single / batched, 1)}
