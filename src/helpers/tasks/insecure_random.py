"""Insecure randomness for secrets (CWE-330): the random module vs secrets / os.urandom.

A task's `kind` says what is generated: "alnum" (letters and digits, `n` long, or with
punctuation when `punct`), "hex" (`n` random bytes as hex), "digits" (an `n`-digit code) or
"bytes" (`n` raw bytes). The value goes to a variable `var`; `sink` lines use it as `{t}`.
"""

from __future__ import annotations

from helpers.tasks._core import Spec, Variant, spec, comment_pair

FAMILY = "insecure_random"

SPECS = [
    spec("generate_reset_token", "user_id", "Create a password-reset token for a user.",
         kind="hex", n=16, var="token", sink=["return {{\"user_id\": user_id, \"token\": {t}}}"]),
    spec("new_session_id", "", "Make a fresh session identifier.", kind="hex", n=32, var="session_id",
         sink=["return {t}"]),
    spec("one_time_code", "", "Produce a six-digit login code to send by SMS.", kind="digits", n=6,
         var="code", sink=["return {t}"]),
    spec("random_password", "length", "Suggest a random password of the requested length.", kind="alnum",
         n="length", punct=True, var="password", sink=["return {t}"]),
    spec("make_salt", "", "Return sixteen random bytes to salt a password hash.", kind="bytes", n=16,
         var="salt", sink=["return {t}"]),
    spec("invite_code", "team", "Create a short code that lets someone join a team.", kind="alnum", n=10,
         var="code", sink=["return f\"{{team}}-{{{t}}}\""]),
    spec("csrf_token", "session", "Store a new anti-forgery token in the session and return it.",
         kind="hex", n=16, var="token", sink=["session[\"csrf\"] = {t}", "return {t}"]),
    spec("new_api_key", "client_name", "Issue an API key for a client application.", kind="alnum", n=40,
         var="key", sink=["return client_name, {t}"]),
    spec("verification_pin", "phone", "Pick a four-digit PIN to confirm a phone number.", kind="digits",
         n=4, var="pin", sink=["return {{\"phone\": phone, \"pin\": {t}}}"]),
    spec("encryption_key", "", "Generate a 32-byte key for symmetric encryption.", kind="bytes", n=32,
         var="key", sink=["return {t}"]),
    spec("email_confirmation_link", "email", "Build the link that confirms a new email address.",
         kind="hex", n=20, var="token", sink=["return f\"https://example.com/confirm?e={{email}}&t={{{t}}}\""]),
    spec("temporary_password", "", "Give a new employee a temporary first-login password.", kind="alnum",
         n=12, punct=True, var="temp", sink=["return {t}"]),
    spec("two_factor_backup_codes", "count", "List backup codes for two-factor sign-in, eight digits each.",
         kind="digits", n=8, var="code", sink=["return [{t} for _ in range(count)]"], expr_only=True),
    spec("nonce_for_request", "", "Return a nonce to sign an outgoing API request.", kind="hex", n=12,
         var="nonce", sink=["return {t}"]),
    spec("aes_iv", "", "Create the 16-byte initialisation vector for one AES message.", kind="bytes", n=16,
         var="iv", sink=["return {t}"]),
    spec("gift_card_number", "", "Make the secret redemption code printed on a gift card.", kind="alnum",
         n=16, var="code", sink=["return \"-\".join({t}[i:i + 4] for i in range(0, 16, 4))"]),
    spec("unlock_code", "device_id", "Pick the code that unlocks a locked device.", kind="digits", n=6,
         var="code", sink=["return device_id, {t}"]),
    spec("oauth_state", "", "Create the state value that protects an OAuth redirect.", kind="hex", n=24,
         var="state", sink=["return {t}"]),
    spec("wifi_guest_password", "ssid", "Set a fresh guest network password.", kind="alnum", n=14,
         var="password", sink=["return {{\"ssid\": ssid, \"password\": {t}}}"]),
    spec("signing_secret", "", "Generate the secret used to sign webhook deliveries.", kind="bytes", n=32,
         var="secret_bytes", sink=["return {t}.hex()"]),
    spec("magic_login_link", "user_email", "Email-login link carrying a single-use token.", kind="hex", n=24,
         var="token", sink=["return f\"https://app.example.com/login/{{{t}}}\""]),
    spec("door_access_code", "", "Draw a new five-digit keypad code for the office door.", kind="digits",
         n=5, var="code", sink=["return {t}"]),
    spec("recovery_phrase_seed", "", "Produce the secret seed bytes behind a wallet recovery phrase.",
         kind="bytes", n=32, var="seed", sink=["return {t}"]),
    spec("share_link_token", "doc_id", "Create the secret part of a document share link.", kind="alnum",
         n=22, var="token", sink=["return f\"/share/{{doc_id}}/{{{t}}}\""]),
    spec("refresh_token", "user", "Issue a long-lived refresh token and remember it on the user.",
         kind="hex", n=32, var="token", sink=["user[\"refresh_token\"] = {t}", "return {t}"]),
    spec("voucher_pin", "", "Return the scratch-off PIN printed on a prepaid voucher.", kind="digits",
         n=10, var="pin", sink=["return {t}"]),
    spec("admin_bootstrap_password", "", "Create the first admin password for a fresh install.",
         kind="alnum", n=20, punct=True, var="password", sink=["return {t}"]),
]

VARIANTS: list[Variant] = []
COMMENTS = ["NOTE: shown to the user once", "TODO: make the length configurable", "FIXME: store it hashed"]


def _alphabet(s: Spec) -> str:
    return "string.ascii_letters + string.digits" + (" + string.punctuation" if s.p.get("punct") else "")


