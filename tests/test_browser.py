"""The built website in a real browser (Debian's Chromium, driven by Playwright): every page loads
without console errors or failed requests, shows its figures, holds no error output, links only to
pages that exist, points its Colab button at its own learner copy (student/) and links its
solutions notebook (chapters/), and keeps solutions folded.

The book is built at the smoke budget (`make book BUDGET=smoke`), which renders the same pages.
To check a book built already (the standard one, say): BOOK_HTML=_build/html pytest tests/test_browser.py
"""

import fcntl
import functools
import http.server
import os
import re
import shutil
import subprocess
import threading
from pathlib import Path
from urllib.parse import urljoin, urlparse

import pytest

from helpers.fork import configured_url

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


def build_once() -> None:
    """`make book BUDGET=smoke`, once per test run: parallel workers (pytest-xdist) that both need
    the site wait for one build and then serve it, rather than building over each other."""
    (ROOT / "_build").mkdir(exist_ok=True)
    done = ROOT / "_build" / f".browser-book-{os.environ.get('PYTEST_XDIST_TESTRUNUID', os.getpid())}"
    with open(ROOT / "_build" / ".browser-book.lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not done.exists():
            built = subprocess.run(["make", "book", "BUDGET=smoke"], cwd=ROOT, capture_output=True, text=True)
            assert built.returncode == 0, f"make book BUDGET=smoke failed:\n{(built.stdout + built.stderr)[-6000:]}"
            done.touch()


@pytest.fixture(scope="module")
def site():
    if not Path(CHROMIUM).exists():
        if os.environ.get("CI"):
            pytest.fail("Chromium is missing: .ci/run installs Debian's chromium package")
        pytest.skip("no Chromium here: apt-get install chromium (CI installs it)")
    if "BOOK_HTML" not in os.environ:
        build_once()
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(SITE))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()


@pytest.fixture(scope="module")
def browser(site):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        yield browser
        browser.close()


def visit(browser, url: str):
    """Open `url`; return the page and what went wrong while loading it."""
    page = browser.new_page()
    problems = []
    page.on("console", lambda m: problems.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: problems.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: problems.append(f"request failed: {r.url}"))
    page.on("response", lambda r: problems.append(f"HTTP {r.status}: {r.url}") if r.status >= 400 else None)
    page.goto(url, wait_until="networkidle")
    return page, problems


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
