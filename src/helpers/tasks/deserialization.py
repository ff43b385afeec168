"""Unsafe deserialization (CWE-502): pickle, marshal or full yaml loaders vs json / yaml.safe_load.

A task's `src` says where the data comes from: "bytes" (the argument holds the payload),
"file" (the argument is a path) or "b64" (the argument is base64 text, e.g. a cookie).
`post` wraps the loaded value `{v}`.
"""

from __future__ import annotations

from helpers.tasks._core import Spec, Variant, spec, variant, comment_pair

FAMILY = "unsafe_deserialization"

SPECS = [
    spec("load_session_data", "payload", "Rebuild the session dictionary from the bytes the cache returned.",
         src="bytes", post="{v}"),
    spec("read_saved_game", "path", "Load a saved game state from disk.", src="file", post="{v}"),
    spec("decode_cookie", "cookie", "Decode the preferences stored in a base64 cookie.",
         src="b64", post="{v}"),
    spec("parse_job_message", "body", "Turn a message from the work queue into a job dict.",
         src="bytes", post="{v}"),
    spec("load_config_file", "config_path", "Read the application configuration file.",
         src="file", post="{v}"),
    spec("restore_cart", "token", "Restore a shopping cart that was round-tripped through the browser.",
         src="b64", post="{v}.get(\"items\", [])"),
    spec("receive_update", "data", "Unpack an update a peer sent over the socket.", src="bytes", post="{v}"),
    spec("load_model_metadata", "meta_path", "Load the metadata saved next to a model checkpoint.",
         src="file", post="{v}"),
    spec("read_user_profile", "blob", "Deserialize a profile stored as a blob column.",
         src="bytes", post="{v}.get(\"name\")"),
    spec("import_settings", "encoded", "Import settings a user exported as a base64 string.",
         src="b64", post="dict({v})"),
    spec("load_cached_result", "cache_file", "Return a cached computation result from its file.",
         src="file", post="{v}"),
    spec("decode_webhook_event", "raw", "Decode an event delivered to our webhook endpoint.",
         src="bytes", post="{v}[\"type\"]"),
    spec("load_playlist", "playlist_path", "Open a playlist file and return its tracks.",
         src="file", post="{v}[\"tracks\"]"),
    spec("unpack_auth_state", "state", "Recover the login state carried in an OAuth state parameter.",
         src="b64", post="{v}"),
    spec("parse_rpc_request", "frame", "Decode one remote procedure call frame into method and params.",
         src="bytes", post="({v}[\"method\"], {v}[\"params\"])"),
    spec("read_fixture", "fixture_path", "Load test fixture records from a file.", src="file", post="list({v})"),
    spec("deserialize_task_args", "message", "Get the keyword arguments of a queued background task.",
         src="bytes", post="{v}.get(\"kwargs\", {{}})"),
    spec("restore_form_draft", "draft", "Bring back a half-filled form the browser kept as base64.",
         src="b64", post="{v}"),
    spec("load_workspace_layout", "layout_file", "Load the window layout a user saved last time.",
         src="file", post="{v}"),
    spec("read_sensor_packet", "packet", "Decode a sensor packet into a reading dict.",
         src="bytes", post="{v}"),
    spec("load_translation_table", "table_path", "Read a table of UI translations from a file.",
         src="file", post="dict({v})"),
    spec("accept_import_upload", "upload", "Parse a data file a customer uploaded through the form.",
         src="bytes", post="{v}"),
    spec("decode_share_link", "link_data", "Decode the view settings packed into a share link.",
         src="b64", post="{v}"),
    spec("load_pipeline_spec", "spec_path", "Load the steps of a data pipeline from its definition file.",
         src="file", post="{v}[\"steps\"]"),
    spec("read_cluster_state", "snapshot", "Rebuild the cluster state from a replicated snapshot.",
         src="bytes", post="{v}"),
    spec("parse_plugin_manifest", "manifest_path", "Read a plugin manifest and return its name.",
         src="file", post="{v}[\"name\"]"),
    spec("unpack_invite", "invite_code", "Read the team and role packed into an invite code.",
         src="b64", post="({v}[\"team\"], {v}[\"role\"])"),
]

VARIANTS: list[Variant] = []
COMMENTS = ["NOTE: written by the export job", "load it", "TODO: version the format"]


def _ret(s: Spec, value: str) -> list[str]:
    if s.p["post"].count("{v}") > 1:   # use a name, not the load twice
        return [f"value = {value}", "return " + s.p["post"].format(v="value")]
    return ["return " + s.p["post"].format(v=value)]


def _body(s: Spec, mod: str, load: str, stream_load: str | None = None,
          binary: bool = True, extra: list[str] | None = None) -> list[str]:
    """`load` formats the raw data `{x}`; `stream_load` (files only) reads an open file `{x}`."""
    x, kind = s.args[0], s.p["src"]
    imports = [f"import {mod}"] + (extra or [])
    if kind == "bytes":
        return imports + _ret(s, load.format(x=x))
    if kind == "b64":
        return ["import base64"] + imports + _ret(s, load.format(x=f"base64.b64decode({x})"))
    if stream_load is None:
        return imports + ["from pathlib import Path"] + _ret(
            s, load.format(x=f"Path({x}).read_{'bytes' if binary else 'text'}()"))
    mode = ', "rb"' if binary else ""
    return imports + [f"with open({x}{mode}) as fh:"] + ["    " + ln for ln in _ret(s, stream_load.format(x="fh"))]


@variant(VARIANTS)
def _pickle_loads(s: Spec):
    return (_body(s, "pickle", "pickle.loads({x})", "pickle.load({x})"),
            _body(s, "json", "json.loads({x})", "json.load({x})", binary=False))


@variant(VARIANTS)
def _yaml_full_loader(s: Spec):
    vul = _body(s, "yaml", "yaml.load({x}, Loader=yaml.Loader)", "yaml.load({x}, Loader=yaml.Loader)",
                binary=False)
    sec = _body(s, "yaml", "yaml.safe_load({x})", "yaml.safe_load({x})", binary=False)
    return comment_pair(s, vul, sec, COMMENTS, "yl")


@variant(VARIANTS)
def _yaml_unrestricted_load(s: Spec):
    return (_body(s, "yaml", "yaml.unsafe_load({x})", binary=False),
            _body(s, "yaml", "yaml.load({x}, Loader=yaml.SafeLoader)", binary=False))


@variant(VARIANTS)
def _marshal_loads(s: Spec):
    if s.p["src"] == "file":
        return (_body(s, "marshal", "marshal.loads({x})"),
                _body(s, "json", "json.loads({x})", binary=False))
    return (_body(s, "marshal", "marshal.loads({x})"), _body(s, "json", "json.loads({x})"))


@variant(VARIANTS)
def _pickle_unpickler(s: Spec):
    if s.p["src"] == "file":
        vul = _body(s, "pickle", "", "pickle.Unpickler({x}).load()")
        sec = _body(s, "json", "", "json.JSONDecoder().decode({x}.read())", binary=False)
    else:
        vul = _body(s, "pickle", "pickle.load(io.BytesIO({x}))", extra=["import io"])
        sec = _body(s, "json", "json.load(io.BytesIO({x}))", extra=["import io"])
    return comment_pair(s, vul, sec, COMMENTS, "up", len(vul) - 1, len(sec) - 1)
