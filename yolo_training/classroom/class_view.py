"""The class at a glance: each student's runs reported to one place the instructor reads.

A student opts in with one setting, and nothing is sent anywhere without it:

* ``YOLO_TRAINING_CLASS=<target>`` and ``YOLO_TRAINING_STUDENT=<name>`` in the environment, or
* ``yt.join_class(target, name)``, which writes them into the project's settings file
  (``.yolo-training.json`` beside ``config.yaml``); ``yt.leave_class()`` removes them.

The target is a folder on a shared drive (one JSON file per student and machine, written
atomically), a SQLite file (``class.db``, ``sqlite:///...``) or a PostgreSQL database
(``postgresql://user:password@server/db``, as the hyperparameter search uses; needs the
``explore`` extra). What is sent: the student's name, the machine's name, the chapter reached,
and for each run its name, status (training, stopped, completed, failed with its message), epochs
and best mAP50. No paths, no photos, nothing else.

:func:`report_run` listens to each status change of a run and :func:`check_in` to each chapter's
start (``yolo_training.core.events``: the training and the chapters never call the class view); they
do nothing when the student did not opt in, and a target that cannot be reached never stops a training (a warning is printed).
The instructor reads the class with ``yolo-training class status TARGET``, :func:`class_status`
and :func:`plot_class`.
"""

from __future__ import annotations

import json
import math
import os
import re
import socket
import sys
from datetime import datetime
from pathlib import Path

import pandas as pd

from ..core import env, events
from ..core.commands import Command
from ..core.common import database_url, hide_password
from ..core.errors import ClassError
from ..training.runs import RECORD, effective_status, epochs_done, load_results, read_record, run_folders

#: The two settings of a student who joined a class.
CLASS_VARIABLE = "YOLO_TRAINING_CLASS"
STUDENT_VARIABLE = "YOLO_TRAINING_STUDENT"
#: Overrides the chapter read from the notebook's file name.
CHAPTER_VARIABLE = "YOLO_TRAINING_CHAPTER"
#: The project's settings file (beside ``config.yaml``); :func:`join_class` writes its ``class`` entry.
SETTINGS_FILE = ".yolo-training.json"
#: The columns of :func:`class_status`.
COLUMNS = ["student", "machine", "chapter", "runs", "best mAP50", "status", "last run", "updated"]

_NAME = re.compile(r"^[\w][\w .'-]{0,39}$")
_warned: set[str] = set()


# ---------------------------------------------------------------------------------------------
# Settings


def _settings_path() -> Path:
    return env.project_root() / SETTINGS_FILE


