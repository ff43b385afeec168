"""Checkers for chapter 4: features from an SAE, and the overlap of two sets of them."""

from __future__ import annotations

from helpers.checks._core import _fail, _passed, _random_sae, check_choice, check_prediction


def check_top_k_features(fn) -> None:
    """fn(sae, residuals, k) -> the k feature ids with the highest mean (over contexts) max (over tokens)."""
    import torch

    from helpers.sae import top_k_features

    sae = _random_sae()
    gen = torch.Generator().manual_seed(3)
    residuals = [torch.randn(n, 16, generator=gen) for n in (3, 9, 5, 12, 7, 4)]
    want = top_k_features(sae, residuals, 8)
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
        if got is None:
            _fail("jaccard", "the function returns None: write its body, which returns a number.")
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


def check_describing_doing_jaccard(prediction, measured: float, baseline: float) -> None:
    """The learner's guess at the top-k Jaccard of describing and doing (base model), beside the
    run's value and the unrelated baseline, the only yardstick a Jaccard of top-k sets has."""
    side = "above" if measured > baseline else "not above"
    check_prediction("describing_doing_jaccard", prediction, measured, low=0.0, high=1.0, reading=(
        f"The unrelated baseline (task words / ordinary) scores {baseline:.2f}, so describing/doing is "
        f"{side} it. Top-k lists fill up with generic features (punctuation, indentation, common "
        "words) that fire on any text: a Jaccard means something only beside such a baseline, never "
        "against 0."))


def effect_correlation_readings(corr: dict) -> tuple[dict[str, str], str]:
    """The options of the interpret exercise on the effect-size correlation, each with why it holds
    or fails on this run, and the right one (it depends on where the correlation lies)."""
    rho, low, high, p = corr["spearman"], corr["null_low"], corr["null_high"], corr["p"]
    right = "shared" if rho > high else "opposite" if rho < low else "chance"
    where = f"rho = {rho:.2f}, permutation range [{low:.2f}, {high:.2f}], p = {p:.3g}"
    holds = {
        "shared": ("above the range, so the features that writing the flaw turns up also turn up when "
                   "it is described, more than chance gives. That is correlational overlap; whether "
                   "those features carry the behaviour is chapter 6's question."),
        "opposite": ("below the range, so the features that writing the flaw turns up tend to go down "
                     "when it is described: the words and the code pull the SAE apart."),
        "chance": ("inside the range, so this run cannot tell the overlap from chance. That is not "
                   "evidence that describing and doing share nothing: a larger run could find it."),
    }
    fails = {
        "shared": "not above the range: chance alone gives correlations this high.",
        "opposite": "not below the range: chance alone gives correlations this low.",
        "chance": "outside the range: chance alone rarely gives a correlation this far out, so the run does tell.",
    }
    why = {option: f"{where}: {holds[option] if option == right else fails[option]}" for option in holds}
    why["causal"] = ("overlap is correlational: features that fire alike when a flaw is described and "
                     "written do not show that they carry the lesson from the warning to the code. Only "
                     "an intervention (chapter 6: remove the directions, measure the behaviour) can.")
    why["nothing"] = ("a correlation inside the permutation range is 'not shown', not 'shown absent' "
                      "(not significant is not equivalent), and one above it shows sharing.")
    return why, right


def check_effect_correlation_reading(answer, corr: dict) -> None:
    """Interpret: what the base model's effect-size correlation (with its permutation null) shows."""
    why, right = effect_correlation_readings(corr)
    check_choice("effect_correlation_reading", answer, why, right)
