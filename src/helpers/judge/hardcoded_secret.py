"""Hard-coded secrets: a credential literal in the source.

Rule: a non-placeholder string literal assigned to (or passed as keyword, dict
key, default argument, compared with) a name whose words say password/passwd/pwd/
passphrase/secret/token/auth/credential or api/access/private/signing/auth key; an
``Authorization`` header with a literal credential; a literal password in ``auth=(u, p)``,
``HTTPBasicAuth``, ``.login(user, pw)`` or a ``scheme://user:pw@host`` URL. Names ending in
a non-secret word (``token_url``, ``password_field``, ``secret_name``...) are not secrets.
Weaker names (``..._key``, ``appid``, ``webhook``) count only with a key-like literal
(8+ characters, letters and digits). Literals are followed through local names, dict
literals (``settings["key"]``), ``+``/f-strings and ``.encode()``. Known key formats
(``sk_live_``, ``ghp_``, ``AIza``, Slack webhooks, private-key blocks...) and URLs with a
password (``scheme://user:pw@host``) are secrets wherever they appear; key *ids* such as
``AKIA...`` are not.
Placeholders, not flagged: empty/whitespace, mask characters only (``"****"``,
``"xxxx"``), templates (``"<API_KEY>"``, ``"${TOKEN}"``, ``"{token}"``), "your ... here"
fillers, and a value that is only a field name (``"password"``). ``"changeme"`` IS flagged:
a default credential shipped in code is exactly the flaw. Reading ``os.environ``/``os.getenv``
is fine, but a literal *default* (``os.environ.get("DB_PASSWORD", "Tr0ub4dor&3")``) that
reaches a credential slot IS flagged: it ships in the source and is used whenever the
variable is missing.
"""

from __future__ import annotations

import ast
import re
from typing import Iterator

from helpers.judge._core import (BUILD_METHODS, Flow, MAX_DEPTH, STR_METHODS, Scope, argument,
                                const_str, last_name, split_words)

FAMILY = "hardcoded_secret"


_SECRET_WORDS = {"password", "passwd", "pwd", "passphrase", "secret", "token", "apikey",
                 "credential", "auth", "authorization", "passcode"}
_SECRET_PAIRS = {("api", "key"), ("access", "key"), ("private", "key"), ("signing", "key"),
                 ("auth", "key"), ("encryption", "key"), ("master", "key")}
# weak credential words: only a literal that looks like a key (letters and digits, no spaces)
_KEYLIKE_WORDS = {"key", "appid", "webhook", "dsn"}
_NOT_KEY_BEFORE = {"sort", "cache", "dict", "primary", "foreign", "lookup", "group", "hot", "press",
                   "map", "row", "column", "partition", "object", "s3", "public", "idempotency",
                   "storage", "redis", "json", "config", "registry", "translation", "i18n"}
_NOT_SECRET_LAST = {"url", "uri", "endpoint", "field", "name", "type", "file", "path", "dir",
                    "env", "var", "header", "prompt", "label", "length", "len", "hash",
                    "pattern", "regex", "re", "format", "fmt", "id", "count", "min", "max",
                    "policy", "template", "message", "msg", "placeholder", "column", "col",
                    "param", "method", "required", "expiry", "expire", "ttl", "timeout",
                    "lifetime", "age", "algorithm", "alg", "scheme", "location", "route", "input",
                    "widget", "form", "error", "hint", "mode", "provider", "backend", "attempt",
                    "retry", "valid", "validator", "strength", "rule", "second", "minute", "hour",
                    "day", "prefix", "suffix", "class", "style", "size", "limit", "version",
                    "kind", "table", "filename", "enabled", "flag", "store", "manager", "helper",
                    "service", "handler", "client", "box", "text", "tokenizer", "encoding",
                    "command", "question", "link", "user", "username", "login", "email", "host",
                    "port", "region", "bucket"}
_NOT_SECRET_FIRST = {"is", "has", "use", "num", "n", "max", "min", "show", "enable", "require",
                     "check", "validate", "verify", "hash", "hashed", "get", "set", "reset",
                     "forgot", "need", "allow"}


def secret_name(name: str, value: str | None = None) -> bool:
    """Does an identifier or key name say it holds a credential?

    Strong words (password, secret, token...) decide alone; weak ones ("..._key", "appid",
    "webhook") only with a `value` that looks like a key: 8+ characters, letters and digits,
    no spaces.
    """
    w = split_words(name)
    if not w or w[-1] in _NOT_SECRET_LAST or w[0] in _NOT_SECRET_FIRST:
        return False
    if set(w) & _SECRET_WORDS or any(p in _SECRET_PAIRS for p in zip(w, w[1:])):
        return True
    return (value is not None and w[-1] in _KEYLIKE_WORDS
            and (len(w) < 2 or w[-2] not in _NOT_KEY_BEFORE)
            and bool(re.fullmatch(r"(?=.*\d)(?=.*[A-Za-z])\S{8,}", value)))


