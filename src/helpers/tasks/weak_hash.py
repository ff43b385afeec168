"""Weak password hashing (CWE-328): md5/sha1 digests vs a salted, slow key derivation.

A task's `secret` is the argument holding the password-like value. `sink` says what happens
with the hash `{h}`; `verify` tasks instead compare against the stored value in `stored`
(the secure form stores "salt:digest" in hex).
"""

from __future__ import annotations

from helpers.tasks._core import Spec, Variant, spec, comment_pair

FAMILY = "weak_hash"

SPECS = [
    spec("hash_password", "password", "Hash a password for storage in the users table.",
         secret="password", sink="return {h}"),
    spec("verify_password", "password, stored", "Check a login password against the stored hash.",
         secret="password", verify="stored"),
    spec("register_user", "db, username, password", "Create an account with a hashed password in the dict store.",
         secret="password", sink="db[username] = {h}"),
    spec("hash_pin", "pin", "Turn a four-digit card PIN into a value fit for the database.",
         secret="pin", sink="return {h}"),
    spec("check_pin", "pin, pin_hash", "Tell whether the PIN a customer typed matches the saved one.",
         secret="pin", verify="pin_hash"),
    spec("credential_record", "email, password", "Build the row to insert for a new login: email plus hash.",
         secret="password", sink="return {{\"email\": email, \"password_hash\": {h}}}"),
    spec("hash_security_answer", "answer", "Store the answer to a security question in hashed form.",
         secret="answer.strip().lower()", sink="return {h}"),
    spec("change_password", "user, new_password", "Replace a user's password hash with one for a new password.",
         secret="new_password", sink="user[\"password_hash\"] = {h}"),
    spec("matches_passphrase", "passphrase, expected", "Confirm a vault passphrase against its recorded hash.",
         secret="passphrase", verify="expected"),
    spec("hash_admin_password", "raw", "Hash the admin console password before saving the settings.",
         secret="raw", sink="return {h}"),
    spec("store_api_secret_hash", "records, client_id, client_secret",
         "Keep only a hash of a client's secret in the records.",
         secret="client_secret", sink="records[client_id] = {h}"),
    spec("verify_recovery_code", "code, code_hash", "Validate a one-time account recovery code against its hash.",
         secret="code", verify="code_hash"),
    spec("hash_wifi_passphrase", "ssid, passphrase", "Return the network name with a hash of its passphrase.",
         secret="passphrase", sink="return (ssid, {h})"),
    spec("seed_test_accounts", "names, password", "Give each test account the same starting password, hashed.",
         secret="password", sink="return dict.fromkeys(names, {h})"),
    spec("authenticate", "users, username, password", "Return True when the username exists and the password fits.",
         secret="password", verify="users[username]"),
    spec("hash_door_code", "door_code", "Hash a building door code before it is synced to the locks.",
         secret="door_code", sink="return {h}"),
    spec("set_account_password", "account, password", "Set the password field of an account object.",
         secret="password", sink="account.password_hash = {h}"),
    spec("password_ok", "attempt, saved", "Say whether an attempted password equals the saved credential.",
         secret="attempt", verify="saved"),
    spec("hash_master_key", "master_password", "Derive the value kept to recognise the master password later.",
         secret="master_password", sink="return {h}"),
    spec("enroll_employee", "directory, badge_id, password", "Add an employee badge with its hashed password.",
         secret="password", sink="directory[badge_id] = {h}"),
    spec("login_allowed", "typed, stored_hash", "Decide if the typed password may log in.",
         secret="typed", verify="stored_hash"),
    spec("hash_guest_password", "room, password", "Hash the guest password for a hotel room portal.",
         secret="password", sink="return {{\"room\": room, \"hash\": {h}}}"),
    spec("hash_parental_code", "code", "Protect the parental-control code by hashing it.",
         secret="code", sink="return {h}"),
    spec("check_vault_key", "key_text, key_hash", "Check a typed vault key against the hash on file.",
         secret="key_text", verify="key_hash"),
    spec("migrate_plaintext_password", "row", "Replace the plain password kept in a row by its hash.",
         secret="row[\"password\"]", sink="row[\"password\"] = {h}"),
    spec("hash_share_password", "link_id, password", "Protect a shared link with a password hash.",
         secret="password", sink="return link_id, {h}"),
    spec("confirm_old_password", "old_password, current_hash", "Make sure the old password is right before a change.",
         secret="old_password", verify="current_hash"),
]

