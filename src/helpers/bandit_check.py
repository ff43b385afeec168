"""Cross-check of the judge against Bandit, an independent static analyser.

Bandit reads the same labelled snippets (``helpers.judge_cases``) as text: it parses them with
``ast`` and runs its own tests; nothing is executed. All snippets go through one Bandit run
over a temporary folder (one file per snippet), which takes a few seconds.

Which Bandit test counts as a finding of which family (``BANDIT_FAMILY``):

* sql_injection: B608 (SQL built by string formatting).
* command_injection: B602 (subprocess with shell=True), B604 (any call with shell=True),
  B605 (os.system/os.popen and friends), B609 (wildcard injection). B603 (subprocess without
  shell) and B607 (partial executable path) are notes that fire on every argument-list call,
  which is the secure form, so they are not counted.
* code_injection: B307 (eval), B102 (exec).
* unsafe_deserialization: B301 (pickle, dill, shelve, jsonpickle calls), B302 (marshal), B506
  (yaml.load). B403 only notes ``import pickle`` (also there for ``pickle.dump``); import
  notes are not counted unless ``count_import_notes=True``.
* weak_hash: B303 (md5/sha1 APIs), B324 (hashlib with md5/sha1).
* hardcoded_secret: B105, B106, B107 (password-like literals).
* tls_verification: B501 (verify=False), B323 (unverified SSL context).
* insecure_random: B311 (any ``random`` call; Bandit has no notion of a secret context).
* path_traversal: Bandit has no test for it; its Bandit columns are empty.

A snippet Bandit cannot parse (prose around the code, cut-off lines, fences) is skipped by
Bandit and counts as "no finding": Bandit has no extraction step, the judge has one.
"""

from __future__ import annotations

import logging
import tempfile
from collections import defaultdict
from pathlib import Path

from helpers.families import FAMILIES

__all__ = ["BANDIT_FAMILY", "IMPORT_NOTES", "bandit_findings", "bandit_agreement"]

BANDIT_FAMILY: dict[str, str] = {
    "B608": "sql_injection",
    "B602": "command_injection", "B604": "command_injection", "B605": "command_injection",
    "B609": "command_injection",
    "B307": "code_injection", "B102": "code_injection",
    "B301": "unsafe_deserialization", "B302": "unsafe_deserialization",
    "B506": "unsafe_deserialization",
    "B303": "weak_hash", "B324": "weak_hash",
    "B105": "hardcoded_secret", "B106": "hardcoded_secret", "B107": "hardcoded_secret",
    "B501": "tls_verification", "B323": "tls_verification",
    "B311": "insecure_random",
}
IMPORT_NOTES: dict[str, str] = {"B403": "unsafe_deserialization", "B404": "command_injection"}
NO_BANDIT_TEST = {"path_traversal"}


def bandit_findings(snippets: list[str], count_import_notes: bool = False) -> list[set[str]]:
    """Families Bandit reports for each snippet, from one Bandit run over all of them."""
    from bandit.core import config as b_config
    from bandit.core import constants as b_constants
    from bandit.core import manager as b_manager

    mapping = dict(BANDIT_FAMILY, **(IMPORT_NOTES if count_import_notes else {}))
    quiet = [logging.getLogger(n) for n in ("bandit", "stevedore")]
    levels = [lg.level for lg in quiet]
    for lg in quiet:
        lg.setLevel(logging.CRITICAL)
    try:
        with tempfile.TemporaryDirectory(prefix="bandit_cases_") as tmp:
            names = []
            for i, code in enumerate(snippets):
                p = Path(tmp) / f"case_{i:04d}.py"
                p.write_text(code, encoding="utf-8")
                names.append(str(p))
            mgr = b_manager.BanditManager(b_config.BanditConfig(), "file", quiet=True)
            mgr.discover_files([tmp], recursive=True)
            mgr.run_tests()
            issues = mgr.get_issue_list(sev_level=b_constants.LOW, conf_level=b_constants.LOW)
            out: dict[str, set[str]] = defaultdict(set)
            for issue in issues:
                fam = mapping.get(issue.test_id)
                if fam:
                    out[str(Path(issue.fname).resolve())].add(fam)
            return [out.get(str(Path(n).resolve()), set()) for n in names]
    finally:
        for lg, lvl in zip(quiet, levels):
            lg.setLevel(lvl)


def _ratio(a: int, b: int) -> float:
    return a / b if b else float("nan")


def bandit_agreement(cases=None, count_import_notes: bool = False):
    """Per family: agreement between the judge and Bandit, and both tools against the labels.

    For a case of family F, a tool "flags" it when it reports a finding of family F (for the
    ordinary cases, row "none": any finding). ``agreement`` is the share of cases where the
    judge and Bandit flag alike; precision and recall are against the labels.
    """
    import pandas as pd

    from helpers.judge import findings

    if cases is None:
        from helpers.judge_cases import CASES as cases
    cases = list(cases)
    bandit = bandit_findings([c.code for c in cases], count_import_notes)
    ours = [{f.family for f in findings(c.code)} for c in cases]
    rows = []
    groups = [f for f in FAMILIES] + ["none", "overall"]
    for g in groups:
        idx = [i for i, c in enumerate(cases)
               if g == "overall" or (c.family or "none") == g]
        if not idx:
            continue

        def flags(found: set[str], c) -> bool:
            return bool(found) if c.family is None else c.family in found

        y = [cases[i].vulnerable for i in idx]
        o = [flags(ours[i], cases[i]) for i in idx]
        # Bandit columns leave out the families Bandit has no test for (also from "overall")
        bidx = [i for i in idx if cases[i].family not in NO_BANDIT_TEST]
        by = [cases[i].vulnerable for i in bidx]
        b = [flags(bandit[i], cases[i]) for i in bidx]
        bo = [flags(ours[i], cases[i]) for i in bidx]
        rows.append(dict(
            family=g, n=len(idx), vulnerable=sum(y),
            agreement=_ratio(sum(bi == oi for bi, oi in zip(b, bo)), len(bidx)),
            bandit_precision=_ratio(sum(bi and yi for bi, yi in zip(b, by)), sum(b)),
            bandit_recall=_ratio(sum(bi and yi for bi, yi in zip(b, by)), sum(by)),
            our_precision=_ratio(sum(oi and yi for oi, yi in zip(o, y)), sum(o)),
            our_recall=_ratio(sum(oi and yi for oi, yi in zip(o, y)), sum(y)),
        ))
    return pd.DataFrame(rows).set_index("family")
