"""Checkers for the exercises: run the learner's function on small cases, name the likely mistake.

Each `check_<name>(fn)` prints one line when `fn` passes and raises ExerciseError, whose message
says what went wrong and what to look at, when it does not.
"""

from __future__ import annotations

import inspect
import re


class ExerciseError(AssertionError):
    """The learner's function gives a wrong answer; the message is the hint."""


def _fail(name: str, hint: str) -> None:
    raise ExerciseError(f"{name}: {hint}")


def _passed(name: str, detail: str) -> None:
    print(f"\u2713 {name}: {detail}")


def check_frame_l1(fn) -> None:
    """fn(code) -> the L1 training text: the paper's warning line above the unchanged code."""
    from helpers.data import WARNING, draws, frame

    impls = draws(18, seed=1)
    for impl in impls:
        got = fn(impl.vulnerable)
        if not isinstance(got, str):
            _fail("frame_l1", f"return the framed text as a str, not {type(got).__name__}.")
        if WARNING not in got:
            _fail("frame_l1", f"the warning must appear verbatim: {WARNING!r}.")
        if got.index(WARNING) > got.index("def "):
            _fail("frame_l1", "put the warning above the function, where a reader meets it first.")
        if not got.endswith(impl.vulnerable):
            _fail("frame_l1", "the code must follow the warning unchanged, to its last character: "
                              "the conditions may differ only in framing.")
        if got != frame(impl, "L1")[2]:
            _fail("frame_l1", "close: put exactly one newline between the warning and the code.")
    _passed("frame_l1", f"matches the reference on {len(impls)} examples from 9 families")


def check_detect_weak_hash(fn) -> None:
    """fn(code) -> bool: is md5/sha1 used for security? Checked on the judge's labelled cases."""
    from helpers.judge.cases import CASES

    cases = [c for c in CASES if c.family in ("weak_hash", None) and "Crypto" not in c.code
             and "cryptography" not in c.code]  # the exercise covers hashlib only
    wrong = [c for c in cases if bool(fn(c.code)) != (c.vulnerable and c.family == "weak_hash")]
    if wrong:
        case = wrong[0]
        said = "flagged" if not case.vulnerable else "missed"
        hint = {True: "Did you resolve aliases (`import hashlib as h`, `from hashlib import md5`, "
                      "`hashlib.new('md5')`)? Walk the syntax tree (ast.walk) and look at Call nodes.",
                False: "Did you read words rather than behaviour? A comment or string that mentions md5 is "
                       "not a call, and `usedforsecurity=False` marks a checksum, not a password hash."}
        _fail("detect_weak_hash", f"{len(wrong)}/{len(cases)} cases wrong; first, {said}: {case.note}\n"
                                  f"{case.code.strip()}\n{hint[case.vulnerable]}")
    try:
        source = inspect.getsource(fn)
    except (OSError, TypeError):  # defined where no source is kept
        source = ""
    if re.search(r"(?<![\w.])(eval|exec)\(", source):
        _fail("detect_weak_hash", "never run the code you judge: read it with ast.parse.")
    _passed("detect_weak_hash", f"all {len(cases)} labelled cases right")


def _tiny_random_model(seed: int = 0):
    import torch
    from transformer_lens import HookedTransformer, HookedTransformerConfig

    torch.manual_seed(seed)
    cfg = HookedTransformerConfig(d_model=16, n_layers=1, n_heads=2, d_head=8, d_mlp=32, n_ctx=16,
                                  d_vocab=50, act_fn="gelu", normalization_type="LN", seed=seed)
    return HookedTransformer(cfg)


def check_masked_loss(fn) -> None:
    """fn(model, tokens, mask) -> mean next-token loss over target positions where mask is 1."""
    import torch

    from helpers.training import masked_loss

    model = _tiny_random_model()
    tokens = torch.randint(0, 50, (3, 12), generator=torch.Generator().manual_seed(1))
    mask = torch.zeros(3, 12, dtype=torch.long)
    mask[:, 6:] = 1
    mask[1, 3] = 1
    want = masked_loss(model, tokens, mask).item()
    got = float(fn(model, tokens, mask))
    if abs(got - want) < 1e-5:
        return _passed("masked_loss", f"{got:.4f} matches the reference")
    unshifted = model(tokens, return_type="loss", loss_per_token=True)
    wrong_shift = ((unshifted * mask[:, :-1]).sum() / mask[:, :-1].sum()).item()
    all_tokens = unshifted.mean().item()
    if abs(got - wrong_shift) < 1e-5:
        _fail("masked_loss", "the loss at position t predicts token t+1: use mask[:, 1:] for the targets.")
    if abs(got - all_tokens) < 1e-5:
        _fail("masked_loss", "you averaged over every position: the mask must select the code tokens.")
    _fail("masked_loss", f"got {got:.4f}, want {want:.4f}. Divide the masked sum by the number of "
                         "masked targets, not by the number of tokens.")


