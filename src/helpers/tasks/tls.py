"""TLS certificate verification disabled (CWE-295) vs left on (or pointed at a CA bundle).

A task's `url` is the URL expression (an argument or an f-string), `op` what the caller wants
back: "text", "json", "status", "bytes", or "post" (send the `payload` argument as JSON).
"""

from __future__ import annotations

from helpers.tasks._core import MAX_BODY, Spec, Variant, pick, spec, variant, comment_pair

FAMILY = "tls_verification"

SPECS = [
    spec("fetch_page", "url", "Download a web page and return its HTML.", url="url", op="text"),
    spec("get_service_health", "host", "Query the health endpoint of an internal service.",
         url="f\"https://{host}/health\"", op="json"),
    spec("post_metrics", "endpoint, payload", "Push a batch of metrics to the collector as JSON.",
         url="endpoint", op="post", payload="payload"),
    spec("site_is_up", "url", "Return the HTTP status code a site answers with.", url="url", op="status"),
    spec("download_firmware", "device_host, version", "Fetch a firmware image from a device's update server.",
         url="f\"https://{device_host}/firmware/{version}.bin\"", op="bytes"),
    spec("get_exchange_quote", "symbol", "Get the latest price quote for a ticker symbol.",
         url="f\"https://quotes.example.com/v1/{symbol}\"", op="json"),
    spec("send_telemetry", "collector_url, event", "Report a telemetry event to the collector.",
         url="collector_url", op="post", payload="event"),
    spec("read_remote_config", "config_url", "Load a configuration document served over HTTPS.",
         url="config_url", op="json"),
    spec("fetch_robots_txt", "domain", "Return the robots.txt text of a domain.",
         url="f\"https://{domain}/robots.txt\"", op="text"),
    spec("printer_status_code", "printer_ip", "Ask a network printer's web page for its HTTP status.",
         url="f\"https://{printer_ip}/\"", op="status"),
    spec("download_dataset", "dataset_url", "Return the raw bytes of a published dataset.",
         url="dataset_url", op="bytes"),
    spec("create_ticket", "api_base, ticket", "Open a support ticket through the helpdesk API.",
         url="f\"{api_base}/tickets\"", op="post", payload="ticket"),
    spec("list_cluster_nodes", "k8s_host", "List the nodes the cluster API reports.",
         url="f\"https://{k8s_host}:6443/api/v1/nodes\"", op="json"),
    spec("fetch_rss_feed", "feed_url", "Get the XML of a news feed.", url="feed_url", op="text"),
    spec("router_admin_reachable", "router", "Check whether the router's admin page responds.",
         url="f\"https://{router}/admin\"", op="status"),
    spec("get_avatar_bytes", "avatar_url", "Fetch a user's avatar image bytes.", url="avatar_url", op="bytes"),
    spec("submit_order", "shop_url, order", "Send an order to the shop backend.",
         url="f\"{shop_url}/orders\"", op="post", payload="order"),
    spec("weather_forecast", "station", "Get the forecast a weather station publishes.",
         url="f\"https://weather.example.org/stations/{station}/forecast\"", op="json"),
    spec("read_changelog", "project_url", "Return the changelog text a project serves.",
         url="f\"{project_url}/CHANGELOG.md\"", op="text"),
    spec("ping_webhook", "hook_url", "Check a webhook target answers before registering it.",
         url="hook_url", op="status"),
    spec("fetch_backup_archive", "backup_host, name", "Download a backup archive from the storage box.",
         url="f\"https://{backup_host}/backups/{name}\"", op="bytes"),
    spec("register_device", "registry_url, device", "Register a new device with the fleet registry.",
         url="registry_url", op="post", payload="device"),
    spec("latest_release", "repo", "Return the newest release record of a repository.",
         url="f\"https://git.example.com/api/repos/{repo}/releases/latest\"", op="json"),
    spec("scrape_price_page", "product_url", "Return the HTML of a product page to read its price.",
         url="product_url", op="text"),
    spec("vault_sealed_status", "vault_addr", "Report the HTTP status of a secrets vault's seal endpoint.",
         url="f\"{vault_addr}/v1/sys/seal-status\"", op="status"),
    spec("fetch_certificate_list", "ca_host", "Download the revocation list a certificate authority publishes.",
         url="f\"https://{ca_host}/crl.pem\"", op="bytes"),
    spec("upload_scan_result", "scanner_api, result", "Send a scan result to the reporting server.",
         url="f\"{scanner_api}/results\"", op="post", payload="result"),
]

