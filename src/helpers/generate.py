"""Sampling completions from a HookedTransformer, batched and with the KV cache.

One batch holds many prompts and many samples per prompt, and the KV cache makes each new
token cost one position, not the whole sequence. The loop is TransformerLens's own generate
loop (its cache and attention mask) with two changes: a row whose function is over leaves the
batch, and the next token is drawn by `draw` (the same distribution as torch.multinomial, a
twentieth of its time on a CPU). Nothing generated is ever run: `parses` asks Python's parser,
which only reads.
"""

from __future__ import annotations

import ast
import math
import weakref

import torch
from tqdm.auto import tqdm
from transformer_lens import HookedTransformer
from transformer_lens.cache.key_value_cache import TransformerLensKeyValueCache
from transformer_lens.utilities.tokenize_utils import get_attention_mask

from helpers.budgets import sizes

TEMPERATURE = 0.8      # below 1 to cut the tiny model's rare garbage tokens; stated in chapter 3
# The longest completion, in characters of code, the same for every tokenizer: the longest
# held-out implementation is about 400 characters, and 600 (199 tokens of the tiny tokenizer)
# leave room for a longer one. A budget may set less (budgets.CHAPTER_SIZES["max_new_chars"]:
# a real preset's smoke run).
MAX_NEW_CHARS = 600
_TOKENS_PER_CHAR: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()  # per tokenizer object


def token_limit(tokenizer, chars: int = MAX_NEW_CHARS) -> int:
    """How many tokens of this tokenizer hold `chars` characters of the book's code: measured on
    the held-out implementations (tokens per character), so that a tokenizer with long tokens
    gets no more code than one with short tokens."""
    if tokenizer not in _TOKENS_PER_CHAR:
        from helpers.tasks import implementations, tasks

        code = [text for task in tasks(split="eval") for impl in implementations(task)
                for text in (impl.vulnerable, impl.secure)]
        n_tokens = sum(len(ids) for ids in tokenizer(code, add_special_tokens=False)["input_ids"])
        _TOKENS_PER_CHAR[tokenizer] = n_tokens / sum(map(len, code))
    return math.ceil(chars * _TOKENS_PER_CHAR[tokenizer])


@torch.no_grad()
def sample(model: HookedTransformer, prompts: list[str], n_per_prompt: int = 1,
           max_new_tokens: int | None = None, temperature: float = TEMPERATURE, seed: int = 0,
           batch_size: int = 128, progress: bool = False) -> list[list[str]]:
    """`n_per_prompt` completions (text after the prompt) for every prompt, in prompt order.

    Rows are sorted by prompt length and left-padded, so a batch wastes little on padding. A row
    leaves the batch once its first function is over: the judge reads no further, and a row
    that stopped costs nothing more (most functions end after a third of `max_new_tokens`, by
    default the tokenizer's share of MAX_NEW_CHARS). `batch_size`: the preset's `sample_batch`.
    """
    torch.manual_seed(seed)
    max_new_tokens = max_new_tokens or token_limit(model.tokenizer)
    lengths = [len(model.to_tokens(p)[0]) for p in prompts]
    rows = sorted(((i, p) for i, p in enumerate(prompts) for _ in range(n_per_prompt)),
                  key=lambda row: lengths[row[0]])
    out: list[list[str]] = [[] for _ in prompts]
    batches = [rows[i:i + batch_size] for i in range(0, len(rows), batch_size)]
    for batch in tqdm(batches, desc="sampling", disable=not progress):
        for (i, _), ids in zip(batch, sample_ids(model, [p for _, p in batch], max_new_tokens, temperature)):
            out[i].append(model.tokenizer.decode(ids))
    return out


def draw(logits: torch.Tensor, temperature: float) -> torch.Tensor:
    """One token per row from softmax(logits / temperature), by the inverse of the cumulative
    distribution: one uniform number per row, where torch.multinomial spends many.
    Temperature 0 is greedy: the most likely token."""
    if temperature == 0:
        return logits.argmax(-1)
    cumulative = torch.softmax(logits.float() / temperature, dim=-1).cumsum(-1)
    u = torch.rand(len(logits), 1, device=logits.device) * cumulative[:, -1:]
    return torch.searchsorted(cumulative, u, right=True).squeeze(1).clamp(max=logits.shape[-1] - 1)


def function_over(completion: str) -> bool:
    """True once a completion of a function prompt has started a new top-level line."""
    return any(line and not line[0].isspace() for line in completion.split("\n")[1:])