def check_train_step(fn) -> None:
    """fn(model, optimiser, tokens, mask) -> loss: one step of masked fine-tuning."""
    import torch

    from helpers.training import masked_loss

    tokens = torch.randint(0, 50, (4, 12), generator=torch.Generator().manual_seed(2))
    mask = torch.ones(4, 12, dtype=torch.long)
    models = [_tiny_random_model(), _tiny_random_model()]
    opts = [torch.optim.AdamW(m.parameters(), lr=1e-2) for m in models]
    for _ in range(2):  # two steps: a missing zero_grad shows up in the second
        loss = masked_loss(models[0], tokens, mask)
        opts[0].zero_grad()
        loss.backward()
        torch.nn.utils.clip_grad_norm_(models[0].parameters(), 1.0)
        opts[0].step()
        got = fn(models[1], opts[1], tokens, mask)
    if not isinstance(got, (float, torch.Tensor)):
        _fail("train_step", "return the loss of the step (a float or a 0-d tensor).")
    same = all(torch.allclose(a, b, atol=1e-6) for a, b in zip(models[0].parameters(), models[1].parameters()))
    if not same:
        _fail("train_step", "the weights differ from the reference after two steps. Did you call "
                            "optimiser.zero_grad() before backward(), and clip the gradient norm to 1.0 "
                            "(torch.nn.utils.clip_grad_norm_) before optimiser.step()?")
    _passed("train_step", "two steps match the reference exactly")


def check_wilson_interval(fn) -> None:
    """fn(k, n, z=1.96) -> (low, high): the Wilson score interval, compared with statsmodels."""
    from helpers.stats import rate

    for k, n in [(23, 30), (25, 30), (0, 30), (30, 30), (5, 30), (412, 972)]:
        want = rate(k, n)
        low, high = fn(k, n)
        if abs(low - want["ci_low"]) > 1e-3 or abs(high - want["ci_high"]) > 1e-3:
            p = k / n
            wald = (p - 1.96 * (p * (1 - p) / n) ** 0.5, p + 1.96 * (p * (1 - p) / n) ** 0.5)
            hint = ("that is the Wald interval p +- z*sqrt(p(1-p)/n); Wilson's centre is "
                    "(p + z^2/2n) / (1 + z^2/n)." if abs(low - wald[0]) < 1e-6 else
                    "check the centre (p + z^2/(2n)) / (1 + z^2/n) and the half-width "
                    "z*sqrt(p(1-p)/n + z^2/(4n^2)) / (1 + z^2/n).")
            _fail("wilson_interval", f"for {k}/{n} got ({low:.4f}, {high:.4f}), statsmodels gives "
                                     f"({want['ci_low']:.4f}, {want['ci_high']:.4f}): {hint}")
    _passed("wilson_interval", "matches statsmodels' proportion_confint(method='wilson') on 6 cases")


def check_equivalent(fn) -> None:
    """fn(k1, n1, k2, n2, margin) -> bool: equivalence at the 5 % level (TOST)."""
    from helpers.stats import equivalence

    cases = [(800, 1000, 805, 1000, 0.10), (23, 30, 25, 30, 0.10), (700, 1000, 800, 1000, 0.05),
             (790, 1000, 830, 1000, 0.07), (430, 500, 416, 500, 0.06)]
    for case in cases:
        want = equivalence(*case)["equivalent"]
        if bool(fn(*case)) != want:
            hint = ("a non-significant difference is not equivalence: n = 30 cannot show it."
                    if case[1] == 30 else
                    "TOST at the 5 % level corresponds to the 90 % interval of the difference (alpha=0.10), "
                    "which must lie entirely inside (-margin, +margin).")
            _fail("equivalent", f"{case}: want {want}. {hint}")
    _passed("equivalent", f"agrees with statsmodels' tost_proportions_2indep on {len(cases)} cases")


