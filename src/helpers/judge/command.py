"""Command injection: non-constant text reaching a shell.

Rule: ``os.system``/``os.popen``/``commands``/``subprocess.getoutput`` with any
non-constant argument; ``subprocess.*`` and ``asyncio.create_subprocess_shell`` with a built
command string, or with ``shell=True`` and a non-constant command; ``["sh", "-c", cmd]``.
Values wrapped in ``shlex.quote`` (or ``int``/``float``) are not non-constant. A literal
command run with ``shell=True`` is clean: no input reaches the shell.
"""

from __future__ import annotations

import ast
import re
from typing import Iterator

from helpers.judge._core import QUOTED, Scope, argument, const_str, is_true, keyword_arg, last_name

FAMILY = "command_injection"


_SHELL_ALWAYS = {"os.system", "os.popen", "os.popen2", "os.popen3", "os.popen4", "commands.getoutput",
                 "commands.getstatusoutput", "subprocess.getoutput", "subprocess.getstatusoutput",
                 "asyncio.create_subprocess_shell", "pty.spawn"}
_SUBPROCESS = {"call", "run", "Popen", "check_output", "check_call"}
_SHELLS = {"sh", "bash", "zsh", "/bin/sh", "/bin/bash", "/usr/bin/bash", "cmd", "cmd.exe",
           "powershell", "pwsh"}


def detect(scope: Scope) -> Iterator[ast.AST]:
    """Non-constant text reaching a shell (not shlex.quote'd, not an argument list)."""
    flow = scope.flow
    for call, q in scope.calls:
        cmd = argument(call, 0, "args", "cmd", "command")
        if q in _SHELL_ALWAYS:
            if flow.dynamic(cmd):
                yield call
        elif q.startswith("subprocess.") and last_name(q) in _SUBPROCESS:
            if flow.built(cmd) or (is_true(keyword_arg(call, "shell")) and flow.dynamic(cmd)):
                yield call
            elif isinstance(cmd, (ast.List, ast.Tuple)) and cmd.elts:
                head = const_str(cmd.elts[0])
                if head in _SHELLS and any(const_str(x) in ("-c", "/c", "-Command") for x in cmd.elts) \
                        and flow.dynamic(cmd):
                    yield call


# the text fallback's patterns, for lines that never parsed
TEXT: list[re.Pattern] = [
    re.compile(rf"\b(os\.system|os\.popen|subprocess\.getoutput|commands\.getoutput)\s*\((?!\s*{QUOTED}\s*\))"),
    re.compile(rf"\bsubprocess\.\w+\s*\(\s*(f[\"']|{QUOTED}\s*(%|\+|\.format)|[A-Za-z_]\w*\s*,.*shell\s*=\s*True)"),
]
