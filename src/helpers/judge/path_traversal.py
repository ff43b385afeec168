"""Path traversal: a file opened on a caller-controlled name without containment.

Rule: a file sink (open, io/codecs/aiofiles open, os.remove/unlink/rmdir,
shutil copy/move/rmtree, send_file, FileResponse, Path.open/read_*/write_*/unlink) on a
path built from a base joined (``os.path.join``, ``Path(...)``, ``/``, ``+``, f-string) with a
function parameter or attacker input (``_core.source_kind``: a web request, ``input()``,
``sys.argv``, the environment, a file's contents), or a path taken as it is from a web request,
in a function with no containment check. A
containment check is: realpath/abspath/normpath/resolve together with
startswith/commonpath/is_relative_to/relative_to; or basename/secure_filename/safe_join;
or an allow-list (``re.fullmatch``/``isalnum`` on the name, ``name in ALLOWED``).
A bare ``".." in name`` test is not enough (absolute names escape ``os.path.join``) unless
absolute names are rejected too. ``send_from_directory`` is Flask's safe API: clean.
Bandit has no test for this family.
"""

from __future__ import annotations

import ast
import re
from typing import Callable, Iterator

from helpers.judge._core import (MAX_DEPTH, STR_METHODS, Scope, argument, const_str, last_name,
                                root_of, source_kind)

FAMILY = "path_traversal"


_SINK_CALLS = {"open", "io.open", "codecs.open", "aiofiles.open", "os.open", "os.remove",
               "os.unlink", "os.rmdir", "os.removedirs", "shutil.rmtree", "shutil.copy",
               "shutil.copyfile", "shutil.copy2", "shutil.move", "send_file", "flask.send_file",
               "FileResponse", "fastapi.responses.FileResponse", "starlette.responses.FileResponse",
               "builtins.open", "os.listdir", "os.scandir", "os.stat", "os.path.getsize",
               "os.path.isfile", "os.path.exists", "os.path.isdir", "os.path.getmtime"}
_SINK_METHODS = {"open", "read_text", "read_bytes", "write_text", "write_bytes", "unlink", "rmdir",
                 "touch", "iterdir", "stat", "is_file", "exists", "is_dir"}
_JOINS = {"os.path.join", "posixpath.join", "ntpath.join", "path.join", "pathlib.Path", "Path",
          "pathlib.PurePath", "PurePath", "pathlib.PosixPath", "os.path.normpath"}
_CONTAIN_NORM = {"realpath", "abspath", "normpath", "resolve"}
_CONTAIN_CHECK = {"startswith", "commonpath", "commonprefix", "is_relative_to", "relative_to"}
_CONTAIN_ALONE = {"basename", "secure_filename", "safe_join", "send_from_directory"}
_ALLOW_LIST = {"fullmatch", "match", "isalnum", "isidentifier", "isdigit", "isdecimal"}


def detect(scope: Scope) -> Iterator[ast.AST]:
    """A file opened on base + caller-controlled name, with no containment check in scope."""
    flow, aliases = scope.flow, scope.aliases

    def tainted(e: ast.AST) -> bool:
        """Does `e` carry a parameter of the function or attacker input (``source_kind``)?"""
        for leaf in flow.leaves(e):
            r = root_of(leaf)
            if (isinstance(r, ast.Name) and r.id in scope.params) or source_kind(leaf, scope):
                return True
        return False

    def from_request(e: ast.AST | None) -> bool:
        """A path taken as it is from a web request: no base needed to escape."""
        return e is not None and any(source_kind(leaf, scope) == "request" for leaf in flow.leaves(e))

    def joined(e: ast.AST | None, seen: frozenset = frozenset(), depth: int = 0) -> bool:
        if e is None or depth > MAX_DEPTH:
            return False
        if isinstance(e, ast.Call):
            q = aliases.qualname(e.func)
            if q in _JOINS or last_name(q) == "joinpath":
                # the first argument of a join is the base; a tainted base alone is not a join
                added = e.args if (last_name(q) == "joinpath" or q == "os.path.normpath") else e.args[1:]
                return any(tainted(a) for a in added) or any(joined(a, seen, depth + 1) for a in e.args)
            if isinstance(e.func, ast.Attribute) and e.func.attr in STR_METHODS | {"with_suffix", "with_name"}:
                return joined(e.func.value, seen, depth + 1)
            return False
        if isinstance(e, ast.BinOp) and isinstance(e.op, (ast.Div, ast.Add)):
            return (tainted(e.right) or (isinstance(e.op, ast.Add) and tainted(e.left))
                    or joined(e.left, seen, depth + 1) or joined(e.right, seen, depth + 1))
        if isinstance(e, ast.JoinedStr):
            return len(e.values) >= 2 and tainted(e)
        if isinstance(e, ast.BinOp) and isinstance(e.op, ast.Mod):
            return tainted(e.right)
        if isinstance(e, ast.Name) and e.id in flow.values and e.id not in seen:
            return any(joined(v, seen | {e.id}, depth + 1) for v in flow.values[e.id])
        return False

    if _contained(scope, tainted):
        return
    for call, q in scope.calls:
        if q in _SINK_CALLS or last_name(q) in ("send_file", "FileResponse"):
            path = argument(call, 0, "file", "path", "filename", "path_or_file", "src")
            if joined(path) or from_request(path):
                yield call
        elif isinstance(call.func, ast.Attribute) and call.func.attr in _SINK_METHODS \
                and joined(call.func.value):
            yield call


def _contained(scope: Scope, tainted: Callable[[ast.AST], bool]) -> bool:
    names = {last_name(q) for _, q in scope.calls}
    if names & _CONTAIN_NORM and names & _CONTAIN_CHECK:
        return True
    if names & _CONTAIN_ALONE:
        return True
    dotdot = absolute = False
    for n in scope.nodes:
        if isinstance(n, ast.Compare) and len(n.ops) == 1 and isinstance(n.ops[0], (ast.In, ast.NotIn)):
            if const_str(n.left) == ".." and tainted(n.comparators[0]):
                dotdot = True
            elif tainted(n.left) and const_str(n.comparators[0]) is None:
                return True  # allow-list: `name in ALLOWED`
    for call, q in scope.calls:
        if last_name(q) == "isabs" or (last_name(q) == "startswith" and call.args
                                     and const_str(call.args[0]) in ("/", "\\")):
            absolute = True
        if last_name(q) in _ALLOW_LIST and (any(tainted(a) for a in call.args) or (
                isinstance(call.func, ast.Attribute) and tainted(call.func.value))):
            return True  # allow-list: re.fullmatch(r"[\w-]+", name), name.isalnum()
    return dotdot and absolute


TEXT_SAFE = re.compile(r"realpath|abspath|resolve\(|basename|secure_filename|safe_join")


# the text fallback's patterns, for lines that never parsed
TEXT: list[re.Pattern] = [
    re.compile(r"\b(open|send_file)\s*\(\s*(os\.path\.join\(|f[\"'][^\"']*\{|[A-Za-z_]\w*\s*(\+|/)\s*[A-Za-z_])"),
]