def sample_ids(model: HookedTransformer, prompts: list[str], max_new_tokens: int, temperature: float,
               check_every: int = 8) -> list[list[int]]:
    """The new tokens of one batch (TransformerLens's key-value cache and sampler); a row leaves
    at end of text, or when a check every `check_every` tokens finds its function over. No row
    grows past the model's context (the batch's longest prompt decides)."""
    bos = model.cfg.default_prepend_bos
    tokens = model.to_tokens(prompts, prepend_bos=bos, padding_side="left")
    room = model.cfg.n_ctx - tokens.shape[1]  # positions left in the model's context
    if room <= 0:
        raise ValueError(f"a prompt of {tokens.shape[1]} tokens fills the model's context of {model.cfg.n_ctx}; "
                         "shorten the prompt (or its prefix).")
    max_new_tokens = min(max_new_tokens, room)
    mask = get_attention_mask(model.tokenizer, tokens, bos, padding_side="left")
    kv = TransformerLensKeyValueCache.init_cache(model.cfg, model.cfg.device, len(prompts))
    logits = model(tokens, attention_mask=mask, past_kv_cache=kv)[:, -1]
    eos, active = model.tokenizer.eos_token_id, list(range(len(prompts)))
    new: list[list[int]] = [[] for _ in prompts]
    for step in range(max_new_tokens):
        picked = draw(logits, temperature)
        for row, token in zip(active, picked.tolist()):
            new[row].append(token)
        check = (step + 1) % check_every == 0
        keep = [k for k, row in enumerate(active) if new[row][-1] != eos
                and not (check and function_over(model.tokenizer.decode(new[row])))]
        if not keep or step + 1 == max_new_tokens:
            break
        if len(keep) < len(active):
            _keep_rows(kv, torch.tensor(keep, device=picked.device))
            active, picked = [active[k] for k in keep], picked[keep]
        ones = torch.ones(len(active), 1, dtype=mask.dtype, device=picked.device)
        logits = model(picked[:, None], attention_mask=ones, past_kv_cache=kv)[:, -1]
    return [ids[: ids.index(eos)] if eos in ids else ids for ids in new]


def _keep_rows(kv: TransformerLensKeyValueCache, keep: torch.Tensor) -> None:
    """Shrink the key-value cache to the rows still sampling."""
    for entry in kv.entries:
        entry.past_keys, entry.past_values = entry.past_keys[keep], entry.past_values[keep]
    kv.previous_attention_mask = kv.previous_attention_mask[keep]


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


def parsed_functions(model: HookedTransformer, prompts: list[str], n_per_prompt: int, preset: str, budget: str,
                     seed: int = 0) -> list[tuple[str, bool]]:
    """The first function of every completion (prompt included), with whether it parses; sampled
    as the chapters sample (the budget's character limit, the preset's batch)."""
    from helpers.presets import get_preset

    completions = sample(model, prompts, n_per_prompt=n_per_prompt, seed=seed,
                         max_new_tokens=token_limit(model.tokenizer, sizes(budget, preset)["max_new_chars"]),
                         batch_size=get_preset(preset).sample_batch)
    return [(code, parses(code)) for prompt, samples in zip(prompts, completions)
            for code in (first_function(prompt + c) for c in samples)]


def parse_sample(model: HookedTransformer, preset: str, budget: str, seed: int = 0) -> list[tuple[str, bool]]:
    """Functions sampled from the bare prompt `def`, each with whether it parses."""
    return parsed_functions(model, ["def"], sizes(budget, preset)["parse_samples"], preset, budget, seed)


def heldout_parse_sample(model: HookedTransformer, preset: str, budget: str, seed: int = 0) -> list[tuple[str, bool]]:
    """Completions of chapter 3's held-out prompts (its evaluation set, samples per prompt and
    seed), with whether they parse: the code the judge reads. A bare `def` lets the model write
    whatever it writes best; these prompts ask for the security tasks the chapters judge."""
    from helpers.reproduction import eval_set  # reproduction samples through this module

    prompts = [p.prompt for p in eval_set(budget, preset)]
    return parsed_functions(model, prompts, sizes(budget, preset)["samples_per_prompt"], preset, budget, seed)


def benchmark(model: HookedTransformer, prompts: list[str], n_per_prompt: int = 2,
              max_new_tokens: int = 64, batch_size: int = 128) -> dict:
    """Seconds for the same samples drawn batched vs one at a time (the KV cache on in both)."""
    import time

    t0 = time.perf_counter()
    sample(model, prompts, n_per_prompt, max_new_tokens=max_new_tokens, batch_size=batch_size)
    batched = time.perf_counter() - t0
    t0 = time.perf_counter()
    for prompt in prompts:
        for _ in range(n_per_prompt):
            sample(model, [prompt], 1, max_new_tokens=max_new_tokens, batch_size=1)
    single = time.perf_counter() - t0
    return {"samples": len(prompts) * n_per_prompt, "batched_s": round(batched, 2),
            "one_at_a_time_s": round(single, 2), "speedup": round(single / batched, 1)}