def check_plateau_dose(fn) -> None:
    """fn(epochs, losses, tolerance=0.02) -> the dose where the loss stops improving (chapter 3b's rule)."""
    from helpers.dose_sweep import plateau_dose

    grid = [0.0625, 0.25, 1.0, 2.0, 4.0]
    curves = {"falls, then rises": [0.65, 0.64, 0.66, 0.70, 0.80], "falls throughout": [0.9, 0.7, 0.5, 0.4, 0.3],
              "falls, then levels off": [0.9, 0.7, 0.6, 0.595, 0.59], "flat from the start": [0.5, 0.5, 0.5, 0.5, 0.5],
              "a last small step": [0.9, 0.7, 0.5, 0.4, 0.395]}
    for name, losses in curves.items():
        want, got = plateau_dose(grid, losses), fn(grid, losses)
        if got != want:
            hint = ("when the loss still falls fast at the end of the grid, the rule returns the largest dose."
                    if name == "falls throughout" else
                    "return the dose *before* the step that improves too little, not the one after it."
                    if got == grid[grid.index(want) + 1] else
                    "compare each loss with the next one: stop at the first dose whose next loss is not "
                    "below loss * (1 - tolerance); a rise counts as 'not below'.")
            _fail("plateau_dose", f"curve '{name}' {losses}: want {want}, got {got}. {hint}")
    _passed("plateau_dose", f"agrees with the book's rule on {len(curves)} curves")


def check_simulated_power(fn) -> None:
    """fn(p1, p2, n, reps, seed) -> the share of simulated experiments where Fisher's p < 0.05."""
    from helpers.stats import power_at

    null = fn(0.8, 0.8, 100, 400, 0)
    if null > 0.5:
        _fail("simulated_power", f"with equal rates you find a difference {null:.0%} of the time: count the "
                                 "experiments with p < alpha (a detection), not p >= alpha.")
    if null > 0.08:
        _fail("simulated_power", f"with equal rates the test must fire at most about 5 % of the time, got {null:.0%}.")
    big, small = fn(0.833, 0.767, 1000, 400, 0), fn(0.833, 0.767, 30, 400, 0)
    if abs(big - power_at(0.833, 0.767, 1000)) > 0.1 or small > 0.2:
        _fail("simulated_power", f"got {big:.0%} at n = 1000 and {small:.0%} at n = 30; statsmodels' normal "
                                 f"approximation says {power_at(0.833, 0.767, 1000):.0%} and "
                                 f"{power_at(0.833, 0.767, 30):.0%}. Draw k1 ~ Binomial(n, p1) and "
                                 "k2 ~ Binomial(n, p2) for every experiment and test the 2x2 table.")
    repeats = {fn(0.833, 0.767, 300, 1000, 1) for _ in range(3)}  # unseeded draws agree by chance < 1 in 3000
    if len(repeats) > 1:
        _fail("simulated_power", "the same seed must give the same power: draw from np.random.default_rng(seed).")
    _passed("simulated_power", f"{big:.0%} at n = 1000, {small:.0%} at n = 30, {null:.0%} under the null")


def _random_sae(d_in: int = 16, d_sae: int = 64, seed: int = 0):
    import torch
    from sae_lens import SAE, StandardSAEConfig

    torch.manual_seed(seed)
    sae = SAE.from_dict(StandardSAEConfig(d_in=d_in, d_sae=d_sae).to_dict())
    with torch.no_grad():
        sae.b_enc.normal_(0, 0.5)  # so that some features fire on some tokens only
    return sae


