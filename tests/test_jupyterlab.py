"""The chapters in JupyterLab, in a real browser: what a student sees, run by JupyterLab itself.

A JupyterLab server starts on loopback (no token, temporary config, runtime and settings folders,
a free port) in a temporary course project; headless Chromium (Debian's, driven by Playwright)
opens each chapter in turn, runs Run > Run All Cells, waits until the kernel is idle, and checks
what the page shows: no error output, every code cell executed, every widget displayed (no
"Error displaying widget", nothing stuck at "Loading widget"), no progress bar ended short (red),
every image decoded. In chapter 4 it then presses the training panel's Train, waits for the
epochs to appear in the live display, presses Stop and checks that the run is listed as stopped
and resumable. A screenshot of each chapter goes to the test's folder. Fast profile.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

import yolo_training as yt

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync", "--no-first-run"]
CHAPTER_TIMEOUT = 900  # seconds for one chapter's Run All (a busy 2-core machine, fast profile)

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(not Path(CHROMIUM).is_file(), reason=f"no Chromium at {CHROMIUM} (Debian: apt install chromium)"),
]
playwright_api = pytest.importorskip("playwright.sync_api", reason="Playwright's Python package is not installed (pip install playwright)")

# JupyterLab settings for a test: every cell in the page (no windowing), no news or update pop-ups
SETTINGS = {
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings": {"fetchNews": "false", "checkForUpdates": False},
}

# The open notebook's cells, read from JupyterLab's own model: execution counts and output types.
CELLS_JS = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
  const cells = [];
  for (const cell of panel.content.model.cells) {
    const json = cell.toJSON();
    cells.push({type: json.cell_type, count: json.execution_count === undefined ? null : json.execution_count,
                source: json.source, errors: (json.outputs || []).filter(o => o.output_type === 'error')
                  .map(o => o.ename + ': ' + o.evalue)});
  }
  return {status: kernel ? kernel.status : 'none', cells: cells};
}"""

# What the page shows: widget placeholders and errors, red progress bars, images that did not decode.
PAGE_JS = """() => {
  const notebook = window.jupyterapp.shell.currentWidget.content.node;
  const text = notebook.innerText;
  const images = Array.from(notebook.querySelectorAll('.jp-OutputArea img')).filter(i => i.offsetParent !== null);
  return {
    widget_errors: (text.match(/Error displaying widget[^\\n]*/g) || []),
    loading: (text.match(/Loading widget[^\\n]*/g) || []),
    red_bars: Array.from(notebook.querySelectorAll('.progress-bar-danger')).filter(b => b.offsetParent !== null)
                .map(b => (b.closest('.widget-hbox') || b).innerText),
    images: images.length,
    broken_images: images.filter(i => !(i.complete && i.naturalWidth > 0)).map(i => i.src.slice(0, 80)),
  };
}"""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def jupyterlab(course_project, tmp_path, monkeypatch):
    """A JupyterLab server on loopback serving the project's chapters; yields its address."""
    monkeypatch.setenv("YOLO_TRAINING_NO_LABEL_STUDIO", "1")  # chapter 2's live part is nbval's to run
    for name in ("config", "runtime", "data"):
        (tmp_path / f"jupyter-{name}").mkdir()
    settings = tmp_path / "lab-settings"
    for name, values in SETTINGS.items():
        path = settings / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(values), encoding="utf-8")
    env = dict(os.environ, JUPYTER_CONFIG_DIR=str(tmp_path / "jupyter-config"), JUPYTER_RUNTIME_DIR=str(tmp_path / "jupyter-runtime"),
               JUPYTER_DATA_DIR=str(tmp_path / "jupyter-data"), JUPYTERLAB_SETTINGS_DIR=str(settings),
               JUPYTERLAB_WORKSPACES_DIR=str(tmp_path / "lab-workspaces"))
    port = _free_port()
    log = (tmp_path / "jupyterlab.log").open("w")
    server = subprocess.Popen(
        [sys.executable, "-m", "jupyter", "lab", "--no-browser", "--allow-root", "--ServerApp.ip=127.0.0.1", f"--ServerApp.port={port}",
         "--ServerApp.port_retries=0", "--IdentityProvider.token=", "--ServerApp.password=", "--ServerApp.disable_check_xsrf=True",
         f"--ServerApp.root_dir={course_project / 'notebooks'}", "--LabApp.expose_app_in_browser=True",
         "--LabApp.news_url=None", "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate"],
        env=env, stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                with urllib.request.urlopen(f"{url}/api/status", timeout=5):
                    break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    pytest.fail(f"JupyterLab did not start; see {tmp_path / 'jupyterlab.log'}:\n{(tmp_path / 'jupyterlab.log').read_text()[-3000:]}")
                time.sleep(0.5)
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=30)
        except subprocess.TimeoutExpired:
            server.kill()
        log.close()


@pytest.fixture
def page(jupyterlab):
    with playwright_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(120_000)
        yield page
        browser.close()


