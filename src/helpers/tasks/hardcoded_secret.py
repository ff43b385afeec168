"""Hard-coded secrets (CWE-798): a credential written into the source vs read at run time.

A task lists the imports and the lines that use the credential, with `{s}` where the secret
goes; `const` names it, `env` is the environment variable the secure form reads, `value` is
the literal pasted into the source, `service` is the keyring lookup.
"""

from __future__ import annotations

from helpers.tasks._core import Spec, Variant, spec, variant, comment_pair

FAMILY = "hardcoded_secret"


def _t(func_name, args, doc, imports, use, const, env, value, service, inline=True):
    """`inline`: whether the literal can sit directly in the call (where the slot names it)."""
    return spec(func_name, args, doc, imports=imports, use=use, const=const, env=env, value=value,
                service=service, inline=inline)


SPECS = [
    _t("charge_card", "amount, card_token", "Charge a card through the payments API.", ["requests"],
       ["resp = requests.post(\"https://api.payments.example/v1/charges\",",
        "                     data={{\"amount\": amount, \"source\": card_token, \"api_key\": {s}}})",
        "return resp.json()"], "PAYMENTS_API_KEY", "PAYMENTS_API_KEY", "sk_live_51Hx9aTq2vLmZ8pQe4rW", "payments"),
    _t("connect_database", "host", "Open a connection to the orders database on a host.", ["psycopg2"],
       ["return psycopg2.connect(host=host, dbname=\"orders\", user=\"app\", password={s})"],
       "DB_PASSWORD", "ORDERS_DB_PASSWORD", "Tr0ub4dor&3", "orders-db"),
    _t("send_alert_email", "to, body", "Email an alert through the company SMTP relay.", ["smtplib"],
       ["with smtplib.SMTP_SSL(\"smtp.example.com\") as server:",
        "    server.login(\"alerts@example.com\", {s})",
        "    server.sendmail(\"alerts@example.com\", to, body)"], "SMTP_PASSWORD", "SMTP_PASSWORD",
       "hunter2hunter2", "smtp-relay"),
    _t("list_repositories", "org", "List the repositories of a GitHub organisation.", ["requests"],
       ["headers = {{\"Authorization\": \"token \" + {s}}}",
        "resp = requests.get(f\"https://api.github.com/orgs/{{org}}/repos\", headers=headers)",
        "return [r[\"name\"] for r in resp.json()]"], "GITHUB_TOKEN", "GITHUB_TOKEN",
       "ghp_R8x2LmQ7vT4kZ1pN9wE3yU6cB0aS5dF2gH7j", "github"),
    _t("upload_backup", "path, bucket", "Upload a backup file to an S3 bucket.", ["boto3"],
       ["s3 = boto3.client(\"s3\", aws_access_key_id=\"AKIA4EXAMPLE7QX2ZL\",",
        "                  aws_secret_access_key={s})",
        "s3.upload_file(path, bucket, path)"], "AWS_SECRET", "AWS_SECRET_ACCESS_KEY",
       "wJalrXUtnFEMI/K7MDENG/bPxRfiCYzEXAMPLEKEY", "aws"),
    _t("sign_session_token", "user_id", "Issue a signed JWT for a logged-in user.", ["jwt"],
       ["return jwt.encode({{\"sub\": user_id}}, {s}, algorithm=\"HS256\")"], "JWT_SECRET", "JWT_SECRET",
       "s3cr3t-jwt-signing-key-2024", "auth", inline=False),
    _t("post_to_slack", "text", "Post a message to the team's Slack channel.", ["requests"],
       ["headers = {{\"Authorization\": \"Bearer \" + {s}}}",
        "body = {{\"channel\": \"#team\", \"text\": text}}",
        "requests.post(\"https://slack.com/api/chat.postMessage\", json=body, headers=headers)"],
       "SLACK_BOT_TOKEN", "SLACK_BOT_TOKEN", "xoxb-2817-9911-Zq8WmR4tYp2L", "slack", inline=False),
    _t("geocode_address", "address", "Look up latitude and longitude for a street address.", ["requests"],
       ["params = {{\"q\": address, \"api_key\": {s}}}",
        "resp = requests.get(\"https://geo.example.com/v1/search\", params=params)",
        "return resp.json()[\"results\"][0]"], "GEO_API_KEY", "GEOCODER_KEY",
       "AIzaSyD4x9QeLk2Wm8PzR7tV1nB6cY3uJ0hK5sA", "geocoder"),
    _t("open_redis", "db_index", "Connect to the shared Redis cache.", ["redis"],
       ["return redis.Redis(host=\"cache.internal\", db=db_index, password={s})"], "REDIS_PASSWORD",
       "REDIS_PASSWORD", "r3d1s-Pa55w0rd!", "redis"),
    _t("translate_text", "text, target", "Translate a text into another language through the API.",
       ["requests"],
       ["resp = requests.post(\"https://translate.example.com/v2\",",
        "                     json={{\"q\": text, \"target\": target}}, headers={{\"X-Api-Key\": {s}}})",
        "return resp.json()[\"translation\"]"], "TRANSLATE_API_KEY", "TRANSLATE_API_KEY",
       "tr-9f8e7d6c5b4a39281706", "translate"),
    _t("connect_ftp", "host", "Log in to the FTP drop box on a host.", ["ftplib"],
       ["ftp = ftplib.FTP(host)", "ftp.login(\"deploy\", {s})", "return ftp"], "FTP_PASSWORD",
       "FTP_PASSWORD", "d3pl0y!2023", "ftp-dropbox"),
    _t("fetch_weather", "city", "Get the current weather for a city.", ["requests"],
       ["url = \"https://api.weather.example/current\"",
        "resp = requests.get(url, params={{\"city\": city, \"api_key\": {s}}})", "return resp.json()"],
       "WEATHER_API_KEY", "WEATHER_API_KEY", "b6907d289e10d714a6e88b30761fae22", "weather"),
    _t("mysql_connection", "database", "Return a MySQL connection to a schema.", ["mysql.connector"],
       ["return mysql.connector.connect(host=\"db\", user=\"root\", password={s}, database=database)"],
       "MYSQL_PASSWORD", "MYSQL_ROOT_PASSWORD", "rootpass123", "mysql"),
    _t("sign_webhook_payload", "payload", "Compute the HMAC signature sent with an outgoing webhook.",
       ["hmac"], ["return hmac.new({s}.encode(), payload, \"sha256\").hexdigest()"], "SIGNING_KEY",
       "WEBHOOK_SIGNING_KEY", "whsec_8dK2mP5qR9tV3xZ7", "webhooks", inline=False),
    _t("ssh_connect", "host", "Open an SSH session to a build machine.", ["paramiko"],
       ["client = paramiko.SSHClient()", "client.set_missing_host_key_policy(paramiko.RejectPolicy())",
        "client.connect(host, username=\"builder\", password={s})", "return client"], "SSH_PASSWORD",
       "BUILDER_SSH_PASSWORD", "Bu1lder#Pass", "build-ssh"),
    _t("send_sms", "number, message", "Text a message to a phone number through Twilio.",
       ["twilio.rest"],
       ["client = twilio.rest.Client(username=\"AC3f9e2d1c0b8a7f6\", password={s})",
        "return client.messages.create(to=number, from_=\"+15550100\", body=message)"],
       "TWILIO_TOKEN", "TWILIO_AUTH_TOKEN", "9a8b7c6d5e4f3a2b1c0d9e8f7a6b5c4d", "twilio"),
    _t("mongo_database", "db_name", "Get a handle on a MongoDB database.", ["pymongo"],
       ["client = pymongo.MongoClient(\"mongodb://db:27017\", username=\"admin\", password={s})",
        "return client[db_name]"], "MONGO_PASSWORD", "MONGO_PASSWORD", "m0ng0-Adm1n-pw", "mongo"),
    _t("encrypt_note", "note", "Encrypt a private note before it is saved.", ["cryptography.fernet"],
       ["box = cryptography.fernet.Fernet({s})", "return box.encrypt(note.encode())"], "NOTES_SECRET_KEY",
       "NOTES_FERNET_KEY", "ZmDfcTF7_60GrrY167zsiPd67pEvs0aGOv2oasOM1Pg=", "notes", inline=False),
    _t("ask_language_model", "question", "Send a question to the hosted language model and return the answer.",
       ["requests"],
       ["headers = {{\"Authorization\": \"Bearer \" + {s}}}",
        "body = {{\"prompt\": question, \"max_tokens\": 200}}",
        "resp = requests.post(\"https://llm.example.com/v1/complete\", json=body, headers=headers)",
        "return resp.json()[\"text\"]"], "LLM_API_KEY", "LLM_API_KEY", "sk-proj-Qw7Er5Ty3Ui1Op9As8Df", "llm"),
    _t("page_on_call", "summary", "Trigger a page to whoever is on call.", ["requests"],
       ["event = {{\"routing_key\": {s}, \"event_action\": \"trigger\", \"payload\": {{\"summary\": summary}}}}",
        "requests.post(\"https://events.pager.example/v2/enqueue\", json=event)"], "PAGER_API_KEY",
       "PAGER_ROUTING_KEY", "R0UT1NGK3Y4f5e6d7c8b9a", "pager", inline=False),
    _t("ldap_bind", "server_url", "Bind to the company directory as the service user.", ["ldap3"],
       ["server = ldap3.Server(server_url)",
        "return ldap3.Connection(server, user=\"cn=svc,dc=corp\", password={s}, auto_bind=True)"],
       "LDAP_PASSWORD", "LDAP_BIND_PASSWORD", "Svc-Bind-2024!", "ldap"),
    _t("configure_flask_app", "app", "Set the signing key a Flask app uses for its cookies.", [],
       ["app.config[\"SECRET_KEY\"] = {s}", "return app"], "SESSION_SECRET", "FLASK_SECRET_KEY",
       "dev-9x8y7z6w5v4u3t2s", "flask"),
    _t("exchange_rates", "base", "Download today's currency exchange rates for a base currency.",
       ["requests"],
       ["query = {{\"base\": base, \"access_key\": {s}}}",
        "return requests.get(\"https://fx.example.com/latest\", params=query).json()"], "FX_ACCESS_KEY",
       "FX_ACCESS_KEY", "fx_3e4r5t6y7u8i9o0p", "fx"),
    _t("create_issue", "title", "Open a ticket in the issue tracker.", ["requests"],
       ["data = {{\"fields\": {{\"summary\": title, \"project\": {{\"key\": \"OPS\"}}}}}}",
        "url = \"https://tracker.example.com/rest/api/2/issue\"",
        "return requests.post(url, json=data, auth=(\"bot@example.com\", {s}))"],
       "TRACKER_TOKEN", "TRACKER_API_TOKEN", "ATATT3xFfGF0aB1cD2eF3gH4", "tracker"),
    _t("queue_connection", "queue", "Connect to the message broker and declare a queue.", ["pika"],
       ["creds = pika.PlainCredentials(username=\"worker\", password={s})",
        "conn = pika.BlockingConnection(pika.ConnectionParameters(\"broker\", credentials=creds))",
        "conn.channel().queue_declare(queue=queue)", "return conn"], "BROKER_PASSWORD",
       "BROKER_PASSWORD", "w0rker-pw-77", "broker"),
    _t("download_report", "report_id", "Download a finished analytics report as bytes.", ["requests"],
       ["url = f\"https://analytics.example.com/reports/{{report_id}}\"",
        "resp = requests.get(url, headers={{\"X-Auth-Token\": {s}}})", "return resp.content"],
       "ANALYTICS_TOKEN", "ANALYTICS_TOKEN", "at_5g6h7j8k9l0z1x2c3v", "analytics"),
    _t("search_documents", "query", "Run a full-text search over the document index.", ["elasticsearch"],
       ["es = elasticsearch.Elasticsearch(\"https://search:9200\", api_key={s})",
        "return es.search(index=\"docs\", q=query)"], "ELASTIC_API_KEY", "ELASTIC_API_KEY",
       "El4st1c-S3arch-pw", "search"),
]

