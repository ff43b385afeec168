"""What every detector of the judge stands on: extraction, parsing, aliases and data flow.

``extract`` keeps the code lines of a completion (line numbers kept), ``parse`` gets a syntax
tree out of them with bounded repair, ``scopes`` cuts the tree into the module and its
functions, each with an alias resolver (``Aliases``) and an intra-function data flow
(``Flow``). Each family module's ``detect(scope)`` yields the nodes that show its flaw.
"""

from __future__ import annotations

import ast
import re
import textwrap
from collections import defaultdict
from dataclasses import dataclass
from typing import Callable, Iterable, Iterator


MAX_CHARS = 20_000      # longer inputs are cut: a completion longer than that is not a function
MAX_PARSES = 60         # ast.parse attempts per judge call (each at most MAX_CHARS long)
MAX_CHUNK_PARSES = 25   # of which one top-level chunk may use
MAX_DEPTH = 40          # recursion bound of the data-flow helpers


@dataclass(frozen=True)
class Verdict:
    vulnerable: bool
    family: str | None   # family of the first finding (tree findings before text findings)
    evidence: str        # the source line that decided it, "" if nothing was found
    parsed: bool         # see the package docstring
    error: str | None = None   # None when judged; else why the analysis crashed (not a "clean")


@dataclass(frozen=True)
class Finding:
    family: str
    line: int            # 1-based line of the input text
    evidence: str        # that line, stripped
    via: str = "ast"     # "ast" (syntax tree) or "text" (regex fallback on unparsed lines)


# ----------------------------------------------------------------------------------------
# 1. extraction: fences and prose, keeping line numbers
# ----------------------------------------------------------------------------------------

_FENCE = re.compile(r"^\s*(```|~~~)")
_CODE_START = re.compile(
    r"""^\s*(import\s+\w|from\s+[\w.]+\s+import\b|(async\s+)?def\s+\w|class\s+\w|@\w|\#|
        if\s+__name__|[A-Za-z_][\w.]*\s*(=[^=]|\(|\[|:\s*[\w\[\].]+\s*=)|
        (return|with|for|while|try|if|raise|yield)\b|"{3}|'{3})""", re.X)


def normalise(code: object) -> str:
    if not isinstance(code, str):
        code = "" if code is None else str(code)
    return code[:MAX_CHARS].replace("\r\n", "\n").replace("\r", "\n").replace("\x00", " ")


def extract(text: str) -> list[str]:
    """Lines of code: inside markdown fences if there are any; leading prose blanked."""
    lines = text.split("\n")
    if any(_FENCE.match(l) for l in lines):
        out, inside = [], False
        for l in lines:
            if _FENCE.match(l):
                inside = not inside
                out.append("")
            else:
                out.append(l if inside else "")
        lines = out
    for i, l in enumerate(lines):
        if _CODE_START.match(l):
            lines = [""] * i + lines[i:]
            break
    # code indented as a whole (a markdown code block): dedent, line numbers unchanged
    return textwrap.dedent("\n".join(lines)).split("\n")


# ----------------------------------------------------------------------------------------
# 2. parsing with bounded repair
# ----------------------------------------------------------------------------------------

_CHUNK_START = re.compile(r"^((async\s+)?def\s|class\s|@|import\s|from\s+[\w.]+\s+import|if\s+__name__)")
_OPEN, _CLOSE = "([{", ")]}"


class _Budget:
    def __init__(self, n: int):
        self.left = n

    def take(self) -> bool:
        self.left -= 1
        return self.left >= 0


def _try_parse(src: str, budget: _Budget) -> tuple[ast.Module | None, SyntaxError | None]:
    if not budget.take():
        return None, None
    try:
        return ast.parse(src), None
    except SyntaxError as e:
        return None, e
    except Exception:  # ValueError, RecursionError, MemoryError on pathological input
        return None, None


