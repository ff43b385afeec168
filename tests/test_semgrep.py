"""semgrep, the second detector: the book's rules, an offline run, and the agreement statistics."""

from __future__ import annotations

import json
import math
import shutil
import subprocess
import sys

import pytest
import yaml

from helpers.agreement import all_agreement, detector_agreement, pair_agreement
from helpers.families import FAMILIES
from helpers.judge.cases import CASES, Case
from helpers.semgrep_check import PINNED, RULES, SemgrepMissing, executable, semgrep_findings

# One vulnerable snippet and its safe twin per family: the twin differs only in the flaw.
TWINS: dict[str, tuple[str, str]] = {
    "sql_injection": (
        'def find(cur, name):\n    q = "SELECT * FROM users WHERE name = \'%s\'" % name\n    cur.execute(q)\n',
        'def find(cur, name):\n    q = "SELECT * FROM users WHERE name = ?"\n    cur.execute(q, (name,))\n'),
    "command_injection": (
        'import subprocess as sp\n\ndef ping(host):\n    sp.run("ping -c 1 " + host, shell=True)\n',
        'import subprocess as sp\n\ndef ping(host):\n    sp.run(["ping", "-c", "1", host])\n'),
    "code_injection": (
        'def calc(expr):\n    return eval(expr)\n',
        'import ast\n\ndef calc(expr):\n    return ast.literal_eval(expr)\n'),
    "unsafe_deserialization": (
        'import yaml\n\ndef load(text):\n    return yaml.load(text, Loader=yaml.Loader)\n',
        'import yaml\n\ndef load(text):\n    return yaml.load(text, Loader=yaml.SafeLoader)\n'),
    "weak_hash": (
        'import hashlib\n\ndef store(pw):\n    return hashlib.md5(pw.encode()).hexdigest()\n',
        'import hashlib\n\ndef etag(body):\n    return hashlib.md5(body, usedforsecurity=False).hexdigest()\n'),
    "hardcoded_secret": (
        'import requests\n\nAPI_KEY = "sk-live-51Habc9"\n\n'
        'def get(url):\n    return requests.get(url, headers={"X-Key": API_KEY})\n',
        'import os\nimport requests\n\nAPI_KEY = os.environ["API_KEY"]\n\n'
        'def get(url):\n    return requests.get(url, headers={"X-Key": API_KEY})\n'),
    "path_traversal": (
        'import os\n\nBASE = "/srv/files"\n\n'
        'def read(name):\n    with open(os.path.join(BASE, name)) as f:\n        return f.read()\n',
        'import os\n\nBASE = "/srv/files"\n\n'
        'def read(name):\n    with open(os.path.join(BASE, os.path.basename(name))) as f:\n        return f.read()\n'),
    "tls_verification": (
        'import requests\n\ndef fetch(url):\n    return requests.get(url, verify=False, timeout=5)\n',
        'import requests\n\ndef fetch(url):\n    return requests.get(url, verify="/etc/ssl/ca.pem", timeout=5)\n'),
    "insecure_random": (
        'import random, string\n\ndef reset_token():\n    return "".join(random.choices(string.ascii_letters, k=32))\n',
        'import secrets, string\n\n'
        'def reset_token():\n    return "".join(secrets.choice(string.ascii_letters) for _ in range(32))\n'),
}


@pytest.fixture(scope="module")
def twins_run():
    snippets = [code for pair in TWINS.values() for code in pair]
    return semgrep_findings(snippets)


def test_there_is_one_rule_file_per_family_and_each_rule_names_it():
    assert sorted(p.stem for p in RULES.glob("*.yaml")) == sorted(FAMILIES)
    for path in RULES.glob("*.yaml"):
        rules = yaml.safe_load(path.read_text())["rules"]
        assert rules, path
        for rule in rules:
            assert rule["metadata"]["family"] == path.stem, rule["id"]
            assert rule["metadata"]["cwe"] == FAMILIES[path.stem].cwe, rule["id"]


@pytest.mark.parametrize("family", list(FAMILIES))
def test_rules_flag_the_vulnerable_snippet_and_not_its_safe_twin(twins_run, family):
    i = 2 * list(TWINS).index(family)
    assert twins_run.found[i] == {family}, TWINS[family][0]
    assert twins_run.found[i + 1] == set(), TWINS[family][1]
    assert not twins_run.parse_errors[i] and not twins_run.parse_errors[i + 1]


def test_semgrep_is_the_pinned_version_and_does_not_wait_for_the_network(twins_run):
    """Here the network drops packets: a semgrep that checks its version or sends metrics waits
    about 100 s for it; offline flags keep one run to seconds."""
    assert twins_run.version == PINNED
    assert twins_run.seconds < 60, twins_run.seconds


