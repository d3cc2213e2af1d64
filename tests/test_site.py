"""The course's website: `mkdocs build --strict` executes the notebooks and builds; a real browser reads it.

The site's hook (docs/hooks/notebooks.py) executes the chapters itself and keeps them in a cache:
here in a temporary one, in the fast profile, then once more to check nothing is executed again.
Small sites of our own check what the hook does with widgets (their static view, never an empty
box) and with chapters that build on each other (executed again only when they or their
prerequisite changed, starting from the project folder the prerequisite left).

The browser is Debian's chromium driven by Playwright (never a browser Playwright downloads).
Each part skips cleanly when its tools are absent: mkdocs and its plugins (the `docs` extra),
the mermaid script (fetched from the npm registry by `make site`), chromium, playwright.
"""

from __future__ import annotations

import contextlib
import functools
import http.server
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import pytest
from yolo_training.course.chapters import CHAPTERS as REGISTRY

from conftest import ROOT

CHROMIUM = Path("/usr/bin/chromium")
CHAPTERS = [c.notebook for c in REGISTRY]
MERMAID_JS = ROOT / "docs" / "javascripts" / "mermaid.min.js"
HOOKS = ROOT / "docs" / "hooks"


def _missing(*modules: str) -> list[str]:
    return [m for m in modules if importlib.util.find_spec(m) is None]


def _need_docs_tools() -> None:
    missing = _missing("mkdocs", "material", "mkdocs_jupyter", "mkdocstrings_handlers", "nbclient")
    if missing:
        pytest.skip(f"the docs extra is not installed (missing {missing}): pip install -e '.[docs]'")


def _build(project: Path, out: Path, cache: Path | None, strict: bool = True, **env) -> subprocess.CompletedProcess:
    """``mkdocs build`` of ``project`` into ``out``, executed notebooks kept in ``cache`` (None: the project's .cache/site)."""
    # the published chapter 2 shows the manual route: no live Label Studio (and no login) on the site
    env = {**os.environ, "YOLO_TRAINING_PROFILE": "fast", "NO_MKDOCS_2_WARNING": "1", "YOLO_TRAINING_NO_LABEL_STUDIO": "1", **env}
    env.pop("YOLO_TRAINING_SITE_CACHE", None)
    if cache is not None:
        env["YOLO_TRAINING_SITE_CACHE"] = str(cache)
    command = [sys.executable, "-m", "mkdocs", "build", "--site-dir", str(out), *(["--strict"] if strict else [])]
    return subprocess.run(command, cwd=project, env=env, capture_output=True, text=True, check=False)


def _executed(build: subprocess.CompletedProcess) -> list[str]:
    """The notebooks a build executed (not taken from the cache), from its log."""
    return re.findall(r"INFO\s+-\s+(\S+)\.ipynb: executing", build.stderr)


@pytest.fixture(scope="module")
def site_build(tmp_path_factory):
    """The site built once for this module (every notebook executed in the fast profile, cache cold)."""
    _need_docs_tools()
    if not MERMAID_JS.is_file():
        # the Makefile's rule, so that `pytest` alone works too: fetched once from the npm registry
        if shutil.which("make") is None or subprocess.run(["make", "-C", str(ROOT), "docs/javascripts/mermaid.min.js"]).returncode:
            pytest.skip(f"{MERMAID_JS} is missing and could not be fetched (npm): run `make site` once while online")
    out, cache = tmp_path_factory.mktemp("site"), tmp_path_factory.mktemp("site-cache")
    done = _build(ROOT, out, cache)
    assert done.returncode == 0, f"mkdocs build --strict failed:\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}"
    assert sorted(_executed(done)) == CHAPTERS
    return out, cache


@pytest.fixture(scope="module")
def site(site_build) -> Path:
    return site_build[0]


