"""Code injection: eval, exec or compile of a non-constant source.

Rule: ``eval``/``exec``/``compile`` (also via ``builtins``) with a non-constant
source; ``ast.literal_eval`` and methods named ``eval`` (``model.eval()``) are not eval.
"""

from __future__ import annotations

import ast
import re
from typing import Iterator

from helpers.judge._core import QUOTED, Scope, argument

FAMILY = "code_injection"


_EVALS = {"eval", "exec", "compile", "builtins.eval", "builtins.exec", "builtins.compile",
          "__builtins__.eval", "__builtins__.exec"}


def detect(scope: Scope) -> Iterator[ast.AST]:
    """eval/exec/compile of a non-constant source."""
    for call, q in scope.calls:
        if q in _EVALS and scope.flow.dynamic(argument(call, 0, "source", "expression", "object")):
            yield call


# the text fallback's patterns, for lines that never parsed
TEXT: list[re.Pattern] = [re.compile(rf"(?<![\w.])(eval|exec)\s*\((?!\s*{QUOTED}\s*[,)])")]