PLACEHOLDER = re.compile(
    r"""^\s*$|^[xX*.\-_#•?0]+$|^<[^<>]*>$|^\$?\{[^{}]*\}$|^%\(?\w*\)?s$|^\$\w+$|
        your[\w\- ]*(key|token|password|secret|here)|placeholder|redacted|^todo\b|^none$|^null$""",
    re.X | re.I)
_FIELD_NAMES = {"password", "passwd", "pwd", "secret", "token", "api_key", "apikey", "auth",
                "access_token", "refresh_token", "client_secret", "secret_key"}
# credential formats that are secrets wherever they appear (not key ids like AKIA..., AC...)
_KNOWN_SECRET = re.compile(
    r"\b(sk|rk)_(live|test)_[0-9A-Za-z]{10,}|\bsk-(proj-)?[A-Za-z0-9_\-]{16,}|\bgh[pousr]_[A-Za-z0-9]{20,}"
    r"|\bgithub_pat_\w{20,}|\bAIza[0-9A-Za-z_\-]{30,}|\bxox[abposr]-[A-Za-z0-9-]{10,}"
    r"|hooks\.slack\.com/services/\w+|-----BEGIN ([A-Z]+ )?PRIVATE KEY-----|\bglpat-[\w\-]{20,}"
    r"|\bwhsec_[A-Za-z0-9]{10,}|\bATATT[\w\-]{10,}|\beyJ[\w-]{10,}\.eyJ[\w-]{10,}\.|\bSG\.[\w\-]{16,}\.")


def _credential(s: str | None) -> bool:
    """A literal that is a real credential, not a placeholder or a field name."""
    if s is None or PLACEHOLDER.search(s):
        return False
    return not (re.fullmatch(r"[A-Za-z_\-]+", s) and s.lower().replace("-", "_") in _FIELD_NAMES)


_ENV_GETTERS = {"os.environ.get", "os.getenv", "environ.get", "getenv", "os.environ.setdefault"}


def _resolve_str(e: ast.AST | None, flow: Flow, seen: frozenset = frozenset(), depth: int = 0) -> str | None:
    """The string `e` evaluates to when literals alone decide it, else None.

    Follows local names, `settings["key"]` on a dict literal, `.encode()`/`.strip()`, `+` and
    f-strings, and the literal default of `os.environ.get`/`os.getenv`.
    """
    if e is None or depth > MAX_DEPTH:
        return None
    rec = lambda x: _resolve_str(x, flow, seen, depth + 1)  # noqa: E731
    s = const_str(e)
    if s is not None:
        return s
    if isinstance(e, ast.Name) and e.id in flow.values and e.id not in seen:
        for v in flow.values[e.id]:
            r = _resolve_str(v, flow, seen | {e.id}, depth + 1)
            if r is not None:
                return r
        return None
    if isinstance(e, ast.Subscript) and const_str(e.slice) is not None:
        key = const_str(e.slice)
        for d in (flow.values.get(e.value.id, []) if isinstance(e.value, ast.Name) else []):
            if isinstance(d, ast.Dict):
                for k, v in zip(d.keys, d.values):
                    if const_str(k) == key:
                        return rec(v)
        return None
    if isinstance(e, ast.Call):
        q = flow.aliases.qualname(e.func)
        if q in _ENV_GETTERS:
            return rec(argument(e, 1, "default"))
        if isinstance(e.func, ast.Attribute) and e.func.attr in STR_METHODS - BUILD_METHODS:
            return rec(e.func.value)
        if q in ("str", "bytes") and e.args:
            return rec(e.args[0])
        return None
    if isinstance(e, ast.BinOp) and isinstance(e.op, ast.Add):
        a, b = rec(e.left), rec(e.right)
        return a + b if a is not None and b is not None else None
    if isinstance(e, ast.JoinedStr):
        parts = [const_str(v) if isinstance(v, ast.Constant) else rec(v.value) for v in e.values]
        return "".join(parts) if all(p is not None for p in parts) else None
    return None


_AUTH_SCHEME = re.compile(r"^\s*(bearer|basic|token|digest|apikey|api-key)\s+(\S.*)$", re.I)


def _target_name(t: ast.AST) -> str:
    if isinstance(t, ast.Name):
        return t.id
    if isinstance(t, ast.Attribute):
        return t.attr
    if isinstance(t, ast.Subscript):
        return const_str(t.slice) or ""
    return ""


