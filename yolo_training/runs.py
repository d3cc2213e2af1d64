"""The run registry: every training run of the project, its settings, status and best metrics.

Each run folder made by :func:`yolo_training.train` holds a ``run.json`` written by the package
(Ultralytics writes the rest). It is the registry's only store: a run folder copied to another
machine carries its record, and deleting the folder deletes the record. ``status`` follows a run
through ``pending -> preparing -> training -> completed | failed | stopped`` (as annotateforge's
jobs); a record left at ``training`` by a process that no longer exists (a killed kernel, a power
cut) is reported as ``stopped``, which :func:`yolo_training.resume` can continue.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import time
from datetime import datetime
from pathlib import Path

import pandas as pd

from . import env
from ._common import pid_alive
from ._errors import YoloTrainingError

RECORD = "run.json"
STATUSES = ("pending", "preparing", "training", "completed", "failed", "stopped")


class RunNotFoundError(YoloTrainingError, LookupError):
    """No run of that name (or folder) in the project."""


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


def read_record(folder: str | Path) -> dict:
    """The ``run.json`` of a run folder (an empty dict when there is none or it is unreadable)."""
    path = Path(folder) / RECORD
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def write_record(folder: str | Path, **fields) -> dict:
    """Merge ``fields`` into the run's ``run.json`` (written atomically) and return the record."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    record = read_record(folder)
    record.update(fields)
    record.setdefault("created", _now())
    tmp = folder / f".{RECORD}.{os.getpid()}.tmp"
    tmp.write_text(json.dumps(record, indent=2, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, folder / RECORD)
    return record


def set_status(folder: str | Path, status: str, **fields) -> dict:
    """Record a status change (and when it happened)."""
    if status not in STATUSES:
        raise ValueError(f"status {status!r} is not one of {STATUSES}")
    extra = {}
    if status == "training":
        extra = {"started": _now(), "pid": os.getpid(), "host": socket.gethostname()}
    elif status in ("completed", "failed", "stopped"):
        extra = {"ended": _now()}
    return write_record(folder, status=status, **extra, **fields)


def effective_status(record: dict) -> str:
    """The status to show: a ``training``/``preparing`` run whose process is gone was interrupted."""
    status = record.get("status", "completed")
    if status in ("training", "preparing", "pending") and record.get("pid"):
        same_host = record.get("host") in (None, socket.gethostname())
        if same_host and not pid_alive(int(record["pid"])):
            return "stopped"
    return status


def _epochs_done(folder: Path) -> int:
    csv = folder / "results.csv"
    if not csv.is_file():
        return 0
    try:
        table = pd.read_csv(csv)
    except (OSError, ValueError, pd.errors.EmptyDataError):
        return 0
    table.columns = [c.strip() for c in table.columns]
    return int(table["epoch"].nunique()) if "epoch" in table and len(table) else 0


def _run_folders(root: Path):
    if not root.is_dir():
        return
    for record in sorted(root.rglob(RECORD)):
        yield record.parent


def list_runs(project: str | Path | None = None) -> pd.DataFrame:
    """Every run under ``project`` (default: the project's ``runs/``), newest first, as a DataFrame.

    Columns: name, task, model, data, status, created, started, ended, epochs_done, epochs,
    the best metrics (precision, recall, mAP50, mAP50-95, top1 ... whichever the task has),
    settings (a dict) and dir.
    """
    root = Path(project).expanduser().resolve() if project is not None else env.runs_dir()
    rows = []
    for folder in _run_folders(root):
        rec = read_record(folder)
        row = {
            "name": folder.name,
            "task": rec.get("task"),
            "model": rec.get("model"),
            "data": rec.get("data"),
            "status": effective_status(rec),
            "created": rec.get("created"),
            "started": rec.get("started"),
            "ended": rec.get("ended"),
            "epochs_done": _epochs_done(folder),
            "epochs": (rec.get("settings") or {}).get("epochs"),
        }
        row.update(rec.get("best_metrics") or {})
        row["settings"] = rec.get("settings") or {}
        row["kind"] = rec.get("kind", "train")
        row["dir"] = str(folder)
        rows.append(row)
    columns = ["name", "task", "model", "data", "status", "created", "started", "ended", "epochs_done", "epochs"]
    table = pd.DataFrame(rows)
    if table.empty:
        return pd.DataFrame(columns=columns + ["settings", "kind", "dir"])
    return table.sort_values("created", ascending=False, na_position="last").reset_index(drop=True)


def find_run(name: str | Path, project: str | Path | None = None) -> Path:
    """The folder of a run given its name (``"train3"``), ``task/name`` or its folder path."""
    path = Path(name).expanduser()
    if path.is_dir() and ((path / RECORD).is_file() or (path / "args.yaml").is_file()):
        return path.resolve()
    root = Path(project).expanduser().resolve() if project is not None else env.runs_dir()
    text = str(name).replace("\\", "/")
    matches = [f for f in _run_folders(root) if f.name == text or f.relative_to(root).as_posix() == text]
    if not matches:  # runs made by plain Ultralytics have no run.json but an args.yaml
        matches = [a.parent for a in root.rglob("args.yaml") if a.parent.name == text] if root.is_dir() else []
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        shown = ", ".join(m.relative_to(root).as_posix() for m in matches)
        raise RunNotFoundError(f"Several runs are named {name!r} ({shown}); pass one as task/name, e.g. {shown.split(', ')[0]!r}.")
    known = ", ".join(f.name for f in _run_folders(root)) or "none yet"
    raise RunNotFoundError(f"No run named {name!r} under {root} (runs there: {known}). See list_runs().")


def delete_run(name: str | Path, project: str | Path | None = None) -> Path:
    """Delete a run folder (weights, plots, record). Only folders that are training runs are deleted."""
    folder = find_run(name, project)
    _remove_run_folder(folder)
    return folder


def _remove_run_folder(folder: Path) -> None:
    if not ((folder / RECORD).is_file() or (folder / "args.yaml").is_file()):
        raise YoloTrainingError(f"{folder} does not look like a training run (no {RECORD} or args.yaml); it is left as it is.")
    rec = read_record(folder)
    if effective_status(rec) in ("training", "preparing") and rec.get("pid") != os.getpid():
        raise YoloTrainingError(f"Run {folder.name} is still training (process {rec.get('pid')}); stop it first.")
    for attempt in range(3):  # Windows may hold a file briefly after training
        try:
            shutil.rmtree(folder)
            return
        except OSError:
            if attempt == 2:
                raise
            time.sleep(0.5)
