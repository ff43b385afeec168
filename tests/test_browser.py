"""The built website in a real browser (Debian's Chromium, driven by Playwright): every page loads
without console errors or failed requests, shows its figures, holds no error output, links only to
pages that exist, points its Colab button at its own learner copy (student/) and links its
solutions notebook (chapters/), and keeps solutions folded; and every glossary term ({term}) and
citation ({cite}) links to an entry of the glossary or the bibliography that exists.

The book is built at the smoke budget (`make book BUDGET=smoke`, tests/smoke_book.py), which
renders the same pages.
To check a book built already (the standard one, say): BOOK_HTML=_build/html pytest tests/test_browser.py
"""

import functools
import http.server
import os
import re
import shutil
import threading
from contextlib import contextmanager
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urljoin, urlparse

import pytest

from helpers.fork import configured_url
from smoke_book import SMOKE_BOOK, build_once

pytestmark = SMOKE_BOOK  # with the tiny notebook tests, which read the same build (tests/smoke_book.py)

ROOT = Path(__file__).resolve().parents[1]
SITE = Path(os.environ.get("BOOK_HTML", ROOT / "_build" / "tiny-smoke" / "_build" / "html")).resolve()
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
GITHUB = configured_url(ROOT) + "/blob/main/"
COLAB = GITHUB.replace("https://github.com/", "https://colab.research.google.com/github/")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def pages() -> list[Path]:
    skip = {"genindex.html", "search.html"}
    return sorted(p for p in SITE.rglob("*.html") if p.name not in skip and "_static" not in p.parts)


def need_chromium() -> None:
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing: .ci/run installs Debian's chromium package")
        pytest.skip("no Chromium here: apt-get install chromium (CI installs it)")


