"""MkDocs hook: the course's chapters as pages, executed once and kept, with no symlink in the repository.

The notebooks stay in ``notebooks/`` (mkdocs.yml: ``extra.executed_notebooks.source``); this hook
adds them to the site as ``notebooks/<name>.ipynb`` pages. Which notebooks are chapters, their order,
their titles in the menu (the nav section ``extra.executed_notebooks.nav_section``) and which earlier
chapter each starts from come from the package's chapter registry (``extra.executed_notebooks.registry``:
``CHAPTERS`` of ``yolo_training/course/chapters.py``, read from its source); a site without a
registry takes every notebook of the folder, in name order, and ``extra.executed_notebooks.starts_from``.
Before that it executes each chapter
itself (``execute.py``: nbclient, one kernel per chapter, in a project folder of its own under
the cache) and keeps the executed notebook, keyed by everything that changes its outputs:

* the notebook's cells and metadata;
* the package's source files and the installed versions (yolo-training, Ultralytics, PyTorch, ...);
* the ``YOLO_TRAINING_*`` settings (``YOLO_TRAINING_PROFILE=fast`` or not, ...);
* the bundled sample (``annotations/export``), ``config.yaml`` and the cached pretrained weights;
* for a chapter that builds on an earlier one (``starts_from``: chapter 4 trains on chapter 3's
  split, chapters 5 to 7 use chapter 4's run), that chapter's key.

An unchanged chapter is not executed again. A chapter that builds on another starts from the
project folder exactly as that chapter left it (a copy kept in the cache), so that changing
chapter 6 runs chapter 6 alone. mkdocs-jupyter then renders the executed copies (``execute:
false``). Cache: ``.cache/site/<profile>/`` of the project, or ``$YOLO_TRAINING_SITE_CACHE/<profile>``;
``<profile>`` is ``fast`` under ``YOLO_TRAINING_PROFILE=fast``, else ``default``.

Widgets: a static page has no kernel and this site loads no widget renderer, so each widget
output is shown by its static view (the ``text/html`` or ``image/png`` the package puts beside
the widget in the same display). A widget the notebook closed (a finished progress bar) is not
shown, as in JupyterLab. A widget with no static view would be an empty box: the build warns
(and ``--strict`` fails) naming the chapter and the cell.

A page containing ``<!-- executed-notebooks -->`` gets, in its place, when, where, how long and with
which settings the chapters were executed.
"""

from __future__ import annotations

import datetime
import hashlib
import importlib.util
import json
import logging
import os
import shutil
from pathlib import Path

import execute  # docs/hooks/execute.py (MkDocs puts a hook's folder on sys.path while loading it)
from mkdocs.exceptions import PluginError
from mkdocs.plugins import event_priority
from mkdocs.structure.files import File

log = logging.getLogger("mkdocs.hooks.notebooks")

#: Bump when the way chapters are executed changes, to execute every chapter again.
CACHE_FORMAT = 2
MARKER = "<!-- executed-notebooks -->"
#: Cell tags for tools, not shown on a page.
TOOL_TAGS = ("nbval",)
#: What can stand for a widget on a static page, best first.
STATIC_VIEWS = ("text/html", "image/png", "image/jpeg", "image/svg+xml", "text/markdown")

_build: dict = {}


# ---------------------------------------------------------------------------------------------
# MkDocs events


@event_priority(100)
def on_config(config):
    root = Path(config.config_file_path).resolve().parent
    options = config.extra.get("executed_notebooks") or {}
    profile = execute.profile_name()
    cache = Path(os.environ.get("YOLO_TRAINING_SITE_CACHE") or root / ".cache" / "site").resolve() / profile
    source = root / options.get("source", "notebooks")
    names, starts_from = None, options.get("starts_from") or {}
    if options.get("registry"):
        names, starts_from = _from_registry(root / options["registry"], source, config, options.get("nav_section", "The course"))
    _build.clear()
    _build.update(root=root, source=source, names=names, starts_from=starts_from,
                  cache=cache, profile=profile, used=set(), runs={})
    jupyter = config.plugins.get("mkdocs-jupyter")
    if jupyter is not None:  # its rendered-HTML cache, one per profile, beside ours
        jupyter.config["cache_dir"] = str(cache / "html")
    return config


