"""The text fallback: line-wise patterns for the lines that never parsed.

Comments and docstrings are removed first, and prose lines are skipped, so a sentence that
names a dangerous call is not a finding. Each family module holds its own patterns (`TEXT`).
"""

from __future__ import annotations

import keyword
import re

from helpers.judge import hardcoded_secret, insecure_random, path_traversal
from helpers.judge._core import QUOTED, Finding, split_words


def _strip_comment(line: str) -> str:
    quote = ""
    for i, c in enumerate(line):
        if quote:
            if c == quote:
                quote = ""
        elif c in "'\"":
            quote = c
        elif c == "#":
            return line[:i]
    return line


_PROSE = re.compile(r"^\s*([A-Za-z][\w'’]*)[,:]?(\s+[A-Za-z`][\w'’`,.]*){3,}")


def _prose(line: str) -> bool:
    """A sentence, not code: four plain words in a row, the first not a Python keyword."""
    m = _PROSE.match(line)
    return bool(m) and not keyword.iskeyword(m.group(1)) and m.group(1) not in ("print", "exec")


def text_findings(lines: list[str], which: set[int],
                  patterns: dict[str, list[re.Pattern]]) -> list[Finding]:
    """Regex detectors on the given (1-based) lines, comments and docstrings removed."""
    clean: dict[int, str] = {}
    in_doc = ""
    for i, raw in enumerate(lines, 1):
        s = raw.strip()
        if in_doc:
            if in_doc in s:
                in_doc = ""
            continue
        doc = next((q for q in ('"""', "'''") if s.startswith(q) or s.startswith("r" + q)), "")
        if doc and s.count(doc) == 1:
            in_doc = doc
        clean[i] = "" if doc or _prose(raw) else _strip_comment(raw)
    all_text = "\n".join(clean.values())
    built = set(re.findall(rf"^\s*(\w+)\s*\+?=\s*(?:f[\"']|{QUOTED}\s*(?:%|\+|\.format))", all_text, re.M))
    words = [w for n in re.findall(r"(?:def|class)\s+(\w+)|^\s*(\w+)\s*=", all_text, re.M)
             for part in n for w in [""] + split_words(part)]
    secret_ctx = insecure_random.secret_context(words)
    out = []
    for i in sorted(which):
        line = clean.get(i, "")
        if not line.strip():
            continue
        for fam, pats in patterns.items():
            hit = any(_confirmed(fam, p, m, line, all_text, secret_ctx) for p in pats for m in p.finditer(line))
            if not hit and fam == "sql_injection" and built:
                hit = bool(re.search(r"\.(execute|executemany|executescript|read_sql\w*)\s*\(\s*(%s)\b"
                                     % "|".join(map(re.escape, built)), line))
            if hit:
                out.append(Finding(fam, i, line.strip(), "text"))
    return out


def _confirmed(fam: str, pattern: re.Pattern, m: re.Match, line: str, all_text: str, secret_ctx: bool) -> bool:
    """Does a pattern's match count? Three families need more than the match itself."""
    if fam == "hardcoded_secret" and "name" in pattern.groupindex:
        return (hardcoded_secret.secret_name(m.group("name"))
                and not hardcoded_secret.PLACEHOLDER.search(m.group("value"))
                and "getenv" not in line and "environ" not in line)
    if fam == "path_traversal":
        return not path_traversal.TEXT_SAFE.search(all_text)
    if fam == "insecure_random":
        return secret_ctx
    return True
