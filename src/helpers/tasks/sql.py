"""SQL injection (CWE-89): queries built by string formatting vs placeholders with parameters.

A task's `sql` is written with `{name}` where an argument goes (inside quotes for text,
bare for numbers). The first argument says how the database is reached: `conn` (a DB-API
connection, `?` placeholders), `db_path` (sqlite3 opened in the body) or `cursor` (a DB-API
cursor, `%s` placeholders). `op` says what comes back: one row, all rows, a count, or a write.
"""

from __future__ import annotations

import re

from helpers.tasks._core import Spec, Variant, pick, spec, variant, comment_pair

FAMILY = "sql_injection"

SPECS = [
    spec("find_user_by_email", "conn, email", "Return the user whose email matches.",
         sql="SELECT * FROM users WHERE email = '{email}'", op="one"),
    spec("list_orders_for_customer", "conn, customer_id", "List every order placed by the given customer.",
         sql="SELECT * FROM orders WHERE customer_id = {customer_id}", op="all"),
    spec("delete_session", "conn, session_id", "Remove a login session by its id.",
         sql="DELETE FROM sessions WHERE id = '{session_id}'", op="write"),
    spec("count_posts_by_author", "db_path, author", "Count how many posts an author has written.",
         sql="SELECT COUNT(*) FROM posts WHERE author = '{author}'", op="scalar"),
    spec("update_user_email", "conn, user_id, new_email", "Change the email address stored for a user.",
         sql="UPDATE users SET email = '{new_email}' WHERE id = {user_id}", op="write"),
    spec("search_products", "conn, term", "Find products whose name contains a search term.",
         sql="SELECT id, name FROM products WHERE name LIKE '%{term}%'", op="all"),
    spec("get_book_by_isbn", "cursor, isbn", "Fetch the book with the given ISBN.",
         sql="SELECT title, author FROM books WHERE isbn = '{isbn}'", op="one"),
    spec("mark_invoice_paid", "conn, invoice_id", "Flag an invoice as settled.",
         sql="UPDATE invoices SET paid = 1 WHERE id = {invoice_id}", op="write"),
    spec("list_comments_on_post", "db_path, post_id", "Return all comments attached to a post, oldest first.",
         sql="SELECT * FROM comments WHERE post_id = {post_id} ORDER BY created_at", op="all"),
    spec("add_tag", "conn, item_id, tag", "Attach a label to a catalogue item.",
         sql="INSERT INTO tags (item_id, tag) VALUES ({item_id}, '{tag}')", op="write"),
    spec("employees_in_department", "cursor, department", "Get the names of staff working in a department.",
         sql="SELECT name FROM employees WHERE department = '{department}'", op="all"),
    spec("get_password_hash", "conn, username", "Look up the stored credential hash for a username.",
         sql="SELECT password_hash FROM accounts WHERE username = '{username}'", op="scalar"),
    spec("ban_account", "conn, username, reason", "Ban an account and record why.",
         sql="UPDATE accounts SET banned = 1, ban_reason = '{reason}' WHERE username = '{username}'",
         op="write"),
    spec("recent_logins", "db_path, username, limit", "Show the latest sign-ins of a person, newest first.",
         sql="SELECT * FROM logins WHERE username = '{username}' ORDER BY ts DESC LIMIT {limit}", op="all"),
    spec("stock_level", "cursor, sku", "Report how many units of a product sit in the warehouse.",
         sql="SELECT quantity FROM inventory WHERE sku = '{sku}'", op="scalar"),
    spec("rename_project", "conn, project_id, title", "Give a project a new title.",
         sql="UPDATE projects SET title = '{title}' WHERE id = {project_id}", op="write"),
    spec("films_by_genre_and_year", "conn, genre, year", "List movies of one genre released in a given year.",
         sql="SELECT title FROM films WHERE genre = '{genre}' AND year = {year}", op="all"),
    spec("purge_mailbox", "db_path, mailbox, before", "Purge messages in a mailbox older than a date.",
         sql="DELETE FROM messages WHERE mailbox = '{mailbox}' AND sent_at < '{before}'", op="write"),
    spec("student_grades", "cursor, student_id, course", "Return the marks a pupil earned in one course.",
         sql="SELECT grade FROM grades WHERE student_id = {student_id} AND course = '{course}'", op="all"),
    spec("save_feedback", "conn, user_id, text", "Store a piece of feedback a customer typed in.",
         sql="INSERT INTO feedback (user_id, body) VALUES ({user_id}, '{text}')", op="write"),
    spec("city_for_zip", "conn, zip_code", "Which town belongs to this postal code?",
         sql="SELECT city FROM postcodes WHERE zip = '{zip_code}'", op="scalar"),
    spec("total_spent", "db_path, customer", "Sum the amounts a client has paid so far.",
         sql="SELECT SUM(amount) FROM payments WHERE customer = '{customer}'", op="scalar"),
    spec("tickets_with_status", "cursor, status", "Return support tickets carrying a status label.",
         sql="SELECT id, subject FROM tickets WHERE status = '{status}'", op="all"),
    spec("reset_counter", "conn, counter_name", "Set a named counter back to zero.",
         sql="UPDATE counters SET value = 0 WHERE name = '{counter_name}'", op="write"),
    spec("flights_between", "conn, origin, destination", "List flights from one airport to another.",
         sql="SELECT * FROM flights WHERE origin = '{origin}' AND destination = '{destination}'", op="all"),
    spec("unsubscribe", "conn, email", "Stop sending the newsletter to an address.",
         sql="DELETE FROM subscribers WHERE email = '{email}'", op="write"),
    spec("author_of_article", "cursor, slug", "Get the writer's name for an article slug.",
         sql="SELECT author FROM articles WHERE slug = '{slug}'", op="scalar"),
]