def _from_registry(registry: Path, source: Path, config, section: str) -> tuple[list[str], dict]:
    """The chapters' notebooks in order and what each starts from, from the registry; the nav section filled with them."""
    try:
        rows = execute.read_chapters(registry)
    except (OSError, SyntaxError, ValueError) as err:
        raise PluginError(f"extra.executed_notebooks.registry: {err}") from None
    names = [row["notebook"] for row in rows]
    found = sorted(p.stem for p in source.glob("*.ipynb"))
    if missing := [n for n in names if n not in found]:
        raise PluginError(f"{registry} lists {missing}, which {source} does not hold")
    if extra := [n for n in found if n not in names]:
        raise PluginError(f"{source} holds {extra}, which {registry} does not list: add its row to CHAPTERS")
    by_number = {row["number"]: row["notebook"] for row in rows}
    starts_from = {row["notebook"]: by_number.get(row["starts_from"], row["starts_from"]) for row in rows if row.get("starts_from")}
    pages = [{f"{row['number']}. {row['title']}": f"notebooks/{row['notebook']}.ipynb"} for row in rows]
    entry = next((e for e in config.nav or [] if isinstance(e, dict) and section in e), None)
    if entry is None:
        raise PluginError(f"mkdocs.yml's nav has no '{section}' entry for the chapters (extra.executed_notebooks.nav_section)")
    entry[section] = pages
    return names, starts_from


def _chapters() -> list[Path]:
    """The chapters' notebooks, in the order they are executed."""
    if _build["names"] is not None:
        return [_build["source"] / f"{name}.ipynb" for name in _build["names"]]
    return sorted(_build["source"].glob("*.ipynb"))


@event_priority(100)  # before mkdocs-jupyter's on_files, which turns .ipynb files into pages
def on_files(files, config):
    chapters = _chapters()
    if not chapters:
        raise PluginError(f"no notebooks in {_build['source']} (mkdocs.yml: extra.executed_notebooks.source)")
    executed = execute_chapters(chapters)
    pages = _build["cache"] / "pages"
    for chapter in chapters:
        nb, problems = render_copy(executed[chapter.stem])
        for problem in problems:
            log.warning(f"{chapter.name}: {problem}")
        target = pages / "notebooks" / chapter.name
        _write_if_changed(target, json.dumps(nb, indent=1, ensure_ascii=False) + "\n")
        src_uri = f"notebooks/{chapter.name}"
        if (old := files.get_file_from_path(src_uri)) is not None:
            files.remove(old)
        # a file of the cache's pages/ folder that the site shows at notebooks/<name>/ (mkdocs-jupyter
        # wraps it, and needs its src_dir: File.generated would leave that empty)
        files.append(File(src_uri, src_dir=str(pages), dest_dir=config.site_dir, use_directory_urls=config.use_directory_urls))
    return files


def on_page_markdown(markdown, page, config, files):
    if MARKER in markdown:
        markdown = markdown.replace(MARKER, provenance_markdown(_build["runs"], _build["profile"]))
    return markdown


def on_post_build(config):
    """The site's downloadable notebooks are the clean sources; stale cache entries go."""
    for chapter in _chapters():
        target = Path(config.site_dir) / "notebooks" / chapter.stem / chapter.name
        if target.parent.is_dir():
            shutil.copy2(chapter, target)
    for kind in ("executed", "state"):
        for entry in (_build["cache"] / kind).glob("*"):
            if entry.name not in _build["used"]:
                shutil.rmtree(entry, ignore_errors=True)


def on_serve(server, config, builder):
    server.watch(str(_build["source"]))
    return server


# ---------------------------------------------------------------------------------------------
# Executing, with a cache


