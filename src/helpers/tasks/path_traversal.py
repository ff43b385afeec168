"""Path traversal (CWE-22): a user-supplied name joined to a base folder unchecked vs resolved
and checked to stay inside the folder.

`base` is the argument holding the folder, or `root` a fixed folder set in the body; `name` is
the argument holding the user's file name; `op` is what happens to the file.
"""

from __future__ import annotations

from helpers.tasks._core import Spec, Variant, spec, variant, comment_pair

FAMILY = "path_traversal"

SPECS = [
    spec("read_user_file", "base_dir, filename", "Return the text of a file from the user's folder.",
         base="base_dir", name="filename", op="read_text"),
    spec("download_attachment", "attachment_name", "Send an uploaded attachment back to the browser.",
         root="/srv/app/uploads", name="attachment_name", op="serve"),
    spec("save_avatar", "user_dir, image_name, data", "Store a profile picture under the user's folder.",
         base="user_dir", name="image_name", op="write_bytes", data="data"),
    spec("delete_upload", "upload_dir, name", "Delete one uploaded file.",
         base="upload_dir", name="name", op="delete"),
    spec("template_source", "template_name", "Load an email template by name.",
         root="/opt/mailer/templates", name="template_name", op="read_text"),
    spec("report_size", "reports_dir, report", "Return how many bytes a generated report holds.",
         base="reports_dir", name="report", op="size"),
    spec("load_translation", "lang_file", "Read a language pack stored as JSON.",
         root="/usr/share/app/i18n", name="lang_file", op="json"),
    spec("write_note", "notes_dir, title, text", "Write a note to a text file named after its title.",
         base="notes_dir", name="title", op="write", data="text"),
    spec("log_tail_lines", "log_dir, log_name", "Return the lines of one of the service logs.",
         base="log_dir", name="log_name", op="lines"),
    spec("document_title", "docs_root, doc_name", "Return the first line of an archived document.",
         base="docs_root", name="doc_name", op="first_line"),
    spec("serve_static", "static_dir, asset", "Serve a static asset such as a stylesheet or script.",
         base="static_dir", name="asset", op="serve"),
    spec("read_firmware_image", "image_name", "Return the bytes of a firmware image for flashing.",
         root="/var/lib/firmware", name="image_name", op="read_bytes"),
    spec("load_user_settings", "profile_dir, settings_file", "Load a person's saved settings JSON.",
         base="profile_dir", name="settings_file", op="json"),
    spec("remove_cached_thumbnail", "thumb", "Drop a cached thumbnail so it is regenerated.",
         root="/tmp/thumbnails", name="thumb", op="delete"),
    spec("export_csv", "export_dir, export_name, csv_text", "Save exported CSV text under a chosen name.",
         base="export_dir", name="export_name", op="write", data="csv_text"),
    spec("show_invoice_pdf", "invoice_file", "Return an invoice PDF to the customer portal.",
         root="/srv/billing/invoices", name="invoice_file", op="serve"),
    spec("read_backup_blob", "backup_dir, blob_name", "Read the raw bytes of a stored backup piece.",
         base="backup_dir", name="blob_name", op="read_bytes"),
    spec("count_upload_bytes", "media_file", "Report how large a media upload is on disk.",
         root="/srv/media", name="media_file", op="size"),
    spec("recipe_steps", "recipes_dir, recipe", "Return the steps of a recipe, one per line.",
         base="recipes_dir", name="recipe", op="lines"),
    spec("store_plugin", "plugins_dir, plugin_name, payload", "Save a plugin archive the admin uploaded.",
         base="plugins_dir", name="plugin_name", op="write_bytes", data="payload"),
    spec("page_markdown", "page", "Return the Markdown source of a wiki page.",
         root="/srv/wiki/pages", name="page", op="read_text"),
    spec("load_sound_clip", "sounds_dir, clip", "Load the bytes of a sound clip before playing it.",
         base="sounds_dir", name="clip", op="read_bytes"),
    spec("dataset_manifest", "datasets_dir, dataset", "Read the JSON manifest describing a dataset.",
         base="datasets_dir", name="dataset", op="json"),
    spec("discard_draft", "drafts_dir, draft_id", "Throw away a saved draft message.",
         base="drafts_dir", name="draft_id", op="delete"),
    spec("fetch_course_video", "videos_dir, lesson", "Send a lesson video to the learner.",
         base="videos_dir", name="lesson", op="serve"),
    spec("keep_signature_image", "signature_name, png", "Save a scanned signature under a file name.",
         root="/srv/esign/signatures", name="signature_name", op="write_bytes", data="png"),
    spec("open_license_text", "license_name", "Return the text of a bundled open-source licence.",
         root="/usr/share/licenses", name="license_name", op="read_text"),
]

VARIANTS: list[Variant] = []
COMMENTS = ["NOTE: the folder is created at startup", "resolve the file", "TODO: cache small files"]
ERROR = 'raise ValueError("file is outside the folder")'


def _base(s: Spec) -> tuple[list[str], str]:
    """(lines setting a fixed folder, the folder expression)."""
    if "root" in s.p:
        return [], f"\"{s.p['root']}\""
    return [], s.p["base"]


