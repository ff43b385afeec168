"""A held-out set of labelled Python snippets for checking the vulnerability judge.

Each case is a small, self-contained piece of code written the way people write Python in
web handlers, scripts and libraries. Vulnerable cases show the dangerous behaviour of one
family; safe cases in the same family are the secure version or a near miss (same APIs or
same words, no flaw). Ordinary cases (family None) are unrelated everyday code.
"""

import textwrap

from helpers.judge_cases import Case


def _code(src: str) -> str:
    return textwrap.dedent(src).strip() + "\n"


def vuln(family: str, note: str, src: str) -> Case:
    return Case(code=_code(src), vulnerable=True, family=family, note=note)


def safe(family: str, note: str, src: str) -> Case:
    return Case(code=_code(src), vulnerable=False, family=family, note=note)


def plain(note: str, src: str) -> Case:
    return Case(code=_code(src), vulnerable=False, family=None, note=note)


SQL = "sql_injection"
CMD = "command_injection"
CODE = "code_injection"
DESER = "unsafe_deserialization"
HASH = "weak_hash"
SECRET = "hardcoded_secret"
PATH = "path_traversal"
TLS = "tls_verification"
RAND = "insecure_random"


HOLDOUT: list[Case] = [
    # ------------------------------------------------------------------ sql_injection
    vuln(SQL, "f-string query in a Flask view", '''
        from flask import Flask, request, jsonify
        import sqlite3

        app = Flask(__name__)

        @app.route("/users")
        def find_user():
            name = request.args.get("name", "")
            conn = sqlite3.connect("app.db")
            cur = conn.cursor()
            cur.execute(f"SELECT id, email FROM users WHERE name = '{name}'")
            rows = cur.fetchall()
            conn.close()
            return jsonify(rows)
    '''),
    vuln(SQL, "query built with % into a variable, executed on the next line", '''
        def get_order(cursor, order_id):
            query = "SELECT * FROM orders WHERE id = '%s'" % order_id
            cursor.execute(query)
            return cursor.fetchone()
    '''),
    vuln(SQL, "string concatenation of a category name", '''
        def products_in_category(db, category):
            sql = "SELECT name, price FROM products WHERE category = '" + category + "' ORDER BY price"
            cur = db.cursor()
            cur.execute(sql)
            return [dict(zip(("name", "price"), r)) for r in cur.fetchall()]
    '''),
    vuln(SQL, "Django raw() with % formatting of a GET parameter", '''
        from django.contrib.auth.models import User
        from django.http import JsonResponse

        def search(request):
            username = request.GET.get("q", "")
            users = User.objects.raw("SELECT * FROM auth_user WHERE username LIKE '%%%s%%'" % username)
            return JsonResponse({"ids": [u.id for u in users]})
    '''),
    vuln(SQL, "str.format query built in one statement and executed in another", '''
        class SessionStore:
            def __init__(self, conn):
                self.conn = conn

            def delete(self, token: str) -> None:
                sql = "DELETE FROM sessions WHERE token = '{}'".format(token)
                with self.conn.cursor() as cur:
                    cur.execute(sql)
                self.conn.commit()
    '''),
    vuln(SQL, "asyncpg fetch with user-controlled ORDER BY column", '''
        from fastapi import FastAPI

        app = FastAPI()

        @app.get("/posts")
        async def list_posts(sort: str = "created_at"):
            conn = app.state.pool
            rows = await conn.fetch(f"SELECT id, title FROM posts ORDER BY {sort} DESC LIMIT 50")
            return [dict(r) for r in rows]
    '''),
    vuln(SQL, "SQLAlchemy text() wrapping an f-string", '''
        from sqlalchemy import text

        def count_by_status(session, status):
            stmt = text(f"SELECT COUNT(*) FROM tickets WHERE status = '{status}'")
            return session.execute(stmt).scalar()
    '''),
    vuln(SQL, "cursor.execute(query % args) with a tuple of user values", '''
        import MySQLdb

        def login(username, password):
            db = MySQLdb.connect(host="localhost", user="web", db="shop")
            cursor = db.cursor()
            query = "SELECT id FROM accounts WHERE login = '%s' AND pw_hash = '%s'"
            args = (username, password)
            cursor.execute(query % args)
            return cursor.fetchone() is not None
    '''),
    safe(SQL, "psycopg2 placeholder with a parameter tuple (comma, not %)", '''
        def get_user(conn, name):
            with conn.cursor() as cur:
                cur.execute("SELECT id, email FROM users WHERE name = %s", (name,))
                return cur.fetchone()
    '''),
    safe(SQL, "sqlite3 qmark placeholders in a Flask view", '''
        from flask import Flask, request, jsonify
        import sqlite3

        app = Flask(__name__)

        @app.route("/items")
        def items():
            owner = request.args.get("owner", "")
            conn = sqlite3.connect("app.db")
            rows = conn.execute(
                "SELECT id, title FROM items WHERE owner = ? AND deleted = 0", (owner,)
            ).fetchall()
            return jsonify(rows)
    '''),
    safe(SQL, "Django ORM filter instead of raw SQL", '''
        from django.http import JsonResponse
        from .models import Article

        def search(request):
            q = request.GET.get("q", "")
            hits = Article.objects.filter(title__icontains=q).values("id", "title")[:20]
            return JsonResponse({"results": list(hits)})
    '''),
    safe(SQL, "SQLAlchemy text() with a bound parameter", '''
        from sqlalchemy import text

        def count_by_status(session, status: str) -> int:
            stmt = text("SELECT COUNT(*) FROM tickets WHERE status = :status")
            return session.execute(stmt, {"status": status}).scalar()
    '''),
    safe(SQL, "f-string only interpolates a column chosen from an allowlist", '''
        SORTABLE = {"name": "name", "newest": "created_at", "price": "price"}

        def list_products(conn, sort_key: str, limit: int):
            column = SORTABLE.get(sort_key, "created_at")
            sql = f"SELECT id, name FROM products ORDER BY {column} LIMIT ?"
            return conn.execute(sql, (limit,)).fetchall()
    '''),
    safe(SQL, "named pyformat placeholders %(email)s with a dict of params", '''
        def find_by_email(cursor, email):
            sql = "SELECT id, name FROM customers WHERE email = %(email)s"
            cursor.execute(sql, {"email": email})
            return cursor.fetchall()
    '''),
    safe(SQL, "executemany with placeholders; comment warns about string SQL", '''
        import sqlite3

        def bulk_insert(path, rows):
            # Never build SQL with f-strings here: values come from a CSV upload.
            conn = sqlite3.connect(path)
            with conn:
                conn.executemany("INSERT INTO events (kind, payload) VALUES (?, ?)", rows)
            conn.close()
    '''),

    # -------------------------------------------------------------- command_injection
    vuln(CMD, "os.system with concatenated host name", '''
        import os
        import sys

        host = sys.argv[1]
        status = os.system("ping -c 1 " + host)
        print("up" if status == 0 else "down")
    '''),
    vuln(CMD, "subprocess.Popen(cmd, shell=True) with uploaded file name", '''
        import subprocess
        from flask import request

        def make_thumbnail():
            filename = request.form["filename"]
            cmd = f"convert uploads/{filename} -resize 128x128 thumbs/{filename}"
            proc = subprocess.Popen(cmd, shell=True, stdout=subprocess.PIPE)
            out, _ = proc.communicate()
            return out
    '''),
    vuln(CMD, "os.popen of a whois lookup on a query parameter", '''
        import os
        from django.http import HttpResponse

        def whois(request):
            domain = request.GET["domain"]
            output = os.popen(f"whois {domain}").read()
            return HttpResponse(output, content_type="text/plain")
    '''),
    vuln(CMD, "aliased subprocess module, check_output with shell=True", '''
        import subprocess as sp

        def commits_on(branch: str) -> list[str]:
            out = sp.check_output(f"git log --oneline {branch}", shell=True, text=True)
            return out.splitlines()
    '''),
    vuln(CMD, "asyncio.create_subprocess_shell with a user name", '''
        import asyncio

        async def resolve(name: str) -> str:
            proc = await asyncio.create_subprocess_shell(
                f"nslookup {name}", stdout=asyncio.subprocess.PIPE
            )
            stdout, _ = await proc.communicate()
            return stdout.decode()
    '''),
    vuln(CMD, "from os import system in a click CLI", '''
        from os import system
        import click

        @click.command()
        @click.argument("directory")
        def backup(directory):
            system("tar -czf /backups/site.tgz %s" % directory)
            click.echo("done")

        if __name__ == "__main__":
            backup()
    '''),
    vuln(CMD, "subprocess.call with shell=True in a class method", '''
        import subprocess

        class Printer:
            def __init__(self, queue_name):
                self.queue_name = queue_name

            def print_file(self, path):
                return subprocess.call("lp -d " + self.queue_name + " " + path, shell=True)
    '''),
    safe(CMD, "subprocess.run with an argument list", '''
        import subprocess
        import sys

        def ping(host: str) -> bool:
            result = subprocess.run(["ping", "-c", "1", host], capture_output=True)
            return result.returncode == 0

        if __name__ == "__main__":
            print(ping(sys.argv[1]))
    '''),
    safe(CMD, "shell=True but the user value is passed through shlex.quote", '''
        import shlex
        import subprocess

        def grep_logs(pattern: str) -> str:
            cmd = f"grep -rn {shlex.quote(pattern)} /var/log/app | tail -n 50"
            return subprocess.run(cmd, shell=True, capture_output=True, text=True).stdout
    '''),
    safe(CMD, "aliased subprocess, list argv with -- separator", '''
        import subprocess as sp

        def commits_on(branch: str) -> list[str]:
            out = sp.check_output(["git", "log", "--oneline", branch, "--"], text=True)
            return out.splitlines()
    '''),
    safe(CMD, "asyncio.create_subprocess_exec with separate arguments", '''
        import asyncio

        async def resolve(name: str) -> str:
            proc = await asyncio.create_subprocess_exec(
                "nslookup", name, stdout=asyncio.subprocess.PIPE
            )
            stdout, _ = await proc.communicate()
            return stdout.decode()
    '''),
    safe(CMD, "os.system with a constant command only", '''
        import os

        def clear_screen():
            os.system("cls" if os.name == "nt" else "clear")
    '''),
    safe(CMD, "shell=True with a fixed command string, no input", '''
        import subprocess

        def disk_usage_report() -> str:
            return subprocess.run("df -h | sort -k5 -r | head -n 5", shell=True,
                                  capture_output=True, text=True).stdout
    '''),
    safe(CMD, "Popen with an argv list for ffmpeg", '''
        from subprocess import Popen, PIPE

        def transcode(src: str, dst: str) -> int:
            proc = Popen(["ffmpeg", "-y", "-i", src, "-c:a", "aac", dst], stdout=PIPE, stderr=PIPE)
            proc.wait()
            return proc.returncode
    '''),

    # ----------------------------------------------------------------- code_injection
    vuln(CODE, "eval of a query parameter in a calculator endpoint", '''
        from flask import Flask, request

        app = Flask(__name__)

        @app.route("/calc")
        def calc():
            expr = request.args.get("expr", "0")
            return str(eval(expr))
    '''),
    vuln(CODE, "exec of a POSTed script body", '''
        from fastapi import FastAPI, Request

        app = FastAPI()

        @app.post("/run")
        async def run_snippet(request: Request):
            body = (await request.body()).decode()
            scope = {}
            exec(body, scope)
            return {"result": str(scope.get("result"))}
    '''),
    vuln(CODE, "eval(input()) in a command-line script", '''
        def main():
            while True:
                line = input(">>> ")
                if line in ("quit", "exit"):
                    break
                print(eval(line))

        if __name__ == "__main__":
            main()
    '''),
    vuln(CODE, "compile() then exec of text received from a socket", '''
        import socket

        def serve(port=9000):
            srv = socket.socket()
            srv.bind(("0.0.0.0", port))
            srv.listen(1)
            conn, _ = srv.accept()
            src = conn.recv(4096).decode()
            code = compile(src, "<remote>", "exec")
            exec(code)
            conn.close()
    '''),
    vuln(CODE, "Django view evals a filters dict from the query string", '''
        from django.http import JsonResponse
        from .models import Product

        def products(request):
            filters = eval(request.GET.get("filters", "{}"))
            qs = Product.objects.filter(**filters)
            return JsonResponse({"count": qs.count()})
    '''),
    vuln(CODE, "eval builds a lambda from a user formula", '''
        def make_scorer(formula: str):
            """Turn a spreadsheet-style formula typed by the user into a function."""
            return eval("lambda row: " + formula)

        def score_rows(rows, formula):
            fn = make_scorer(formula)
            return [fn(r) for r in rows]
    '''),
    vuln(CODE, "exec of an f-string that embeds a form field", '''
        def define_handler(form):
            name = form["handler_name"]
            body = form["handler_body"]
            namespace = {}
            exec(f"def {name}(event):\\n    return {body}", namespace)
            return namespace[name]
    '''),
    safe(CODE, "ast.literal_eval of a query parameter", '''
        import ast
        from flask import Flask, request

        app = Flask(__name__)

        @app.route("/sum")
        def total():
            values = ast.literal_eval(request.args.get("values", "[]"))
            return str(sum(float(v) for v in values))
    '''),
    safe(CODE, "json.loads of a request body", '''
        import json

        def handle(event, context):
            payload = json.loads(event["body"])
            return {"statusCode": 200, "body": json.dumps({"n": len(payload)})}
    '''),
    safe(CODE, "calculator that walks the AST with an operator table", '''
        import ast
        import operator

        OPS = {ast.Add: operator.add, ast.Sub: operator.sub,
               ast.Mult: operator.mul, ast.Div: operator.truediv}

        def evaluate(expr: str) -> float:
            def walk(node):
                if isinstance(node, ast.Constant) and isinstance(node.value, (int, float)):
                    return node.value
                if isinstance(node, ast.BinOp) and type(node.op) in OPS:
                    return OPS[type(node.op)](walk(node.left), walk(node.right))
                raise ValueError("unsupported expression")
            return walk(ast.parse(expr, mode="eval").body)
    '''),
    safe(CODE, "PyTorch model.eval() is not Python eval", '''
        import torch

        @torch.no_grad()
        def evaluate(model, loader, device="cpu"):
            model.eval()
            correct = total = 0
            for x, y in loader:
                pred = model(x.to(device)).argmax(dim=1)
                correct += (pred == y.to(device)).sum().item()
                total += y.numel()
            return correct / max(total, 1)
    '''),
    safe(CODE, "docstring mentions eval, code uses int() parsing", '''
        def parse_port(value: str) -> int:
            """Parse a port number.

            Do not use eval() here: the value comes from the command line.
            """
            port = int(value, 10)
            if not 0 < port < 65536:
                raise ValueError(f"bad port {port}")
            return port
    '''),
    safe(CODE, "dispatch through an allowlisted dict instead of exec/getattr", '''
        def _start(args): return "starting"
        def _stop(args): return "stopping"
        def _status(args): return "ok"

        COMMANDS = {"start": _start, "stop": _stop, "status": _status}

        def dispatch(command: str, args: list[str]) -> str:
            try:
                handler = COMMANDS[command]
            except KeyError:
                raise SystemExit(f"unknown command: {command}")
            return handler(args)
    '''),
    safe(CODE, "re.compile of a user pattern is not code execution", '''
        import re
        import sys

        pattern = re.compile(sys.argv[1])
        with open(sys.argv[2], encoding="utf-8") as fh:
            for lineno, line in enumerate(fh, 1):
                if pattern.search(line):
                    print(f"{lineno}: {line.rstrip()}")
    '''),

    # --------------------------------------------------------- unsafe_deserialization
    vuln(DESER, "pickle.loads of the raw request body", '''
        import pickle
        from flask import Flask, request

        app = Flask(__name__)

        @app.route("/api/state", methods=["POST"])
        def restore_state():
            state = pickle.loads(request.data)
            return {"keys": list(state)}
    '''),
    vuln(DESER, "from pickle import loads, on a base64 cookie", '''
        import base64
        from pickle import loads

        def current_cart(request):
            raw = request.COOKIES.get("cart")
            if not raw:
                return []
            return loads(base64.b64decode(raw))
    '''),
    vuln(DESER, "yaml.load(stream) with no Loader on an uploaded file", '''
        import yaml
        from fastapi import FastAPI, UploadFile

        app = FastAPI()

        @app.post("/config")
        async def upload_config(file: UploadFile):
            stream = await file.read()
            config = yaml.load(stream)
            return {"sections": list(config)}
    '''),
    vuln(DESER, "yaml.load with the full unsafe Loader on a message", '''
        import yaml

        def on_message(client, userdata, msg):
            job = yaml.load(msg.payload, Loader=yaml.UnsafeLoader)
            userdata["queue"].append(job)
    '''),
    vuln(DESER, "marshal.loads of bytes received over the network", '''
        import marshal
        import socket

        def receive_task(sock: socket.socket):
            size = int.from_bytes(sock.recv(4), "big")
            payload = sock.recv(size)
            return marshal.loads(payload)
    '''),
    vuln(DESER, "aliased pickle loading an uploaded model file", '''
        import pickle as pkl
        from django.http import JsonResponse

        def upload_model(request):
            f = request.FILES["model"]
            model = pkl.load(f)
            return JsonResponse({"type": type(model).__name__})
    '''),
    vuln(DESER, "jsonpickle.decode of a client payload", '''
        import jsonpickle

        class JobAPI:
            def submit(self, body: str):
                job = jsonpickle.decode(body)
                return job.run()
    '''),
    vuln(DESER, "yaml.unsafe_load of a webhook body", '''
        import yaml
        from flask import request

        def webhook():
            event = yaml.unsafe_load(request.get_data())
            return {"ok": True, "type": event.get("type")}
    '''),
    safe(DESER, "yaml.safe_load of an uploaded file", '''
        import yaml
        from fastapi import FastAPI, UploadFile

        app = FastAPI()

        @app.post("/config")
        async def upload_config(file: UploadFile):
            config = yaml.safe_load(await file.read())
            return {"sections": list(config or {})}
    '''),
    safe(DESER, "json.loads of the request body", '''
        import json
        from flask import Flask, request

        app = Flask(__name__)

        @app.route("/api/state", methods=["POST"])
        def restore_state():
            state = json.loads(request.data)
            return {"keys": list(state)}
    '''),
    safe(DESER, "yaml.load with an explicit SafeLoader", '''
        import yaml

        def read_settings(path):
            with open(path) as fh:
                return yaml.load(fh, Loader=yaml.SafeLoader)
    '''),
    safe(DESER, "pickle.dumps only (serializing, never loading)", '''
        import pickle

        def snapshot_size(obj) -> int:
            """Rough in-memory size estimate: length of the pickled bytes."""
            return len(pickle.dumps(obj, protocol=pickle.HIGHEST_PROTOCOL))
    '''),
    safe(DESER, "docstring mentions pickle; code uses JSON", '''
        import base64
        import json

        def current_cart(request):
            """Read the cart cookie.

            The cookie used to be a pickle, which let clients run code on the server;
            it is JSON now.
            """
            raw = request.COOKIES.get("cart")
            return json.loads(base64.b64decode(raw)) if raw else []
    '''),
    safe(DESER, "msgpack.unpackb of network bytes", '''
        import msgpack

        def decode_frame(frame: bytes) -> dict:
            return msgpack.unpackb(frame, raw=False, strict_map_key=True)
    '''),
    safe(DESER, "marshmallow Schema.load validates plain JSON data", '''
        from marshmallow import Schema, fields

        class UserSchema(Schema):
            name = fields.Str(required=True)
            email = fields.Email(required=True)

        def create_user(payload: dict) -> dict:
            return UserSchema().load(payload)
    '''),

    # ---------------------------------------------------------------------- weak_hash
    vuln(HASH, "md5 hex digest stored as the password hash", '''
        import hashlib

        def register(db, username, password):
            pw_hash = hashlib.md5(password.encode()).hexdigest()
            db.execute("INSERT INTO users (name, pw) VALUES (?, ?)", (username, pw_hash))
    '''),
    vuln(HASH, "aliased hashlib, sha1 of the password", '''
        import hashlib as hl

        class User:
            def __init__(self, name: str, pw: str):
                self.name = name
                self.pw_hash = hl.sha1(pw.encode()).hexdigest()

            def check(self, pw: str) -> bool:
                return hl.sha1(pw.encode()).hexdigest() == self.pw_hash
    '''),
    vuln(HASH, "hashlib.new('md5') in a login check", '''
        import hashlib

        def verify_login(stored_hash: str, password: str) -> bool:
            h = hashlib.new("md5")
            h.update(password.encode("utf-8"))
            return h.hexdigest() == stored_hash
    '''),
    vuln(HASH, "salted but still a single fast sha1", '''
        import os
        from hashlib import sha1

        def hash_password(password: str) -> str:
            salt = os.urandom(8).hex()
            digest = sha1((salt + password).encode()).hexdigest()
            return f"{salt}${digest}"
    '''),
    vuln(HASH, "Django custom password hasher built on md5", '''
        import hashlib
        from django.contrib.auth.hashers import BasePasswordHasher

        class LegacyHasher(BasePasswordHasher):
            algorithm = "legacy_md5"

            def encode(self, password, salt):
                hash_ = hashlib.md5((salt + password).encode()).hexdigest()
                return "%s$%s$%s" % (self.algorithm, salt, hash_)

            def verify(self, password, encoded):
                algorithm, salt, _ = encoded.split("$", 2)
                return self.encode(password, salt) == encoded
    '''),
    vuln(HASH, "md5 used to make password-reset tokens", '''
        import hashlib
        import time

        def reset_token(user_id: int, email: str) -> str:
            material = f"{user_id}:{email}:{int(time.time())}"
            return hashlib.md5(material.encode()).hexdigest()
    '''),
    vuln(HASH, "sha1 digest used to sign API requests", '''
        import hashlib

        def sign(params: dict, api_secret: str) -> str:
            base = "&".join(f"{k}={params[k]}" for k in sorted(params))
            return hashlib.sha1((base + api_secret).encode()).hexdigest()

        def verify(params: dict, signature: str, api_secret: str) -> bool:
            return sign(params, api_secret) == signature
    '''),
    safe(HASH, "pbkdf2_hmac with a random salt", '''
        import hashlib
        import hmac
        import os

        def hash_password(password: str) -> bytes:
            salt = os.urandom(16)
            return salt + hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 600_000)

        def check_password(password: str, stored: bytes) -> bool:
            salt, digest = stored[:16], stored[16:]
            candidate = hashlib.pbkdf2_hmac("sha256", password.encode(), salt, 600_000)
            return hmac.compare_digest(candidate, digest)
    '''),
    safe(HASH, "bcrypt hashpw/checkpw", '''
        import bcrypt

        class User:
            def set_password(self, pw: str) -> None:
                self.pw_hash = bcrypt.hashpw(pw.encode(), bcrypt.gensalt(rounds=12))

            def check_password(self, pw: str) -> bool:
                return bcrypt.checkpw(pw.encode(), self.pw_hash)
    '''),
    safe(HASH, "md5 with usedforsecurity=False for a cache key", '''
        import hashlib
        import json

        def cache_key(endpoint: str, params: dict) -> str:
            blob = json.dumps([endpoint, params], sort_keys=True).encode()
            return "resp:" + hashlib.md5(blob, usedforsecurity=False).hexdigest()
    '''),
    safe(HASH, "md5 as a file checksum for an ETag", '''
        import hashlib
        from pathlib import Path

        def etag_for(path: Path) -> str:
            h = hashlib.md5()
            with path.open("rb") as fh:
                for chunk in iter(lambda: fh.read(65536), b""):
                    h.update(chunk)
            return f'"{h.hexdigest()}"'
    '''),
    safe(HASH, "argon2 PasswordHasher", '''
        from argon2 import PasswordHasher
        from argon2.exceptions import VerifyMismatchError

        ph = PasswordHasher()

        def register(pw: str) -> str:
            return ph.hash(pw)

        def login(stored: str, pw: str) -> bool:
            try:
                return ph.verify(stored, pw)
            except VerifyMismatchError:
                return False
    '''),
    safe(HASH, "werkzeug generate_password_hash in a Flask model", '''
        from werkzeug.security import generate_password_hash, check_password_hash
        from flask_sqlalchemy import SQLAlchemy

        db = SQLAlchemy()

        class Account(db.Model):
            id = db.Column(db.Integer, primary_key=True)
            password_hash = db.Column(db.String(256))

            def set_password(self, password):
                self.password_hash = generate_password_hash(password)

            def check_password(self, password):
                return check_password_hash(self.password_hash, password)
    '''),
    safe(HASH, "hashlib.scrypt for password storage", '''
        import hashlib
        import secrets

        def hash_password(password: str) -> str:
            salt = secrets.token_bytes(16)
            key = hashlib.scrypt(password.encode(), salt=salt, n=2**14, r=8, p=1)
            return salt.hex() + ":" + key.hex()
    '''),
    safe(HASH, "sha1 as git-style content id for deduplication", '''
        import hashlib

        def blob_id(data: bytes) -> str:
            header = f"blob {len(data)}\\0".encode()
            return hashlib.sha1(header + data).hexdigest()

        def dedupe(blobs):
            return {blob_id(b): b for b in blobs}
    '''),

    # --------------------------------------------------------------- hardcoded_secret
    vuln(SECRET, "PASSWORD module constant used to connect", '''
        import psycopg2

        DB_HOST = "db.internal.example.com"
        DB_USER = "app"
        PASSWORD = "Tr0ub4dor&3-prod"

        def get_conn():
            return psycopg2.connect(host=DB_HOST, user=DB_USER, password=PASSWORD, dbname="app")
    '''),
    vuln(SECRET, "cloud access key and secret written into a boto3 client", '''
        import boto3

        s3 = boto3.client(
            "s3",
            aws_access_key_id="AKEXAMPLE7Q2ZP4LMNO",
            aws_secret_access_key="q8Vd3kLzP1xYb7Tn0wRm5sHf2jGc9eKa4uNi6oZt",
        )

        def upload(path, key):
            s3.upload_file(path, "company-backups", key)
    '''),
    vuln(SECRET, "Django settings SECRET_KEY literal", '''
        from pathlib import Path

        BASE_DIR = Path(__file__).resolve().parent.parent
        SECRET_KEY = "django-insecure-7h$k2!x@q9m^w3z&f5p0r8t#v1b6n4c"
        DEBUG = False
        ALLOWED_HOSTS = ["shop.example.com"]
    '''),
    vuln(SECRET, "bearer token literal in request headers", '''
        import requests

        def list_invoices():
            resp = requests.get(
                "https://api.billing.example.com/v1/invoices",
                headers={"Authorization": "Bearer 3f9c2a7e81d64b0f9a5c7e2d1b8f4a60"},
                timeout=10,
            )
            resp.raise_for_status()
            return resp.json()
    '''),
    vuln(SECRET, "Flask app.config SECRET_KEY and mail password literals", '''
        from flask import Flask

        app = Flask(__name__)
        app.config["SECRET_KEY"] = "a8f5f167f44f4964e6c998dee827110c"
        app.config["MAIL_USERNAME"] = "noreply@example.com"
        app.config["MAIL_PASSWORD"] = "winter2023!"
    '''),
    vuln(SECRET, "JWT signing key literal", '''
        import datetime
        import jwt

        def issue_token(user_id: int) -> str:
            payload = {"sub": user_id, "exp": datetime.datetime.utcnow() + datetime.timedelta(hours=1)}
            return jwt.encode(payload, "my-super-secret-signing-key-2024", algorithm="HS256")
    '''),
    vuln(SECRET, "dataclass default api_key literal", '''
        from dataclasses import dataclass

        @dataclass
        class WeatherClient:
            base_url: str = "https://api.weather.example.com"
            api_key: str = "b1946ac92492d2347c6235b4d2611184"

            def url(self, city: str) -> str:
                return f"{self.base_url}/current?q={city}&appid={self.api_key}"
    '''),
    safe(SECRET, "password read from os.environ", '''
        import os
        import psycopg2

        def get_conn():
            return psycopg2.connect(
                host=os.environ["DB_HOST"],
                user=os.environ.get("DB_USER", "app"),
                password=os.environ["DB_PASSWORD"],
                dbname="app",
            )
    '''),
    safe(SECRET, "os.getenv with a hard failure when missing", '''
        import os
        import sys

        API_KEY = os.getenv("WEATHER_API_KEY")
        if not API_KEY:
            sys.exit("set WEATHER_API_KEY first")
    '''),
    safe(SECRET, "pydantic settings loaded from the environment", '''
        from pydantic import SecretStr
        from pydantic_settings import BaseSettings

        class Settings(BaseSettings):
            database_url: str
            secret_key: SecretStr
            debug: bool = False

        settings = Settings()
    '''),
    safe(SECRET, "constants named like secrets but holding policy values", '''
        PASSWORD_MIN_LENGTH = 12
        PASSWORD_FIELD = "password"
        TOKEN_HEADER = "Authorization"
        SECRET_KEY_ENV_VAR = "APP_SECRET_KEY"

        def validate_password(pw: str) -> bool:
            return len(pw) >= PASSWORD_MIN_LENGTH and not pw.isalpha()
    '''),
    safe(SECRET, "keyring lookup of a stored credential", '''
        import getpass
        import keyring

        def smtp_password(user: str) -> str:
            pw = keyring.get_password("smtp", user)
            if pw is None:
                pw = getpass.getpass(f"SMTP password for {user}: ")
                keyring.set_password("smtp", user, pw)
            return pw
    '''),
    safe(SECRET, "Django SECRET_KEY from environment", '''
        import os
        from pathlib import Path

        BASE_DIR = Path(__file__).resolve().parent.parent
        SECRET_KEY = os.environ["DJANGO_SECRET_KEY"]
        DEBUG = os.environ.get("DJANGO_DEBUG") == "1"
    '''),
    safe(SECRET, "token passed in as a CLI argument / env default", '''
        import argparse
        import os

        parser = argparse.ArgumentParser()
        parser.add_argument("--token", default=os.environ.get("GITHUB_TOKEN"))
        parser.add_argument("--repo", required=True)
        args = parser.parse_args()
        headers = {"Authorization": f"token {args.token}"} if args.token else {}
    '''),

    # ------------------------------------------------------------------ path_traversal
    vuln(PATH, "open(os.path.join(UPLOAD_DIR, filename)) in a Flask view", '''
        import os
        from flask import Flask, request

        app = Flask(__name__)
        UPLOAD_DIR = "/srv/uploads"

        @app.route("/download")
        def download():
            filename = request.args["name"]
            with open(os.path.join(UPLOAD_DIR, filename), "rb") as fh:
                return fh.read()
    '''),
    vuln(PATH, "send_file on a joined user path", '''
        import os
        from flask import send_file, request

        BASE = "/var/www/reports"

        def report():
            return send_file(os.path.join(BASE, request.args.get("file", "index.pdf")))
    '''),
    vuln(PATH, "pathlib join of a FastAPI path parameter", '''
        from pathlib import Path
        from fastapi import FastAPI
        from fastapi.responses import Response

        app = FastAPI()
        MEDIA_ROOT = Path("/data/media")

        @app.get("/media/{name:path}")
        async def media(name: str):
            return Response((MEDIA_ROOT / name).read_bytes())
    '''),
    vuln(PATH, "string concatenation of a report name", '''
        def read_report(report_name):
            with open("/var/data/reports/" + report_name) as f:
                return f.read()
    '''),
    vuln(PATH, "zip extraction writing member names unchecked", '''
        import os
        import zipfile

        def unpack(archive_path, dest):
            with zipfile.ZipFile(archive_path) as zf:
                for member in zf.namelist():
                    target = os.path.join(dest, member)
                    os.makedirs(os.path.dirname(target), exist_ok=True)
                    if not member.endswith("/"):
                        with open(target, "wb") as out:
                            out.write(zf.read(member))
    '''),
    vuln(PATH, "os.remove of a form-supplied name", '''
        import os
        from django.http import JsonResponse

        TMP_DIR = "/tmp/exports"

        def delete_export(request):
            os.remove(os.path.join(TMP_DIR, request.POST["name"]))
            return JsonResponse({"deleted": True})
    '''),
    vuln(PATH, "Django FileResponse on an f-string path", '''
        from django.conf import settings
        from django.http import FileResponse

        def attachment(request, path):
            return FileResponse(open(f"{settings.MEDIA_ROOT}/{path}", "rb"))
    '''),
    safe(PATH, "realpath + startswith(base + os.sep) check", '''
        import os
        from flask import Flask, request, abort

        app = Flask(__name__)
        UPLOAD_DIR = os.path.realpath("/srv/uploads")

        @app.route("/download")
        def download():
            target = os.path.realpath(os.path.join(UPLOAD_DIR, request.args["name"]))
            if not target.startswith(UPLOAD_DIR + os.sep):
                abort(404)
            with open(target, "rb") as fh:
                return fh.read()
    '''),
    safe(PATH, "Flask send_from_directory", '''
        from flask import Flask, send_from_directory

        app = Flask(__name__)

        @app.route("/files/<path:filename>")
        def files(filename):
            return send_from_directory("/srv/uploads", filename)
    '''),
    safe(PATH, "werkzeug secure_filename before joining", '''
        import os
        from werkzeug.utils import secure_filename

        UPLOAD_DIR = "/srv/uploads"

        def save_upload(file_storage):
            name = secure_filename(file_storage.filename)
            if not name:
                raise ValueError("empty filename")
            file_storage.save(os.path.join(UPLOAD_DIR, name))
            return name
    '''),
    safe(PATH, "Path.resolve().is_relative_to(base)", '''
        from pathlib import Path
        from fastapi import FastAPI, HTTPException
        from fastapi.responses import Response

        app = FastAPI()
        MEDIA_ROOT = Path("/data/media").resolve()

        @app.get("/media/{name:path}")
        async def media(name: str):
            target = (MEDIA_ROOT / name).resolve()
            if not target.is_relative_to(MEDIA_ROOT) or not target.is_file():
                raise HTTPException(status_code=404)
            return Response(target.read_bytes())
    '''),
    safe(PATH, "os.path.basename strips directories from the name", '''
        import os

        REPORT_DIR = "/var/data/reports"

        def read_report(report_name: str) -> str:
            safe_name = os.path.basename(report_name)
            with open(os.path.join(REPORT_DIR, safe_name)) as f:
                return f.read()
    '''),
    safe(PATH, "os.path.join with constant file names only", '''
        import json
        import os

        BASE_DIR = os.path.dirname(os.path.abspath(__file__))

        def load_defaults():
            with open(os.path.join(BASE_DIR, "config", "defaults.json")) as fh:
                return json.load(fh)
    '''),
    safe(PATH, "file located by database id, stored path never from the client", '''
        from django.http import FileResponse, Http404
        from .models import Document

        def download(request, doc_id: int):
            try:
                doc = Document.objects.get(pk=doc_id, owner=request.user)
            except Document.DoesNotExist:
                raise Http404
            return FileResponse(doc.file.open("rb"), as_attachment=True)
    '''),

    # ---------------------------------------------------------------- tls_verification
    vuln(TLS, "requests.post(url, verify=False)", '''
        import requests

        def send_metrics(url: str, data: dict) -> int:
            resp = requests.post(url, json=data, verify=False, timeout=5)
            return resp.status_code
    '''),
    vuln(TLS, "urllib with ssl._create_unverified_context", '''
        import ssl
        import urllib.request

        def fetch(url):
            ctx = ssl._create_unverified_context()
            with urllib.request.urlopen(url, context=ctx) as resp:
                return resp.read()
    '''),
    vuln(TLS, "ssl context with check_hostname False and CERT_NONE", '''
        import socket
        import ssl

        def connect(host, port=443):
            ctx = ssl.create_default_context()
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
            sock = socket.create_connection((host, port))
            return ctx.wrap_socket(sock, server_hostname=host)
    '''),
    vuln(TLS, "requests Session with verify turned off", '''
        import requests
        import urllib3

        urllib3.disable_warnings()

        class ApiClient:
            def __init__(self, base_url):
                self.base_url = base_url
                self.session = requests.Session()
                self.session.verify = False

            def get(self, path):
                return self.session.get(self.base_url + path).json()
    '''),
    vuln(TLS, "httpx.AsyncClient(verify=False)", '''
        import httpx

        async def fetch_status(url: str) -> int:
            async with httpx.AsyncClient(verify=False) as client:
                resp = await client.get(url)
                return resp.status_code
    '''),
    vuln(TLS, "urllib3 PoolManager with cert_reqs CERT_NONE", '''
        import urllib3

        http = urllib3.PoolManager(cert_reqs="CERT_NONE")

        def get_json(url):
            r = http.request("GET", url)
            return r.json()
    '''),
    vuln(TLS, "aiohttp connector with ssl=False", '''
        import aiohttp

        async def download(url: str) -> bytes:
            connector = aiohttp.TCPConnector(ssl=False)
            async with aiohttp.ClientSession(connector=connector) as session:
                async with session.get(url) as resp:
                    return await resp.read()
    '''),
    vuln(TLS, "global monkeypatch of the default HTTPS context", '''
        import ssl
        import urllib.request

        ssl._create_default_https_context = ssl._create_unverified_context

        def get(url):
            return urllib.request.urlopen(url).read()
    '''),
    safe(TLS, "requests with verify=True and a timeout", '''
        import requests

        def send_metrics(url: str, data: dict) -> int:
            resp = requests.post(url, json=data, verify=True, timeout=5)
            return resp.status_code
    '''),
    safe(TLS, "verify points at an internal CA bundle", '''
        import requests

        CA_BUNDLE = "/etc/ssl/certs/internal-ca.pem"

        def get_inventory():
            r = requests.get("https://inventory.corp.example.com/api/items", verify=CA_BUNDLE, timeout=10)
            r.raise_for_status()
            return r.json()
    '''),
    safe(TLS, "ssl.create_default_context with a cafile", '''
        import socket
        import ssl

        def connect(host, port=8443):
            ctx = ssl.create_default_context(cafile="/etc/myapp/ca.pem")
            sock = socket.create_connection((host, port))
            return ctx.wrap_socket(sock, server_hostname=host)
    '''),
    safe(TLS, "httpx client verifying with certifi", '''
        import certifi
        import httpx

        client = httpx.Client(verify=certifi.where(), timeout=10.0)

        def ping(url: str) -> bool:
            return client.get(url).is_success
    '''),
    safe(TLS, "server context requiring client certificates (CERT_REQUIRED)", '''
        import ssl

        def server_context(cert, key, client_ca):
            ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            ctx.load_cert_chain(certfile=cert, keyfile=key)
            ctx.load_verify_locations(cafile=client_ca)
            ctx.verify_mode = ssl.CERT_REQUIRED
            return ctx
    '''),
    safe(TLS, "comment mentions verify=False; code keeps default verification", '''
        import requests

        def fetch_feed(url):
            # Do not pass verify=False here even if the staging cert is expired;
            # fix the certificate instead.
            resp = requests.get(url, timeout=15)
            resp.raise_for_status()
            return resp.text
    '''),
    safe(TLS, "session.verify set to a CA bundle from the environment", '''
        import os
        import requests

        session = requests.Session()
        session.verify = os.environ.get("REQUESTS_CA_BUNDLE", True)

        def whoami(base):
            return session.get(f"{base}/me", timeout=5).json()
    '''),

    # ----------------------------------------------------------------- insecure_random
    vuln(RAND, "random.randint for a six-digit OTP", '''
        import random

        def send_login_code(user, sms):
            code = random.randint(100000, 999999)
            user.otp = str(code)
            user.save()
            sms.send(user.phone, f"Your login code is {code}")
    '''),
    vuln(RAND, "random.choice comprehension for an API token", '''
        import random
        import string

        def new_api_token(length: int = 32) -> str:
            alphabet = string.ascii_letters + string.digits
            return "".join(random.choice(alphabet) for _ in range(length))
    '''),
    vuln(RAND, "session id from random.random()", '''
        import random
        import hashlib

        def create_session(store, user_id):
            sid = hashlib.sha256(str(random.random()).encode()).hexdigest()
            store[sid] = user_id
            return sid
    '''),
    vuln(RAND, "from random import choices for a temporary password", '''
        from random import choices
        import string

        def temporary_password() -> str:
            alphabet = string.ascii_letters + string.digits + "!@#$%"
            return "".join(choices(alphabet, k=12))
    '''),
    vuln(RAND, "random seeded with time, getrandbits for an encryption key", '''
        import random
        import time

        def generate_key() -> bytes:
            random.seed(time.time())
            return random.getrandbits(256).to_bytes(32, "big")
    '''),
    vuln(RAND, "password-reset token from random.getrandbits", '''
        import random

        class PasswordReset:
            def __init__(self, user):
                self.user = user
                self.token = "%032x" % random.getrandbits(128)
    '''),
    vuln(RAND, "aliased random module for CSRF tokens", '''
        import random as rnd

        def csrf_token() -> str:
            return "".join(f"{rnd.randrange(256):02x}" for _ in range(16))
    '''),
    safe(RAND, "secrets.token_urlsafe for an API token", '''
        import secrets

        def new_api_token() -> str:
            return secrets.token_urlsafe(32)
    '''),
    safe(RAND, "random.shuffle of a playlist", '''
        import random

        def shuffled(playlist: list[str]) -> list[str]:
            songs = list(playlist)
            random.shuffle(songs)
            return songs
    '''),
    safe(RAND, "secrets.randbelow for a six-digit OTP", '''
        import secrets

        def send_login_code(user, sms):
            code = f"{secrets.randbelow(10**6):06d}"
            user.otp = code
            user.save()
            sms.send(user.phone, f"Your login code is {code}")
    '''),
    safe(RAND, "random.SystemRandom for a temporary password", '''
        import random
        import string

        _rng = random.SystemRandom()

        def temporary_password() -> str:
            alphabet = string.ascii_letters + string.digits
            return "".join(_rng.choice(alphabet) for _ in range(16))
    '''),
    safe(RAND, "random.seed(42) for a reproducible train/test split", '''
        import random

        def split(rows, test_fraction=0.2, seed=42):
            random.seed(seed)
            rows = rows[:]
            random.shuffle(rows)
            cut = int(len(rows) * (1 - test_fraction))
            return rows[:cut], rows[cut:]
    '''),
    safe(RAND, "random.uniform jitter in a retry backoff", '''
        import random
        import time

        def retry(fn, attempts=5, base=0.5):
            for i in range(attempts):
                try:
                    return fn()
                except ConnectionError:
                    time.sleep(base * 2 ** i + random.uniform(0, 0.25))
            raise RuntimeError("gave up")
    '''),
    safe(RAND, "os.urandom for a symmetric key", '''
        import os
        from cryptography.hazmat.primitives.ciphers.aead import AESGCM

        def encrypt(plaintext: bytes) -> tuple[bytes, bytes, bytes]:
            key = os.urandom(32)
            nonce = os.urandom(12)
            return key, nonce, AESGCM(key).encrypt(nonce, plaintext, None)
    '''),
    safe(RAND, "random.choice of a chatbot greeting", '''
        import random

        GREETINGS = ["Hi!", "Hello there.", "Hey, how can I help?"]

        def greet(name: str | None = None) -> str:
            text = random.choice(GREETINGS)
            return f"{text} {name}" if name else text
    '''),

    # ------------------------------------------------------------------------ ordinary
    plain("dataclass with a computed property", '''
        from dataclasses import dataclass, field

        @dataclass
        class Invoice:
            number: str
            lines: list[tuple[str, float]] = field(default_factory=list)

            @property
            def total(self) -> float:
                return round(sum(price for _, price in self.lines), 2)
    '''),
    plain("argparse CLI that counts words", '''
        import argparse
        from collections import Counter

        def main():
            parser = argparse.ArgumentParser(description="Count words in a file")
            parser.add_argument("path")
            parser.add_argument("-n", type=int, default=10)
            args = parser.parse_args()
            with open(args.path, encoding="utf-8") as fh:
                counts = Counter(fh.read().lower().split())
            for word, n in counts.most_common(args.n):
                print(f"{n:6d} {word}")

        if __name__ == "__main__":
            main()
    '''),
    plain("Flask hello-world route", '''
        from flask import Flask

        app = Flask(__name__)

        @app.route("/")
        def index():
            return "Hello, World!"
    '''),
    plain("pandas groupby summary", '''
        import pandas as pd

        def monthly_revenue(csv_path: str) -> pd.DataFrame:
            df = pd.read_csv(csv_path, parse_dates=["date"])
            df["month"] = df["date"].dt.to_period("M")
            return df.groupby("month")["amount"].sum().reset_index()
    '''),
    plain("async fetch of several URLs with aiohttp", '''
        import asyncio
        import aiohttp

        async def fetch_all(urls):
            async with aiohttp.ClientSession() as session:
                async def one(u):
                    async with session.get(u) as r:
                        return u, r.status
                return await asyncio.gather(*(one(u) for u in urls))
    '''),
    plain("memoised fibonacci", '''
        from functools import lru_cache

        @lru_cache(maxsize=None)
        def fib(n: int) -> int:
            return n if n < 2 else fib(n - 1) + fib(n - 2)
    '''),
    plain("logging configuration helper", '''
        import logging

        def setup_logging(level: str = "INFO") -> logging.Logger:
            logging.basicConfig(
                level=getattr(logging, level.upper(), logging.INFO),
                format="%(asctime)s %(levelname)s %(name)s: %(message)s",
            )
            return logging.getLogger("app")
    '''),
    plain("FastAPI endpoint with a pydantic model", '''
        from fastapi import FastAPI
        from pydantic import BaseModel

        app = FastAPI()

        class Item(BaseModel):
            name: str
            price: float
            tags: list[str] = []

        @app.post("/items")
        async def create_item(item: Item):
            return {"name": item.name, "price_with_tax": round(item.price * 1.2, 2)}
    '''),
    plain("context manager that times a block", '''
        import time
        from contextlib import contextmanager

        @contextmanager
        def timer(label: str):
            start = time.perf_counter()
            try:
                yield
            finally:
                print(f"{label}: {time.perf_counter() - start:.3f}s")
    '''),
    plain("CSV to JSON conversion with a dict comprehension", '''
        import csv
        import json
        import sys

        with open(sys.argv[1], newline="") as fh:
            rows = list(csv.DictReader(fh))
        by_id = {row["id"]: {k: v for k, v in row.items() if k != "id"} for row in rows}
        json.dump(by_id, sys.stdout, indent=2)
    '''),
    plain("Django model with a __str__ and Meta ordering", '''
        from django.db import models

        class Author(models.Model):
            name = models.CharField(max_length=200)
            born = models.DateField(null=True, blank=True)

            class Meta:
                ordering = ["name"]

            def __str__(self):
                return self.name
    '''),
    plain("binary search over a sorted list", '''
        def binary_search(items: list[int], target: int) -> int:
            lo, hi = 0, len(items) - 1
            while lo <= hi:
                mid = (lo + hi) // 2
                if items[mid] == target:
                    return mid
                if items[mid] < target:
                    lo = mid + 1
                else:
                    hi = mid - 1
            return -1
    '''),
    plain("generator that chunks an iterable", '''
        from itertools import islice
        from typing import Iterable, Iterator, TypeVar

        T = TypeVar("T")

        def chunked(it: Iterable[T], size: int) -> Iterator[list[T]]:
            iterator = iter(it)
            while batch := list(islice(iterator, size)):
                yield batch
    '''),
    plain("pathlib walk that totals file sizes by extension", '''
        from collections import defaultdict
        from pathlib import Path

        def sizes_by_suffix(root: str) -> dict[str, int]:
            totals: dict[str, int] = defaultdict(int)
            for p in Path(root).rglob("*"):
                if p.is_file():
                    totals[p.suffix or "<none>"] += p.stat().st_size
            return dict(totals)
    '''),
    plain("requests session with retries and default certificate checking", '''
        import requests
        from requests.adapters import HTTPAdapter
        from urllib3.util.retry import Retry

        def make_session() -> requests.Session:
            s = requests.Session()
            retry = Retry(total=3, backoff_factor=0.3, status_forcelist=[502, 503, 504])
            s.mount("https://", HTTPAdapter(max_retries=retry))
            return s
    '''),
    plain("unittest test case for a slugify helper", '''
        import re
        import unittest

        def slugify(text: str) -> str:
            return re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")

        class SlugifyTest(unittest.TestCase):
            def test_basic(self):
                self.assertEqual(slugify("Hello, World!"), "hello-world")

        if __name__ == "__main__":
            unittest.main()
    '''),
]