VARIANTS: list[Variant] = []
COMMENTS = ["NOTE: internal endpoint", "TODO: retry on failure", "call the service"]
CA_BUNDLE = "\"/etc/ssl/certs/ca-certificates.crt\""


def _requests_like(s: Spec, obj: str, kw: str) -> list[str]:
    """Call with requests / httpx / a session named `obj`; `kw` extra keyword text."""
    op, url = s.p["op"], s.p["url"]
    if op == "post":
        return [f"resp = {obj}.post({url}, json={s.p['payload']}{kw})", "return resp.status_code"]
    method = "head" if op == "status" else "get"
    out = {"text": "resp.text", "json": "resp.json()", "status": "resp.status_code",
           "bytes": "resp.content"}[op]
    return [f"resp = {obj}.{method}({url}{kw})", f"return {out}"]


def _urllib(s: Spec, ctx_lines: list[str]) -> list[str] | None:
    op, url = s.p["op"], s.p["url"]
    if op == "post":
        return None
    out = {"text": "resp.read().decode()", "json": "json.loads(resp.read())", "status": "resp.status",
           "bytes": "resp.read()"}[op]
    imports = ["import json"] * (op == "json") + ["import ssl", "import urllib.request"]
    return imports + ctx_lines + [f"with urllib.request.urlopen({url}, context=ctx) as resp:",
                                  f"    return {out}"]


@variant(VARIANTS)
def _requests_verify_false(s: Spec):
    fix = pick(s, ["", ", verify=True", f", verify={CA_BUNDLE}"], "rq")
    vul = ["import requests"] + _requests_like(s, "requests", ", timeout=10, verify=False")
    sec = ["import requests"] + _requests_like(s, "requests", ", timeout=10" + fix)
    return comment_pair(s, vul, sec, COMMENTS, "rq")


@variant(VARIANTS)
def _session_verify_attribute(s: Spec):
    fix = pick(s, ["True", CA_BUNDLE], "ss")
    vul = ["import requests", "session = requests.Session()", "session.verify = False"]
    sec = ["import requests", "session = requests.Session()", f"session.verify = {fix}"]
    return vul + _requests_like(s, "session", ""), sec + _requests_like(s, "session", "")


@variant(VARIANTS)
def _unverified_context(s: Spec):
    vul = _urllib(s, ["ctx = ssl._create_unverified_context()"])
    sec = _urllib(s, ["ctx = ssl.create_default_context()"])
    return None if vul is None else (vul, sec)


@variant(VARIANTS)
def _cert_none_context(s: Spec):
    vul = _urllib(s, ["ctx = ssl.create_default_context()", "ctx.check_hostname = False",
                      "ctx.verify_mode = ssl.CERT_NONE"])
    fix = pick(s, [[], [f"ctx.load_verify_locations({CA_BUNDLE})"]], "cn")
    sec = _urllib(s, ["ctx = ssl.create_default_context()"] + fix)
    return None if vul is None or len(vul) > MAX_BODY else (vul, sec)


@variant(VARIANTS)
def _urllib3_pool(s: Spec):
    op, url = s.p["op"], s.p["url"]
    if op == "post":
        call = f"resp = http.request(\"POST\", {url}, json={s.p['payload']})"
        out = "resp.status"
    else:
        call = f"resp = http.request(\"{'HEAD' if op == 'status' else 'GET'}\", {url})"
        out = {"text": "resp.data.decode()", "json": "resp.json()", "status": "resp.status",
               "bytes": "resp.data"}[op]

    def body(cert: str) -> list[str]:
        return ["import urllib3", f"http = urllib3.PoolManager(cert_reqs=\"{cert}\")", call, f"return {out}"]
    vul, sec = body("CERT_NONE"), body("CERT_REQUIRED")
    return comment_pair(s, vul, sec, COMMENTS, "u3", every=3)


@variant(VARIANTS)
def _httpx_verify_false(s: Spec):
    vul = ["import httpx"] + _requests_like(s, "httpx", ", verify=False")
    sec = ["import httpx"] + _requests_like(s, "httpx", "")
    return vul, sec