def _slot_leaks(name: str, value: ast.AST | None, flow: Flow) -> bool:
    """Does a credential-named slot (variable, key, keyword, header) receive a literal?"""
    if value is None:
        return False
    if isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == 2 and \
            set(split_words(name)) & {"auth", "credential", "cred", "creds"}:
        user, pw = (_resolve_str(x, flow) for x in value.elts)
        return _credential(pw) or (pw == "" and _credential(user))
    s = _resolve_str(value, flow)
    if s is None:
        return False
    if name.lower() in ("authorization", "proxy-authorization"):
        m = _AUTH_SCHEME.match(s)
        return bool(m) and _credential(m.group(2))
    return secret_name(name, s) and _credential(s)


# positional credential slots: callee (last name part) -> argument index
_CRED_ARGS = {"HTTPBasicAuth": 1, "HTTPDigestAuth": 1, "BasicAuth": 1, "login": 1,
              "authenticate": 1, "PlainCredentials": 1, "Fernet": 0, "jwt.encode": 1,
              "jwt.decode": 1, "hmac.new": 0, "twilio.rest.Client": 1, "set_password": 2}
_URL_CRED = re.compile(r"://[^/\s:@]+:([^@\s/]+)@")


def detect(scope: Scope) -> Iterator[ast.AST]:
    """A credential literal that reaches a credential slot, or a known key format anywhere."""
    flow = scope.flow
    f = scope.func
    if f is not None:
        a = f.args
        pos = a.posonlyargs + a.args
        pairs = list(zip(pos[len(pos) - len(a.defaults):], a.defaults))
        pairs += [(x, d) for x, d in zip(a.kwonlyargs, a.kw_defaults) if d is not None]
        for arg, default in pairs:
            if _slot_leaks(arg.arg, default, flow):
                yield default
    docstrings = {id(n.value) for n in scope.nodes if isinstance(n, ast.Expr)}
    for n in scope.nodes:
        if isinstance(n, (ast.Assign, ast.AnnAssign)) and n.value is not None:
            targets = n.targets if isinstance(n, ast.Assign) else [n.target]
            for t in targets:
                vals = [(t, n.value)]
                if isinstance(t, ast.Tuple) and isinstance(n.value, ast.Tuple) \
                        and len(t.elts) == len(n.value.elts):
                    vals = list(zip(t.elts, n.value.elts))
                if any(_slot_leaks(_target_name(tt), v, flow) for tt, v in vals):
                    yield n
        elif isinstance(n, ast.Dict):
            for k, v in zip(n.keys, n.values):
                if _slot_leaks(const_str(k) or "", v, flow):
                    yield v
        elif isinstance(n, ast.Compare) and len(n.comparators) == 1 \
                and isinstance(n.ops[0], (ast.Eq, ast.NotEq)):
            for side, lit in ((n.left, n.comparators[0]), (n.comparators[0], n.left)):
                if secret_name(_target_name(side)) and _credential(const_str(lit)):
                    yield n
        elif isinstance(n, ast.Call):
            yield from _secret_in_call(n, scope)
        elif isinstance(n, ast.Constant) and id(n) not in docstrings:
            if _literal_secret(const_str(n)):
                yield n


def _literal_secret(s: str | None) -> bool:
    """A literal that is a secret wherever it appears: a known key format, or a URL with a password."""
    if not s:
        return False
    m = _URL_CRED.search(s)
    return bool(_KNOWN_SECRET.search(s)) or bool(
        m and _credential(m.group(1)) and not re.search(r"[{}%$]", m.group(1)))


def _secret_in_call(call: ast.Call, scope: Scope) -> Iterator[ast.AST]:
    flow = scope.flow
    for k in call.keywords:
        if k.arg and _slot_leaks(k.arg, k.value, flow):
            yield k.value
    q = scope.aliases.qualname(call.func)
    slot = _CRED_ARGS.get(q, _CRED_ARGS.get(last_name(q)))
    if slot is not None and len(call.args) > slot and _credential(_resolve_str(call.args[slot], flow)):
        yield call
    for a in call.args:
        if not isinstance(a, ast.Constant) and _literal_secret(_resolve_str(a, flow)):
            yield a


# the text fallback's patterns, for lines that never parsed
TEXT: list[re.Pattern] = [
    re.compile(r"(?P<name>[A-Za-z_][\w]*)[\"']?\s*(=|:)\s*[bru]?[\"'](?P<value>[^\"']*)[\"']"),
    re.compile(r"[\"']Authorization[\"']\s*:\s*[\"'](Bearer|Basic|Token)\s+\w", re.I),
]
