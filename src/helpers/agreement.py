"""Three detectors on the same labelled cases: the judge, Bandit and semgrep, pair by pair.

Each detector *flags* a case as ``helpers.judge.scoring.flags`` defines it (a vulnerable case
by a finding of its own family, a secure one by any finding). For each pair of detectors and
each family we count the cases both could judge, the share they flag alike, and Cohen's kappa
(sklearn), which discounts the agreement two detectors would reach by chance from how often
each flags; for all three together, Fleiss' kappa (statsmodels) does the same. A kappa is
undefined (NaN) when the detectors give one and the same answer on every case of a row (the
libraries' 0/0, which we skip rather than let them warn): nothing is left to agree on beyond
chance.

A case leaves a pair's columns when either detector could not judge it: the judge crashed on
it (``unjudged``), semgrep skipped it or failed on it for a reason other than syntax, or it is of
a family a detector has no test for (Bandit: path traversal). semgrep's syntax errors are kept
(it recovers and scans what it parsed, as Bandit does not) and counted in ``parse_errors``.
"""

from __future__ import annotations

import math

from helpers.bandit_check import NO_BANDIT_TEST, bandit_findings
from helpers.judge.scoring import GROUPS, flags, group_index, judged_families, scores
from helpers.semgrep_check import semgrep_findings

__all__ = ["PAIRS", "pair_agreement", "all_agreement", "detector_findings", "detector_agreement",
           "agreement_table", "as_json"]

PAIRS = [("judge", "bandit"), ("judge", "semgrep"), ("bandit", "semgrep")]
NOT_COVERED = {"bandit": NO_BANDIT_TEST, "judge": set(), "semgrep": set()}


def pair_agreement(cases, found_a, found_b, names=("a", "b")) -> dict:
    """n, how many each flagged, agreement and Cohen's kappa of two detectors on the cases both
    judged (a found set of None: not judged)."""
    from sklearn.metrics import cohen_kappa_score

    both = [(flags(c, a), flags(c, b)) for c, a, b in zip(cases, found_a, found_b)
            if a is not None and b is not None]
    fa, fb = [a for a, _ in both], [b for _, b in both]
    one_answer = len(set(fa) | set(fb)) < 2   # sklearn's 0/0
    kappa = float("nan") if one_answer else float(cohen_kappa_score(fa, fb, labels=[False, True]))
    return {"n": len(both), f"{names[0]}_flags": sum(fa), f"{names[1]}_flags": sum(fb),
            "agreement": sum(a == b for a, b in both) / len(both) if both else float("nan"), "kappa": kappa}


def all_agreement(cases, found: dict[str, list]) -> dict:
    """n, the share of cases all detectors flag alike, and Fleiss' kappa (statsmodels), on the
    cases every detector judged."""
    import numpy as np
    from statsmodels.stats.inter_rater import aggregate_raters, fleiss_kappa

    rows = [[flags(c, f[i]) for f in found.values()] for i, c in enumerate(cases)
            if all(f[i] is not None for f in found.values())]
    alike = [len(set(r)) == 1 for r in rows]
    one_answer = len({x for r in rows for x in r}) < 2   # 0/0, as for Cohen's kappa
    kappa = float("nan") if one_answer else float(fleiss_kappa(aggregate_raters(np.array(rows, int), n_cat=2)[0]))
    return {"n": len(rows), "agreement": sum(alike) / len(rows) if rows else float("nan"), "kappa": kappa}


def detector_findings(sets: dict[str, list]) -> tuple[dict[str, dict[str, list]], dict]:
    """Per set of cases, each detector's families per case (None: not judged), from one Bandit
    run and one semgrep run over every case of every set; and what the semgrep run reported."""
    cases = [c for group in sets.values() for c in group]
    codes = [c.code for c in cases]
    every = {"judge": [judged_families(c.code) for c in cases],
             "bandit": bandit_findings(codes)}
    run = semgrep_findings(codes)
    every["semgrep"] = run.found
    for tool, skipped in NOT_COVERED.items():
        every[tool] = [None if c.family in skipped else f for c, f in zip(cases, every[tool])]
    every["semgrep_parse_error"] = run.parse_errors
    out, start = {}, 0
    for name, group in sets.items():
        out[name] = {key: found[start:start + len(group)] for key, found in every.items()}
        start += len(group)
    return out, {"version": run.version, "seconds": round(run.seconds, 1), "cases": len(cases)}


def detector_agreement(sets: dict[str, list]) -> tuple[dict, dict]:
    """Set -> row (family, "none", "overall") -> column group -> value: the three pairs' n, flags,
    agreement and Cohen's kappa; all three's n, agreement and Fleiss' kappa; semgrep's precision
    and recall against the labels. Also the semgrep run's version, seconds and number of cases."""
    found, run = detector_findings(sets)
    out: dict = {}
    for name, cases in sets.items():
        tools = found[name]
        for g in GROUPS:
            idx = group_index(cases, g)
            if not idx:
                continue
            sub = [cases[i] for i in idx]
            pick = {t: [tools[t][i] for i in idx] for t in ("judge", "bandit", "semgrep")}
            row = {"cases": {"n": len(sub), "vulnerable": sum(c.vulnerable for c in sub)}}
            for a, b in PAIRS:
                row[f"{a}~{b}"] = pair_agreement(sub, pick[a], pick[b], (a, b))
            row["all three"] = all_agreement(sub, pick)
            sg = scores(sub, pick["semgrep"])
            row["semgrep"] = {"precision": sg["precision"], "recall": sg["recall"],
                              "parse_errors": sum(tools["semgrep_parse_error"][i] for i in idx)}
            out.setdefault(name, {})[g] = row
    return out, run


def agreement_table(agreement: dict, columns=("n", "agreement", "kappa", "precision", "recall")):
    """The nested result as one DataFrame: rows (set, family), columns (group, value)."""
    import pandas as pd

    flat = {(name, fam): {(grp, k): v for grp, vals in row.items() for k, v in vals.items() if k in columns}
            for name, rows in agreement.items() for fam, row in rows.items()}
    table = pd.DataFrame.from_dict(flat, orient="index")
    table.index.names = ["set", "family"]
    table.columns = pd.MultiIndex.from_tuples(table.columns)
    return table


def as_json(value):
    """NaN as None, all the way down: metrics.json stays standard JSON."""
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    return None if isinstance(value, float) and math.isnan(value) else value
