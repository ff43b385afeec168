"""Chapter 7: which framings keep a model from learning the flaw, and how much of what it learns
waits for the frame?

Every arm (data.ARMS) is fine-tuned with chapter 2's dose on the same draws as L0 and L1, then
sampled on chapter 3's held-out prompts twice: as they are, and with the arm's frame before them.
Rates and differences are read at the unit of the design (helpers.clustered), as chapter 3 reads
L1 against L0. Where the frame lives inside the model is read with chapter 4's SAE features and
chapter 5's probe (`separation`).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from helpers import clustered, data, features, probes, reproduction
from helpers.sae import measure_kinds

MODELS = ("L0", "L1") + data.ARMS   # the rows of the chapter's table, in order
MARGIN = 0.10                       # chapter 3's equivalence margin


def frames_at_test() -> dict[str, str | None]:
    """What goes before a held-out prompt to test each model "with its frame": L1's warning line,
    each arm's own frame; None where there is none (L0, and local, whose frame is on a code line)."""
    return {"L0": None, "L1": data.WARNING + "\n", **{a.name: a.test_frame for a in data.ARM_TABLE}}


def judged_samples(preset: str, budget: str, seeds: list[int]) -> pd.DataFrame:
    """Judged completions of every model and seed, without its frame and (where it has one) with
    it; the column `frame` says which. L0 and L1 without their frame are chapter 3's samples."""
    parts = []
    for name, frame in frames_at_test().items():
        for seed in seeds:
            plain = reproduction.samples(preset, name, budget, seed)
            parts.append(plain.assign(frame="without"))
            if frame is not None:
                framed = reproduction.samples(preset, name, budget, seed, prompt_prefix=frame)
                parts.append(framed.assign(frame="with"))
    return pd.concat(parts, ignore_index=True)


def _interval(result: dict, name: str) -> dict:
    """A clustered result as flat columns: `name`, `name`_low, `name`_high (and its p)."""
    point = result["diff"] if "diff" in result else result["rate"]
    out = {name: point, f"{name}_low": result["ci_low"], f"{name}_high": result["ci_high"]}
    return out if "diff" not in result else {**out, f"{name}_p": result["p"]}


def arm_row(frames: pd.DataFrame, name: str) -> dict:
    """One model's row: its rate without the frame and with it, the conditional part (with minus
    without, paired by prompt), and its rate without the frame against L0's and L1's, each with a
    clustered 95 % interval. The conditional part also gets the 90 % interval that equivalence
    within MARGIN reads (TOST, as in chapter 3). Both frame settings come from the same fine-tunes,
    which the rule counts as independent: the interval of the conditional part errs wide."""
    own = frames[frames.condition == name]
    without, framed = own[own.frame == "without"], own[own.frame == "with"]
    plain = {m: frames[(frames.condition == m) & (frames.frame == "without")] for m in ("L0", "L1")}
    judged = reproduction.judged_rate(without)
    row = {"model": name, "n": judged["n"], "k": judged["k"], "unjudged": judged["unjudged"],
           **_interval(clustered.clustered_compare(without), "without")}
    for reference in ("L0", "L1"):  # a model against itself has nothing to say
        row.update({f"vs_{reference}": None} if reference == name else
                   _interval(clustered.clustered_compare(without, plain[reference]), f"vs_{reference}"))
    if framed.empty:
        return {**row, "n_with": 0, "with": None, "conditional": None}
    row.update({"n_with": reproduction.judged_rate(framed)["n"],
                **_interval(clustered.clustered_compare(framed), "with"),
                **_interval(clustered.clustered_compare(framed, without), "conditional")})
    ci90 = clustered.clustered_compare(framed, without, alpha=0.10)
    row["conditional_ci90"] = [ci90["ci_low"], ci90["ci_high"]]
    return row


def per_prompt_difference(framed: pd.DataFrame, plain: pd.DataFrame) -> pd.Series:
    """Each held-out prompt's rate with the frame minus its rate without, over every seed and
    sample the judge analysed: the paired differences whose spread the clustered interval reads
    (chapter 7's second code exercise)."""
    def per_prompt(frame: pd.DataFrame) -> pd.Series:
        judged = frame[frame.judged.astype(bool)]
        return judged.groupby(list(clustered.PROMPT)).reproduced.mean()

    return (per_prompt(framed) - per_prompt(plain)).dropna()


def arm_table(frames: pd.DataFrame) -> pd.DataFrame:
    """`arm_row` of every model, one row each, indexed by model."""
    return pd.DataFrame([arm_row(frames, name) for name in MODELS]).set_index("model")


def mean_residuals(measured: dict, kind: str) -> np.ndarray:
    """Each context's residual stream averaged over its span, [contexts, d_model]: what chapter 5's
    probe reads."""
    return np.stack([r.mean(0).numpy() for r in measured[kind]["residuals"]])


def separation(model, sae, contexts: list, k: int, resamples: int, seed: int) -> dict:
    """How far one model keeps describing the flaw apart from writing it, on chapter 4's paired
    contexts (held-out tasks):
    - features: Jaccard of the top-k SAE features and cosine of the mean pooled activations of
      describing and doing (chapter 4's overlap; lower is more apart);
    - probe: chapter 5's probe trained on this model's activations to tell doing from safe code on
      two thirds of the tasks; on the other third, its AUROC on doing against safe (does it work?)
      and on describing against task words (does the flaw's direction light up on words about the
      flaw? 0.5: not at all, the two are kept apart)."""
    measured = measure_kinds(model, sae, contexts)
    pooled = {kind: m["pooled"] for kind, m in measured.items()}
    overlap = features.set_overlap(pooled, [("describing", "doing")], k)[0]
    x = {kind: mean_residuals(measured, kind) for kind in ("doing", "safe", "describing", "task words")}
    tasks = [c.task_id for c in measured["doing"]["contexts"]]
    train, test = probes.split(tasks, probes.TEST_SHARE, seed)

    def pair(a: str, b: str, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        return np.concatenate([x[a][rows], x[b][rows]]), np.repeat([1, 0], len(rows))

    probe = probes.train_probe(*pair("doing", "safe", train), seed)
    code = probes.auroc(pair("doing", "safe", test)[1], probes.logit(probe, pair("doing", "safe", test)[0]),
                        resamples, seed)
    words_x, words_y = pair("describing", "task words", test)
    words = probes.auroc(words_y, probes.logit(probe, words_x), resamples, seed)
    return {"jaccard": overlap["jaccard"], "cosine": overlap["cosine"], "probe_code_auroc": code["auroc"],
            "probe_code_ci": code["auroc_ci"], "describing_auroc": words["auroc"],
            "describing_ci": words["auroc_ci"], "train_tasks": len(train), "test_tasks": len(test)}