VARIANTS: list[Variant] = []
COMMENTS = ["NOTE: rotated every quarter", "credentials for the service account", "TODO: move to settings"]


def _imports(s: Spec, extra: str | None) -> list[str]:
    lines = [f"import {m}" for m in s.p["imports"]]
    return lines + ([f"import {extra}"] if extra else [])


def _use(s: Spec, secret: str) -> list[str]:
    return [ln.format(s=secret) for ln in s.p["use"]]


def _fits(*bodies: list[str]) -> bool:
    return all(len(b) <= 7 for b in bodies)


@variant(VARIANTS)
def _constant_then_use(s: Spec):
    c = s.p["const"]
    vul = _imports(s, None) + [f"{c} = \"{s.p['value']}\""] + _use(s, c)
    sec = _imports(s, "os") + [f"{c} = os.environ[\"{s.p['env']}\"]"] + _use(s, c)
    return (vul, sec) if _fits(vul, sec) else None


@variant(VARIANTS)
def _inline_literal(s: Spec):
    if not s.p["inline"]:
        return None
    vul = _imports(s, None) + _use(s, f"\"{s.p['value']}\"")
    sec = _imports(s, "os") + _use(s, f"os.getenv(\"{s.p['env']}\")")
    return comment_pair(s, vul, sec, COMMENTS, "in")