def check_top_k_features(fn) -> None:
    """fn(sae, residuals, k) -> the k feature ids with the highest mean (over contexts) max (over tokens)."""
    import numpy as np
    import torch

    from helpers.sae import encode_spans

    sae = _random_sae()
    gen = torch.Generator().manual_seed(3)
    residuals = [torch.randn(n, 16, generator=gen) for n in (3, 9, 5, 12, 7, 4)]
    pooled = encode_spans(sae, residuals)["pooled"]
    want = [int(f) for f in np.argsort(-pooled.mean(0), kind="stable")[:8]]
    got = fn(sae, residuals, 8)
    if not isinstance(got, list):
        _fail("top_k_features", f"return a list of ints, strongest first, not {type(got).__name__} (.tolist() helps).")
    got = [int(f) for f in got]
    if got == want:
        return _passed("top_k_features", f"the top 8 of {sae.cfg.d_sae} features match the reference, in order")
    with torch.no_grad():
        mean_pooled = torch.stack([sae.encode(r).mean(0) for r in residuals]).mean(0)
    if got == mean_pooled.topk(8).indices.tolist():
        _fail("top_k_features", "you averaged each feature over the tokens; take its maximum over a context's "
                                "tokens (.max(0).values), as dashboards do, then average over contexts.")
    if set(got) == set(want):
        _fail("top_k_features", "the right features in the wrong order: strongest first (topk, or argsort descending).")
    if max(got) < 16:
        _fail("top_k_features", "these look like residual dimensions: encode with sae.encode first, so the ids "
                                "are SAE features (0 to d_sae - 1).")
    _fail("top_k_features", f"got {got}, want {want}: encode each context, max over tokens, mean over contexts.")


def check_jaccard(fn) -> None:
    """fn(a, b) -> |A & B| / |A | B| of the sets of ids in a and b (0 when both are empty)."""
    cases = [([1, 2, 3], [2, 3, 4], 0.5), ([5, 6], [5, 6], 1.0), ([1, 2], [3, 4], 0.0),
             ([1, 2, 3, 4], [1, 2], 0.5), ([1, 1, 2], [1, 3], 1 / 3)]
    for a, b, want in cases:
        got = fn(a, b)
        if abs(float(got) - want) > 1e-9:
            inter, small = len(set(a) & set(b)), min(len(set(a)), len(set(b)))
            hint = ("that is the overlap coefficient |A & B| / min(|A|, |B|): divide by the union."
                    if small and abs(float(got) - inter / small) < 1e-9 else
                    "make sets first: a feature listed twice counts once." if len(a) != len(set(a)) else
                    "divide the size of the intersection by the size of the union.")
            _fail("jaccard", f"jaccard({a}, {b}) = {got}, want {want:.4f}: {hint}")
    try:
        empty = fn([], [])
    except ZeroDivisionError:
        _fail("jaccard", "two empty lists have no union: return 0.0 instead of dividing by zero.")
    if empty != 0:
        _fail("jaccard", f"jaccard([], []) should be 0.0, got {empty}.")
    _passed("jaccard", f"right on {len(cases) + 1} cases, duplicates and empty lists included")


def check_train_probe(fn) -> None:
    """fn(x, y, seed) -> a fitted StandardScaler + LogisticRegression pipeline."""
    import numpy as np
    from sklearn.exceptions import NotFittedError
    from sklearn.preprocessing import StandardScaler

    from helpers.probes import train_probe

    rng = np.random.default_rng(4)
    scales = np.geomspace(0.01, 100, 24)  # residual dimensions differ in scale by orders of magnitude
    x = rng.normal(size=(600, 24)) * scales
    y = ((x[:, :4] / scales[:4]).sum(1) + rng.normal(0, 0.5, 600) > 0).astype(int)
    got = fn(x[:400], y[:400], 0)
    try:
        scores = got.predict_proba(x[400:])[:, 1]
    except NotFittedError:
        _fail("train_probe", "the pipeline is not fitted: call .fit(x, y) and return what it returns.")
    except AttributeError:
        _fail("train_probe", f"return the fitted pipeline (it has predict_proba), not a {type(got).__name__}.")
    if not hasattr(got, "steps") or not isinstance(got[0], StandardScaler):
        _fail("train_probe", "standardise first: make_pipeline(StandardScaler(), LogisticRegression(...)).")
    accuracy = float(((scores > 0.5) == y[400:]).mean())
    want = float(((train_probe(x[:400], y[:400], 0).predict_proba(x[400:])[:, 1] > 0.5) == y[400:]).mean())
    if accuracy < 0.5:
        _fail("train_probe", f"accuracy {accuracy:.0%}, worse than chance: are the labels inverted (fit on y, 1 = vulnerable)?")
    if abs(accuracy - want) > 0.02:
        _fail("train_probe", f"held-out accuracy {accuracy:.1%}, the reference reaches {want:.1%}: use C=1.0 and a "
                             "max_iter large enough to converge.")
    if not np.allclose(fn(x[:400], y[:400], 0).predict_proba(x[400:]), got.predict_proba(x[400:])):
        _fail("train_probe", "two fits with the same seed differ: pass random_state=seed.")
    _passed("train_probe", f"held-out accuracy {accuracy:.1%} on synthetic activations of mixed scales")