def execute_chapters(chapters: list[Path]) -> dict:
    """Every chapter's executed notebook (nbformat node), from the cache or executed now, in order."""
    import nbformat

    cache, starts_from = _build["cache"], _build["starts_from"]
    names = [c.stem for c in chapters]
    for name, earlier in starts_from.items():
        if name in names and (earlier not in names or names.index(earlier) >= names.index(name)):
            raise PluginError(f"extra.executed_notebooks.starts_from: {name} cannot start from {earlier!r} (not an earlier notebook)")
    keys = chapter_keys(chapters)
    _build["used"].update(keys.values())
    done = {c.stem: cache / "executed" / keys[c.stem] / c.name for c in chapters}
    needed = {name for name in names if not done[name].is_file()}
    for name in reversed(names):  # a chapter that builds on another needs that chapter's project folder
        earlier = starts_from.get(name)
        if name in needed and earlier and not (cache / "state" / keys[earlier]).is_dir():
            needed.add(earlier)
    for name in names:  # and shows what that chapter's run made: executed again with it
        if starts_from.get(name) in needed:
            needed.add(name)
    # the project folder (named as a clone of the course is, for the paths the pages print);
    # holds: the key of the chapter that left it as it is
    project, holds = cache / "yolo-training", None
    kept = set(starts_from.values())
    for chapter in chapters:
        name = chapter.stem
        if name not in needed:
            log.info(f"{chapter.name}: executed earlier, kept ({done[name].parent})")
            continue
        earlier = starts_from.get(name)
        if earlier is None or holds != keys[earlier]:
            _reset_project(project, cache / "state" / keys[earlier] if earlier else None)
        log.info(f"{chapter.name}: executing ({_build['profile']} settings) in {project}")
        nb = _execute_or_fail(chapter, project)
        _write_if_changed(done[name], nbformat.writes(nb) + "\n")
        log.info(f"{chapter.name}: executed in {nb.metadata[execute.RUN_METADATA]['seconds']:.0f} s")
        holds = keys[name]
        if name in kept:
            shutil.rmtree(cache / "state" / keys[name], ignore_errors=True)
            shutil.copytree(project, cache / "state" / keys[name], symlinks=True)
    executed = {}
    for chapter in chapters:
        executed[chapter.stem] = nbformat.read(done[chapter.stem], as_version=4)
        _build["runs"][chapter.stem] = {"title": execute.title(executed[chapter.stem], chapter.stem),
                                        **executed[chapter.stem].metadata.get(execute.RUN_METADATA, {})}
    return executed


def _execute_or_fail(chapter: Path, project: Path):
    import nbformat
    from nbclient.exceptions import CellExecutionError

    env = execute.kernel_env(project)
    try:
        nb, _ = execute.execute(chapter, project, env)
    except CellExecutionError as e:
        failed = _build["cache"] / "failed" / chapter.name
        failed.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(e.notebook, failed)
        raise PluginError(f"{chapter.name} failed while executing for the site (its outputs so far: {failed}):\n{e}") from None
    return nb


def _reset_project(project: Path, state: Path | None) -> None:
    """The project folder as ``state`` holds it, or fresh: the sample, config.yaml and the cached weights."""
    shutil.rmtree(project, ignore_errors=True)
    if state is not None:
        shutil.copytree(state, project, symlinks=True)
        return
    root = _build["root"]
    project.mkdir(parents=True)
    if (root / "annotations" / "export").is_dir():
        shutil.copytree(root / "annotations" / "export", project / "annotations" / "export")
    if (root / "config.yaml").is_file():
        shutil.copy2(root / "config.yaml", project / "config.yaml")
    execute.copy_weights(root, project)


def chapter_keys(chapters: list[Path]) -> dict:
    """Each chapter's cache key (hex): its content, what it runs with, and the key of the chapter it builds on."""
    common = common_inputs()
    keys: dict = {}
    for chapter in chapters:
        parts = {**common, "notebook": notebook_digest(chapter), "after": keys.get(_build["starts_from"].get(chapter.stem))}
        keys[chapter.stem] = hashlib.sha256(json.dumps(parts, sort_keys=True).encode()).hexdigest()[:20]
    return keys


def common_inputs() -> dict:
    """What every chapter's outputs depend on, besides the notebook itself."""
    root = _build["root"]
    spec = importlib.util.find_spec("yolo_training")
    package = Path(spec.origin).parent if spec and spec.origin else None
    return {
        "format": CACHE_FORMAT,
        "versions": execute.versions(),
        "settings": execute.settings(),
        "package": tree_digest(package, "*.py") if package else None,
        "sample": tree_digest(root / "annotations" / "export"),
        "config": file_digest(root / "config.yaml"),
        "weights": tree_digest(root / "weights", "*.pt"),
    }


def notebook_digest(path: Path) -> str:
    """A digest of a notebook's cells (type, source, metadata) and metadata: not of its outputs or ids."""
    nb = json.loads(path.read_text(encoding="utf-8"))
    cells = [(c.get("cell_type"), "".join(c.get("source", "")), c.get("metadata", {})) for c in nb.get("cells", [])]
    return hashlib.sha256(json.dumps([cells, nb.get("metadata", {})], sort_keys=True).encode()).hexdigest()


