"""The book's own changes to the pages of jupyter-book 1.x.

- sphinx-thebe's configuration script is registered twice, and a browser rejects the second
  `const THEBE_JS_URL` with an error: every page keeps one copy of each script.
- With no mode chosen, the theme logs "Got invalid theme mode": the default mode is light.
- A chapter's Colab button opens its learner copy (student/, solutions stubbed, made by `make
  student`), not the chapter with its solutions; the solutions notebook stays one click away, in
  the same menu and in a note under the chapter's title. Every address comes from
  repository.url in _config.yml, so `make fork` moves them all.
- A widget with no static rendering of its own (a tqdm progress bar) is left out of the page.
"""

from docutils import nodes
from sphinx.transforms.post_transforms import SphinxPostTransform

WIDGET = "application/vnd.jupyter.widget-view+json"


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


def _notebooks(app, docname):
    """Where a chapter's notebooks open: its learner copy on Colab, and its solutions on Colab and
    on GitHub, built as the theme builds its Colab button. None for a page that is not a chapter."""
    if not docname.startswith("chapters/"):
        return None
    options = app.config.html_theme_options
    repo = options["repository_url"].rstrip("/")  # https://github.com/owner/name
    colab = options["launch_buttons"]["colab_url"].rstrip("/") + "/github/" + repo.removeprefix("https://github.com/")
    blob = f"/blob/{options.get('repository_branch') or 'main'}/"
    chapter, learner = docname + ".ipynb", "student/" + docname.removeprefix("chapters/") + ".ipynb"
    return {"learner": colab + blob + learner, "colab": colab + blob + chapter, "github": repo + blob + chapter}


def _colab_opens_the_learner_copy(app, pagename, templatename, context, doctree):
    """The Colab button opens the learner copy; a second one beside it opens the solutions. Connected
    after the theme's add_launch_buttons (priority 501), which builds the buttons from _config.yml."""
    urls = _notebooks(app, pagename)
    groups = [b for b in context.get("header_buttons", []) if b.get("label") == "launch-buttons"]
    if not urls or not groups:
        return
    for button in groups[0]["buttons"]:
        if button.get("text") == "Colab":
            solutions = dict(button, url=urls["colab"], text="Colab, with solutions",
                             tooltip="Open the notebook with the solutions on Colab")
            button.update(url=urls["learner"], text="Colab, learner copy", tooltip="Open the learner copy on Colab")
            groups[0]["buttons"].append(solutions)
            return


def _solutions_note(app, doctree, docname):
    """A note under a chapter's title: which notebook the Colab button opens, and where the solutions are."""
    urls = _notebooks(app, docname)
    section = doctree.next_node(nodes.section)
    if not urls or section is None:
        return
    text = nodes.paragraph("", "", nodes.Text(
        "The Colab button (the rocket at the top of the page) opens the learner copy of this notebook, with each "
        "exercise for you to write. The notebook with the solutions: "),
        nodes.reference("", "open it on Colab", refuri=urls["colab"]), nodes.Text(" or "),
        nodes.reference("", "read it on GitHub", refuri=urls["github"]), nodes.Text("."))
    note = nodes.admonition("", nodes.title("", "Run this chapter on Colab"), text, classes=["tip", "notebooks"])
    section.insert(1, note)


class _NoDeadWidgets(SphinxPostTransform):
    """A page has no kernel to drive a widget. A tqdm bar in an executed notebook keeps, beside
    the widget, only the text of its first state ("0%| | 0/54"), which the page would show
    frozen: such an output is dropped, while a reader running the chapter in Jupyter or Colab
    sees the bar live. A widget that carries its own HTML (the explorers) keeps it."""

    default_priority = 3  # before myst-nb's SelectMimeType (4) picks what each output shows

    def run(self, **kwargs):
        for bundle in list(self.document.findall(nodes.container)):
            kinds = {child.get("mime_type") for child in bundle.children}
            if bundle.get("nb_element") == "mime_bundle" and WIDGET in kinds and "text/html" not in kinds:
                bundle.parent.remove(bundle)


def setup(app):
    app.add_post_transform(_NoDeadWidgets)
    app.connect("config-inited", _light_by_default)
    app.connect("html-page-context", _one_of_each)
    app.connect("html-page-context", _colab_opens_the_learner_copy, priority=600)
    app.connect("doctree-resolved", _solutions_note)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