def _close_open(src: str) -> str:
    """Close the strings, f-string braces and brackets a cut-off completion left open."""
    stack: list[str] = []
    quote, fbrace, i, n = "", 0, 0, len(src)
    is_f = False
    while i < n:
        c = src[i]
        if quote:
            if c == "\\":
                i += 2
                continue
            if is_f and c == "{":
                if src.startswith("{{", i):
                    i += 2
                    continue
                fbrace += 1
            elif is_f and c == "}" and fbrace:
                fbrace -= 1
            elif src.startswith(quote, i) and not fbrace:
                i += len(quote)
                quote = ""
                continue
            elif c == "\n" and len(quote) == 1:
                quote, fbrace = "", 0
        elif c == "#":
            j = src.find("\n", i)
            i = n if j < 0 else j
            continue
        elif c in "'\"":
            quote = c * 3 if src.startswith(c * 3, i) else c
            j = i - 1
            while j >= 0 and src[j].isalpha():
                j -= 1
            is_f = "f" in src[j + 1:i].lower()
            fbrace = 0
            i += len(quote)
            continue
        elif c in _OPEN:
            stack.append(_CLOSE[_OPEN.index(c)])
        elif c in _CLOSE and stack and stack[-1] == c:
            stack.pop()
        i += 1
    out = src + "}" * fbrace + quote + "".join(reversed(stack))
    last = out.rstrip().rsplit("\n", 1)[-1]
    if last.rstrip().endswith(":"):
        indent = len(last) - len(last.lstrip())
        out += "\n" + " " * (indent + 4) + "pass"
    return out


def _parse_lines(lines: list[str], budget: _Budget) -> tuple[ast.Module | None, set[int]]:
    """Parse `lines` (1-based line numbers kept), repairing at most a few times.

    Returns the tree (None if nothing parsed) and the line numbers that had to be given up.
    """
    lines = list(lines)
    dropped: set[int] = set()
    tries: dict[int, int] = defaultdict(int)
    repaired = False
    while True:
        while lines and not lines[-1].strip():
            lines.pop()
        if not any(l.strip() for l in lines):
            return None, dropped
        src = "\n".join(lines)
        tree, err = _try_parse(src, budget)
        if tree is not None:
            return tree, dropped
        if err is None:
            return None, dropped | set(range(1, len(lines) + 1))
        if not repaired:
            repaired = True
            fixed = _close_open(src)
            if fixed != src:
                tree, _ = _try_parse(fixed, budget)
                if tree is not None:
                    return tree, dropped
        k = err.lineno or len(lines)
        k = min(max(k, 1), len(lines))
        last = max(i for i, l in enumerate(lines, 1) if l.strip())
        tries[k] += 1
        if k < last and tries[k] <= 2:
            # a broken line in the middle: neutralise it, keep the block structure
            l = lines[k - 1]
            indent = l[: len(l) - len(l.lstrip())]
            keep = ("if True:" if l.rstrip().endswith(":") else "pass") if tries[k] == 1 else ""
            lines[k - 1] = indent + keep if keep else ""
            dropped.add(k)
            continue
        # cut the tail from the broken line on
        dropped |= set(range(k, len(lines) + 1))
        lines = lines[: k - 1]
        repaired = False


def _chunks(lines: list[str]) -> list[tuple[int, int]]:
    """[start, end) line index ranges of top-level blocks (def, class, decorators, imports)."""
    starts = [0]
    prev = ""
    for i, l in enumerate(lines):
        if i and _CHUNK_START.match(l) and not prev.startswith("@"):
            starts.append(i)
        if l.strip():
            prev = l
    return [(s, e) for s, e in zip(starts, starts[1:] + [len(lines)]) if s < e]


def parse(lines: list[str]) -> tuple[ast.Module | None, set[int]]:
    budget = _Budget(MAX_PARSES)
    tree, _ = _try_parse("\n".join(lines), budget)
    if tree is not None:
        return tree, set()
    body: list[ast.stmt] = []
    dropped: set[int] = set()
    for s, e in _chunks(lines):
        if budget.left <= 0:  # out of parse attempts: the rest goes to the text fallback
            dropped |= set(range(s + 1, e + 1))
            continue
        part = [""] * s + lines[s:e]
        chunk_budget = _Budget(min(MAX_CHUNK_PARSES, max(budget.left, 0)))
        start = chunk_budget.left
        t, d = _parse_lines(part, chunk_budget)
        budget.left -= start - max(chunk_budget.left, 0)
        dropped |= {x for x in d if s < x <= e}
        if t is None:
            dropped |= set(range(s + 1, e + 1))
        else:
            body.extend(t.body)
    return (ast.Module(body=body, type_ignores=[]) if body else None), dropped


# ----------------------------------------------------------------------------------------
# 3a. shared helpers: aliases, words, data flow
# ----------------------------------------------------------------------------------------

_DEFAULT_ALIASES = {"pd": "pandas", "np": "numpy", "sp": "subprocess"}


