"""TLS verification switched off.

Rule: ``verify=False`` (also ``verify_ssl``/``ssl_verify``/``validate_certs``,
aiohttp ``ssl=False``) in any call, ``ssl._create_unverified_context`` used,
``CERT_NONE`` used outside a comparison, ``check_hostname = False``, attribute
``.verify = False``, ``tlsAllowInvalidCertificates=True``. ``urllib3.disable_warnings``
alone is not a finding: it hides warnings, it does not turn checks off.
"""

from __future__ import annotations

import ast
import re
from typing import Iterator

from helpers.judge._core import Scope, const_str, is_false, is_true, last_name

FAMILY = "tls_verification"


_TLS_KWARGS = {"verify", "verify_ssl", "ssl_verify", "validate_certs", "verify_certs",
               "check_hostname", "verify_cert", "cert_verify"}
# aiohttp spells "do not verify" as ssl=False; elsewhere (redis, databases) it means plain TCP
_AIOHTTP_CALLS = {"get", "post", "put", "patch", "delete", "head", "request", "ws_connect",
                  "TCPConnector"}


def detect(scope: Scope) -> Iterator[ast.AST]:
    """Certificate or hostname checks switched off."""
    in_compare = {id(x) for n in scope.nodes if isinstance(n, ast.Compare) for x in ast.walk(n)}
    for n in scope.nodes:
        if isinstance(n, ast.Call):
            for k in n.keywords:
                if is_false(k.value) and (k.arg in _TLS_KWARGS or (
                        k.arg == "ssl" and last_name(scope.aliases.qualname(n.func)) in _AIOHTTP_CALLS)):
                    yield n
                elif k.arg in ("tlsAllowInvalidCertificates", "tlsInsecure", "ssl_cert_reqs_none") \
                        and is_true(k.value):
                    yield n
                elif k.arg in ("cert_reqs", "ssl_cert_reqs") and const_str(k.value) in ("CERT_NONE", "none"):
                    yield n
        elif isinstance(n, ast.Attribute) and id(n) not in in_compare:
            if n.attr in ("_create_unverified_context", "CERT_NONE") and isinstance(n.ctx, ast.Load):
                yield n
        elif isinstance(n, ast.Name) and n.id in ("CERT_NONE", "_create_unverified_context") \
                and isinstance(n.ctx, ast.Load) and id(n) not in in_compare:
            yield n
        elif isinstance(n, ast.Assign) and is_false(n.value):
            if any(isinstance(t, ast.Attribute) and t.attr in ("check_hostname", "verify")
                   for t in n.targets):
                yield n


# the text fallback's patterns, for lines that never parsed
TEXT: list[re.Pattern] = [
    re.compile(r"\bverify(_ssl)?\s*=\s*False\b|_create_unverified_context|"
               r"(?<!==\s)(?<!==)\bCERT_NONE\b|check_hostname\s*=\s*False"),
]