def _open(page, url: str, name: str) -> None:
    page.goto(f"{url}/lab/tree/{name}.ipynb?reset")  # ?reset: only this notebook, not the last one's tabs
    page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
                           " && window.jupyterapp.shell.currentWidget.sessionContext"
                           " && window.jupyterapp.shell.currentWidget.content.model"
                           " && window.jupyterapp.shell.currentWidget.sessionContext.session"
                           " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel"
                           " && window.jupyterapp.shell.currentWidget.sessionContext.session.kernel.status === 'idle'")


def _run_all(page) -> dict:
    """Run > Run All Cells, then wait until every code cell ran (or one failed) and the kernel is idle."""
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    deadline = time.monotonic() + CHAPTER_TIMEOUT
    while time.monotonic() < deadline:
        time.sleep(2)
        state = page.evaluate(CELLS_JS)
        code = [c for c in state["cells"] if c["type"] == "code"]
        failed = any(c["errors"] for c in code)
        if state["status"] == "idle" and (failed or all(c["count"] is not None for c in code)):
            page.wait_for_timeout(1500)  # the last outputs and widget views render
            return page.evaluate(CELLS_JS)
    pytest.fail(f"Run All did not finish in {CHAPTER_TIMEOUT} s")


def _check_page(page, name: str) -> dict:
    state, shown = page.evaluate(CELLS_JS), page.evaluate(PAGE_JS)
    code = [c for c in state["cells"] if c["type"] == "code"]
    errors = [(c["source"][:200], c["errors"]) for c in code if c["errors"]]
    assert errors == [], f"{name}: error outputs"
    assert [c["source"][:200] for c in code if c["count"] is None] == [], f"{name}: code cells that did not run"
    assert shown["widget_errors"] == [] and shown["loading"] == [], f"{name}: widgets not displayed: {shown}"
    assert shown["red_bars"] == [], f"{name}: a progress bar ended short of its total (red): {shown['red_bars']}"
    assert shown["broken_images"] == [], f"{name}: images that did not decode"
    return shown


def _press_train_then_stop(page, tmp_path: Path) -> None:
    panel = page.locator(".jp-CodeCell", has=page.locator(".jp-InputArea", has_text="training_panel(")).locator(".jp-OutputArea")
    batch = panel.locator(".widget-text:has(label:text-is('batch')) input")
    batch.fill("1")  # one photo per step: the first epoch lasts long enough to press Stop in it
    batch.press("Enter")
    panel.locator("button.widget-button", has_text=re.compile(r"^\s*Train\s*$")).click()
    # the live display shows the epochs (1/2) and the batches of the first one going by
    page.wait_for_function(
        """(el) => {
          const shown = Array.from(el.querySelectorAll('.widget-label')).map(x => x.innerText.trim()).filter(x => /^\\d+\\/\\d+$/.test(x));
          return shown.length >= 2 && shown[0].startsWith('1/') && parseInt(shown[1]) >= 2;
        }""", arg=panel.element_handle(), timeout=300_000)
    page.screenshot(path=str(tmp_path / "04_training-panel-running.png"), full_page=True)
    panel.locator("button.widget-button", has_text=re.compile(r"^\s*Stop\s*$")).click()
    panel.locator(".widget-html", has_text="panel: stopped").wait_for(timeout=300_000)
    page.screenshot(path=str(tmp_path / "04_training-panel-stopped.png"), full_page=True)


def _shut_down_kernels(url: str) -> None:
    with urllib.request.urlopen(f"{url}/api/sessions", timeout=30) as answer:
        sessions = json.load(answer)
    for session in sessions:
        urllib.request.urlopen(urllib.request.Request(f"{url}/api/sessions/{session['id']}", method="DELETE"), timeout=60)


def test_every_chapter_runs_in_jupyterlab(page, jupyterlab, course_project, tmp_path):
    chapters = sorted(p.stem for p in (course_project / "notebooks").glob("*.ipynb"))
    assert len(chapters) == 7
    seen = {}
    for name in chapters:
        _open(page, jupyterlab, name)
        _run_all(page)
        page.screenshot(path=str(tmp_path / f"{name}.png"), full_page=True)
        seen[name] = _check_page(page, name)
        if name.startswith("04"):
            _press_train_then_stop(page, tmp_path)
            runs = yt.list_runs(course_project / "runs").set_index("name")
            assert runs.loc["panel", "status"] == "stopped", runs.loc["panel"].to_dict()
            assert 0 < runs.loc["panel", "epochs_done"] < runs.loc["panel", "epochs"], "stopped in its first epoch: resumable"
            assert json.loads((Path(runs.loc["panel", "dir"]) / "run.json").read_text())["status"] == "stopped"
            _check_page(page, name)
        _shut_down_kernels(jupyterlab)
    assert sum(s["images"] for s in seen.values()) >= 10, "the chapters show their plots and photos"
