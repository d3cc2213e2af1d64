"""Run the course's notebooks top to bottom, as a student does, and say where and how long.

Shared by the website build (``docs/hooks/notebooks.py``, which keeps the executed notebooks as
a cache) and ``benchmarks/bench_course.py`` (which times every chapter in a fresh clone). Each
notebook runs in its own kernel with nbclient, in a project folder given by
``YOLO_TRAINING_HOME`` (the folder with ``config.yaml``, ``annotations/``, ``runs/``), with the
cwd in that project's ``notebooks/`` folder. Widget state is kept in the notebook's metadata
(nbclient's ``store_widget_state``); widgets the notebook closed (a finished progress bar) are
left out of it, as JupyterLab stops showing them.

Nothing here imports ``yolo_training``: versions are read from the installed distributions and the
chapter registry from its source (:func:`read_chapters`), so the site build stays quick when every
chapter is cached and its process environment stays the builder's (importing the package would set
its ``YOLO_CONFIG_DIR``, which the kernels would inherit).
"""

from __future__ import annotations

import ast
import datetime
import os
import platform
import shutil
import subprocess
import time
from importlib import metadata
from pathlib import Path

#: Environment variables that change what a notebook does: they are part of the cache key and of
#: the settings a page says it was executed with.
SETTINGS_PREFIX = "YOLO_TRAINING_"
#: ...except these, which only say where things are.
NOT_SETTINGS = {"YOLO_TRAINING_HOME", "YOLO_TRAINING_SITE_CACHE"}
#: Distributions whose version changes results.
DISTRIBUTIONS = ("yolo-training", "ultralytics", "torch", "torchvision", "numpy", "opencv-python")
#: Key of the provenance record in an executed notebook's metadata.
RUN_METADATA = "yolo_training_run"
#: The MIME type of a widget's view in an output.
WIDGET_VIEW = "application/vnd.jupyter.widget-view+json"


def read_chapters(registry: Path) -> list[dict]:
    """The rows of the course's chapter registry (``CHAPTERS`` in ``yolo_training/course/chapters.py``), read from its source.

    Each row is written ``ChapterInfo(number=..., notebook=..., ...)`` with plain values, so it is read
    without importing the package; ``tests/test_chapter.py`` checks that this gives the package's own rows.

    Args:
        registry: the registry's file.

    Returns:
        One dict per chapter, in order: its fields by name.

    Examples:
        >>> read_chapters(Path("yolo_training/course/chapters.py"))[3]["notebook"]  # doctest: +SKIP
        '04_training'
    """
    tree = ast.parse(registry.read_text(encoding="utf-8"))
    for node in tree.body:
        target = node.target if isinstance(node, ast.AnnAssign) else (node.targets[0] if isinstance(node, ast.Assign) else None)
        if not (isinstance(target, ast.Name) and target.id == "CHAPTERS" and isinstance(node.value, ast.Tuple)):
            continue
        rows = []
        for row in node.value.elts:
            if not isinstance(row, ast.Call) or row.args or any(k.arg is None for k in row.keywords):
                raise ValueError(f"{registry}, line {row.lineno}: write each row of CHAPTERS as ChapterInfo(name=value, ...)")
            rows.append({k.arg: ast.literal_eval(k.value) for k in row.keywords})
        return rows
    raise ValueError(f"{registry} has no `CHAPTERS = (...)` table")


def settings(env: dict | None = None) -> dict:
    """The ``YOLO_TRAINING_*`` settings in ``env`` (default: this process) that change results."""
    env = os.environ if env is None else env
    return {k: v for k, v in sorted(env.items()) if k.startswith(SETTINGS_PREFIX) and k not in NOT_SETTINGS and v != ""}


def profile_name(env: dict | None = None) -> str:
    """``"fast"`` under ``YOLO_TRAINING_PROFILE=fast``, else ``"default"`` (the settings written in the notebooks)."""
    env = os.environ if env is None else env
    return "fast" if env.get("YOLO_TRAINING_PROFILE", "").strip().lower() == "fast" else "default"