VARIANTS: list[Variant] = []
COMMENTS = ["build the query", "NOTE: caller closes the connection", "one round trip to the database",
            "NOTE: keep in sync with the schema"]

_QUOTED = re.compile(r"'([^'{]*)\{(\w+)\}([^'{]*)'")
_BARE = re.compile(r"\{(\w+)\}")


def _names(sql: str) -> list[str]:
    return _BARE.findall(sql)


def _fmt_args(names: list[str]) -> str:
    return names[0] if len(names) == 1 else "(" + ", ".join(names) + ")"


def _quoted_style(sql: str, style: str) -> str:
    """The query as a Python expression that pastes the arguments in."""
    names = _names(sql)
    if style == "fstring":
        return 'f"' + sql + '"'
    if style == "percent":
        return '"' + _BARE.sub("%s", sql.replace("%", "%%")) + '" % ' + _fmt_args(names)
    if style == "format":
        return '"' + _BARE.sub("{}", sql) + '".format(' + ", ".join(names) + ")"
    # concatenation: text pieces and arguments joined with +
    quoted = set(m.group(2) for m in _QUOTED.finditer(sql))
    parts, pos = [], 0
    for m in _BARE.finditer(sql):
        parts.append('"' + sql[pos:m.start()] + '"')
        parts.append(m.group(1) if m.group(1) in quoted else f"str({m.group(1)})")
        pos = m.end()
    if sql[pos:]:
        parts.append('"' + sql[pos:] + '"')
    return " + ".join(parts)


def _placeholders(sql: str, ph: str, named: bool = False) -> str:
    def quoted(m):
        mark = f":{m.group(2)}" if named else ph
        pre = f"'{m.group(1)}' || " if m.group(1) else ""
        post = f" || '{m.group(3)}'" if m.group(3) else ""
        return pre + mark + post
    sql = _QUOTED.sub(quoted, sql)
    return _BARE.sub(lambda m: f":{m.group(1)}" if named else ph, sql)


def _params(s: Spec, named: bool = False) -> str:
    names = _names(s.p["sql"])
    if named:
        return "{" + ", ".join(f'"{n}": {n}' for n in names) + "}"
    return "(" + ", ".join(names) + ("," if len(names) == 1 else "") + ")"


def _ph(s: Spec) -> str:
    return "%s" if s.args[0] == "cursor" else "?"


