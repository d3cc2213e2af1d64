"""The course's website: `mkdocs build --strict` executes the notebooks and builds; a real browser reads it.

The browser is Debian's chromium driven by Playwright (never a browser Playwright downloads).
Each part skips cleanly when its tools are absent: mkdocs and its plugins (the `docs` extra),
the mermaid script (fetched from the npm registry by `make site`), chromium, playwright.
"""

from __future__ import annotations

import functools
import http.server
import importlib.util
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHAPTERS = ["01_data_acquisition", "02_annotation", "03_dataset_split", "04_training", "05_metrics", "06_fine_tuning", "07_inference"]
MERMAID_JS = ROOT / "docs" / "javascripts" / "mermaid.min.js"


def _missing(*modules: str) -> list[str]:
    return [m for m in modules if importlib.util.find_spec(m) is None]


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> Path:
    """The site built once for this module (every notebook executed in the fast profile)."""
    missing = _missing("mkdocs", "material", "mkdocs_jupyter", "mkdocstrings_handlers")
    if missing:
        pytest.skip(f"the docs extra is not installed (missing {missing}): pip install -e '.[docs]'")
    if not MERMAID_JS.is_file():
        # the Makefile's rule, so that `pytest` alone works too: fetched once from the npm registry
        if shutil.which("make") is None or subprocess.run(["make", "-C", str(ROOT), "docs/javascripts/mermaid.min.js"]).returncode:
            pytest.skip(f"{MERMAID_JS} is missing and could not be fetched (npm): run `make site` once while online")
    out = tmp_path_factory.mktemp("site")
    # the published chapter 2 shows the manual route: no live Label Studio (and no login) on the site
    env = dict(os.environ, YOLO_TRAINING_PROFILE="fast", NO_MKDOCS_2_WARNING="1", YOLO_TRAINING_NO_LABEL_STUDIO="1")
    done = subprocess.run(
        [sys.executable, "-m", "mkdocs", "build", "--strict", "--site-dir", str(out)],
        cwd=ROOT, env=env, capture_output=True, text=True,
    )
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}"
    return out


def test_strict_build_has_every_page(site):
    assert (site / "index.html").is_file()
    for page in ["instructors", "api", *(f"notebooks/{c}" for c in CHAPTERS)]:
        assert (site / page / "index.html").is_file(), page
    api = (site / "api" / "index.html").read_text(encoding="utf-8")
    assert "capture_webcam" in api and "split_dataset" in api  # docstrings made it into the reference
    for chapter in CHAPTERS:
        html = (site / "notebooks" / chapter / "index.html").read_text(encoding="utf-8")
        assert "data:image/png;base64" in html, f"{chapter}: no executed image output"
        assert "cdnjs.cloudflare.com" not in html and "unpkg.com" not in html and "fonts.googleapis" not in html


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def served(site):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.fixture(scope="module")
def browser():
    if not CHROMIUM.is_file():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    if _missing("playwright"):
        pytest.skip("playwright is not installed (the docs extra)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=str(CHROMIUM),
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                  "--disable-sync", "--no-first-run"],
        )
        yield browser
        browser.close()


def _open(browser, url: str):
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    errors: list[str] = []
    page.on("console", lambda m: errors.append(f"console {m.type}: {m.text}") if m.type == "error" else None)
    page.on("pageerror", lambda e: errors.append(f"page error: {e}"))
    page.on("requestfailed", lambda r: errors.append(f"request failed: {r.url}"))
    page.goto(url, wait_until="load")
    return page, errors


def test_every_chapter_in_a_browser(served, browser, tmp_path):
    # navigation: from the home page, the menu reaches every chapter
    home, errors = _open(browser, served + "/")
    hrefs = home.eval_on_selector_all("nav.md-nav a.md-nav__link[href]", "els => els.map(e => e.href)")
    for chapter in CHAPTERS:
        assert any(h.rstrip("/").endswith(f"/notebooks/{chapter}") for h in hrefs), f"the menu has no link to {chapter}"
    home.wait_for_selector(".course-diagram svg", timeout=15000)
    home.screenshot(path=str(tmp_path / "home.png"), full_page=True)
    assert errors == []
    home.close()

    for chapter in CHAPTERS:
        page, errors = _open(browser, f"{served}/notebooks/{chapter}/")
        # the pipeline diagram is drawn as an SVG, with this chapter's step highlighted
        page.wait_for_selector(".course-diagram svg", timeout=15000)
        assert page.locator(".course-diagram svg g.node").count() == 7
        # executed outputs: images that decoded, with a real size
        sizes = page.eval_on_selector_all(
            ".jp-OutputArea-output img",
            "imgs => Promise.all(imgs.map(i => i.decode().then(() => [i.naturalWidth, i.naturalHeight], () => [0, 0])))",
        )
        assert sizes, f"{chapter}: no output image"
        assert all(w > 0 and h > 0 for w, h in sizes), f"{chapter}: an output image did not load: {sizes}"
        # the link to the next chapter leads to a page of the site
        if chapter != CHAPTERS[-1]:
            nxt = CHAPTERS[CHAPTERS.index(chapter) + 1]
            assert page.locator(f'a[href="../{nxt}/"]').count() >= 1
        if chapter in ("01_data_acquisition", "05_metrics"):
            page.screenshot(path=str(tmp_path / f"{chapter}.png"), full_page=True)
        assert errors == [], f"{chapter}: {errors}"
        page.close()
    assert (tmp_path / "01_data_acquisition.png").stat().st_size > 10_000