def versions() -> dict:
    """Python and the versions of the distributions that change results (``None`` when absent)."""
    found = {"python": platform.python_version()}
    for name in DISTRIBUTIONS:
        try:
            found[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            found[name] = None
    return found


def cpu_model() -> str:
    """The processor's marketing name, e.g. ``Intel(R) Xeon(R) CPU @ 2.20GHz``."""
    try:
        for line in Path("/proc/cpuinfo").read_text(errors="replace").splitlines():
            if line.lower().startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    if platform.system() == "Darwin":
        try:
            return subprocess.run(["sysctl", "-n", "machdep.cpu.brand_string"], check=False, capture_output=True, text=True).stdout.strip()
        except OSError:
            pass
    return platform.processor() or platform.machine()


def load_average() -> list[float] | None:
    """The 1, 5 and 15 minute load averages (``None`` on Windows)."""
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except (AttributeError, OSError):
        return None


def gpu() -> str | None:
    """The CUDA device's name, or ``None`` (CPU only, or torch absent)."""
    try:
        import torch
    except ImportError:
        return None
    return torch.cuda.get_device_name(0) if torch.cuda.is_available() else None


def machine() -> dict:
    """What the chapters run on: processor, cores, GPU, system, date; load averages now."""
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:
        usable = os.cpu_count()
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "usable cores": usable,
        "gpu": gpu(),
        "system": f"{platform.system()} {platform.release()}",
        "date": datetime.datetime.now().astimezone().isoformat(timespec="seconds"),
        "load average": load_average(),
    }


def describe_machine(m: dict) -> str:
    """One line for a page: ``2 cores (Intel Xeon ...), no GPU, Linux 6.1``."""
    cores = f"{m['cores']} cores" if m.get("cores") == m.get("usable cores") else f"{m.get('usable cores')} of {m.get('cores')} cores"
    return f"{cores} ({m.get('cpu')}), {m.get('gpu') or 'no GPU'}, {m.get('system')}"


def fmt_duration(seconds: float | None) -> str:
    """``9 min 57 s``, ``12 s``; ``?`` when unknown."""
    if seconds is None:
        return "?"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"


def title(nb, default: str = "") -> str:
    """The notebook's first ``# `` heading, e.g. ``4. Training``."""
    for cell in nb.cells:
        if cell.cell_type == "markdown":
            for line in cell.source.splitlines():
                if line.startswith("# "):
                    return line[2:].strip()
    return default


def cell_seconds(cell) -> float | None:
    """How long a code cell ran, from the timestamps nbclient records in its metadata."""
    timing = cell.get("metadata", {}).get("execution", {})
    start, end = timing.get("iopub.execute_input"), timing.get("shell.execute_reply")
    if not (start and end):
        return None
    parse = datetime.datetime.fromisoformat
    return (parse(end.replace("Z", "+00:00")) - parse(start.replace("Z", "+00:00"))).total_seconds()


def slowest_cell(nb) -> tuple[str, float] | None:
    """The first line of code (not a comment) of the code cell that ran longest, and its seconds."""
    def first_line(source: str) -> str:  # "try: import yolo_training" for a block's first line
        lines = [line.strip() for line in source.splitlines() if line.strip() and not line.lstrip().startswith("#")]
        if not lines:
            return source.strip().splitlines()[0]
        return f"{lines[0]} {lines[1]}" if lines[0].endswith(":") and len(lines) > 1 else lines[0]

    timed = [(cell_seconds(c), first_line(c.source)) for c in nb.cells if c.cell_type == "code" and c.source.strip()]
    timed = [(s, line) for s, line in timed if s is not None]
    if not timed:
        return None
    seconds, line = max(timed)
    return line, seconds


def copy_weights(source_root: Path, project: Path) -> list[str]:
    """Copy the pretrained weights cached in ``source_root/weights`` into ``project/weights``; their names."""
    target = project / "weights"
    target.mkdir(parents=True, exist_ok=True)
    names = []
    for pt in sorted((source_root / "weights").glob("*.pt")):
        shutil.copy2(pt, target / pt.name)
        names.append(pt.name)
    return names