def _result(s: Spec, cur: str) -> list[str]:
    op = s.p["op"]
    if op == "one":
        return [f"return {cur}.fetchone()"]
    if op == "all":
        return [f"return {cur}.fetchall()"]
    if op == "scalar":
        return [f"return {cur}.fetchone()[0]"]
    if s.args[0] == "cursor":
        return [f"return {cur}.rowcount"]
    return ["conn.commit()"]


def _open(s: Spec) -> list[str]:
    return ["import sqlite3", "conn = sqlite3.connect(db_path)"] if s.args[0] == "db_path" else []


def _cursor_body(s: Spec, query: str, params: str | None, in_var: bool) -> list[str]:
    call = ("query" if in_var else query) + (f", {params}" if params else "")
    lines = _open(s) + ([f"query = {query}"] if in_var else [])
    cur = "cursor" if s.args[0] == "cursor" else "cur"
    if cur == "cur":
        lines.append("cur = conn.cursor()")
    return lines + [f"{cur}.execute({call})"] + _result(s, cur)


@variant(VARIANTS)
def _fstring_execute(s: Spec):
    q = _placeholders(s.p["sql"], _ph(s))
    return (_cursor_body(s, _quoted_style(s.p["sql"], "fstring"), None, False),
            _cursor_body(s, '"' + q + '"', _params(s), False))


@variant(VARIANTS)
def _percent_query_variable(s: Spec):
    named = s.args[0] != "cursor" and bool(pick(s, [0, 1], "named"))
    q = _placeholders(s.p["sql"], _ph(s), named)
    vul = _cursor_body(s, _quoted_style(s.p["sql"], "percent"), None, True)
    sec = _cursor_body(s, '"' + q + '"', _params(s, named), True)
    at = len(_open(s))
    return comment_pair(s, vul, sec, COMMENTS, "pq", at, at)


@variant(VARIANTS)
def _concat_direct(s: Spec):
    q = '"' + _placeholders(s.p["sql"], _ph(s)) + '"'
    vq = _quoted_style(s.p["sql"], "concat")
    if s.args[0] == "cursor":
        return ([f"cursor.execute({vq})"] + _result(s, "cursor"),
                [f"cursor.execute({q}, [{', '.join(_names(s.p['sql']))}])"] + _result(s, "cursor"))

    def body(call: str) -> list[str]:
        if s.args[0] == "db_path":
            head = ["import sqlite3", "with sqlite3.connect(db_path) as conn:"]
            if s.p["op"] == "write":
                return head + [f"    conn.execute({call})"]
            return head + [f"    cur = conn.execute({call})", "    " + _result(s, "cur")[0]]
        if s.p["op"] == "write":
            return [f"conn.execute({call})", "conn.commit()"]
        return [f"cur = conn.execute({call})"] + _result(s, "cur")

    return body(vq), body(f"{q}, {_params(s)}")


@variant(VARIANTS)
def _format_then_execute(s: Spec):
    q = _placeholders(s.p["sql"], _ph(s))
    params = "params" if s.args[0] == "cursor" or pick(s, [0, 1], "pv") else _params(s)
    vul = _cursor_body(s, _quoted_style(s.p["sql"], "format"), None, True)
    sec = _cursor_body(s, '"' + q + '"', params, True)
    if params == "params":
        sec.insert(sec.index(f'query = "{q}"') + 1, f"params = {_params(s)}")
    at = len(_open(s))
    return comment_pair(s, vul, sec, COMMENTS, "fm", at, at, every=1)


@variant(VARIANTS)
def _executescript(s: Spec):
    """sqlite3 only, writes only: the pasted statement goes through executescript."""
    if s.p["op"] != "write" or s.args[0] == "cursor":
        return None
    q = _placeholders(s.p["sql"], "?")
    vq = 'f"' + s.p["sql"] + ';"'
    tail = ["conn.commit()"] + (["conn.close()"] if s.args[0] == "db_path" else [])
    return (_open(s) + [f"conn.executescript({vq})"] + tail,
            _open(s) + [f'conn.execute("{q}", {_params(s)})'] + tail)
