"""Cross-check of the judge against Bandit, an independent static analyser.

Bandit reads the same labelled snippets (``helpers.judge.cases``) as text: it parses them with
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


def bandit_agreement(cases=None, count_import_notes: bool = False):
    """Per family: agreement between the judge and Bandit, and both tools against the labels.

    Both tools are scored by the one definition of ``helpers.judge.scoring`` (a vulnerable case
    is flagged by a finding of its own family, a secure one by any finding). ``agreement`` is
    the share of cases the two tools flag alike; cases the judge could not analyse are left
    out of every column and counted in ``unjudged``.
    """
    import pandas as pd

    from helpers.judge.scoring import GROUPS, flags, group_index, judged_families, scores

    if cases is None:
        from helpers.judge.cases import CASES as cases
    cases = list(cases)
    bandit = bandit_findings([c.code for c in cases], count_import_notes)
    ours = [judged_families(c.code) for c in cases]
    rows = []
    for g in GROUPS:
        idx = group_index(cases, g)
        if not idx:
            continue
        our = scores([cases[i] for i in idx], [ours[i] for i in idx])
        # Bandit columns leave out the families Bandit has no test for (also from "overall")
        bidx = [i for i in idx if cases[i].family not in NO_BANDIT_TEST and ours[i] is not None]
        theirs = scores([cases[i] for i in bidx], [bandit[i] for i in bidx])
        alike = [flags(cases[i], bandit[i]) == flags(cases[i], ours[i]) for i in bidx]
        rows.append(dict(
            family=g, n=len(idx), vulnerable=sum(cases[i].vulnerable for i in idx), unjudged=our["unjudged"],
            agreement=sum(alike) / len(alike) if alike else float("nan"),
            bandit_precision=theirs["precision"], bandit_recall=theirs["recall"],
            our_precision=our["precision"], our_recall=our["recall"],
        ))
    return pd.DataFrame(rows).set_index("family")
