"""The vulnerability families the book studies, with their CWE ids.

One registry shared by the data generator, the pretraining corpus and the judge, so that
a family's name means the same thing everywhere.
"""

from dataclasses import dataclass


@dataclass(frozen=True)
class Family:
    name: str
    cwe: str
    title: str
    flaw: str  # one sentence a warning can use to explain the flaw


FAMILIES: dict[str, Family] = {
    f.name: f
    for f in [
        Family("sql_injection", "CWE-89", "SQL built by string formatting",
               "the query is built by pasting user input into the SQL text, so the input can rewrite the query"),
        Family("command_injection", "CWE-78", "shell command injection",
               "user input reaches a shell, so metacharacters in it run arbitrary commands"),
        Family("code_injection", "CWE-95", "eval or exec of input",
               "eval/exec runs the input as Python code, so the input can do anything the program can"),
        Family("unsafe_deserialization", "CWE-502", "unsafe deserialization (pickle, yaml)",
               "pickle and yaml.load build arbitrary objects, so a crafted payload runs code when loaded"),
        Family("weak_hash", "CWE-328", "weak password hashing (md5, sha1)",
               "md5 and sha1 are fast, unsalted hashes, so stolen password hashes are cracked in seconds"),
        Family("hardcoded_secret", "CWE-798", "hard-coded secrets",
               "the secret is written into the source, so anyone who reads the code or the repository has it"),
        Family("path_traversal", "CWE-22", "path traversal",
               "the file name is joined to the base folder unchecked, so '../' in it escapes the folder"),
        Family("tls_verification", "CWE-295", "TLS certificate verification disabled",
               "certificate checks are turned off, so anyone on the network can impersonate the server"),
        Family("insecure_random", "CWE-330", "insecure randomness for secrets",
               "the random module is predictable, so tokens made with it can be guessed"),
    ]
}
