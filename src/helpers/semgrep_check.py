"""A second detector: semgrep, run offline on the book's own rules.

The rules live beside this module, one YAML file per family (``semgrep_rules/<family>.yaml``),
written for this book in the style of semgrep's community Python rules; each rule names its
family in ``metadata.family``. Nothing is fetched: no registry rules, no metrics, no version
check (``semgrep --version`` alone waits over a minute for the network when it is missing).

Like Bandit, semgrep reads the snippets as text (its own parser, with error recovery); nothing
is executed. All snippets go through one semgrep run over a temporary folder, one file each,
because semgrep starts slowly (a few seconds) and then scans hundreds of files in about a second.

semgrep is an optional extra (``pip install "warning-framing-book[semgrep]"``): its exact pins
(opentelemetry, jsonschema, peewee, ...) cannot resolve against Colab's packages. Where it is
missing, ``semgrep_findings`` raises ``SemgrepMissing`` and the chapter says so.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

__all__ = ["RULES", "PINNED", "SemgrepMissing", "SemgrepRun", "executable", "semgrep_findings"]

RULES = Path(__file__).parent / "semgrep_rules"
PINNED = "1.185.0"   # the version the rules were written and tested with (requirements.lock)
OFFLINE_ENV = {"SEMGREP_ENABLE_VERSION_CHECK": "0", "SEMGREP_SEND_METRICS": "off"}
FIX = 'install it with: pip install "warning-framing-book[semgrep]"'
SYNTAX_ERRORS = {"Syntax error", "PartialParsing", "Lexical error"}


class SemgrepMissing(RuntimeError):
    """semgrep is not installed in this environment."""


@dataclass
class SemgrepRun:
    """What one semgrep run reported: families per snippet (None: not scanned, or an error other
    than syntax), and the snippets it could parse only in part."""
    found: list[set[str] | None]
    parse_errors: list[bool]
    version: str
    seconds: float


def executable() -> str:
    """The semgrep command of this Python's environment (else one on PATH)."""
    beside = Path(sys.executable).parent / "semgrep"
    found = str(beside) if beside.exists() else shutil.which("semgrep")
    if found is None:
        raise SemgrepMissing(f"semgrep is not installed here; {FIX}")
    return found


def semgrep_findings(snippets: list[str], rules: Path = RULES, timeout: float = 300) -> SemgrepRun:
    """Families the rules report for each snippet, from one offline semgrep run over all of them."""
    import time

    with tempfile.TemporaryDirectory(prefix="semgrep_cases_") as tmp:
        folder = Path(tmp) / "cases"
        folder.mkdir()
        names = [folder / f"case_{i:04d}.py" for i in range(len(snippets))]
        for path, code in zip(names, snippets):
            path.write_text(code, encoding="utf-8")
        env = dict(os.environ, **OFFLINE_ENV, SEMGREP_SETTINGS_FILE=str(Path(tmp) / "settings.yml"),
                   SEMGREP_LOG_FILE=str(Path(tmp) / "semgrep.log"))
        t0 = time.perf_counter()
        done = subprocess.run(
            [executable(), "scan", "--config", str(rules), "--metrics=off", "--disable-version-check",
             "--json", "--quiet", "--no-git-ignore", "--jobs", "1", "--timeout", "30", str(folder)],
            capture_output=True, text=True, env=env, timeout=timeout, cwd=tmp)
        seconds = time.perf_counter() - t0
        if done.returncode not in (0, 1):   # 1: findings were reported
            raise RuntimeError(f"semgrep failed ({done.returncode}): {_messages(done)}")
        report = json.loads(done.stdout)
    index = {p.name: i for i, p in enumerate(names)}
    scanned = {Path(p).name for p in report["paths"]["scanned"]}
    found: list[set[str] | None] = [set() if p.name in scanned else None for p in names]
    parse_errors = [False] * len(snippets)
    for err in report["errors"]:
        i = index.get(Path(err.get("path", "")).name)
        if i is not None and _error_type(err) in SYNTAX_ERRORS:
            parse_errors[i] = True    # semgrep scanned what it could parse
        elif i is not None:
            found[i] = None           # e.g. a timeout: not judged, never "clean"
        elif err.get("level") == "error":   # a rule or run error, not one file's
            raise RuntimeError(f"semgrep reported an error: {err.get('long_msg') or err.get('message')}")
    for hit in report["results"]:
        i = index[Path(hit["path"]).name]
        if found[i] is not None:
            found[i].add(hit["extra"]["metadata"]["family"])
    return SemgrepRun(found, parse_errors, report["version"], seconds)


def _error_type(err: dict) -> str:
    """'Syntax error', 'PartialParsing', 'Timeout', ...: semgrep gives a name or [name, details]."""
    kind = err.get("type")
    return kind[0] if isinstance(kind, list) else str(kind)


def _messages(done: subprocess.CompletedProcess) -> str:
    """semgrep's own error messages (in its JSON output), else the end of what it printed."""
    try:
        errors = json.loads(done.stdout)["errors"]
        return "; ".join(str(e.get("long_msg") or e.get("message")) for e in errors)
    except (ValueError, KeyError):
        return (done.stderr or done.stdout)[-2000:]