def file_digest(path: Path) -> str | None:
    return hashlib.sha256(path.read_bytes()).hexdigest() if path.is_file() else None


def tree_digest(folder: Path, pattern: str = "*") -> str | None:
    """A digest of the names and bytes of the files under ``folder`` matching ``pattern``."""
    if not folder.is_dir():
        return None
    digest = hashlib.sha256()
    for path in sorted(p for p in folder.rglob(pattern) if p.is_file() and "__pycache__" not in p.parts):
        digest.update(path.relative_to(folder).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def _write_if_changed(path: Path, text: str) -> None:
    """Write ``text`` (atomically) unless the file already holds it: rendered-page caches key on the bytes."""
    if path.is_file() and path.read_text(encoding="utf-8") == text:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text, encoding="utf-8")
    os.replace(partial, path)


# ---------------------------------------------------------------------------------------------
# What a page shows


def render_copy(nb) -> tuple[dict, list[str]]:
    """The executed notebook as the site shows it: each widget by its static view, no widget state, no test tags.

    Returns the notebook and the problems found: widget outputs with no static view, left as
    they are (with the widget state, so that nbconvert keeps them as widget views: empty boxes
    on a page without a widget renderer, not a misleading ``VBox(children=...)`` text).
    """
    import copy

    nb = copy.deepcopy(nb)
    problems = []
    for index, cell in enumerate(nb.cells):
        tags = cell.get("metadata", {}).get("tags")
        if tags:  # the test runner's tags (nbval-ignore-output) mean nothing to a reader
            cell.metadata.tags = [t for t in tags if not t.startswith(TOOL_TAGS)]
        for output in cell.get("outputs", []):
            data = output.get("data", {})
            if execute.WIDGET_VIEW not in data:
                continue
            if any(mime in data for mime in STATIC_VIEWS):
                del data[execute.WIDGET_VIEW]
            else:
                source = cell.source.strip().splitlines()[0][:80] if cell.source.strip() else ""
                problems.append(f"cell {index} ({source!r}) shows a widget with no static view, an empty box on "
                                "the site: display it with a text/html or image/png of its state in the same MIME bundle")
    if not problems:  # nbconvert shows a widget view only where the state is kept: an empty box, which the tests see
        nb.metadata.pop("widgets", None)
    return nb, problems


def provenance_markdown(runs: dict, profile: str) -> str:
    """Where, when, how long and with which settings the chapters' outputs were made (Markdown)."""
    if not runs:
        return ""
    rows = ["| chapter | executed | took |", "| --- | --- | --- |"]
    for name, run in runs.items():
        took = execute.fmt_duration(run.get("seconds"))
        rows.append(f"| [{run['title']}](notebooks/{name}.ipynb) | {_when(run.get('date'))} | {took} |")
    machines = sorted({execute.describe_machine(r["machine"]) for r in runs.values() if r.get("machine")})
    versions = next((r["versions"] for r in runs.values() if r.get("versions")), {})
    weights = sorted({w for r in runs.values() for w in r.get("weights", [])})
    settings = sorted({f"`{k}={v}`" for r in runs.values() for k, v in r.get("settings", {}).items()})
    if profile == "fast":
        how = ("These pages were executed with the **fast test settings** (`YOLO_TRAINING_PROFILE=fast`: tiny "
               "images, at most two epochs), the way the tests check them: the numbers show what the output looks "
               "like, not what a real run reaches. `make site` builds them with the settings written in the notebooks.")
    else:
        how = ("Every chapter on these pages was executed top to bottom **with the settings written in the "
               "notebook**, one after the other in one project folder, as a student runs them: the metrics, plots "
               "and times are those of real runs.")
    facts = (f"Machine: {'; '.join(machines) or 'unknown'}. "
             f"Ultralytics {versions.get('ultralytics')}, PyTorch {versions.get('torch')}, "
             f"yolo-training {versions.get('yolo-training')}, Python {versions.get('python')}. "
             f"Pretrained weights: {', '.join(weights) if weights else 'none (every model trained from scratch)'}. "
             f"Settings: {', '.join(settings) if settings else 'none'}.")
    lines = [how, "", *rows, "", facts]
    return "\n".join(lines)


def _when(iso: str | None) -> str:
    """``2026-11-27 19:11 UTC`` from an ISO date with its time zone."""
    if not iso:
        return "?"
    return datetime.datetime.fromisoformat(iso).strftime("%Y-%m-%d %H:%M %Z").strip()