def test_no_symlink_in_the_repository():
    if not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    staged = subprocess.run(["git", "ls-files", "-s"], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    links = [line.split("\t")[-1] for line in staged.splitlines() if line.startswith("120000 ")]
    assert links == [], f"symlinks break Windows checkouts: {links}"


def test_second_build_executes_nothing(site_build, tmp_path):
    out, cache = site_build
    again = _build(ROOT, tmp_path / "again", cache)
    assert again.returncode == 0, again.stderr[-4000:]
    assert _executed(again) == [], "an unchanged chapter was executed again"
    for chapter in CHAPTERS:
        assert f"{chapter}.ipynb: executed earlier, kept" in again.stderr
        first = (out / "notebooks" / chapter / "index.html").read_text(encoding="utf-8")
        assert (tmp_path / "again" / "notebooks" / chapter / "index.html").read_text(encoding="utf-8") == first, chapter


def test_home_page_says_where_the_outputs_come_from(site):
    home = (site / "index.html").read_text(encoding="utf-8")
    assert "executed-notebooks" not in home  # the marker was replaced
    assert "fast test settings" in home and "YOLO_TRAINING_PROFILE=fast" in home
    assert f"{os.cpu_count()} cores" in home and "Ultralytics 8." in home
    for chapter in CHAPTERS:
        assert f'href="notebooks/{chapter}/"' in home


def test_downloadable_notebooks_are_the_clean_sources(site):
    for chapter in CHAPTERS:
        copy = site / "notebooks" / chapter / f"{chapter}.ipynb"
        assert copy.read_bytes() == (ROOT / "notebooks" / f"{chapter}.ipynb").read_bytes()


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
        assert "nbval-ignore-output" not in html, f"{chapter}: the test runner's cell tags are shown"


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):
        pass


