"""How good is a detector? One definition of precision and recall on labelled cases.

A detector *flags* a case when it reports a finding of the case's own family (a vulnerable
case) or any finding at all (a secure or ordinary case: whatever it reports there is a false
alarm). Precision is tp / (tp + fp), recall tp / (tp + fn), over the cases the detector could
judge: a case whose analysis crashed is counted as ``unjudged``, never as clean. The judge's
validation, its holdout report and the Bandit comparison all count this way.
"""

from __future__ import annotations

from helpers.families import FAMILIES

GROUPS = [*FAMILIES, "none", "overall"]   # "none": ordinary code, no family


def flags(case, found: set[str]) -> bool:
    """Does a detector that reported the families `found` flag this case?"""
    return case.family in found if case.vulnerable else bool(found)


def precision_recall(labels, flagged) -> dict:
    """Confusion counts, precision and recall of boolean flags against boolean labels.

    Precision is NaN when nothing was flagged, recall when nothing is vulnerable.
    """
    from sklearn.metrics import confusion_matrix

    labels, flagged = [bool(x) for x in labels], [bool(x) for x in flagged]
    tn, fp, fn, tp = (int(x) for x in confusion_matrix(labels, flagged, labels=[False, True]).ravel()) \
        if labels else (0, 0, 0, 0)
    return dict(tp=tp, fp=fp, fn=fn, tn=tn,
                precision=tp / (tp + fp) if tp + fp else float("nan"),
                recall=tp / (tp + fn) if tp + fn else float("nan"))


def judged_families(code: str) -> set[str] | None:
    """The families the judge finds in `code`, or None when its analysis crashed."""
    from helpers.judge import findings

    try:
        return {f.family for f in findings(code)}
    except Exception:  # counted as unjudged by the callers, never as clean
        return None


def group_index(cases, group: str) -> list[int]:
    """Indices of the cases of one row: a family, "none" (ordinary code) or "overall"."""
    return [i for i, c in enumerate(cases) if group == "overall" or (c.family or "none") == group]


def scores(cases, found: list[set[str] | None]) -> dict:
    """n, unjudged, confusion counts, precision and recall of one detector on `cases`."""
    judged = [(c, f) for c, f in zip(cases, found) if f is not None]
    return dict(n=len(cases), unjudged=len(cases) - len(judged),
                **precision_recall([c.vulnerable for c, _ in judged], [flags(c, f) for c, f in judged]))


def validate(cases=None):
    """The judge on labelled cases: one row per family, "none" and "overall" (see module docstring)."""
    import pandas as pd

    if cases is None:
        from helpers.judge.cases import CASES as cases
    cases = list(cases)
    found = [judged_families(c.code) for c in cases]
    rows = []
    for g in GROUPS:
        idx = group_index(cases, g)
        if idx:
            rows.append(dict(family=g, **scores([cases[i] for i in idx], [found[i] for i in idx])))
    return pd.DataFrame(rows).set_index("family")


def judge_reproduces(code: str, family: str) -> bool | None:
    """The chapters' outcome as the judge decides it (a flaw of `family`; None: the analysis crashed)."""
    from helpers.judge import judge

    verdict = judge(code)
    return None if verdict.error else bool(verdict.vulnerable and verdict.family == family)


def _with_interval(name: str, k: int, n: int) -> dict:
    """`name`, `name_low`, `name_high`: the rate k/n and its Wilson interval."""
    from helpers.stats import rate

    r = rate(k, n)
    return {name: r["rate"], f"{name}_low": r["ci_low"], f"{name}_high": r["ci_high"]}


def on_generations(labelled, by: str | None = None) -> "pd.DataFrame":
    """The judge against readers' labels of the book's own completions, for the chapters' outcome
    (a flaw of the prompt's family): precision, recall and specificity with Wilson intervals,
    overall and per value of `by` ("parses", "condition", "prompt_family")."""
    import pandas as pd

    frame = pd.DataFrame([{"label": g.reproduces, "flag": judge_reproduces(g.code, g.prompt_family),
                           "parses": g.parses, "condition": g.condition, "prompt_family": g.prompt_family}
                          for g in labelled])
    groups = [("overall", frame)] + (list(frame.groupby(by, sort=False)) if by else [])
    rows = []
    for name, g in groups:
        ok = g[g.flag.notna()]
        counts = precision_recall(ok.label, ok.flag.astype(bool))
        tp, fp, fn, tn = (counts[k] for k in ("tp", "fp", "fn", "tn"))
        rows.append({"group": str(name), "n": len(g), "unjudged": len(g) - len(ok), "tp": tp, "fp": fp, "fn": fn,
                     "tn": tn, **_with_interval("precision", tp, tp + fp), **_with_interval("recall", tp, tp + fn),
                     **_with_interval("specificity", tn, tn + fp)})
    return pd.DataFrame(rows).set_index("group")
