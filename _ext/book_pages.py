"""Two fixes to the pages of jupyter-book 1.x, found by the browser tests (tests/test_browser.py).

- sphinx-thebe's configuration script is registered twice, and a browser rejects the second
  `const THEBE_JS_URL` with an error: every page keeps one copy of each script.
- With no mode chosen, the theme logs "Got invalid theme mode": the default mode is light.
"""


def _one_of_each(app, pagename, templatename, context, doctree):
    seen, kept = set(), []
    for script in context.get("script_files", []):
        name = getattr(script, "filename", script) or ""  # the same inline script comes as None and as ""
        key = (str(name), tuple(sorted((k, str(v)) for k, v in getattr(script, "attributes", {}).items())))
        if key not in seen:
            seen.add(key)
            kept.append(script)
    context["script_files"] = kept


def _light_by_default(app, config):
    config.html_context.setdefault("default_mode", "light")


def setup(app):
    app.connect("config-inited", _light_by_default)
    app.connect("html-page-context", _one_of_each)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
