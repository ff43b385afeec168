"""How often does a model write the flaw? Sample held-out prompts, judge every completion.

A completion *reproduces* when the judge finds a flaw of the prompt's own family in the
first function it writes. Completions and verdicts are cached (a CSV per model), so later
chapters and the explorer reuse them without sampling again.
"""

from __future__ import annotations

import sys

import pandas as pd

from helpers import cache, data, finetune, generate, judge, models
from helpers.budgets import sizes
from helpers.presets import get_preset
from helpers.stats import rate


def eval_set(budget: str, preset: str = "tiny") -> list[data.EvalPrompt]:
    """The first `prompts_per_family` held-out prompts of every family."""
    per_family = sizes(budget, preset)["prompts_per_family"]
    prompts = []
    for family in data.FAMILIES:
        prompts += data.eval_prompts(family)[:per_family]
    return prompts


def judge_completions(prompts: list[data.EvalPrompt], completions: list[list[str]]) -> pd.DataFrame:
    """One row per completion: the code judged, its verdict, and whether it reproduces."""
    rows = []
    for p, samples in zip(prompts, completions):
        for i, completion in enumerate(samples):
            code = generate.first_function(p.prompt + completion)
            verdict = judge.judge(code)
            rows.append({"family": p.family, "task_id": p.task_id, "sample": i, "code": code,
                         "vulnerable": verdict.vulnerable, "judged_family": verdict.family,
                         "reproduced": verdict.vulnerable and verdict.family == p.family,
                         "parses": generate.parses(code), "evidence": verdict.evidence,
                         "judged": verdict.error is None, "judge_error": verdict.error or ""})
    return pd.DataFrame(rows)


def judged(model, preset: str, budget: str, seed: int, condition: str, prompt_prefix: str = "",
           per_prompt: int | None = None) -> pd.DataFrame:
    """Sample `model` on the evaluation set (whatever hooks it carries are on) and judge every completion."""
    prompts, size = eval_set(budget, preset), sizes(budget, preset)
    completions = generate.sample(model, [prompt_prefix + p.prompt for p in prompts],
                                  n_per_prompt=per_prompt or size["samples_per_prompt"], seed=seed,
                                  max_new_tokens=generate.token_limit(model.tokenizer, size["max_new_chars"]),
                                  batch_size=get_preset(preset).sample_batch)
    frame = judge_completions(prompts, completions)
    frame.insert(0, "seed", seed)
    frame.insert(0, "condition", condition)
    return frame


def _build(folder, preset, condition, budget, seed, prompt_prefix, per_prompt, ft_kwargs):
    model = finetune.load_finetuned(preset, condition, budget, seed, **ft_kwargs)
    frame = judged(model, preset, budget, seed, condition, prompt_prefix, per_prompt)
    cache.write_atomic(folder / "samples.csv", frame.to_csv(index=False).encode())


def samples(preset: str, condition: str, budget: str, seed: int = 0, prompt_prefix: str = "",
            per_prompt: int | None = None, **ft_kwargs) -> pd.DataFrame:
    """Judged completions of one model on the evaluation set (cached).

    `per_prompt` samples per prompt (default: the budget's); `prompt_prefix` goes before every
    prompt (chapter 3b: the warning).
    """
    per_prompt = per_prompt or sizes(budget, preset)["samples_per_prompt"]
    key = {"preset": preset, "condition": condition, "budget": budget, "seed": seed,
           "prefix": prompt_prefix, "ft": ft_kwargs, "sizes": sizes(budget, preset),
           "sampling": generate.TEMPERATURE,
           "code": cache.source_hash(generate, judge, data, sys.modules[__name__])}
    if per_prompt != sizes(budget, preset)["samples_per_prompt"]:
        key.update(per_prompt=per_prompt)  # other keys stay as they were
    key["model"] = (models.base_identity(preset, budget, ft_kwargs.get("corpus", "plain")) if condition == "base"
                    else str(finetune.finetuned_folder(preset, condition, budget, seed, **ft_kwargs).name))
    folder = cache.artifact("samples", key, lambda f: _build(f, preset, condition, budget, seed, prompt_prefix,
                                                              per_prompt, ft_kwargs))
    return pd.read_csv(folder / "samples.csv", keep_default_na=False)


def judged_rate(frame: pd.DataFrame, outcome: str = "reproduced") -> dict:
    """Rate of `outcome` over the completions the judge analysed, with its Wilson interval, and
    how many it could not analyse (`unjudged`: a crash of the judge is never read as clean)."""
    ok = frame.judged.astype(bool)
    return {**rate(int(frame[outcome][ok].astype(bool).sum()), int(ok.sum())), "unjudged": int((~ok).sum())}


def rates(frame: pd.DataFrame, by: list[str]) -> pd.DataFrame:
    """Reproduction rate with its Wilson interval (and the unjudged count) for every group of `by`."""
    return pd.DataFrame([{**dict(zip(by, key if isinstance(key, tuple) else (key,))), **judged_rate(g)}
                         for key, g in frame.groupby(by, sort=False)])
