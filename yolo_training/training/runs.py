"""The run registry: every training run of the project, read through one :class:`Run`.

Each run folder made by :func:`yolo_training.train` holds a ``run.json`` written by the package
(Ultralytics writes the rest: ``args.yaml``, ``results.csv``, ``weights/``). ``run.json`` is the
registry's only store: a run folder copied to another machine carries its record, and deleting the
folder deletes the record. ``status`` follows a run through
``pending -> preparing -> training -> completed | failed | stopped``; a record left at ``training``
by a process that no longer exists (a killed kernel, a power cut) is reported as ``stopped``, which
:func:`yolo_training.resume` can continue. Runs made by plain Ultralytics (an ``args.yaml``, no
``run.json``) are read too.

Everything that reads a run goes through here: :class:`Run` (its files, settings, data, status,
metrics and best epoch), :func:`load_results` (``results.csv`` with readable names),
:func:`list_runs` / :func:`find_run` (the lookup by name), :func:`list_models` / :func:`find_model`
(the runs that have weights).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import time
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from ..core import env, events, runtime
from ..core.common import pid_alive
from ..core.errors import ModelNameError, ResultsError, YoloTrainingError

RECORD = "run.json"
STATUSES = ("pending", "preparing", "training", "completed", "failed", "stopped")

#: The course's metric names and the keys Ultralytics uses for them (in ``trainer.metrics`` and ``results.csv``).
METRIC_KEYS = {
    "precision": "metrics/precision(B)",
    "recall": "metrics/recall(B)",
    "mAP50": "metrics/mAP50(B)",
    "mAP50-95": "metrics/mAP50-95(B)",
    "mask_precision": "metrics/precision(M)",
    "mask_recall": "metrics/recall(M)",
    "mask_mAP50": "metrics/mAP50(M)",
    "mask_mAP50-95": "metrics/mAP50-95(M)",
    "top1": "metrics/accuracy_top1",
    "top5": "metrics/accuracy_top5",
}
#: The metrics each task reports.
METRICS_BY_TASK = {
    "detect": ("precision", "recall", "mAP50", "mAP50-95"),
    "segment": ("precision", "recall", "mAP50", "mAP50-95", "mask_precision", "mask_recall", "mask_mAP50", "mask_mAP50-95"),
    "classify": ("top1", "top5"),
}
#: Column names of results.csv files written by YOLOv5-era Ultralytics.
_OLD_COLUMNS = {
    "metrics/precision": "precision",
    "metrics/recall": "recall",
    "metrics/mAP_0.5": "mAP50",
    "metrics/mAP_0.5:0.95": "mAP50-95",
    "x/lr0": "lr_pg0",
    "x/lr1": "lr_pg1",
    "x/lr2": "lr_pg2",
}


class RunNotFoundError(ResultsError, LookupError):
    """No run of that name (or folder) in the project."""


# ---------------------------------------------------------------------------------------------
# Metric names


def readable_metrics(raw: dict) -> dict[str, float]:
    """Ultralytics' metric keys renamed to the course's names.

    Args:
        raw: a dict such as ``trainer.metrics`` or a ``results.csv`` row (``metrics/mAP50(B)`` ...).

    Returns:
        ``{"precision": ..., "mAP50": ...}``: the metrics present, as floats.

    Examples:
        >>> readable_metrics({"metrics/mAP50(B)": 0.5, "val/box_loss": 1.2})
        {'mAP50': 0.5}
    """
    raw = {str(k).strip(): v for k, v in raw.items()}
    return {short: float(raw[key]) for short, key in METRIC_KEYS.items() if key in raw}


def readable_column(name: str) -> str:
    """The course's name of a ``results.csv`` column: ``metrics/mAP50(B)`` -> ``mAP50``, ``train/box_loss`` -> ``train_box_loss``."""
    name = name.strip()
    if name in _OLD_COLUMNS:
        return _OLD_COLUMNS[name]
    if m := re.fullmatch(r"metrics/(.+)\(([BMPO])\)", name):
        prefix = {"B": "", "M": "mask_", "P": "pose_", "O": ""}[m.group(2)]
        return prefix + m.group(1)
    if m := re.fullmatch(r"metrics/accuracy_(top\d)", name):
        return m.group(1)
    return name.replace("/", "_")


