"""Weak hashing: md5 and sha1 used for security.

Rule: calls of ``hashlib.md5``/``sha1``, ``hashlib.new("md5"|"sha1")``,
``Crypto(dome).Hash.MD5/SHA/SHA1.new`` and ``cryptography`` ``hashes.MD5()/SHA1()``, unless
``usedforsecurity=False`` is passed. Passing ``hashlib.sha1`` as an HMAC digest is not a
call and is not flagged.
"""

from __future__ import annotations

import ast
import re
from typing import Iterator

from helpers.judge._core import Scope, argument, const_str, is_false, keyword_arg

FAMILY = "weak_hash"


_WEAK = {"md5", "sha1", "sha", "md4", "md2"}


def detect(scope: Scope) -> Iterator[ast.AST]:
    """md5/sha1 computed for security (no usedforsecurity=False)."""
    for call, q in scope.calls:
        if is_false(keyword_arg(call, "usedforsecurity")):
            continue
        parts = q.split(".")
        if q in ("hashlib.md5", "hashlib.sha1", "_hashlib.openssl_md5", "_hashlib.openssl_sha1"):
            yield call
        elif q == "hashlib.new":
            algo = const_str(argument(call, 0, "name"))
            if algo and algo.lower().replace("-", "") in _WEAK:
                yield call
        elif (len(parts) >= 3 and parts[0] in ("Crypto", "Cryptodome") and parts[-1] == "new"
              and parts[-2] in ("MD5", "SHA", "SHA1", "MD4", "MD2")):
            yield call
        elif q.startswith("cryptography.") and parts[-1] in ("MD5", "SHA1"):
            yield call


# the text fallback's patterns, for lines that never parsed
TEXT: list[re.Pattern] = [
    re.compile(r"\bhashlib\.(md5|sha1)\s*\((?!.*usedforsecurity\s*=\s*False)"),
    re.compile(r"\.new\(\s*[\"'](md5|sha1|MD5|SHA1)[\"'](?!.*usedforsecurity\s*=\s*False)"),
    re.compile(r"\b(MD5|SHA1?)\.new\s*\("),
]