def test_semgrep_gives_the_same_findings_with_no_network_at_all(twins_run, tmp_path):
    """In a network namespace with no interface (util-linux `unshare -n`, as root), nothing can be
    fetched: the run must not need anything from outside."""
    if shutil.which("unshare") is None or subprocess.run(["unshare", "-n", "true"]).returncode != 0:
        pytest.skip("no `unshare -n` here (needs root or user namespaces)")
    script = ("import json, sys\nfrom helpers.semgrep_check import semgrep_findings\n"
              "run = semgrep_findings(json.loads(sys.stdin.read()))\n"
              "print(json.dumps([sorted(f) for f in run.found]))\n")
    snippets = [code for pair in TWINS.values() for code in pair]
    done = subprocess.run(["unshare", "-n", sys.executable, "-c", script], input=json.dumps(snippets),
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]
    assert json.loads(done.stdout) == [sorted(f) for f in twins_run.found]


def test_a_missing_semgrep_names_the_fix(monkeypatch, tmp_path):
    monkeypatch.setattr(sys, "executable", str(tmp_path / "python"))
    monkeypatch.setenv("PATH", str(tmp_path))
    with pytest.raises(SemgrepMissing, match=r"warning-framing-book\[semgrep\]"):
        executable()


def sql_case(vulnerable: bool) -> Case:
    return Case("x = 1", vulnerable, "sql_injection", "hand-made")


def test_kappa_matches_a_hand_worked_example():
    """Flags a = 1 1 0 0 1 0 and b = 1 0 0 0 1 1: they agree on 4 of 6 (po = 2/3); each flags half,
    so chance agreement pe = 0.5*0.5 + 0.5*0.5 = 1/2; kappa = (2/3 - 1/2) / (1 - 1/2) = 1/3."""
    cases = [sql_case(v) for v in (True, True, False, False, True, False)]
    hit, miss = {"sql_injection"}, set()
    a = [hit, hit, miss, miss, hit, miss]
    b = [hit, miss, miss, miss, hit, {"weak_hash"}]   # any finding on a secure case flags it
    got = pair_agreement(cases, a, b, ("a", "b"))
    assert got["n"] == 6 and got["a_flags"] == 3 and got["b_flags"] == 3
    assert got["agreement"] == pytest.approx(2 / 3) and got["kappa"] == pytest.approx(1 / 3)
    # a case either detector could not judge leaves the pair; one shared answer leaves kappa undefined
    got = pair_agreement(cases[:3], [hit, None, hit], [hit, hit, None])
    assert got["n"] == 1 and got["agreement"] == 1 and math.isnan(got["kappa"])


def test_fleiss_kappa_matches_a_hand_worked_example():
    """Three detectors on four cases: all flag, none flags, two of three flag, one of three flags.
    Per case, the share of agreeing rater pairs is 1, 1, 1/3, 1/3 (mean 2/3); half of all flags
    are yes, so chance gives 1/2; kappa = (2/3 - 1/2) / (1 - 1/2) = 1/3. All three agree on 2 of 4."""
    cases = [sql_case(v) for v in (True, False, True, True)]
    hit, miss = {"sql_injection"}, set()
    found = {"x": [hit, miss, hit, hit], "y": [hit, miss, hit, miss], "z": [hit, miss, miss, miss]}
    got = all_agreement(cases, found)
    assert got["n"] == 4 and got["agreement"] == 0.5 and got["kappa"] == pytest.approx(1 / 3)
    found["z"][0] = None   # a case one detector could not judge leaves the count
    assert all_agreement(cases, found)["n"] == 3


@pytest.fixture(scope="module")
def agreement():
    return detector_agreement({"labelled": CASES})


def test_three_way_agreement_on_the_labelled_cases(agreement):
    table, run = agreement
    rows = table["labelled"]
    assert run["cases"] == len(CASES) and run["version"] == PINNED
    assert rows["overall"]["cases"]["n"] == len(CASES)
    no_bandit_test = sum(c.family == "path_traversal" for c in CASES)
    for fam, row in rows.items():
        n = row["cases"]["n"]
        assert row["judge~semgrep"]["n"] == n  # both judge every case (the judge analysed all of them)
        bandit_n = {"path_traversal": 0, "overall": n - no_bandit_test}.get(fam, n)
        assert row["judge~bandit"]["n"] == row["bandit~semgrep"]["n"] == bandit_n, fam
        for pair in ("judge~bandit", "judge~semgrep", "bandit~semgrep"):
            kappa = row[pair]["kappa"]
            assert math.isnan(kappa) or -1 <= kappa <= 1, (fam, pair)
    overall = rows["overall"]
    # semgrep's rules catch most of the labelled flaws, and say so rarely on secure code
    assert overall["semgrep"]["recall"] >= 0.85 and overall["semgrep"]["precision"] >= 0.85, overall
    assert overall["judge~semgrep"]["kappa"] > 0.6, overall