class Aliases:
    """Local name -> dotted module path, from every import in the code (any depth)."""

    def __init__(self, tree: ast.AST):
        self.map: dict[str, str] = {}
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                for a in node.names:
                    if a.asname:
                        self.map[a.asname] = a.name
                    else:
                        top = a.name.split(".")[0]
                        self.map[top] = top
            elif isinstance(node, ast.ImportFrom) and node.module:
                for a in node.names:
                    if a.name != "*":
                        self.map[a.asname or a.name] = f"{node.module}.{a.name}"

    def qualname(self, node: ast.AST) -> str:
        """Dotted name of a callee, aliases resolved: `sp.run` -> `subprocess.run`.

        Calls in the chain show as `()` (`random.SystemRandom().choice`); `__import__("os")`
        reads as `os`. Anything else (subscripts, literals) gives "".
        """
        parts: list[str] = []
        for _ in range(MAX_DEPTH):
            if isinstance(node, ast.Attribute):
                parts.append(node.attr)
                node = node.value
            elif isinstance(node, ast.Call):
                if (isinstance(node.func, ast.Name) and node.func.id == "__import__" and node.args
                        and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)):
                    parts.append(node.args[0].value)
                    break
                parts.append("()")
                node = node.func
            elif isinstance(node, ast.Name):
                parts.append(self.map.get(node.id, _DEFAULT_ALIASES.get(node.id, node.id)))
                break
            else:
                return ""
        else:
            return ""
        return ".".join(reversed(parts)).replace(".()", "()")


_WORD = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")


def split_words(name: str) -> list[str]:
    """snake_case / camelCase / prose -> lowercase words, plural 's' dropped."""
    out = []
    for w in _WORD.findall(name or ""):
        w = w.lower()
        if len(w) > 3 and w.endswith("s") and not w.endswith("ss"):
            w = w[:-1]
        out.append(w)
    return out


def const_str(node: ast.AST | None) -> str | None:
    if isinstance(node, ast.Constant) and isinstance(node.value, (str, bytes)):
        v = node.value
        return v.decode("latin-1") if isinstance(v, bytes) else v
    return None


def keyword_arg(call: ast.Call, *names: str) -> ast.expr | None:
    for k in call.keywords:
        if k.arg in names:
            return k.value
    return None


def argument(call: ast.Call, pos: int, *names: str) -> ast.expr | None:
    if len(call.args) > pos and not isinstance(call.args[pos], ast.Starred):
        return call.args[pos]
    return keyword_arg(call, *names)