# per kind: style name -> (vulnerable (imports, lines), secure (imports, lines)); {v} the variable, {n}
_STYLES = {
    "alnum": {
        "choice_join": ((["random", "string"], ["alphabet = {a}",
                                                "{v} = \"\".join(random.choice(alphabet) for _ in range({n}))"]),
                        (["secrets", "string"], ["alphabet = {a}",
                                                 "{v} = \"\".join(secrets.choice(alphabet) for _ in range({n}))"])),
        "choices_k": ((["random", "string"], ["{v} = \"\".join(random.choices({a}, k={n}))"]),
                      (["secrets", "string"], ["{v} = \"\".join(secrets.choice({a}) for _ in range({n}))"])),
        "from_import_choice": ((["from random import choice", "string"],
                                ["chars = {a}", "{v} = \"\".join(choice(chars) for _ in range({n}))"]),
                               (["from secrets import choice", "string"],
                                ["chars = {a}", "{v} = \"\".join(choice(chars) for _ in range({n}))"])),
        "randint_index": ((["random", "string"], ["pool = {a}",
                                                  "picks = [pool[random.randint(0, len(pool) - 1)] for _ in range({n})]",
                                                  "{v} = \"\".join(picks)"]),
                          (["secrets", "string"], ["pool = {a}",
                                                   "picks = [pool[secrets.randbelow(len(pool))] for _ in range({n})]",
                                                   "{v} = \"\".join(picks)"])),
    },
    "hex": {
        "getrandbits_hex": ((["random"], ["{v} = \"%0{w}x\" % random.getrandbits({bits})"]),
                            (["secrets"], ["{v} = secrets.token_hex({n})"])),
        "choice_hexdigits": ((["random"], ["{v} = \"\".join(random.choice(\"0123456789abcdef\") for _ in range({w}))"]),
                             (["secrets"], ["{v} = \"\".join(secrets.choice(\"0123456789abcdef\") for _ in range({w}))"])),
        "randrange_format": ((["random"], ["{v} = format(random.randrange(16 ** {w}), \"0{w}x\")"]),
                             (["secrets"], ["{v} = format(secrets.randbelow(16 ** {w}), \"0{w}x\")"])),
        "time_seeded": ((["random", "time"], ["random.seed(time.time())",
                                              "{v} = \"%0{w}x\" % random.getrandbits({bits})"]),
                        (["secrets"], ["{v} = secrets.token_urlsafe({n})"])),
    },
    "digits": {
        "randint_range": ((["random"], ["{v} = str(random.randint({lo}, {hi}))"]),
                          (["secrets"], ["{v} = str(secrets.randbelow({span}) + {lo})"])),
        "randrange_zfill": ((["random"], ["{v} = str(random.randrange(10 ** {n})).zfill({n})"]),
                            (["secrets"], ["{v} = str(secrets.randbelow(10 ** {n})).zfill({n})"])),
        "choice_digits": ((["random", "string"], ["{v} = \"\".join(random.choice(string.digits) for _ in range({n}))"]),
                          (["secrets", "string"], ["{v} = \"\".join(secrets.choice(string.digits) for _ in range({n}))"])),
        "getrandbits_mod": ((["random"], ["{v} = \"%0{n}d\" % (random.getrandbits(40) % 10 ** {n})"]),
                            (["secrets"], ["{v} = \"%0{n}d\" % secrets.randbelow(10 ** {n})"])),
    },
    "bytes": {
        "randbytes": ((["random"], ["{v} = random.randbytes({n})"]),
                      (["secrets"], ["{v} = secrets.token_bytes({n})"])),
        "getrandbits_to_bytes": ((["random"], ["{v} = random.getrandbits({bits}).to_bytes({n}, \"big\")"]),
                                 (["secrets"], ["{v} = secrets.randbits({bits}).to_bytes({n}, \"big\")"])),
        "byte_comprehension": ((["random"], ["{v} = bytes(random.randint(0, 255) for _ in range({n}))"]),
                               (["os"], ["{v} = os.urandom({n})"])),
        "from_import_randbytes": ((["from random import randbytes"], ["{v} = randbytes({n})"]),
                                  (["from os import urandom"], ["{v} = urandom({n})"])),
    },
}


def _imports(mods: list[str]) -> list[str]:
    return [m if m.startswith("from ") else f"import {m}" for m in mods]


def _build(s: Spec, kind: str, style: str):
    if s.p["kind"] != kind:
        return None
    n = s.p["n"]
    fields = {"a": _alphabet(s), "n": n}
    if isinstance(n, int):
        fields.update(w=2 * n, bits=8 * n, lo=10 ** (n - 1), hi=10 ** n - 1, span=9 * 10 ** (n - 1))
    (vi, vl), (si, sl) = _STYLES[kind][style]
    if s.p.get("expr_only") and (len(vl) > 1 or len(sl) > 1):
        return None
    out = []
    for imports, lines in ((vi, vl), (si, sl)):
        lines = [ln.format(v=s.p["var"], **fields) for ln in lines]
        if s.p.get("expr_only"):   # the sink repeats the draw: use the expression itself
            expr = lines[0].split(" = ", 1)[1]
            body = _imports(imports) + [ln.format(t=expr) for ln in s.p["sink"]]
        else:
            body = _imports(imports) + lines + [ln.format(t=s.p["var"]) for ln in s.p["sink"]]
        out.append(body)
    return comment_pair(s, out[0], out[1], COMMENTS, style, every=3)


for _kind, _styles in _STYLES.items():
    for _style in _styles:
        VARIANTS.append(Variant(_style, lambda s, _k=_kind, _st=_style: _build(s, _k, _st)))