VARIANTS: list[Variant] = []
COMMENTS = ["NOTE: same format as the login service", "hash before storing", "TODO: migrate old rows"]

# (imports, lines computing a digest of {x}, the expression for the stored string) per scheme
_WEAK = {
    "md5_hexdigest": (["import hashlib"], [], "hashlib.md5({x}.encode()).hexdigest()"),
    "sha1_variable": (["import hashlib"], ["digest = hashlib.sha1({x}.encode(\"utf-8\")).hexdigest()"], "digest"),
    "new_md5_update": (["import hashlib"], ["h = hashlib.new(\"md5\")", "h.update({x}.encode())"], "h.hexdigest()"),
    "from_import_sha1": (["from hashlib import sha1"], [], "sha1({x}.encode()).hexdigest()"),
}
# (imports, lines deriving `digest` from {x} and `salt`, salt generator line)
_STRONG = {
    "md5_hexdigest": (["import hashlib", "import os"],
                      "digest = hashlib.pbkdf2_hmac(\"sha256\", {x}.encode(), salt, 100_000)",
                      "salt = os.urandom(16)"),
    "sha1_variable": (["import hashlib", "import os"],
                      "digest = hashlib.scrypt({x}.encode(\"utf-8\"), salt=salt, n=2**14, r=8, p=1)",
                      "salt = os.urandom(16)"),
    "new_md5_update": (["import hashlib", "import secrets"],
                       "digest = hashlib.pbkdf2_hmac(\"sha512\", {x}.encode(), salt, 200_000)",
                       "salt = secrets.token_bytes(16)"),
    "from_import_sha1": (["from hashlib import pbkdf2_hmac", "from os import urandom"],
                         "digest = pbkdf2_hmac(\"sha256\", {x}.encode(), salt, 310_000)",
                         "salt = urandom(16)"),
}


def _pair(s: Spec, scheme: str):
    x = s.p["secret"]
    w_imp, w_lines, w_expr = _WEAK[scheme]
    s_imp, s_derive, s_salt = _STRONG[scheme]
    w_lines = [ln.format(x=x) for ln in w_lines]
    stored = s.p.get("verify")
    if stored:
        vul = w_imp + ["import hmac"] * (scheme == "sha1_variable") + w_lines
        weak = w_expr.format(x=x)
        vul += [f"return hmac.compare_digest({weak}, {stored})" if scheme == "sha1_variable"
                else f"return {weak} == {stored}"]
        sec = [i for i in s_imp if "os" not in i and "secrets" not in i and "urandom" not in i]
        sec += ["import hmac", f"salt_hex, digest_hex = {stored}.split(\":\")",
                "salt = bytes.fromhex(salt_hex)", s_derive.format(x=x),
                "return hmac.compare_digest(digest.hex(), digest_hex)"]
        return vul, sec
    vul = w_imp + w_lines + [s.p["sink"].format(h=w_expr.format(x=x))]
    sec = s_imp + [s_salt, s_derive.format(x=x),
                   s.p["sink"].format(h="salt.hex() + \":\" + digest.hex()")]
    at = len(w_imp)
    return comment_pair(s, vul, sec, COMMENTS, scheme, at, len(s_imp))


for _scheme in _WEAK:
    VARIANTS.append(Variant(_scheme, lambda s, _k=_scheme: _pair(s, _k)))
