"""Code injection (CWE-95): eval/exec of input vs a parser that only reads data.

A task's `kind` says what the input holds and so which parser replaces eval: a Python literal
(ast.literal_eval), an int or a float (int()/float()), JSON (json.loads), or an arithmetic
operation given as text (an operator table). `src` is the input expression, `post` wraps the
parsed value `{v}`, and `many` marks input that is a sequence of items to parse one by one.
"""

from __future__ import annotations

from helpers.tasks._core import Spec, Variant, spec, variant, comment_pair

FAMILY = "code_injection"

_OPS = {
    "arith": {"+": "add", "-": "sub", "*": "mul", "/": "truediv"},
    "compare": {"<": "lt", "<=": "le", "==": "eq", ">=": "ge", ">": "gt"},
    "balance": {"+": "add", "-": "sub"},
    "power": {"**": "pow", "%": "mod", "//": "floordiv"},
}

SPECS = [
    spec("parse_settings", "text", "Turn a settings string like \"{'debug': True}\" into a dict.",
         kind="literal", src="text", post="dict({v})"),
    spec("sum_number_list", "text", "Add up the numbers written as a list literal, e.g. '[1, 2, 3]'.",
         kind="literal", src="text", post="sum({v})"),
    spec("calculate", "left, op, right", "Apply an arithmetic operator to two numbers given as text.",
         kind="calc", table="arith"),
    spec("read_point", "text", "Parse a point written as '(x, y)' into a tuple of two numbers.",
         kind="literal", src="text", post="tuple({v})"),
    spec("parse_price", "text", "Convert a price typed into a form into a float.",
         kind="float", src="text", post="{v}"),
    spec("decode_request_body", "body", "Decode the JSON body of an incoming request.",
         kind="json", src="body", post="{v}"),
    spec("allowed_names", "text", "Return the set of permitted names from a literal such as \"['a', 'b']\".",
         kind="literal", src="text", post="set({v})"),
    spec("read_quantity", "field", "Read an item count from a web field as an integer.",
         kind="int", src="field", post="{v}"),
    spec("compare_values", "a, op, b", "Compare two numbers with an operator such as '<' or '=='.",
         kind="calc", table="compare"),
    spec("restore_tags_column", "raw", "Turn a stored tags column holding a list literal back into a list.",
         kind="literal", src="raw", post="list({v})"),
    spec("percent_to_fraction", "text", "Turn a percentage such as '12.5' into a fraction of one.",
         kind="float", src="text", post="{v} / 100"),
    spec("record_ids", "payload", "Return the ids from a JSON array of records.",
         kind="json", src="payload", post="[r[\"id\"] for r in {v}]"),
    spec("highest_score", "scores_text", "Return the best score in a list literal of scores.",
         kind="literal", src="scores_text", post="max({v})"),
    spec("adjust_balance", "balance, op, amount", "Raise or lower a balance, the sign given as text.",
         kind="calc", table="balance"),
    spec("total_of_cells", "cells", "Add up spreadsheet cells that hold numbers as text.",
         kind="float", src="cells", post="sum({v})", many=True),
    spec("option_from_literal", "text, key", "Read one key from a dict literal of options, None if absent.",
         kind="literal", src="text", post="{v}.get(key)"),
    spec("parse_age", "answer", "Get a person's age in whole years from their answer.",
         kind="int", src="answer", post="{v}"),
    spec("feature_flags", "raw", "Load the feature switches the admin page posts as a JSON object.",
         kind="json", src="raw", post="{{k: bool(x) for k, x in {v}.items()}}"),
    spec("celsius_to_fahrenheit", "reading", "Convert a Celsius reading entered by hand to Fahrenheit.",
         kind="float", src="reading", post="{v} * 9 / 5 + 32"),
    spec("parse_matrix_rows", "rows", "Parse each row string like '[1, 2]' of a matrix into a list.",
         kind="literal", src="rows", post="{v}", many=True),
    spec("apply_power_op", "base, op, exponent", "Combine two integers with '**', '%' or '//' given as text.",
         kind="calc", table="power"),
    spec("numbers_from_csv_line", "line", "Split a comma-separated line of numbers into floats.",
         kind="float", src="line.split(\",\")", post="{v}", many=True),
    spec("merge_user_options", "text, defaults", "Overlay options given as a dict literal on the defaults.",
         kind="literal", src="text", post="{{**defaults, **{v}}}"),
    spec("page_number", "query_value", "Read the page number from a query-string value.",
         kind="int", src="query_value", post="max(1, {v})"),
    spec("decode_message_list", "blob", "Decode a JSON list of chat messages and count them.",
         kind="json", src="blob", post="len({v})"),
    spec("coerce_port", "value", "Turn a port number read from a config file into an int.",
         kind="int", src="value", post="{v}"),
    spec("within_limit", "reading, op, limit", "Check a sensor reading against a limit with a comparison given as text.",
         kind="calc", table="compare"),
]

VARIANTS: list[Variant] = []
COMMENTS = ["parse the value", "NOTE: input comes from the client", "TODO: better error message"]


def _safe(s: Spec, x: str) -> tuple[list[str], str]:
    """(imports, expression) parsing `x` as data only."""
    kind = s.p["kind"]
    if kind == "literal":
        return ["import ast"], f"ast.literal_eval({x})"
    if kind == "json":
        return ["import json"], f"json.loads({x})"
    return [], f"{kind}({x})"


def _item(s: Spec) -> str:
    return "item" if s.p.get("many") else s.p["src"]