@contextmanager
def serve(directory: Path):
    """A local web server for `directory`; yields its base URL."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()


@pytest.fixture(scope="module")
def site():
    need_chromium()
    if "BOOK_HTML" not in os.environ:
        returncode, output = build_once()
        assert returncode == 0, f"make book BUDGET=smoke failed:\n{output[-6000:]}"
    with serve(SITE) as url:
        yield url


@pytest.fixture(scope="module")
def chromium():
    need_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


@pytest.fixture(scope="module")
def browser(site, chromium):
    return chromium


def visit(browser, url: str, **page_options):
    """Open `url`; return the page and what went wrong while loading it."""
    page = browser.new_page(**page_options)
    problems = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    page.goto(url, wait_until="networkidle")
    return page, problems


# What a page shows of its {term} and {cite} roles: Sphinx renders a term it found as a link around
# `.std-term` and one it did not find as that span alone; sphinxcontrib-bibtex renders each citation
# as a `.bibtex-citation` span holding one link per key it found (none for a missing key).
REFERENCES_JS = """() => {
  const main = document.querySelector('main');
  const terms = [...main.querySelectorAll('.std-term')].map(e => {
    const a = e.closest('a[href]');
    return [e.textContent.trim(), a ? a.getAttribute('href') : null];
  });
  const cites = [...main.querySelectorAll('.bibtex-citation')].map(e =>
    [e.textContent.trim(), [...e.querySelectorAll('a[href]')].map(a => a.getAttribute('href'))]);
  return {terms, cites};
}"""


class _Ids(HTMLParser):
    """Every element id of a page, with its tag and attributes."""

    def __init__(self):
        super().__init__()
        self.ids: dict[str, tuple[str, dict]] = {}

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids[attrs["id"]] = (tag, attrs)


@functools.lru_cache(maxsize=None)
def ids_of(path: Path) -> dict[str, tuple[str, dict]]:
    parser = _Ids()
    parser.feed(path.read_text(encoding="utf-8") if path.is_file() else "")
    return parser.ids


def is_glossary_entry(tag: str, attrs: dict) -> bool:
    return tag == "dt"


def is_bibliography_entry(tag: str, attrs: dict) -> bool:
    return attrs.get("role") == "doc-biblioentry"


def broken_references(page, url: str, root: Path) -> tuple[list[str], set, set]:
    """The glossary and citation links of the page open at `url` (served from `root`) whose target
    is missing: (problems, glossary entries linked, bibliography entries linked)."""
    found = page.evaluate(REFERENCES_JS)
    problems, terms, cites = [], set(), set()

    def resolve(kind, text, href, is_entry, into):
        target = urlparse(urljoin(url, href))
        path, anchor = root / unquote(target.path).lstrip("/"), unquote(target.fragment)
        entry = ids_of(path).get(anchor)
        if entry is None or not is_entry(*entry):
            problems.append(f"{kind} {text!r} links to {href}, where there is no such entry")
        else:
            into.add((path.name, anchor))

    for text, href in found["terms"]:
        if href is None:
            problems.append(f"term {text!r} is not in the glossary (no link)")
        else:
            resolve("term", text, href, is_glossary_entry, terms)
    for text, hrefs in found["cites"]:
        if not hrefs:
            problems.append(f"citation {text!r} is not in the bibliography (no link)")
        for href in hrefs:
            resolve("citation", text, href, is_bibliography_entry, cites)
    return problems, terms, cites


def test_every_page_loads_clean_with_figures_links_and_folded_solutions(site, browser):
    checked = pages()
    assert len(checked) >= 12, [p.name for p in checked]
    for path in checked:
        rel = path.relative_to(SITE).as_posix()
        page, problems = visit(browser, site + rel)
        assert not problems, (rel, problems)
        text = page.inner_text("main")
        assert "Traceback" not in text and not page.query_selector_all(".output.traceback, .output.error"), rel
        for href in page.eval_on_selector_all("main a[href]", "els => els.map(e => e.getAttribute('href'))"):
            target = urlparse(urljoin(site + rel, href))
            if target.netloc == urlparse(site).netloc:
                assert (SITE / target.path.lstrip("/")).exists(), (rel, href)
        if rel.startswith("chapters/"):
            sizes = page.eval_on_selector_all("main img", "els => els.map(e => [e.naturalWidth, e.naturalHeight])")
            assert sizes and all(w > 0 and h > 0 for w, h in sizes), (rel, sizes)
            notebook = rel.replace(".html", ".ipynb")  # chapters/<page>.ipynb, the solutions
            learner = "student/" + notebook.removeprefix("chapters/")
            rocket = page.eval_on_selector_all(".dropdown-launch-buttons a", "els => els.map(e => e.href)")
            assert rocket == [COLAB + learner, COLAB + notebook], (rel, rocket)
            assert (ROOT / learner).exists(), (rel, "no learner copy: make student")
            links = page.eval_on_selector_all("main a[href*='github']", "els => els.map(e => e.href)")
            assert {COLAB + notebook, GITHUB + notebook} <= set(links), (rel, "no link to the solutions", links)
            toggles = page.query_selector_all("details.hide")
            if "solution" in (ROOT / rel.replace(".html", ".ipynb")).read_text():
                assert toggles and all(t.get_attribute("open") is None for t in toggles), rel
        page.close()
    print(f"{len(checked)} pages checked in Chromium")


def test_screenshots_of_two_pages(site, browser):
    out = SITE.parent / "screenshots"
    out.mkdir(exist_ok=True)
    for name in ("intro", "chapters/04_sae_overlap"):
        page, problems = visit(browser, site + name + ".html")
        shot = out / (re.sub(r"\W", "_", name) + ".png")
        page.screenshot(path=str(shot), full_page=False)
        assert shot.stat().st_size > 10_000 and not problems
        page.close()


def test_glossary_terms_and_citations_link_to_their_entries(site, browser):
    """Every {term} and {cite} of every page resolves, and the book links at least 15 terms and
    10 works (issue 18)."""
    terms, cites = set(), set()
    for path in pages():
        rel = path.relative_to(SITE).as_posix()
        page, _ = visit(browser, site + rel)
        problems, page_terms, page_cites = broken_references(page, site + rel, SITE)
        page.close()
        assert not problems, (rel, problems)
        terms |= page_terms
        cites |= page_cites
    assert len(terms) >= 15 and len(cites) >= 10, (sorted(terms), sorted(cites))
    print(f"{len(terms)} glossary terms and {len(cites)} works linked")


# What a chapter page must not show its reader (issue 18, item 7): a library's chatter, a progress
# bar frozen short of its end (tqdm's text, "0%|          | 0/54"), a folder of the machine that
# built the book, a code line wider than its cell. The pages are read in a window 1280 px wide (a
# common laptop), where the book's code font (_static/code.css) fits the 88 characters that
# tests/test_notebook_lint.py allows a code line; at the theme's default size 77 fit.
CHATTER = ("Moving model to device: ", "Changing model dtype to ", "Loaded pretrained model ")
BAR = re.compile(r"(\d+)%\|[^|\n]*\|\s*(\d+)/(\d+)")
WINDOW = {"viewport": {"width": 1280, "height": 800}}
MACHINE_PATHS = (str(ROOT), str(Path.home()) + "/")  # where the book was built, and its home

READER_JS = """() => {
  const main = document.querySelector('main');
  const outputs = [...main.querySelectorAll('.cell_output')].map(e => e.innerText);
  const wide = [...main.querySelectorAll('.cell_input pre')]
    .filter(e => e.scrollWidth > e.clientWidth)
    .map(e => e.innerText.split('\\n').reduce((a, b) => (b.length > a.length ? b : a), ''));
  return {text: main.innerText, outputs, wide};
}"""


def not_for_the_reader(page, machine_paths=MACHINE_PATHS) -> list[str]:
    """What the open page shows that is not meant for its reader, one line per finding."""
    seen = page.evaluate(READER_JS)
    found = [f"chatter: {line!r}" for out in seen["outputs"] for line in out.splitlines()
             if line.startswith(CHATTER)]
    for out in seen["outputs"]:
        found += [f"frozen progress bar: {m.group(0)!r}" for m in BAR.finditer(out)
                  if (m.group(1), m.group(2)) != ("100", m.group(3))]
    found += [f"path of the build machine: {path!r}" for path in machine_paths if path in seen["text"]]
    return found + [f"code line wider than its cell: {line!r}" for line in seen["wide"]]


def test_chapter_pages_show_the_reader_no_chatter_frozen_bars_machine_paths_or_cut_code(site, browser):
    chapters = [p for p in pages() if p.relative_to(SITE).parts[0] == "chapters"]
    assert len(chapters) >= 8, chapters
    found = {}
    for path in chapters:
        rel = path.relative_to(SITE).as_posix()
        page, _ = visit(browser, site + rel, **WINDOW)
        found[rel] = not_for_the_reader(page)
        page.close()
    assert {rel: lines for rel, lines in found.items() if lines} == {}


NOISY_PAGE = """<style>pre { width: 500px; overflow-x: auto; }</style><main>
<div class="cell_input"><pre>x = 1</pre></div>
<div class="cell_input"><pre>y = "%s"</pre></div>
<div class="cell_output"><pre>Moving model to device:  cpu
fine-tune L1:   0%%|          | 0/54 [00:00&lt;?, ?it/s]
done: 100%%|##########| 3/3 [00:01&lt;00:00,  2.9it/s]
outputs -> %s/chapters/outputs</pre></div>
<div class="cell_output"><pre>models:  50%%|#####     | 1/2 [00:01&lt;00:01,  1.0s/it]
Moving model to devices is what this line is about</pre></div>
</main>"""


def test_what_is_not_for_the_reader_is_caught(chromium, tmp_path):
    """The check above on a page made to fail: each kind is reported, a finished bar, a line that
    fits and a sentence that only starts like chatter are not."""
    (tmp_path / "page.html").write_text(NOISY_PAGE % ("z" * 120, "/home/builder/book"))
    with serve(tmp_path) as base:
        page, _ = visit(chromium, base + "page.html", **WINDOW)
        found = not_for_the_reader(page, machine_paths=("/home/builder",))
        page.close()
    assert [line.split(":")[0] for line in found] == [
        "chatter", "frozen progress bar", "frozen progress bar", "path of the build machine",
        "code line wider than its cell"], found
    assert "0/54" in found[1] and "1/2" in found[2] and "z" * 120 in found[-1], found


BROKEN_PAGE = """<main>
<a class="reference internal" href="glossary.html#term-Judge"><span class="xref std std-term">Judge</span></a>
<span class="xref std std-term">Dose</span>
<a class="reference internal" href="glossary.html#term-Gone"><span class="xref std std-term">Gone</span></a>
<a class="reference internal" href="glossary.html#term-Fake"><span class="xref std std-term">Fake</span></a>
<span class="bibtex-citation">[<a class="reference internal" href="references.html#id1">Wilson, 1927</a>]</span>
<span class="bibtex-citation">[]</span>
<span class="bibtex-citation">[<a class="reference internal" href="references.html#id2">Not an entry</a>]</span>
<span class="bibtex-citation">[<a class="reference internal" href="missing.html#id1">No page</a>]</span>
</main>"""


def test_broken_terms_and_citations_are_caught(chromium, tmp_path):
    """The check above on a page made to fail: a term or citation that did not resolve, or whose
    anchor is gone or is not an entry, is reported; the ones that resolve are not."""
    (tmp_path / "glossary.html").write_text(
        '<main><dl class="simple glossary"><dt id="term-Judge">Judge</dt><dd>x</dd></dl>'
        '<p id="term-Fake">not a glossary entry</p></main>')
    (tmp_path / "references.html").write_text(
        '<main><div class="citation" id="id1" role="doc-biblioentry">Wilson</div><p id="id2">x</p></main>')
    (tmp_path / "page.html").write_text(BROKEN_PAGE)
    with serve(tmp_path) as base:
        page, _ = visit(chromium, base + "page.html")
        problems, terms, cites = broken_references(page, base + "page.html", tmp_path)
        page.close()
    assert terms == {("glossary.html", "term-Judge")} and cites == {("references.html", "id1")}
    named = [re.search(r"'(.*?)'", problem).group(1) for problem in problems]
    assert named == ["Dose", "Gone", "Fake", "[]", "[Not an entry]", "[No page]"], problems
