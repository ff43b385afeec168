"""ipywidgets explorers that degrade to a static rendering on the website.

An Explorer displays as a live widget in Jupyter and Colab; the same object also carries a
static HTML rendering of its first view, which the book build shows instead (a static page has
no kernel to drive a widget).
"""

from __future__ import annotations

import html
from typing import Callable

import ipywidgets as widgets


class Explorer:
    """Dropdown filters over a pandas DataFrame, paging through matching rows one at a time."""

    def __init__(self, frame, filters: list[str], render: Callable[[dict], str], title: str = ""):
        self.frame, self.render, self.title = frame, render, title
        self.dropdowns = {col: widgets.Dropdown(options=["(all)"] + sorted(map(str, frame[col].unique())),
                                                description=col) for col in filters}
        self.index = widgets.BoundedIntText(value=0, min=0, max=max(0, len(frame) - 1), description="#")
        self.out = widgets.HTML()
        for control in [*self.dropdowns.values(), self.index]:
            control.observe(lambda _: self.update(), names="value")
        self.update()

    def matching(self):
        mask = True
        for col, dropdown in self.dropdowns.items():
            if dropdown.value != "(all)":
                mask = mask & (self.frame[col].astype(str) == dropdown.value)
        return self.frame if mask is True else self.frame[mask]

    def update(self) -> None:
        rows = self.matching()
        self.index.max = max(0, len(rows) - 1)
        if not len(rows):
            self.out.value = "<i>nothing matches these filters</i>"
            return
        row = rows.iloc[min(self.index.value, len(rows) - 1)].to_dict()
        self.out.value = f"<p>{len(rows)} matching; showing #{self.index.value}</p>" + self.render(row)

    def widget(self) -> widgets.Widget:
        return widgets.VBox([widgets.HBox(list(self.dropdowns.values()) + [self.index]), self.out])

    def _repr_mimebundle_(self, include=None, exclude=None):
        bundle = widget_bundle(self.widget())
        bundle["text/html"] = (f"<p><i>{html.escape(self.title)}: a live explorer when run in Jupyter "
                               f"or Colab; here, its first view.</i></p>{self.out.value}")
        return bundle


def widget_bundle(widget: widgets.Widget) -> dict:
    """A widget's display data. ipywidgets 8 gives it; 7 (Colab's) only displays itself, with
    the same two entries, built here as it builds them."""
    if hasattr(widget, "_repr_mimebundle_"):
        return widget._repr_mimebundle_()
    view = {"version_major": 2, "version_minor": 0, "model_id": widget.model_id}
    return {"text/plain": repr(widget), "application/vnd.jupyter.widget-view+json": view}


def code_card(row: dict, code_key: str = "text", fields: tuple[str, ...] = ()) -> str:
    """HTML of one row: a few labelled fields, then its code in a <pre> block."""
    head = " &middot; ".join(f"<b>{f}</b>: {html.escape(str(row[f]))}" for f in fields)
    return f"<p>{head}</p><pre>{html.escape(str(row[code_key]))}</pre>"