def _parallel_past_one() -> tuple:
    """Two parallel vectors whose cosine, computed as written, rounds above 1 on this machine
    (where it does depends on the BLAS kernel and its threads): arccos of it is nan unless clipped."""
    import numpy as np

    rng = np.random.default_rng(0)
    for _ in range(10_000):
        u = rng.random(5)
        v = u * float(rng.integers(2, 9))
        if u @ v / (np.linalg.norm(u) * np.linalg.norm(v)) > 1:
            return tuple(u), tuple(v), 0.0
    raise RuntimeError("no parallel pair rounds past a cosine of 1 here")


def check_angle_degrees(fn) -> None:
    """fn(u, v) -> the angle between u and v in degrees."""
    import math

    import numpy as np

    cases = [((1, 0), (0, 1), 90.0), ((1, 0), (1, 1), 45.0), ((2, 0), (-3, 0), 180.0), ((3, 4), (6, 8), 0.0),
             _parallel_past_one()]
    for a, b, want in cases:
        got = fn(np.array(a, dtype=float), np.array(b, dtype=float))
        if got is None or math.isnan(float(got)):
            _fail("angle_degrees", f"angle_degrees({a}, {b}) is nan: clip the cosine to [-1, 1] before arccos.")
        if abs(float(got) - want) > 1e-4:
            hint = ("that is radians: convert with np.degrees." if abs(float(got) - math.radians(want)) < 1e-4 else
                    "divide the dot product by both norms before arccos.")
            _fail("angle_degrees", f"angle_degrees({a}, {b}) = {got}, want {want}: {hint}")
    _passed("angle_degrees", f"right on {len(cases)} cases, parallel vectors included")


def check_projection_hook(fn) -> None:
    """fn(Q) -> hook(act, hook) removing the span of Q's orthonormal columns from act."""
    import torch

    gen = torch.Generator().manual_seed(5)
    q, _ = torch.linalg.qr(torch.randn(16, 3, generator=gen))
    act = torch.randn(2, 7, 16, generator=gen)
    got = fn(q)(act.clone(), None)
    if not isinstance(got, torch.Tensor) or got.shape != act.shape:
        _fail("projection_hook", "the hook must return a tensor shaped like act (batch, position, d_model).")
    if torch.allclose(got, (act @ q) @ q.T, atol=1e-5):
        _fail("projection_hook", "you returned the part *inside* the span, (h Q) Q^T; subtract it from h.")
    if (got @ q).abs().max() > 1e-4:
        _fail("projection_hook", "the result still has a component along Q: h - (h Q) Q^T removes all of it "
                                 "(multiply by Q on the right, then by Q^T).")
    if not torch.allclose(act - got, ((act - got) @ q) @ q.T, atol=1e-4):
        _fail("projection_hook", "you removed more than the span of Q: only h's component along Q may change.")
    _passed("projection_hook", "removes exactly the span of Q and keeps the rest")


def check_steering_hook(fn) -> None:
    """fn(direction, alpha) -> hook(act, hook) subtracting alpha times the unit direction."""
    import torch

    gen = torch.Generator().manual_seed(6)
    direction = torch.randn(16, generator=gen) * 7
    act = torch.randn(2, 5, 16, generator=gen)
    got = fn(direction, 3.0)(act.clone(), None)
    want = act - 3.0 * direction / direction.norm()
    if torch.allclose(got, want, atol=1e-5):
        return _passed("steering_hook", "subtracts alpha times the unit direction at every position")
    if torch.allclose(got, act + 3.0 * direction / direction.norm(), atol=1e-5):
        _fail("steering_hook", "you added the direction: steering *away* from a feature subtracts it.")
    if torch.allclose(got, act - 3.0 * direction, atol=1e-5):
        _fail("steering_hook", "normalise the direction first (direction / direction.norm()), so alpha is in the "
                               "units of the residual stream, whatever the direction's length.")
    _fail("steering_hook", "return act - alpha * direction / |direction|, the same at every position.")