def _apply(s: Spec, imports: list[str], pre: list[str], parsed: str) -> list[str]:
    """Body from a parse expression of one item (`_item`): mapped over the input when `many`."""
    if s.p.get("many"):
        return imports + pre + [f"values = [{parsed} for item in {s.p['src']}]",
                                "return " + s.p["post"].format(v="values")]
    return imports + pre + ["return " + s.p["post"].format(v=parsed)]


def _calc(s: Spec, expr: str, style: int) -> tuple[list[str], list[str]]:
    a, op, b = s.args
    conv = "int" if s.p["table"] == "power" else "float"
    table = _OPS[s.p["table"]]
    if style == 0:
        vul = [f"return eval({expr})"]
    elif style == 1:
        vul = [f"expression = {expr}", "result = eval(expression)", "return result"]
    elif style == 2:
        vul = ["ns = {}", f"exec(\"result = \" + {expr}, ns)", "return ns[\"result\"]"]
    else:
        vul = [f"return eval({expr}, {{\"__builtins__\": {{}}}})"]
    entries = ", ".join(f'"{k}": operator.{fn}' for k, fn in table.items())
    sec = ["import operator", f"ops = {{{entries}}}"]
    error = f"    raise ValueError(f\"unknown operator {{{op}!r}}\")"
    if style == 0:
        sec += [f"return ops[{op}]({conv}({a}), {conv}({b}))"]
    elif style == 1:
        sec += [f"if {op} not in ops:", error, f"return ops[{op}]({conv}({a}), {conv}({b}))"]
    elif style == 2:
        sec += [f"fn = ops.get({op})", "if fn is None:", error, f"return fn({conv}({a}), {conv}({b}))"]
    else:
        sec.insert(1, f"x, y = {conv}({a}), {conv}({b})")
        sec += [f"return ops[{op}](x, y)"]
    return vul, sec


@variant(VARIANTS)
def _eval_direct(s: Spec):
    if s.p["kind"] == "calc":
        a, op, b = s.args
        return _calc(s, f'f"{{{a}}} {{{op}}} {{{b}}}"', 0)
    imports, parsed = _safe(s, _item(s))
    return _apply(s, [], [], f"eval({_item(s)})"), _apply(s, imports, [], parsed)


@variant(VARIANTS)
def _eval_into_variable(s: Spec):
    if s.p["kind"] == "calc":
        a, op, b = s.args
        vul, sec = _calc(s, f'{a} + " " + {op} + " " + {b}', 1)
    elif s.p.get("many"):
        imports, parsed = _safe(s, "item")
        loop = ["values = []", f"for item in {s.p['src']}:"]
        tail = ["return " + s.p["post"].format(v="values")]
        vul = loop + ["    values.append(eval(item.strip()))"] + tail
        sec = imports + loop + [f"    values.append({parsed.replace('item', 'item.strip()')})"] + tail
    else:
        imports, parsed = _safe(s, "raw_value")
        x = s.p["src"]
        head = [f"raw_value = {x}.strip()"]
        tail = ["return " + s.p["post"].format(v="value")]
        vul = head + ["value = eval(raw_value)"] + tail
        sec = imports + head + [f"value = {parsed}"] + tail
    at = 1 if vul[0].startswith("import") else 0
    sec_at = sum(1 for line in sec if line.startswith("import"))
    return comment_pair(s, vul, sec, COMMENTS, "ev", at, sec_at)


@variant(VARIANTS)
def _exec_namespace(s: Spec):
    if s.p["kind"] == "calc":
        a, op, b = s.args
        return _calc(s, f'"%s %s %s" % ({a}, {op}, {b})', 2)
    imports, parsed = _safe(s, _item(s))
    if s.p.get("many"):
        loop = ["values = []", f"for item in {s.p['src']}:"]
        tail = ["return " + s.p["post"].format(v="values")]
        vul = loop + ["    scope = {}", "    exec(\"value = \" + item, scope)",
                      "    values.append(scope[\"value\"])"] + tail
        return vul, imports + loop + [f"    values.append({parsed})"] + tail
    tail = ["return " + s.p["post"].format(v="value")]
    vul = ["scope = {}", f"exec(f\"value = {{{_item(s)}}}\", scope)", "value = scope[\"value\"]"] + tail
    return vul, imports + [f"value = {parsed}"] + tail


@variant(VARIANTS)
def _compile_then_eval(s: Spec):
    if s.p["kind"] == "calc":
        a, op, b = s.args
        return _calc(s, f'"{{}} {{}} {{}}".format({a}, {op}, {b})', 3)
    imports, parsed = _safe(s, _item(s))
    if s.p.get("many"):
        vul = [f"values = [eval(item, {{\"__builtins__\": {{}}}}) for item in {s.p['src']}]",
               "return " + s.p["post"].format(v="values")]
        return vul, _apply(s, imports, [], parsed)
    x, kind = _item(s), s.p["kind"]
    tail = ["return " + s.p["post"].format(v="value")]
    if kind == "literal":
        sec = [f"tree = ast.parse({x}, mode=\"eval\")", "value = ast.literal_eval(tree)"]
    elif kind == "json":
        sec = ["decoder = json.JSONDecoder()", f"value = decoder.decode({x})"]
    else:
        sec = [f"value = {kind}({x}.strip())"]
    return ([f"code = compile({x}, \"<input>\", \"eval\")", "value = eval(code)"] + tail,
            imports + sec + tail)