def kernel_env(project: Path, extra: dict | None = None, drop: tuple[str, ...] = ()) -> dict:
    """This process's environment for a kernel working in ``project``."""
    env = {k: v for k, v in os.environ.items() if k not in drop}
    env["YOLO_TRAINING_HOME"] = str(project)
    env.update(extra or {})
    return env


def execute(notebook: Path, project: Path, env: dict, timeout: int | None = 7200, kernel: str = "python3"):
    """Run ``notebook`` top to bottom in ``project``; the executed notebook and its provenance.

    The notebook is copied to ``project/notebooks/`` first, unless it is there (the cwd of the
    kernel, as in a clone of the course); the file itself is left as it is. Raises nbclient's
    ``CellExecutionError`` on the first failing cell; the exception carries the partly executed
    notebook as ``.notebook``.

    Returns:
        ``(nb, run)``: the executed notebook (an ``nbformat`` node whose metadata holds ``run`` under
        :data:`RUN_METADATA`) and ``run``, a dict with the date, seconds, machine, settings and versions.
    """
    import nbformat
    from nbclient.exceptions import CellExecutionError

    folder = project / "notebooks"
    folder.mkdir(parents=True, exist_ok=True)
    copy = folder / notebook.name
    if copy.resolve() != notebook.resolve():
        shutil.copy2(notebook, copy)
    nb = nbformat.read(copy, as_version=4)
    client = _client(nb, timeout=timeout, kernel_name=kernel, resources={"metadata": {"path": str(folder)}})
    before = machine()
    start = time.perf_counter()
    try:
        client.execute(env=env, cwd=str(folder))
    except CellExecutionError as e:
        e.notebook = nb
        raise
    finally:
        drop_closed_widgets(nb, client.closed_widgets)
    seconds = time.perf_counter() - start
    run = {
        "notebook": notebook.name,
        "seconds": round(seconds, 1),
        "date": before["date"],
        "machine": {k: v for k, v in before.items() if k not in ("date", "load average")},
        "load average before": before["load average"],
        "load average after": load_average(),
        "settings": settings(env),
        "profile": profile_name(env),
        "versions": versions(),
        "weights": sorted(p.name for p in (project / "weights").glob("*.pt")),
    }
    nb.metadata[RUN_METADATA] = run
    return nb, run



def drop_closed_widgets(nb, closed: set) -> int:
    """Remove the outputs that show a widget the notebook closed; how many were removed.

    In JupyterLab a closed widget's view disappears (tqdm's bar with ``leave=False`` when its
    loop ends): the executed notebook shows what the student saw.
    """
    removed = 0
    for cell in nb.cells:
        if "outputs" not in cell:
            continue
        kept = [o for o in cell.outputs if o.get("data", {}).get(WIDGET_VIEW, {}).get("model_id") not in closed]
        removed += len(cell.outputs) - len(kept)
        cell.outputs = kept
    return removed


def _client(nb, **kwargs):
    """An nbclient client for ``nb`` that keeps widget state, but not of the widgets the notebook closed.

    nbclient keeps the last state of every widget ever opened; a closed one would be kept in the
    notebook's widget state though nothing shows it any more. Their ids: ``client.closed_widgets``.
    """
    from nbclient import NotebookClient

    class Client(NotebookClient):
        def __init__(self, *args, **kw):
            super().__init__(*args, **kw)
            self.closed_widgets: set = set()

        def handle_comm_msg(self, outs, msg, cell_index):
            if msg["msg_type"] == "comm_close":
                comm_id = msg["content"]["comm_id"]
                self.closed_widgets.add(comm_id)
                self.widget_state.pop(comm_id, None)
                self.widget_buffers.pop(comm_id, None)
                return
            super().handle_comm_msg(outs, msg, cell_index)

    return Client(nb, store_widget_state=True, **kwargs)