def is_false(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and node.value in (False, 0) and node.value is not None


def is_true(node: ast.AST | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


STR_METHODS = {"format", "format_map", "join", "replace", "strip", "lstrip", "rstrip", "lower",
                "upper", "title", "capitalize", "casefold", "encode", "decode", "removeprefix",
                "removesuffix", "ljust", "rjust", "center", "zfill", "expandtabs"}
BUILD_METHODS = {"format", "format_map", "join", "replace"}
_SANITISERS = {"shlex.quote", "pipes.quote", "quote", "int", "float", "bool", "len", "abs",
               "round", "uuid.UUID", "shlex.join", "psycopg2.sql.Identifier", "psycopg2.sql.Literal",
               "sql.Identifier", "sql.Literal", "psycopg.sql.Identifier", "psycopg.sql.Literal"}
_SAFE_COMPOSERS = {"psycopg2.sql.SQL", "sql.SQL", "psycopg.sql.SQL"}  # SQL(...).format quotes
_PASS_THROUGH = {"str", "repr", "bytes", "os.fspath", "textwrap.dedent", "f"}


class Flow:
    """Flow-insensitive data flow of one scope: which names hold non-constant, built strings.

    A name assigned in the scope stands for all values assigned to it (a parameter that is
    re-assigned, `name = shlex.quote(name)`, stands for the re-assigned value). `lst.append(x)`
    counts as assigning `x` to `lst`. Unassigned lower-case names, attributes, subscripts and
    calls are non-constant; literals, ALL_CAPS names and module names bound only to literals
    are constant. Names a `for` or `with` binds to a non-literal (`for line in fh`, `with open(p)
    as fh`) are kept apart in `bound`: only the search for attacker input (`source_kind`) reads them.
    """

    def __init__(self, nodes: Iterable[ast.AST], params: set[str], aliases: Aliases,
                 consts: set[str] = frozenset()):
        self.values: dict[str, list[ast.expr]] = defaultdict(list)
        self.bound: dict[str, list[ast.expr]] = defaultdict(list)
        self.params, self.aliases, self.consts = params, aliases, set(consts)
        for n in nodes:
            if isinstance(n, ast.Assign):
                for t in n.targets:
                    self._bind(t, n.value)
            elif isinstance(n, (ast.AnnAssign, ast.NamedExpr)) and n.value is not None:
                self._bind(n.target, n.value)
            elif isinstance(n, ast.AugAssign) and isinstance(n.target, ast.Name):
                self.values[n.target.id].append(ast.BinOp(left=n.target, op=n.op, right=n.value))
            elif isinstance(n, (ast.For, ast.AsyncFor, ast.comprehension)) and \
                    isinstance(n.iter, (ast.Tuple, ast.List, ast.Set)):
                for elt in n.iter.elts:   # `for t in ("a", "b")`: t is each literal
                    self._bind(n.target, elt)
            elif isinstance(n, (ast.For, ast.AsyncFor, ast.comprehension)) and isinstance(n.target, ast.Name):
                self.bound[n.target.id].append(n.iter)
            elif isinstance(n, ast.withitem) and isinstance(n.optional_vars, ast.Name):
                self.bound[n.optional_vars.id].append(n.context_expr)
            elif (isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
                  and isinstance(n.func.value, ast.Name) and n.args
                  and n.func.attr in ("append", "extend", "insert", "add", "appendleft")):
                self.values[n.func.value.id].append(n.args[-1])

    def _bind(self, target: ast.AST, value: ast.expr) -> None:
        if isinstance(target, ast.Name):
            self.values[target.id].append(value)
        elif isinstance(target, (ast.Tuple, ast.List)):
            same = isinstance(value, (ast.Tuple, ast.List)) and len(value.elts) == len(target.elts)
            for i, t in enumerate(target.elts):
                self._bind(t, value.elts[i] if same else value)

    def module_consts(self) -> set[str]:
        """Names bound only to literals (used as constants by the functions of the module)."""
        return {k for k, vs in self.values.items()
                if vs and all(isinstance(v, ast.Constant) for v in vs)}

    def leaves(self, e: ast.AST, seen: frozenset = frozenset(), depth: int = 0) -> list[ast.AST]:
        """The non-constant parts of expression `e` (empty: `e` is constant or sanitised)."""
        if depth > MAX_DEPTH:
            return [e]
        rec = lambda x: self.leaves(x, seen, depth + 1)  # noqa: E731
        if isinstance(e, ast.Constant):
            return []
        if isinstance(e, ast.JoinedStr):
            return [x for v in e.values if isinstance(v, ast.FormattedValue) for x in rec(v.value)]
        if isinstance(e, ast.FormattedValue):
            return rec(e.value)
        if isinstance(e, ast.BinOp):
            return rec(e.left) + rec(e.right)
        if isinstance(e, ast.BoolOp):
            return [x for v in e.values for x in rec(v)]
        if isinstance(e, ast.UnaryOp):
            return rec(e.operand)
        if isinstance(e, ast.IfExp):
            return rec(e.body) + rec(e.orelse)
        if isinstance(e, (ast.Tuple, ast.List, ast.Set)):
            return [x for v in e.elts for x in rec(v)]
        if isinstance(e, ast.Dict):
            return [x for v in e.values for x in rec(v)]
        if isinstance(e, ast.Starred):
            return rec(e.value)
        if isinstance(e, (ast.GeneratorExp, ast.ListComp, ast.SetComp)):
            return rec(e.elt)  # loop variables are unassigned names: non-constant
        if isinstance(e, ast.Name):
            if e.id in seen:
                return [e] if (e.id in self.params or e.id not in self.values) else []
            if e.id in self.values:
                s2 = seen | {e.id}
                return [x for v in self.values[e.id] for x in self.leaves(v, s2, depth + 1)]
            if e.id in self.params:
                return [e]
            if e.id in self.consts or (e.id.isupper() and len(e.id) > 1):
                return []
            return [e]
        if isinstance(e, ast.Call):
            q = self.aliases.qualname(e.func)
            if q in _SANITISERS:
                return []
            args = list(e.args) + [k.value for k in e.keywords]
            if isinstance(e.func, ast.Attribute) and e.func.attr in STR_METHODS:
                return rec(e.func.value) + [x for a in args for x in rec(a)]
            if q in _PASS_THROUGH:
                return [x for a in args for x in rec(a)]
            return [e]
        return [e]

    def dynamic(self, e: ast.AST | None) -> bool:
        return e is not None and bool(self.leaves(e))

    def strish(self, e: ast.AST, seen: frozenset = frozenset(), depth: int = 0) -> bool:
        """Is `e` (known to be) a string?"""
        if depth > MAX_DEPTH:
            return False
        if isinstance(e, ast.Constant):
            return isinstance(e.value, (str, bytes))
        if isinstance(e, ast.JoinedStr):
            return True
        if isinstance(e, ast.BinOp) and isinstance(e.op, (ast.Add, ast.Mod)):
            return self.strish(e.left, seen, depth + 1) or self.strish(e.right, seen, depth + 1)
        if isinstance(e, ast.Call) and isinstance(e.func, ast.Attribute) and e.func.attr in STR_METHODS:
            return True
        if isinstance(e, ast.Name) and e.id in self.values and e.id not in seen:
            return any(self.strish(v, seen | {e.id}, depth + 1) for v in self.values[e.id])
        return False

    def built(self, e: ast.AST | None, seen: frozenset = frozenset(), depth: int = 0) -> bool:
        """Is `e` a string built by formatting or concatenation with a non-constant value?"""
        if e is None or depth > MAX_DEPTH:
            return False
        if isinstance(e, ast.JoinedStr):
            return self.dynamic(e)
        if isinstance(e, ast.BinOp):
            if isinstance(e.op, ast.Mod):
                return self.strish(e.left) and self.dynamic(e)
            if isinstance(e.op, ast.Add):
                return (self.strish(e.left) or self.strish(e.right)
                        or self.built(e.left, seen, depth + 1)
                        or self.built(e.right, seen, depth + 1)) and self.dynamic(e)
            return False
        if isinstance(e, ast.Call) and isinstance(e.func, ast.Attribute):
            if isinstance(e.func.value, ast.Call) and \
                    self.aliases.qualname(e.func.value.func) in _SAFE_COMPOSERS:
                return False
            if e.func.attr in BUILD_METHODS:
                return self.dynamic(e)
            if e.func.attr in STR_METHODS:
                return self.built(e.func.value, seen, depth + 1)
            return False
        if isinstance(e, ast.IfExp):
            return self.built(e.body, seen, depth + 1) or self.built(e.orelse, seen, depth + 1)
        if isinstance(e, ast.Name) and e.id in self.values and e.id not in seen:
            return any(self.built(v, seen | {e.id}, depth + 1) for v in self.values[e.id])
        return False


# ----------------------------------------------------------------------------------------
# 3b. scopes
# ----------------------------------------------------------------------------------------

FUNCS = (ast.FunctionDef, ast.AsyncFunctionDef)


@dataclass
class Scope:
    node: ast.AST                # the Module or the function
    nodes: list[ast.AST]         # nodes of this scope, not of nested functions
    calls: list[tuple[ast.Call, str]]   # every call with its resolved callee name
    flow: Flow
    aliases: Aliases
    params: set[str]
    owner: str = ""              # name of the class a method belongs to

    @property
    def func(self) -> ast.AST | None:
        return self.node if isinstance(self.node, FUNCS) else None


def _own_nodes(root: ast.AST) -> list[ast.AST]:
    """All nodes under `root` that are not inside a nested function definition."""
    out, stack = [], list(ast.iter_child_nodes(root))
    while stack:
        n = stack.pop()
        out.append(n)
        if not isinstance(n, FUNCS):
            stack.extend(ast.iter_child_nodes(n))
        else:  # decorators and defaults belong to the enclosing scope
            stack.extend(n.decorator_list + n.args.defaults + [d for d in n.args.kw_defaults if d])
    return out


def scopes(tree: ast.Module) -> list[Scope]:
    aliases = Aliases(tree)

    def make(root: ast.AST, params: set[str], consts: set[str]) -> Scope:
        nodes = _own_nodes(root)
        calls = [(n, aliases.qualname(n.func)) for n in nodes if isinstance(n, ast.Call)]
        return Scope(root, nodes, calls, Flow(nodes, params, aliases, consts), aliases, params)

    module = make(tree, set(), set())
    consts = module.flow.module_consts()
    owners = {id(f): c.name for c in ast.walk(tree) if isinstance(c, ast.ClassDef) for f in c.body}
    out = [module]
    for f in ast.walk(tree):
        if isinstance(f, FUNCS):
            a = f.args
            params = {x.arg for x in a.posonlyargs + a.args + a.kwonlyargs} - {"self", "cls"}
            params |= {x.arg for x in (a.vararg, a.kwarg) if x}
            scope = make(f, params, consts - params)
            scope.owner = owners.get(id(f), "")
            out.append(scope)
    return out


# ----------------------------------------------------------------------------------------
# 4. small helpers of the detectors
# ----------------------------------------------------------------------------------------

Detector = Callable[[Scope], Iterator[ast.AST]]   # one per family: the nodes that show the flaw


def last_name(q: str) -> str:
    return q.rsplit(".", 1)[-1]


def root_of(e: ast.AST) -> ast.AST:
    for _ in range(MAX_DEPTH):
        if isinstance(e, (ast.Attribute, ast.Subscript)):
            e = e.value
        elif isinstance(e, ast.Call):
            e = e.func
        else:
            break
    return e


# a quoted string literal, for the text fallback
QUOTED = r"""(?:"[^"]*"|'[^']*')"""


# ----------------------------------------------------------------------------------------
# 5. attacker-controlled input: what a request, the command line, the environment or a file hands over
# ----------------------------------------------------------------------------------------

REQUEST_OBJECTS = {"flask.request", "quart.request", "bottle.request", "sanic.request"}
_INPUT_CALLS = {"input", "raw_input", "builtins.input"}
_ENV_CALLS = {"os.getenv", "os.getenvb", "os.environ.get", "getenv", "environ.get", "os.environ.setdefault"}
_READS = {"read", "readline", "readlines", "read_text", "read_bytes"}
_OPENS = {"open", "io.open", "codecs.open", "builtins.open", "gzip.open", "bz2.open"}
SOURCE_KINDS = ("request", "input", "argv", "environment", "file")


def _named_source(q: str, name: str) -> str | None:
    """The kind of input a (resolved) dotted name stands for."""
    if q == "sys.argv" or q.startswith("sys.argv.") or name == "argv":
        return "argv"
    if q.startswith("sys.stdin"):
        return "input"
    if q == "os.environ" or q.startswith("os.environ."):
        return "environment"
    if name == "request" or any(q == r or q.startswith(r + ".") for r in REQUEST_OBJECTS):
        return "request"
    return None


def source_kind(e: ast.AST, scope: Scope, seen: frozenset = frozenset(), depth: int = 0) -> str | None:
    """Which kind of attacker-controlled input `e` is (one of SOURCE_KINDS), or None.

    A web framework's request object (Flask, Quart, Bottle, Sanic ``request``; a Django or
    FastAPI view's ``request`` parameter), ``input()``/``sys.stdin``, ``sys.argv``, the
    environment (``os.environ``, ``os.getenv``) and what is read from a file (``.read()``,
    ``read_text()``, the lines of an open file). Local names are followed to their values.
    """
    node = e
    for _ in range(MAX_DEPTH - depth):
        if isinstance(node, ast.Call):
            q = scope.aliases.qualname(node.func)
            if q in _INPUT_CALLS:
                return "input"
            if q in _ENV_CALLS:
                return "environment"
            if isinstance(node.func, ast.Attribute) and node.func.attr in _READS:
                return source_kind(node.func.value, scope, seen, depth + 1) or "file"
            node = node.func
        elif isinstance(node, (ast.Attribute, ast.Subscript)):
            kind = _named_source(scope.aliases.qualname(node), "") if isinstance(node, ast.Attribute) else None
            if kind:
                return kind
            node = node.value
        elif isinstance(node, ast.Name):
            kind = _named_source(scope.aliases.qualname(node), node.id)
            if kind or node.id in seen:
                return kind
            for v in scope.flow.values.get(node.id, []):
                kind = source_kind(v, scope, seen | {node.id}, depth + 1)
                if kind:
                    return kind
            for it in scope.flow.bound.get(node.id, []):
                if isinstance(it, ast.Call) and scope.aliases.qualname(it.func) in _OPENS:
                    return "file"   # `with open(p) as fh` / `for line in open(p)`: its lines are read
                kind = source_kind(it, scope, seen | {node.id}, depth + 1)
                if kind:
                    return kind
            return None
        else:
            return None
    return None