def _read_settings() -> dict:
    try:
        return json.loads(_settings_path().read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def _write_settings(settings: dict) -> None:
    path = _settings_path()
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(settings, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def class_settings() -> dict | None:
    """The class this student joined: ``{"target": ..., "student": ..., "from": ...}``, or None.

    The environment (``YOLO_TRAINING_CLASS``, ``YOLO_TRAINING_STUDENT``) wins over the project's
    settings file.

    Returns:
        The settings, or None when the student did not opt in.

    Examples:
        >>> class_settings() is None or "target" in class_settings()
        True
    """
    if os.environ.get(CLASS_VARIABLE):
        student = os.environ.get(STUDENT_VARIABLE) or machine_name()
        return {"target": os.environ[CLASS_VARIABLE], "student": student, "from": "environment"}
    joined = _read_settings().get("class")
    if isinstance(joined, dict) and joined.get("target") and joined.get("student"):
        return {"target": joined["target"], "student": joined["student"], "from": str(_settings_path())}
    return None


def machine_name() -> str:
    """This computer's network name, without its domain (``lab-07``)."""
    return socket.gethostname().split(".")[0] or "unknown"


def _check_name(name: str) -> str:
    name = str(name or "").strip()
    if not _NAME.fullmatch(name) or "@" in name:
        raise ClassError(
            f"{name!r} cannot be used as a name in the class: give a first name or a nickname "
            "(letters, digits, spaces, . ' - _; at most 40 characters; no e-mail address)."
        )
    return name


def join_class(target: str | Path, name: str) -> dict:
    """Opt in: report this student's runs to the class ``target`` from now on.

    Writes the setting into the project's settings file (``.yolo-training.json``) and reports
    the student at once, so the instructor sees them join.

    Args:
        target: the folder on a shared drive, a ``.db`` file, or a database URL the instructor gave.
        name: the student's first name or nickname (nothing else is asked for).

    Returns:
        The settings (see :func:`class_settings`).

    Raises:
        ClassError: a name that is not a name, or a target that cannot be reached.

    Examples:
        >>> join_class("/mnt/share/class", "Ada")  # doctest: +SKIP
    """
    name = _check_name(name)
    _store(str(target)).check()
    settings = _read_settings()
    settings["class"] = {"target": str(target), "student": name}
    _write_settings(settings)
    check_in()
    return class_settings()


def leave_class() -> bool:
    """Opt out: nothing is reported any more (what was reported stays with the instructor).

    Returns:
        True when the settings file held a class.

    Examples:
        >>> leave_class()  # doctest: +SKIP
        True
    """
    settings = _read_settings()
    if "class" not in settings:
        return False
    del settings["class"]
    _write_settings(settings)
    return True


# ---------------------------------------------------------------------------------------------
# What is reported


def current_chapter() -> int | None:
    """The chapter the student is in: the number of the notebook that runs (``04_training.ipynb`` is 4).

    Read from ``YOLO_TRAINING_CHAPTER``, else the notebook's name Jupyter gives its kernel
    (``JPY_SESSION_NAME``, ``__session__``; VS Code's ``__vsc_ipynb_file__``).

    Returns:
        The chapter, or None outside a course notebook.

    Examples:
        >>> current_chapter()  # doctest: +SKIP
        4
    """
    candidates = [os.environ.get(CHAPTER_VARIABLE), os.environ.get("JPY_SESSION_NAME")]
    try:
        from IPython import get_ipython

        shell = get_ipython()
        if shell is not None:
            candidates += [shell.user_ns.get("__session__"), shell.user_ns.get("__vsc_ipynb_file__")]
    except ImportError:
        pass
    for text in candidates:
        if not text:
            continue
        if str(text).strip().isdigit():
            return int(str(text).strip())
        if match := re.match(r"(\d{1,2})[_ -]", Path(str(text)).name):
            return int(match.group(1))
    return None


def _scrub(text: str | None) -> str | None:
    """A message without the home folder (it often holds the person's login name)."""
    if not text:
        return text
    home = str(Path.home())
    text = str(text).replace(home, "~") if len(home) > 1 else str(text)
    return text[:300]


def _best_map50(folder: Path, record: dict) -> float | None:
    best = (record.get("best_metrics") or {}).get("mAP50")
    if best is None and (folder / "results.csv").is_file():
        try:
            table = load_results(folder)
            best = float(table["mAP50"].max()) if "mAP50" in table and len(table) else None
        except Exception:  # a results.csv being written: no figure this time
            best = None
    return None if best is None or (isinstance(best, float) and math.isnan(best)) else float(best)


def run_entry(folder: str | Path, chapter: int | None = None) -> dict:
    """What the class sees of one run: name, status, message, epochs, best mAP50, chapter.

    Args:
        folder: the run's folder (with its ``run.json``).
        chapter: the chapter it belongs to (default: :func:`current_chapter`).

    Returns:
        ``{"run", "name", "task", "model", "status", "message", "chapter", "epochs_done", "epochs",
        "mAP50", "updated"}``: names and numbers only.

    Examples:
        >>> run_entry("runs/detect/course")["status"]  # doctest: +SKIP
        'completed'
    """
    folder = Path(folder)
    record = read_record(folder)
    status = effective_status(record)
    task = record.get("task") or "detect"
    return {
        "run": f"{task}/{folder.name}",
        "name": folder.name,
        "task": task,
        "model": record.get("model"),
        "status": status,
        "message": _scrub(record.get("error")) if status in ("failed", "stopped") else None,
        "chapter": chapter if chapter is not None else current_chapter(),
        "epochs_done": epochs_done(folder),
        "epochs": (record.get("settings") or {}).get("epochs"),
        "mAP50": _best_map50(folder, record),
        "updated": record.get("ended") or record.get("started") or record.get("created") or _now(),  # its last change
    }


def _now() -> str:
    return datetime.now().astimezone().isoformat(timespec="seconds")


# ---------------------------------------------------------------------------------------------
# Targets


def _safe(text: str) -> str:
    return re.sub(r"[^\w.-]+", "_", text).strip("._") or "_"


class _FolderStore:
    """A folder on a shared drive: one JSON file per student and machine."""

    def __init__(self, folder: Path):
        self.folder = folder

    def check(self) -> None:
        if not self.folder.is_dir():
            raise ClassError(
                f"The class folder {self.folder} does not exist or is not reachable: check that the shared drive "
                "is connected and the path is the one the instructor gave."
            )

    def _file(self, student: str, machine: str) -> Path:
        return self.folder / f"{_safe(student)}@{_safe(machine)}.json"

    def _read(self, path: Path) -> dict:
        try:
            return json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return {}

    def update(self, student: str, machine: str, chapter: int | None, runs: list[dict]) -> None:
        self.check()
        path = self._file(student, machine)
        data = self._read(path)
        known = data.get("runs") or {}
        for entry in runs:
            entry = dict(entry)
            if known.get(entry["run"], {}).get("chapter") is not None:
                entry["chapter"] = known[entry["run"]]["chapter"]  # a run stays in the chapter it began in
            known[entry["run"]] = entry
        chapters = [c for c in [data.get("chapter"), chapter, *(r.get("chapter") for r in known.values())] if c is not None]
        data = {"student": student, "machine": machine, "chapter": max(chapters) if chapters else None,
                "updated": _now(), "runs": known}
        tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
        tmp.write_text(json.dumps(data, indent=1) + "\n", encoding="utf-8")
        os.replace(tmp, path)

    def read(self) -> tuple[list[dict], list[dict]]:
        self.check()
        students, runs = [], []
        for path in sorted(self.folder.glob("*.json")):
            data = self._read(path)
            if not data.get("student"):
                continue
            students.append({k: data.get(k) for k in ("student", "machine", "chapter", "updated")})
            runs += [{"student": data["student"], "machine": data.get("machine"), **r} for r in (data.get("runs") or {}).values()]
        return students, runs


class _DatabaseStore:
    """A SQLite or PostgreSQL database (through SQLAlchemy): a table of students and one of runs."""

    def __init__(self, url: str):
        self.url = url

    def _engine(self):
        try:
            from sqlalchemy import create_engine
        except ImportError as err:
            raise ClassError("A database class target needs SQLAlchemy: pip install 'yolo-training[explore]'.") from err
        connect_args = {"timeout": 30} if self.url.startswith("sqlite") else {"connect_timeout": 5}
        if self.url.startswith("sqlite:///"):
            Path(self.url[len("sqlite:///"):]).parent.mkdir(parents=True, exist_ok=True)
        try:
            return create_engine(self.url, connect_args=connect_args)
        except ImportError as err:
            raise ClassError(f"The database driver for {hide_password(self.url)} is not installed: "
                             "pip install 'yolo-training[explore]' (psycopg2-binary for PostgreSQL).") from err

    def _tables(self):
        from sqlalchemy import Column, Float, Integer, MetaData, String, Table, Text

        meta = MetaData()
        students = Table("class_students", meta, Column("student", String(40), primary_key=True),
                         Column("machine", String(80), primary_key=True), Column("chapter", Integer),
                         Column("updated", String(40)))
        runs = Table("class_runs", meta, Column("student", String(40), primary_key=True),
                     Column("machine", String(80), primary_key=True), Column("run", String(200), primary_key=True),
                     Column("name", String(200)), Column("task", String(20)), Column("model", String(80)),
                     Column("status", String(20)), Column("message", Text), Column("chapter", Integer),
                     Column("epochs_done", Integer), Column("epochs", Integer), Column("mAP50", Float),
                     Column("updated", String(40)))
        return meta, students, runs

    def _connect(self):
        engine = self._engine()
        meta, students, runs = self._tables()
        try:
            meta.create_all(engine)
        except Exception as err:
            engine.dispose()
            reason = str(getattr(err, "orig", None) or err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
            raise ClassError(f"Cannot open the class database {hide_password(self.url)}: {reason}. Check the address, "
                             "that the server runs and is reachable from this machine.") from err
        return engine, students, runs

    def check(self) -> None:
        engine, _s, _r = self._connect()
        engine.dispose()

    def _upsert(self, conn, table, row: dict, keep_chapter: bool = False) -> None:
        keys = [c.name for c in table.primary_key.columns]
        dialect = conn.dialect.name
        if dialect in ("sqlite", "postgresql"):
            from importlib import import_module

            insert = import_module(f"sqlalchemy.dialects.{dialect}").insert
            statement = insert(table).values(**row)
            changes = {k: statement.excluded[k] for k in row if k not in keys and not (keep_chapter and k == "chapter")}
            if keep_chapter:  # a run stays in the chapter it began in
                from sqlalchemy import func

                changes["chapter"] = func.coalesce(table.c.chapter, statement.excluded.chapter)
            conn.execute(statement.on_conflict_do_update(index_elements=keys, set_=changes))
            return
        from sqlalchemy import and_

        conn.execute(table.delete().where(and_(*(table.c[k] == row[k] for k in keys))))
        conn.execute(table.insert().values(**row))

    def update(self, student: str, machine: str, chapter: int | None, runs: list[dict]) -> None:
        from sqlalchemy import select

        engine, students, table = self._connect()
        try:
            with engine.begin() as conn:
                columns = {c.name for c in table.columns}
                for entry in runs:
                    self._upsert(conn, table, {k: v for k, v in {"student": student, "machine": machine, **entry}.items() if k in columns},
                                 keep_chapter=True)
                known = conn.execute(select(students.c.chapter).where(students.c.student == student,
                                                                      students.c.machine == machine)).scalar()
                chapters = [c for c in [known, chapter, *(r.get("chapter") for r in runs)] if c is not None]
                self._upsert(conn, students, {"student": student, "machine": machine,
                                              "chapter": max(chapters) if chapters else None, "updated": _now()})
        finally:
            engine.dispose()

    def read(self) -> tuple[list[dict], list[dict]]:
        from sqlalchemy import select

        engine, students, table = self._connect()
        try:
            with engine.connect() as conn:
                return ([dict(r._mapping) for r in conn.execute(select(students))],
                        [dict(r._mapping) for r in conn.execute(select(table))])
        finally:
            engine.dispose()


def _store(target: str | Path):
    """The folder or database a class target names."""
    text = str(target).strip()
    if not text:
        raise ClassError("The class target is empty: give the shared folder, a .db file or a database URL.")
    if "://" in text or Path(text).suffix.lower() in (".db", ".sqlite", ".sqlite3"):
        return _DatabaseStore(database_url(text))
    return _FolderStore(Path(text).expanduser())


# ---------------------------------------------------------------------------------------------
# Reporting (the student's side)


def _warn_once(target: str, err: BaseException) -> None:
    key = f"{target}:{type(err).__name__}"
    if key not in _warned:
        _warned.add(key)
        print(f"yolo_training: could not report to the class ({err}). Training goes on; "
              "the next report tries again.", file=sys.stderr)


def _local_runs(also: Path | None) -> list[Path]:
    folders = [f.resolve() for f in run_folders()] if env.runs_dir().is_dir() else []
    if also is not None and also.resolve() not in folders and (also / RECORD).is_file():
        folders.append(also.resolve())
    return folders


def report_run(run_folder: str | Path | None = None) -> bool:
    """Report a run (and refresh this project's other runs) to the class; nothing when not opted in.

    Called on each status change of a run. Every run under the project's ``runs/`` is sent
    again, so a run whose kernel died shows as stopped at the next report. Never raises: a
    target that cannot be reached prints one warning and training goes on.

    Args:
        run_folder: the run that changed (its folder, with ``run.json``); None: only the project's runs.

    Returns:
        True when the report was written; False when not opted in or it failed.

    Examples:
        >>> report_run("runs/detect/course")  # doctest: +SKIP
        True
    """
    settings = class_settings()
    if settings is None:
        return False
    try:
        student = _check_name(settings["student"])
        changed = Path(run_folder).resolve() if run_folder is not None else None
        chapter = current_chapter()
        entries = [run_entry(f, chapter if f == changed else None) for f in _local_runs(changed)]
        _store(settings["target"]).update(student, machine_name(), chapter, entries)
        return True
    except Exception as err:  # a report never stops a training
        _warn_once(str(settings.get("target")), err)
        return False


def check_in(chapter: int | None = None) -> bool:
    """Tell the class which chapter this student is in (a no-op when not opted in).

    Args:
        chapter: the chapter; default: the running notebook's (:func:`current_chapter`).

    Returns:
        True when reported.

    Examples:
        >>> check_in()  # doctest: +SKIP
        True
    """
    settings = class_settings()
    if settings is None:
        return False
    try:
        _store(settings["target"]).update(_check_name(settings["student"]), machine_name(),
                                          chapter if chapter is not None else current_chapter(), [])
        return True
    except Exception as err:
        _warn_once(str(settings.get("target")), err)
        return False


# The class listens to the path (nothing is sent unless the student joined: both return at once then).
events.subscribe("run_status", report_run)
events.subscribe("chapter_started", check_in)


# ---------------------------------------------------------------------------------------------
# The instructor's view


def _target_or_joined(target: str | Path | None) -> str:
    if target is not None:
        return str(target)
    settings = class_settings()
    if settings is None:
        raise ClassError(f"Name the class: class_status(TARGET), or set {CLASS_VARIABLE} (the folder, .db file or database URL).")
    return settings["target"]


_RUN_COLUMNS = ["student", "machine", "run", "name", "task", "model", "status", "message", "chapter",
                "epochs_done", "epochs", "mAP50", "updated"]


def _read(target: str | Path | None) -> tuple[list[dict], pd.DataFrame]:
    students, runs = _store(_target_or_joined(target)).read()
    return students, pd.DataFrame(runs, columns=_RUN_COLUMNS)


def class_runs(target: str | Path | None = None) -> pd.DataFrame:
    """Every run reported to the class, one row each.

    Args:
        target: the class folder, ``.db`` file or database URL (default: the one joined).

    Returns:
        Columns student, machine, run, name, task, model, status, message, chapter, epochs_done,
        epochs, mAP50, updated.

    Examples:
        >>> class_runs("/mnt/share/class").groupby("student")["mAP50"].max()  # doctest: +SKIP
    """
    return _read(target)[1]


def _status_text(run: pd.Series) -> str:
    if run["status"] == "failed":
        return f"failed: {run['message'] or 'no message'}"
    return "finished" if run["status"] == "completed" else str(run["status"])


def class_status(target: str | Path | None = None) -> pd.DataFrame:
    """The class at a glance: one row per student and machine.

    Args:
        target: the class folder, ``.db`` file or database URL (default: the one joined).

    Returns:
        Columns student, machine, chapter (reached), runs, best mAP50, status (of the latest
        run: training, stopped, finished, failed with its message; ``joined`` before any run),
        last run, updated. Sorted by student.

    Raises:
        ClassError: a target that cannot be read.

    Examples:
        >>> print(class_status("/mnt/share/class").to_string(index=False))  # doctest: +SKIP
    """
    students, runs = _read(target)
    rows = []
    for who in students:
        mine = runs[(runs["student"] == who["student"]) & (runs["machine"] == who["machine"])]
        latest = mine.iloc[pd.to_datetime(mine["updated"], utc=True, errors="coerce").argmax()] if len(mine) else None
        best = mine["mAP50"].astype(float).max() if len(mine) else float("nan")
        rows.append({
            "student": who["student"], "machine": who["machine"], "chapter": who.get("chapter"),
            "runs": len(mine), "best mAP50": None if pd.isna(best) else round(float(best), 3),
            "status": _status_text(latest) if latest is not None else "joined",
            "last run": latest["name"] if latest is not None else None, "updated": who.get("updated"),
        })
    table = pd.DataFrame(rows, columns=COLUMNS)
    return table.sort_values(["student", "machine"]).reset_index(drop=True)


_COLOURS = {"finished": "tab:green", "training": "tab:blue", "stopped": "tab:orange", "failed": "tab:red"}


def plot_class(target: str | Path | None = None, table: pd.DataFrame | None = None):
    """The class's leaderboard: each student's best mAP50, coloured by the status of their latest run.

    Args:
        target: the class folder, ``.db`` file or database URL (default: the one joined).
        table: a :func:`class_status` table to plot instead of reading the target.

    Returns:
        A matplotlib ``Figure`` (a notebook shows it; a script can ``fig.savefig("class.png")``).

    Examples:
        >>> plot_class("/mnt/share/class").savefig("class.png")  # doctest: +SKIP
    """
    from matplotlib.figure import Figure
    from matplotlib.patches import Patch

    table = class_status(target) if table is None else table
    board = table.assign(score=table["best mAP50"].astype(float).fillna(0.0)).sort_values("score")
    fig = Figure(figsize=(7, max(2.0, 0.4 * len(board) + 1.2)), layout="constrained")
    ax = fig.subplots()
    labels = [f"{s} ({m})" if (board["student"] == s).sum() > 1 else s for s, m in zip(board["student"], board["machine"])]
    colours = [_COLOURS.get(str(s).split(":")[0], "tab:gray") for s in board["status"]]
    ax.barh(labels, board["score"], color=colours)
    for y, (score, chapter, n) in enumerate(zip(board["score"], board["chapter"], board["runs"])):
        text = f"{score:.2f}" if n else "no run yet"
        ax.text(score + 0.01, y, text + (f"  chapter {int(chapter)}" if pd.notna(chapter) else ""), va="center", fontsize=8)
    ax.set_xlim(0, 1.15)
    ax.set_xlabel("best mAP50")
    ax.set_title(f"The class: {len(board)} student(s), {int(table['runs'].sum()) if len(table) else 0} run(s)")
    fig.legend(handles=[Patch(color=c, label=s) for s, c in _COLOURS.items()], loc="outside lower center", ncols=4,
               fontsize=8, title="latest run", title_fontsize=8)
    return fig


# ---------------------------------------------------------------------------------------------
# Command line (`yolo-training class ...`)


def add_arguments(parser) -> None:
    """The arguments of ``yolo-training class status|join|leave`` (an entry of the command line's table).

    Args:
        parser: the ``class`` sub-parser of ``yolo-training``.

    Returns:
        None.

    Examples:
        >>> import argparse; add_arguments(argparse.ArgumentParser(prog="yolo-training class"))
    """
    csub = parser.add_subparsers(dest="class_command", required=True)
    st = csub.add_parser("status", help="one row per student: chapter, runs, best mAP50, status")
    st.add_argument("target", nargs="?", default=None, help="the class folder, .db file or database URL (default: the one joined)")
    st.add_argument("--plot", default=None, metavar="PNG", help="also save the leaderboard plot to this file")
    jn = csub.add_parser("join", help="report this project's runs to the class (names only)")
    jn.add_argument("target", help="the folder, .db file or database URL the instructor gave")
    jn.add_argument("--name", required=True, help="your first name or nickname")
    csub.add_parser("leave", help="stop reporting to the class")


def run_command(args, root: Path | None = None) -> int:
    """Run ``yolo-training class status|join|leave`` (the arguments of :func:`add_arguments`).

    Args:
        args: the parsed arguments.
        root: the project folder (unused: the settings live in :func:`yolo_training.project_root`).

    Returns:
        The exit code (0).

    Examples:
        >>> run_command(argparse.Namespace(class_command="status", target="/mnt/share/class", plot=None))  # doctest: +SKIP
    """
    if args.class_command == "join":
        settings = join_class(args.target, args.name)
        shown = hide_password(database_url(settings["target"])) if "://" in settings["target"] else settings["target"]
        print(f"Joined the class at {shown} as {settings['student']} (machine {machine_name()}).")
    elif args.class_command == "leave":
        print("Left the class: nothing is reported any more." if leave_class() else "This project had not joined a class.")
    else:
        table = class_status(args.target)
        print(table.to_string(index=False) if len(table) else "No student has reported yet.")
        if args.plot:
            plot_class(table=table).savefig(args.plot)
            print(f"Leaderboard saved to {args.plot}")
    return 0


#: ``yolo-training class``, as the command line's table registers it.
COMMAND = Command("class", "the class at a glance (instructor); join or leave a class (student)", add_arguments, run_command)
