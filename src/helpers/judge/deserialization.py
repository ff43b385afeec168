"""Unsafe deserialization: APIs that build arbitrary objects from their input.

Rule: pickle/cPickle/_pickle/dill/cloudpickle/marshal loads and
Unpickler, ``shelve.open``, ``jsonpickle.decode``, ``pandas.read_pickle``, ``joblib.load``,
``numpy.load(allow_pickle=True)``, ``torch.load`` without ``weights_only=True``,
``yaml.unsafe_load`` and ``yaml.load``/``load_all`` unless the Loader is a SafeLoader,
CSafeLoader or BaseLoader. ``yaml.full_load`` and FullLoader count as unsafe: FullLoader
built arbitrary objects up to PyYAML 5.3 and Bandit treats everything but SafeLoader as
unsafe; the book's rule is "safe_load or SafeLoader only". The argument does not matter:
the API is the flaw.
"""

from __future__ import annotations

import ast
import re
from typing import Iterator

from helpers.judge._core import Scope, argument, is_true, keyword_arg, last_name

FAMILY = "unsafe_deserialization"


_DESER_ALWAYS = {f"{m}.{f}" for m in ("pickle", "cPickle", "_pickle", "dill", "cloudpickle")
                 for f in ("load", "loads", "Unpickler")} | {
    "marshal.load", "marshal.loads", "shelve.open", "jsonpickle.decode", "jsonpickle.loads",
    "pandas.read_pickle", "joblib.load", "yaml.unsafe_load", "yaml.unsafe_load_all",
    "yaml.full_load", "yaml.full_load_all", "ruamel.yaml.load"}
_SAFE_LOADERS = {"SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader"}


def detect(scope: Scope) -> Iterator[ast.AST]:
    """APIs that build arbitrary objects from their input."""
    for call, q in scope.calls:
        if q in _DESER_ALWAYS:
            yield call
        elif q in ("yaml.load", "yaml.load_all"):
            loader = argument(call, 1, "Loader")
            if loader is None or last_name(scope.aliases.qualname(loader)) not in _SAFE_LOADERS:
                yield call
        elif q == "numpy.load" and is_true(keyword_arg(call, "allow_pickle")):
            yield call
        elif q == "torch.load" and not is_true(keyword_arg(call, "weights_only")):
            yield call


# the text fallback's patterns, for lines that never parsed
TEXT: list[re.Pattern] = [
        re.compile(r"\b(c?[Pp]ickle|_pickle|dill|cloudpickle|marshal|jsonpickle)\.(loads?|Unpickler|decode)\s*\("),
        re.compile(r"\byaml\.(unsafe_load|full_load)\s*\("),
        re.compile(r"\byaml\.load(_all)?\s*\((?!.*(Safe|BaseLoader))"),
        re.compile(r"\b(read_pickle|shelve\.open)\s*\("),
    ]