def task_of_results(df: pd.DataFrame) -> str:
    """The task a results table belongs to, from its columns."""
    if "top1" in df.columns:
        return "classify"
    return "segment" if "mask_mAP50-95" in df.columns else "detect"


def fitness(df: pd.DataFrame, task: str | None = None, best_metric: str | None = None) -> pd.Series:
    """Ultralytics' fitness per epoch, the number that chooses ``best.pt``, from a :func:`load_results` table.

    Ultralytics 8.4 keeps the epoch of the highest fitness: box mAP50-95 for detection, box plus
    mask mAP50-95 for segmentation, the mean of top-1 and top-5 accuracy for classification; a
    run trained with ``best_metric=`` uses that metric instead. Used for runs that have no
    recorded best epoch (made by plain Ultralytics, or before the package recorded it).
    """
    if best_metric:
        return df[best_metric].astype(float)
    task = task or task_of_results(df)
    if task == "classify":
        return (df["top1"] + df.get("top5", df["top1"])) / 2
    if task == "segment":
        return df["mAP50-95"] + df["mask_mAP50-95"]
    column = "mAP50-95" if "mAP50-95" in df.columns else "mAP50"
    if column not in df.columns:
        raise ResultsError(f"{df.attrs.get('file', 'results.csv')} has no mAP or accuracy column.")
    return df[column].astype(float)


def main_metric(df: pd.DataFrame) -> str:
    """The column a results table is judged by: mAP50-95 (mask mAP50-95, top-1 accuracy, mAP50 when absent)."""
    for name in ("mAP50-95", "mask_mAP50-95", "top1", "mAP50"):
        if name in df.columns:
            return name
    raise ResultsError(f"{df.attrs.get('file', 'results.csv')} has no mAP or accuracy column.")


def loss_names(df: pd.DataFrame) -> list[str]:
    """The losses a results table has for both train and val (``box_loss``, ``cls_loss``...)."""
    return [c[len("train_"):] for c in df.columns if c.startswith("train_") and f"val_{c[len('train_'):]}" in df.columns]


def best_epoch(df: pd.DataFrame) -> int:
    """The epoch saved as ``best.pt`` for a :func:`load_results` table.

    The epoch the run recorded when Ultralytics wrote ``best.pt`` (``df.attrs["best_epoch"]``),
    else the last epoch of highest :func:`fitness`: Ultralytics writes ``best.pt`` again whenever
    an epoch's fitness equals the best so far, so of equal scores the last one is in the file.
    """
    if df.attrs.get("best_epoch"):
        return int(df.attrs["best_epoch"])
    score = fitness(df, df.attrs.get("task"), df.attrs.get("best_metric")).fillna(-np.inf).to_numpy()
    return int(df["epoch"].iloc[len(score) - 1 - int(np.argmax(score[::-1]))])


# ---------------------------------------------------------------------------------------------
# The record (run.json)


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
    """Record a status change (and when it happened), and announce it (``run_status``) to who listens."""
    if status not in STATUSES:
        raise ValueError(f"status {status!r} is not one of {STATUSES}")
    extra = {}
    if status == "training":
        extra = {"started": _now(), "pid": os.getpid(), "host": socket.gethostname()}
    elif status in ("completed", "failed", "stopped"):
        extra = {"ended": _now()}
    record = write_record(folder, status=status, **extra, **fields)
    events.announce("run_status", Path(folder))
    return record