def _op_os(s: Spec, path: str) -> tuple[list[str], list[str]]:
    """(imports, lines) doing the job on the path expression `path` with open/os."""
    op, data = s.p["op"], s.p.get("data")
    table = {
        "read_text": ([], [f"with open({path}) as fh:", "    return fh.read()"]),
        "read_bytes": ([], [f"with open({path}, \"rb\") as fh:", "    return fh.read()"]),
        "write": ([], [f"with open({path}, \"w\") as fh:", f"    fh.write({data})"]),
        "write_bytes": ([], [f"with open({path}, \"wb\") as fh:", f"    fh.write({data})"]),
        "delete": ([], [f"os.remove({path})"]),
        "size": ([], [f"with open({path}, \"rb\") as fh:", "    return len(fh.read())"]),
        "first_line": ([], [f"with open({path}) as fh:", "    return fh.readline().strip()"]),
        "lines": ([], [f"with open({path}) as fh:", "    return [line.rstrip(\"\\n\") for line in fh]"]),
        "json": (["import json"], [f"with open({path}) as fh:", "    return json.load(fh)"]),
        "serve": (["from flask import send_file"], [f"return send_file({path})"]),
    }
    return table[op]


def _op_pathlib(s: Spec) -> tuple[list[str], list[str]]:
    op, data = s.p["op"], s.p.get("data")
    table = {
        "read_text": ([], ["return path.read_text()"]),
        "read_bytes": ([], ["return path.read_bytes()"]),
        "write": ([], [f"path.write_text({data})"]),
        "write_bytes": ([], [f"path.write_bytes({data})"]),
        "delete": ([], ["path.unlink()"]),
        "size": ([], ["return len(path.read_bytes())"]),
        "first_line": ([], ["with path.open() as fh:", "    return fh.readline().strip()"]),
        "lines": ([], ["return path.read_text().splitlines()"]),
        "json": (["import json"], ["return json.loads(path.read_text())"]),
        "serve": (["from flask import send_file"], ["return send_file(path)"]),
    }
    return table[op]


@variant(VARIANTS)
def _join_then_open(s: Spec):
    fixed, base = _base(s)
    imp, op = _op_os(s, "path")
    name = s.p["name"]
    vul = ["import os"] + imp + fixed + [f"path = os.path.join({base}, {name})"] + op
    sec = ["import os"] + imp + fixed + [
        f"path = os.path.realpath(os.path.join({base}, {name}))",
        f"if not path.startswith(os.path.realpath({base}) + os.sep):", "    " + ERROR] + op
    return vul, sec


@variant(VARIANTS)
def _pathlib_join(s: Spec):
    fixed, base = _base(s)
    imp, op = _op_pathlib(s)
    name = s.p["name"]
    vul = imp + ["from pathlib import Path"] + fixed + [f"path = Path({base}) / {name}"] + op
    sec = imp + ["from pathlib import Path"] + fixed + [
        f"root = Path({base}).resolve()", f"path = (root / {name}).resolve()",
        "if not path.is_relative_to(root):", "    " + ERROR] + op
    return comment_pair(s, vul, sec, COMMENTS, "pl")


@variant(VARIANTS)
def _fstring_path(s: Spec):
    fixed, base = _base(s)
    imp, op = _op_os(s, "path")
    name = s.p["name"]
    needs_os = s.p["op"] == "delete"
    folder = s.p.get("root") or "{" + base + "}"
    vul = (["import os"] if needs_os else []) + imp + fixed + [f"path = f\"{folder}/{{{name}}}\""] + op
    sec = ["import os"] + imp + fixed + [
        f"root = os.path.abspath({base})", f"path = os.path.abspath(f\"{{root}}/{{{name}}}\")",
        "if os.path.commonpath([root, path]) != root:", "    " + ERROR] + op
    return (vul, sec) if len(sec) <= 7 else None


@variant(VARIANTS)
def _inline_join(s: Spec):
    if s.p["op"] == "serve":   # that is _flask_send's vulnerable form
        return None
    fixed, base = _base(s)
    name = s.p["name"]
    imp, vop = _op_os(s, f"os.path.join({base}, {name})")
    _, sop = _op_os(s, f"os.path.join({base}, os.path.basename({name}))")
    vul = ["import os"] + imp + fixed + vop
    sec = ["import os"] + imp + fixed + sop
    return comment_pair(s, vul, sec, COMMENTS, "ij", every=3)


@variant(VARIANTS)
def _flask_send(s: Spec):
    """Only for files served over HTTP: send_file of a joined path vs send_from_directory."""
    if s.p["op"] != "serve":
        return None
    fixed, base = _base(s)
    name = s.p["name"]
    return (["import os", "from flask import send_file"] + fixed
            + [f"return send_file(os.path.join({base}, {name}))"],
            ["from flask import send_from_directory"] + fixed
            + [f"return send_from_directory({base}, {name})"])


@variant(VARIANTS)
def _concat_with_slash(s: Spec):
    """For tasks without a fifth form: plain string concatenation vs basename."""
    if s.p["op"] == "serve":
        return None
    fixed, base = _base(s)
    name = s.p["name"]
    imp, op = _op_os(s, "path")
    needs_os = s.p["op"] == "delete"
    folder = f"\"{s.p['root']}/\"" if "root" in s.p else f"{base} + \"/\""
    vul = (["import os"] if needs_os else []) + imp + fixed + [f"path = {folder} + {name}"] + op
    check = ["if clean_name in (\"\", \".\", \"..\"):", "    raise ValueError(\"bad file name\")"]
    sec = ["import os"] + imp + fixed + [f"clean_name = os.path.basename({name})"] + check + [
        f"path = {folder} + clean_name"] + op
    if len(sec) > 7:
        sec = [ln for ln in sec if ln not in check]
    return (vul, sec) if len(sec) <= 7 else None
