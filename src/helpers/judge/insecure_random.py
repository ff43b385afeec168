"""Insecure randomness: the random module where its output is a secret.

Rule: a call of ``random.{random,randint,randrange,choice,choices,sample,shuffle,
getrandbits,uniform,randbytes}`` (or ``numpy.random``) in a scope whose function name,
docstring or assigned names mention token/password/passwd/secret/key/salt/nonce/otp/
session/code/pin/reset/csrf/api key (word match; "colour_code" and friends excluded), or
in a method of a class whose name does (``PasswordGenerator.generate``).
``secrets.*`` and ``random.SystemRandom()`` are fine.
"""

from __future__ import annotations

import ast
import re
from typing import Iterator

from helpers.judge._core import Scope, last_name, split_words

FAMILY = "insecure_random"


_RANDOM_FUNCS = {"random", "randint", "randrange", "choice", "choices", "sample", "shuffle",
                 "getrandbits", "uniform", "randbytes", "rand", "bytes"}
_SECRET_CONTEXT = {"token", "password", "passwd", "pwd", "secret", "key", "salt", "nonce", "otp",
                   "session", "code", "pin", "reset", "csrf", "apikey", "passphrase", "credential",
                   "verification", "auth", "iv", "sid"}
_NOT_SECRET_CODE = {"color", "colour", "country", "zip", "postal", "exit", "status", "error",
                    "http", "source", "lang", "language", "area", "product", "hex", "return"}


_NOT_SECRET_KEY = {"sort", "cache", "dict", "primary", "foreign", "lookup", "group", "hot", "press",
                   "map", "row", "column", "partition"}


def secret_context(words: list[str]) -> bool:
    """Do these words (in order) describe a secret? "code" and "key" need a fitting neighbour."""
    if set(words) & (_SECRET_CONTEXT - {"code", "key"}):
        return True
    return any((w == "code" and prev not in _NOT_SECRET_CODE) or (w == "key" and prev not in _NOT_SECRET_KEY)
               for prev, w in zip([""] + words, words))


def detect(scope: Scope) -> Iterator[ast.AST]:
    """The `random` module used where its output is a secret."""
    hits = [call for call, q in scope.calls
            if (q.startswith("random.") or q.startswith("numpy.random."))
            and "SystemRandom" not in q and "()" not in q and last_name(q) in _RANDOM_FUNCS]
    if not hits:
        return
    text = [getattr(scope.node, "name", ""), scope.owner]
    if scope.func is not None:
        text.append(ast.get_docstring(scope.node, clean=False) or "")
    text += list(scope.flow.values)
    ordered = [w for t in text for w in [""] + split_words(t)]
    if secret_context(ordered):
        yield from hits


# the text fallback's patterns, for lines that never parsed
TEXT: list[re.Pattern] = [
    re.compile(r"\b(random|np\.random|numpy\.random)\.(choice|choices|randint|randrange|random|"
               r"getrandbits|sample|shuffle|uniform|randbytes)\s*\("),
]