@contextlib.contextmanager
def _serve(directory: Path):
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(_Quiet, directory=str(directory)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture(scope="module")
def served(site):
    with _serve(site) as url:
        yield url


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


# Widget views on a static page: nothing draws them (no kernel, no widget renderer), so any that is left
# is an empty box, the text of a renderer that failed, or (without its state) the widget's Python repr.
_WIDGET_PROBLEMS = """() => {
  const problems = [];
  const view = 'script[type="application/vnd.jupyter.widget-view+json"]';
  const repr = /^(VBox|HBox|Box|GridBox|Tab|Accordion|IntProgress|FloatProgress|Button|Label|HTML|Image|Output)\\(/;
  document.querySelectorAll('.jupyter-widgets, .jp-OutputArea-output').forEach((el) => {
    const cell = el.closest('.jp-Cell');
    const code = cell ? (cell.querySelector('.clipboard-copy-txt') || cell).textContent.trim().split('\\n')[0] : '';
    const empty = el.innerText.trim() === '' && !el.querySelector('img, svg, canvas, video, table');
    if (el.querySelector(view) || (el.classList.contains('jupyter-widgets') && empty)) {
      problems.push('empty widget box after: ' + code.slice(0, 80));
    } else if (repr.test(el.innerText.trim())) {
      problems.push('widget shown as its repr after: ' + code.slice(0, 80));
    }
  });
  for (const text of ['Loading widget', 'Error displaying widget']) {
    if (document.body.innerText.includes(text)) problems.push(text);
  }
  return problems;
}"""


# Room for code at the browser's width (1280 px, _open): how many characters fit on a line of each code cell,
# and whether the cell scrolls sideways (docs/stylesheets/extra.css). Before it, about 70 fitted and
# the chapters' lines of up to 150 characters were cut off at the cell's edge.
_CODE_ROOM = """() => [...document.querySelectorAll('.jp-CodeCell .jp-InputArea-editor .highlight-ipynb')].map((box) => {
  const pre = box.querySelector('pre');
  const probe = document.createElement('span');
  probe.textContent = '0'.repeat(100);
  probe.style.cssText = 'position: absolute; visibility: hidden; white-space: pre';
  pre.appendChild(probe);
  const width = probe.getBoundingClientRect().width;
  probe.remove();
  const style = getComputedStyle(pre);
  const room = pre.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return {line: pre.innerText.split('\\n')[0].slice(0, 60), chars: Math.floor(100 * room / width),
          scrolls: box.scrollWidth > box.clientWidth || pre.scrollWidth > pre.clientWidth};
})"""


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
        # widgets show their static view (the package's fallback), never an empty box
        assert page.evaluate(_WIDGET_PROBLEMS) == [], chapter
        # code cells: a line of 100 characters fits at 1280 px, and a longer one wraps instead of scrolling
        cells = page.evaluate(_CODE_ROOM)
        assert cells, f"{chapter}: no code cell found"
        assert [c for c in cells if c["chars"] < 100] == [], f"{chapter}: code cells too narrow at 1280 px"
        assert [c["line"] for c in cells if c["scrolls"]] == [], f"{chapter}: code cells that scroll sideways"
        if chapter in ("01_data_acquisition", "05_metrics"):
            page.screenshot(path=str(tmp_path / f"{chapter}.png"), full_page=True)
        assert errors == [], f"{chapter}: {errors}"
        page.close()
    assert (tmp_path / "01_data_acquisition.png").stat().st_size > 10_000


# ---------------------------------------------------------------------------------------------
# Small sites of our own: what the hook does with widgets and with chapters that build on each other


def _notebook(*cells: str) -> str:
    return json.dumps({
        "cells": [{"cell_type": "markdown", "metadata": {}, "source": "# A page"}]
        + [{"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [], "source": c} for c in cells],
        "metadata": {"kernelspec": {"display_name": "Python 3", "language": "python", "name": "python3"}},
        "nbformat": 4, "nbformat_minor": 5,
    })


def _small_site(folder: Path, notebooks: dict[str, str], starts_from: dict | None = None, **options) -> Path:
    """A project with mkdocs.yml, docs/index.md and notebooks/, built with the course's own hooks."""
    (folder / "docs").mkdir(parents=True)
    (folder / "docs" / "index.md").write_text("# Home\n\n<!-- executed-notebooks -->\n")
    (folder / "notebooks").mkdir()
    for name, text in notebooks.items():
        (folder / "notebooks" / f"{name}.ipynb").write_text(text)
    config = {
        "site_name": "small", "docs_dir": "docs", "theme": {"name": "mkdocs"},  # MkDocs' own theme: quicker to build
        "hooks": [str(HOOKS / "notebooks.py"), str(HOOKS / "offline.py")],
        "extra": {"executed_notebooks": {"source": "notebooks", "starts_from": starts_from or {}, **options}},
        "plugins": [{"mkdocs-jupyter": {"include": ["notebooks/*.ipynb"], "execute": False}}],
    }
    (folder / "mkdocs.yml").write_text(json.dumps(config))  # JSON is YAML
    return folder


# A widget displayed the way the package displays its live views: the widget and a static view of it in one
# MIME bundle, the static view updated at the end through the display id. Then a progress bar that closes
# itself when done (tqdm, leave=False): JupyterLab no longer shows it, nor should the site.
WIDGET_WITH_FALLBACK = '''
import ipywidgets as w
from IPython.display import display
bar = w.IntProgress(value=0, max=3, description="epochs")

def bundle(done):
    return {"application/vnd.jupyter.widget-view+json": {"model_id": bar.model_id, "version_major": 2, "version_minor": 0},
            "text/html": f"<p class='static-view'>epochs {done}/3</p>", "text/plain": f"epochs {done}/3"}

handle = display(bundle(0), raw=True, display_id=True)
for done in range(1, 4):
    bar.value = done
handle.update(bundle(3), raw=True)
'''
CLOSED_BAR = '''
from tqdm.auto import tqdm
for _ in tqdm(range(5), desc="hashing", leave=False):
    pass
print("hashed")
'''
BARE_WIDGET = "import ipywidgets as w\nw.IntSlider(value=5, description='bare')"
GONE_WIDGET = (  # a widget view whose model is in no saved state: nbconvert falls back to its text
    "display({'application/vnd.jupyter.widget-view+json': {'model_id': 'gone', 'version_major': 2, 'version_minor': 0},\n"
    "         'text/plain': \"VBox(children=(Label(value='gone'),))\"}, raw=True)"
)


@pytest.fixture(scope="module")
def widget_site(tmp_path_factory):
    _need_docs_tools()
    folder = _small_site(tmp_path_factory.mktemp("widgets"), {
        "with_fallback": _notebook(WIDGET_WITH_FALLBACK, CLOSED_BAR), "bare": _notebook(BARE_WIDGET, GONE_WIDGET),
    })
    cache = folder / "cache"
    strict = _build(folder, folder / "strict", cache)
    out = folder / "site"
    lax = _build(folder, out, cache, strict=False)
    assert lax.returncode == 0, lax.stderr[-4000:]
    return strict, out


def test_a_widget_without_a_static_view_fails_the_strict_build(widget_site):
    strict, _ = widget_site
    assert strict.returncode != 0
    warnings = [line for line in strict.stderr.splitlines() if line.startswith("WARNING")]
    assert len(warnings) == 2, strict.stderr[-3000:]
    assert "bare.ipynb: cell 1" in warnings[0] and "bare.ipynb: cell 2" in warnings[1] and "no static view" in warnings[0]


def test_widgets_show_their_last_static_view(widget_site):
    _, out = widget_site
    page = (out / "notebooks" / "with_fallback" / "index.html").read_text(encoding="utf-8")
    assert "epochs 3/3" in page and "epochs 0/3" not in page  # the state at the end, not at the start
    assert 'type="application/vnd.jupyter.widget-view+json"' not in page  # no widget view left to draw
    assert 'type="application/vnd.jupyter.widget-state+json"' not in page  # nor the state to draw it from
    assert "hashed" in page and "0/5" not in page  # the closed bar is gone, the cell's other output stays


def test_the_browser_check_sees_empty_widget_boxes(widget_site, browser):
    _, out = widget_site
    with _serve(out) as url:
        good, _ = _open(browser, f"{url}/notebooks/with_fallback/")
        assert good.evaluate(_WIDGET_PROBLEMS) == []
        assert good.locator(".static-view").inner_text() == "epochs 3/3"
        bare, _ = _open(browser, f"{url}/notebooks/bare/")
        empty, as_text = bare.evaluate(_WIDGET_PROBLEMS)
        assert empty == "empty widget box after: import ipywidgets as w"
        assert as_text.startswith("widget shown as its repr after: display({'application/vnd.jupyter.widget-view+json'")


def test_chapters_that_build_on_each_other(tmp_path):
    """Executed again only when they or the chapter they start from changed, from the folder it left."""
    _need_docs_tools()
    # a leaves a file in the project folder (and rewrites its config.yaml, as chapter 3's split does); b reads it
    leave = ("import os, pathlib\nhome = pathlib.Path(os.environ['YOLO_TRAINING_HOME'])\n"
             "(home / 'left.txt').write_text('{}')\n(home / 'config.yaml').write_text('{}')")
    use = "import os, pathlib\nprint('found', pathlib.Path(os.environ['YOLO_TRAINING_HOME'], 'left.txt').read_text(), '{}')"
    folder = _small_site(tmp_path / "course", {"a": _notebook(leave.format("run 1", "made by a")), "b": _notebook(use.format("v1")),
                                                "c": _notebook("print('alone')")}, starts_from={"b": "a"})
    (folder / "config.yaml").write_text("the project's own\n")
    notebooks, cache = folder / "notebooks", folder / ".cache" / "site"  # the default place: inside the project

    def build(**env):
        done = _build(folder, tmp_path / "site", None, **env)
        assert done.returncode == 0, done.stderr[-4000:]
        return sorted(_executed(done))

    def page(name):
        return (tmp_path / "site" / "notebooks" / name / "index.html").read_text(encoding="utf-8")

    assert build() == ["a", "b", "c"]
    assert "found run 1 v1" in page("b")
    assert build() == []
    assert (folder / "config.yaml").read_text() == "the project's own\n"  # a ran in a project folder of its own
    (notebooks / "b.ipynb").write_text(_notebook(use.format("v2")))  # b alone, from the folder a left
    assert build() == ["b"] and "found run 1 v2" in page("b")
    (notebooks / "a.ipynb").write_text(_notebook(leave.format("run 2", "made by a")))  # a, and b which uses what a left
    assert build() == ["a", "b"] and "found run 2 v2" in page("b")
    shutil.rmtree(cache / "fast" / "state")  # a's folder lost: nothing to do until b changes
    assert build() == []
    (notebooks / "b.ipynb").write_text(_notebook(use.format("v3")))  # then a again, and b from the folder it left
    assert build() == ["a", "b"] and "found run 2 v3" in page("b")
    (notebooks / "c.ipynb").write_text(_notebook("print('alone')", "1 + 1"))
    assert build() == ["c"]
    home = (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert "executed-notebooks" not in home and "fast test settings" in home
    assert len(list((cache / "fast" / "executed").iterdir())) == 3  # the older executions are gone
    # the published build: the settings written in the notebooks, executed and kept apart from the fast ones
    assert build(YOLO_TRAINING_PROFILE="") == ["a", "b", "c"]
    assert "with the settings written in the" in (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
    assert build(YOLO_TRAINING_PROFILE="") == []


def test_the_chapter_registry_gives_the_order_the_menu_and_what_each_starts_from(tmp_path):
    """With a registry, its rows are the chapters: their order, their titles in the menu, the chapter each starts from."""
    _need_docs_tools()
    leave = "import os, pathlib\n(pathlib.Path(os.environ['YOLO_TRAINING_HOME']) / 'left.txt').write_text('by first')"
    use = "import os, pathlib\nprint('found', pathlib.Path(os.environ['YOLO_TRAINING_HOME'], 'left.txt').read_text())"
    row = 'ChapterInfo(number={}, notebook="{}", title="{}", step="s", needs="export", starts_from={}, minutes=0.1),\n'
    folder = _small_site(tmp_path / "course", {"z_first": _notebook(leave), "a_second": _notebook(use)},
                         registry="chapters.py", nav_section="The course")
    (folder / "chapters.py").write_text("CHAPTERS = (\n" + row.format(1, "z_first", "First", None) + row.format(2, "a_second", "Second", 1) + ")\n")
    config = json.loads((folder / "mkdocs.yml").read_text())
    (folder / "mkdocs.yml").write_text(json.dumps({**config, "nav": [{"Home": "index.md"}, {"The course": []}]}))
    done = _build(folder, tmp_path / "site", None)
    assert done.returncode == 0, done.stderr[-4000:]
    assert _executed(done) == ["z_first", "a_second"]  # the registry's order, not the names'
    assert "found by first" in (tmp_path / "site" / "notebooks" / "a_second" / "index.html").read_text(encoding="utf-8")
    menu = re.findall(r'href="notebooks/(\w+)/" class="dropdown-item"', (tmp_path / "site" / "index.html").read_text(encoding="utf-8"))
    assert menu == ["z_first", "a_second"]  # the menu's section, filled in from the registry
    (folder / "notebooks" / "b_unlisted.ipynb").write_text(_notebook("print('no row')"))
    failed = _build(folder, tmp_path / "site", None)
    assert failed.returncode != 0 and "b_unlisted" in failed.stderr and "add its row to CHAPTERS" in failed.stderr
