"""SQL injection: query text built from a non-constant value.

Rule: an execute-like call (execute, executemany, executescript, read_sql*, raw,
sqlalchemy ``text``) whose query is built by f-string, ``%``, ``+``, ``.format``, ``join`` or
``replace`` with a non-constant value, directly or through a local variable. ALL_CAPS names
and module names bound only to literals count as constants (a table name from config), as
does a loop variable over a literal tuple (``for t in ("a", "b")``); ``psycopg2.sql.SQL(...)
.format(sql.Identifier(x))`` is safe composition.
"""

from __future__ import annotations

import ast
import re
from typing import Iterator

from helpers.judge._core import QUOTED, Scope, argument, last_name

FAMILY = "sql_injection"


_SQL_CALLS = {"execute", "executemany", "executescript", "read_sql", "read_sql_query", "raw",
              "mogrify", "exec_driver_sql"}


def detect(scope: Scope) -> Iterator[ast.AST]:
    """An execute-like call whose query text is built from a non-constant value."""
    for call, q in scope.calls:
        name = last_name(q)
        if name in _SQL_CALLS or q in ("sqlalchemy.text", "sqlalchemy.sql.text",
                                       "sqlalchemy.sql.expression.text"):
            if scope.flow.built(argument(call, 0, "sql", "query", "statement", "operation", "sql_script")):
                yield call


# the text fallback's patterns, for lines that never parsed
TEXT: list[re.Pattern] = [
    re.compile(r"\.(execute|executemany|executescript|read_sql\w*|raw)\s*\(\s*"
               rf"(f[\"']|{QUOTED}\s*(%|\+|\.format)|[A-Za-z_]\w*\s*(%|\+))"),
]