@variant(VARIANTS)
def _settings_dict(s: Spec):
    key = s.p["const"].lower()
    vul = _imports(s, None) + [f"settings = {{\"{key}\": \"{s.p['value']}\"}}"] + _use(s, f"settings[\"{key}\"]")
    sec = (_imports(s, "os") + [f"settings = {{\"{key}\": os.environ[\"{s.p['env']}\"]}}"]
           + _use(s, f"settings[\"{key}\"]"))
    return (vul, sec) if _fits(vul, sec) else None


@variant(VARIANTS)
def _dict_constructor(s: Spec):
    key = s.p["const"].lower()
    vul = _imports(s, None) + [f"conf = dict({key}=\"{s.p['value']}\")"] + _use(s, f"conf[\"{key}\"]")
    sec = _imports(s, "os") + [f"conf = dict({key}=os.environ[\"{s.p['env']}\"])"] + _use(s, f"conf[\"{key}\"]")
    return (vul, sec) if _fits(vul, sec) else None


@variant(VARIANTS)
def _keyring_lookup(s: Spec):
    name = s.p["const"].lower()
    vul = _imports(s, None) + [f"{name} = \"{s.p['value']}\""] + _use(s, name)
    sec = (_imports(s, "keyring") + [f"{name} = keyring.get_password(\"{s.p['service']}\", \"app\")"]
           + _use(s, name))
    if not _fits(vul, sec):
        return None
    return comment_pair(s, vul, sec, COMMENTS, "kr", every=3)