def effective_status(record: dict) -> str:
    """The status to show: a ``training``/``preparing`` run whose process is gone was interrupted.

    On a hosted runtime (Colab, Kaggle) a run recorded by another host was interrupted too: each
    reconnection is a new machine, and the earlier one is gone with its process.
    """
    status = record.get("status", "completed")
    if status in ("training", "preparing", "pending") and record.get("pid"):
        same_host = record.get("host") in (None, socket.gethostname())
        if same_host and not pid_alive(int(record["pid"])):
            return "stopped"
        if not same_host and runtime.hosted_runtime() is not None:
            return "stopped"  # a hosted runtime is a new host after each disconnect: the earlier runtime is gone
    return status


# ---------------------------------------------------------------------------------------------
# results.csv


def raw_results(csv: str | Path) -> pd.DataFrame:
    """``results.csv`` as Ultralytics wrote it (column names stripped of padding): the one reader of the file.

    Raises:
        ResultsError: the file is cut off or not a table.
    """
    try:
        table = pd.read_csv(csv, skipinitialspace=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        raise ResultsError(f"{csv} cannot be read as a CSV table ({err}). It was probably cut off; train again.") from err
    table.columns = [str(c).strip() for c in table.columns]
    return table


def _read_results_csv(csv: Path) -> pd.DataFrame:
    table = raw_results(csv)
    table.columns = [readable_column(c) for c in table.columns]
    if "epoch" not in table.columns:
        raise ResultsError(f"{csv} has no 'epoch' column (columns: {', '.join(table.columns)}); it is not an Ultralytics results.csv.")
    table = table[pd.to_numeric(table["epoch"], errors="coerce").notna()].copy()
    for column in table.columns:
        table[column] = pd.to_numeric(table[column], errors="coerce")
    table["epoch"] = table["epoch"].astype(int)
    if "time" not in table.columns:
        table.insert(1, "time", np.nan)
    return table


def load_results(run: "Run | str | Path") -> pd.DataFrame:
    """A run's ``results.csv`` as a table with readable columns, one row per epoch.

    ``metrics/mAP50(B)`` becomes ``mAP50``, ``train/box_loss`` ``train_box_loss``, masks get
    ``mask_``. Older files (padded column names, no ``time`` column) are read too; after a resume,
    repeated epochs keep their last row.

    Args:
        run: a :class:`Run`, a run folder or a run name (see :func:`list_runs`).

    Returns:
        A DataFrame; ``df.attrs`` holds ``file``, ``duplicates_dropped``, the run's ``task``,
        ``best_metric`` and ``best_epoch`` (the epoch of ``best.pt``, see :func:`best_epoch`).

    Raises:
        ResultsError: no ``results.csv`` (the run ended in its first epoch) or an unreadable one.

    Examples:
        >>> df = load_results("course")  # doctest: +SKIP
        >>> df[["epoch", "mAP50"]].tail(3)  # doctest: +SKIP
    """
    the_run = run if isinstance(run, Run) else Run.from_dir(find_run(run))
    csv = the_run.results_csv
    if not csv.is_file():
        raise ResultsError(
            f"{the_run.dir} has no results.csv: the run stopped before it finished its first epoch (or this is not a "
            "training run folder). Train again; a run that finishes at least one epoch writes results.csv."
        )
    table = _read_results_csv(csv)
    if table.empty:
        raise ResultsError(f"{csv} has no epoch rows: the run stopped before finishing its first epoch. Train again.")
    before = len(table)
    table = table.drop_duplicates("epoch", keep="last").sort_values("epoch").reset_index(drop=True)
    recorded = the_run.record.get("best_epoch")
    table.attrs.update(
        file=str(csv), duplicates_dropped=before - len(table), task=the_run.task,
        best_metric=the_run.record.get("best_metric"),
        best_epoch=recorded if recorded in set(table["epoch"]) else None,
    )
    return table


def epochs_done(folder: str | Path) -> int:
    """How many epochs a run has finished (rows of its ``results.csv``), 0 when none."""
    csv = Path(folder) / "results.csv"
    if not csv.is_file():
        return 0
    try:
        return int(_read_results_csv(csv)["epoch"].nunique())
    except (ResultsError, OSError):
        return 0


# ---------------------------------------------------------------------------------------------
# The run


@dataclass
class Run:
    """A training run folder and what came out of it.

    Attributes:
        dir: the run folder (``runs/detect/course``).
        task: ``detect``, ``segment`` or ``classify``.
        metrics: the validation of ``best.pt`` at the end of training (``precision``, ``mAP50`` ...).
        seconds: how long the training call took, when this object came from :func:`yolo_training.train`.

    Examples:
        >>> run = Run.from_dir("runs/detect/course")  # doctest: +SKIP
        >>> run.best, run.best_epoch, run.status  # doctest: +SKIP
    """

    dir: Path
    task: str = "detect"
    metrics: dict[str, float] = field(default_factory=dict)
    seconds: float | None = None

    @property
    def name(self) -> str:
        return self.dir.name

    @property
    def best(self) -> Path:
        """``weights/best.pt``: the epoch with the best validation score, the model to use."""
        return self.dir / "weights" / "best.pt"

    @property
    def last(self) -> Path:
        """``weights/last.pt``: the last finished epoch, for resuming."""
        return self.dir / "weights" / "last.pt"

    @property
    def results_csv(self) -> Path:
        return self.dir / "results.csv"

    @property
    def record(self) -> dict:
        """The package's ``run.json`` (empty for a run made by plain Ultralytics)."""
        return read_record(self.dir)

    @property
    def args(self) -> dict:
        """Every training argument, from Ultralytics' ``args.yaml``."""
        path = self.dir / "args.yaml"
        if not path.is_file():
            return {}
        return yaml.safe_load(path.read_text(encoding="utf-8")) or {}

    @property
    def data(self) -> Path | None:
        """The dataset the run trained on: the student's ``config.yaml`` (or ImageFolder), as recorded."""
        value = self.record.get("data") or self.args.get("data")
        return Path(value) if value else None

    @property
    def status(self) -> str:
        """``completed``, ``stopped`` (resumable), ``failed``, ``training``..."""
        record = self.record
        if not record:
            return "completed" if self.best.is_file() else "stopped"
        return effective_status(record)

    @property
    def best_epoch(self) -> int | None:
        """The epoch saved as ``best.pt`` (1-based), or None before the first epoch ended."""
        try:
            return best_epoch(load_results(self))
        except ResultsError:
            return None

    @property
    def weights(self) -> Path:
        """``best.pt``, else ``last.pt``; a clear error when the run saved neither."""
        for path in (self.best, self.last):
            if path.is_file():
                return path
        raise ModelNameError(f"The run {self.dir} has no weights/best.pt or last.pt: it did not finish an epoch.")

    @classmethod
    def from_dir(cls, folder: str | Path) -> "Run":
        """A finished (or interrupted) run, read back from its folder."""
        folder = Path(folder)
        if not folder.is_dir():
            raise RunNotFoundError(f"There is no run folder {folder.resolve()}. Runs are under {env.runs_dir()}.")
        run = cls(dir=folder.resolve())
        record = run.record
        run.task = record.get("task") or run.args.get("task", "detect")
        run.metrics = dict(record.get("best_metrics") or {})
        if not run.metrics and run.results_csv.is_file():
            try:
                df = load_results(run)
                row = df[df["epoch"] == best_epoch(df)].iloc[0]
                run.metrics = {k: float(row[k]) for k in METRIC_KEYS if k in row and pd.notna(row[k])}
            except ResultsError:
                pass
        return run

    def summary(self) -> str:
        shown = "  ".join(f"{k} {v:.3f}" for k, v in self.metrics.items())
        return f"Run {self.dir}\n  {shown or 'no metrics (the run did not finish an epoch)'}"

    def __str__(self) -> str:
        return self.summary()


# ---------------------------------------------------------------------------------------------
# Finding runs


def _is_run_folder(folder: Path) -> bool:
    return (folder / RECORD).is_file() or (folder / "args.yaml").is_file()


def _runs_root(project: str | Path | None) -> Path:
    return Path(project).expanduser().resolve() if project is not None else env.runs_dir()


def run_folders(project: str | Path | None = None) -> list[Path]:
    """Every run folder under ``project`` (default: the project's ``runs/``), ours and plain Ultralytics' ones."""
    root = _runs_root(project)
    if not root.is_dir():
        return []
    found = {p.parent for pattern in (RECORD, "args.yaml") for p in root.rglob(pattern)}
    return sorted(found)


def _row(folder: Path) -> dict:
    run = Run.from_dir(folder)
    record = run.record
    settings = record.get("settings") or {}
    row = {
        "name": folder.name, "task": run.task,
        "model": record.get("model") or Path(str(run.args.get("model", "?"))).stem,
        "data": record.get("data") or run.args.get("data"), "status": run.status,
        "created": record.get("created"), "started": record.get("started"), "ended": record.get("ended"),
        "epochs_done": epochs_done(folder), "epochs": settings.get("epochs", run.args.get("epochs")),
    }
    row.update(run.metrics)
    row.update(settings=settings, kind=record.get("kind", "train"), dir=str(folder))
    return row


def list_runs(project: str | Path | None = None) -> pd.DataFrame:
    """Every run of the project, newest first.

    Args:
        project: where to look (default: the project's ``runs/``).

    Returns:
        A DataFrame with name, task, model, data, status, created, started, ended, epochs_done,
        epochs, the best metrics (precision, recall, mAP50, mAP50-95, top1 ... whichever the task
        has), settings (a dict), kind and dir.

    Examples:
        >>> list_runs()[["name", "status", "mAP50"]]  # doctest: +SKIP
    """
    rows = [_row(folder) for folder in run_folders(project)]
    columns = ["name", "task", "model", "data", "status", "created", "started", "ended", "epochs_done", "epochs"]
    table = pd.DataFrame(rows)
    if table.empty:
        return pd.DataFrame(columns=columns + ["settings", "kind", "dir"])
    table["_mtime"] = [Path(d).stat().st_mtime for d in table["dir"]]
    order = table.assign(created=table["created"].fillna("")).sort_values(["created", "_mtime"], ascending=False)
    return order.drop(columns="_mtime").reset_index(drop=True)


def find_run(name: "str | Path | Run", project: str | Path | None = None) -> Path:
    """The folder of a run given its name, ``task/name``, folder or :class:`Run`.

    Args:
        name: ``"course"``, ``"detect/course"``, a run folder path, or a :class:`Run`.
        project: where to look names up (default: the project's ``runs/``).

    Returns:
        The run folder, resolved.

    Raises:
        RunNotFoundError: no such run, or several runs of that name (the message lists them).

    Examples:
        >>> find_run("course")  # doctest: +SKIP
        PosixPath('/home/me/yolo-training/runs/detect/course')
    """
    if isinstance(name, Run):
        return name.dir
    path = Path(name).expanduser()
    given_as_path = path.is_absolute() or len(path.parts) > 1 and not (_runs_root(project) / path).is_dir()
    if path.is_dir() and (_is_run_folder(path) or given_as_path):
        return path.resolve()
    if given_as_path and not path.exists():
        raise RunNotFoundError(f"There is no run folder {path.resolve()}. Runs are under {_runs_root(project)}; see list_runs().")
    root = _runs_root(project)
    text = str(name).replace("\\", "/")
    folders = run_folders(project)
    matches = [f for f in folders if f.name == text or f.relative_to(root).as_posix() == text]
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        shown = ", ".join(m.relative_to(root).as_posix() for m in matches)
        raise RunNotFoundError(f"Several runs are named {name!r} ({shown}); pass one as task/name, e.g. {shown.split(', ')[0]!r}.")
    known = ", ".join(f.relative_to(root).as_posix() for f in folders) or "none yet"
    raise RunNotFoundError(f"No run named {name!r} under {root} (runs there: {known}). See list_runs().")


def delete_run(name: "str | Path | Run", project: str | Path | None = None) -> Path:
    """Delete a run folder (weights, plots, record); only folders that are training runs.

    Args:
        name: a run name, folder or :class:`Run` (see :func:`find_run`).
        project: where to look the name up.

    Returns:
        The folder that was deleted.

    Examples:
        >>> delete_run("train3")  # doctest: +SKIP
    """
    folder = find_run(name, project)
    remove_run_folder(folder)
    return folder


def remove_run_folder(folder: Path) -> None:
    """Delete one run folder; refuses a folder that is not a run, or a run still training elsewhere."""
    if not _is_run_folder(folder):
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


# ---------------------------------------------------------------------------------------------
# Models: the runs that have weights


def list_models(runs: str | Path | None = None) -> pd.DataFrame:
    """The trained models of the project: runs with a ``weights/best.pt``, their settings and metrics.

    Args:
        runs: where to look (default: the project's ``runs/``).

    Returns:
        A DataFrame: name (``detect/train2``, usable with :func:`find_model`, ``predict``,
        ``export``), task, model, epochs, imgsz, precision, recall, mAP50, mAP50-95, top1,
        trained (time of ``best.pt``), path.

    Examples:
        >>> list_models()[["name", "mAP50"]]  # doctest: +SKIP
    """
    root = _runs_root(runs)
    rows = []
    for folder in run_folders(runs):
        run = Run.from_dir(folder)
        if not run.best.is_file():
            continue
        args = run.args
        rows.append(dict(
            name=folder.relative_to(root).as_posix(), task=run.task, model=Path(str(args.get("model", "?"))).stem,
            epochs=args.get("epochs"), imgsz=args.get("imgsz"),
            **{k: run.metrics.get(k) for k in ("precision", "recall", "mAP50", "mAP50-95", "top1")},
            trained=pd.Timestamp(run.best.stat().st_mtime, unit="s").floor("s"), path=str(run.best),
        ))
    columns = ["name", "task", "model", "epochs", "imgsz", "precision", "recall", "mAP50", "mAP50-95", "top1", "trained", "path"]
    table = pd.DataFrame(rows, columns=columns)
    return table.dropna(axis=1, how="all") if len(table) else table


def find_model(name: "str | Path | Run", runs: str | Path | None = None) -> Path:
    """The weights of a run: its ``best.pt`` (``last.pt`` when it has no best yet).

    Args:
        name: a run name (``train2``, ``detect/train2``), run folder or :class:`Run`.
        runs: where to look names up (default: the project's ``runs/``).

    Returns:
        The ``.pt`` file.

    Raises:
        ModelNameError: no such run, or a run that saved no weights.

    Examples:
        >>> find_model("course")  # doctest: +SKIP
        PosixPath('/home/me/yolo-training/runs/detect/course/weights/best.pt')
    """
    try:
        folder = find_run(name, runs)
    except RunNotFoundError as err:
        message = str(err).replace("No run named", "No trained model called").replace("See list_runs().", "See list_models().")
        raise ModelNameError(message) from err
    return Run.from_dir(folder).weights


def trim_results(folder: str | Path, last_epoch: int) -> None:
    """Keep one ``results.csv`` row per epoch up to ``last_epoch`` (1-based), as Ultralytics wrote them.

    A run killed between writing an epoch's row and saving its checkpoint repeats that epoch when
    resumed; this drops the rows the checkpoint does not cover (columns are left as they are).
    """
    csv = Path(folder) / "results.csv"
    if not csv.is_file():
        return
    table = raw_results(csv)
    if "epoch" not in table:
        return
    kept = table[table["epoch"] <= last_epoch].drop_duplicates("epoch", keep="last")
    if len(kept) != len(table):
        kept.to_csv(csv, index=False)
