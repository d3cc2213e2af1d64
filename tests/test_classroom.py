"""The class at a glance: runs reported to a shared folder, a SQLite file and a PostgreSQL server.

Each target gets the same class: Ada (joined with ``join_class``, in chapter 4) with a real
finished tiny run, a failed run and a run whose process died; Bob (joined through the
environment, in chapter 6) with a run that is training in this very process. The instructor's
table must say the same for every target. Nothing is written anywhere before a student opts in.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime, timedelta
from pathlib import Path

import pytest

import yolo_training as yt
from yolo_training.classroom import class_view as classroom
from yolo_training.training import runs
from yolo_training.cli import main as cli_main

HERE = classroom.machine_name()  # Bob's machine is called lab-02 (patched)


@pytest.fixture
def project(tmp_path, monkeypatch) -> Path:
    """An empty project folder (YOLO_TRAINING_HOME) and no class settings in the environment."""
    root = tmp_path / "project"
    root.mkdir()
    monkeypatch.setenv("YOLO_TRAINING_HOME", str(root))
    for name in (classroom.CLASS_VARIABLE, classroom.STUDENT_VARIABLE, classroom.CHAPTER_VARIABLE, "JPY_SESSION_NAME"):
        monkeypatch.delenv(name, raising=False)
    return root


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()
    return proc.pid


def _at(minutes: float) -> str:
    return (datetime.now().astimezone() + timedelta(minutes=minutes)).isoformat(timespec="seconds")


def _fake_run(project: Path, name: str, minutes: tuple[float, float, float | None], **fields) -> Path:
    """A run record as train() writes it (through the registry's own writer), its times ``minutes`` from now."""
    folder = project / "runs" / "detect" / name
    created, started, ended = (None if m is None else _at(m) for m in minutes)
    runs.write_record(folder, name=name, task="detect", model="yolov8n", settings={"epochs": 30},
                      created=created, started=started, ended=ended, **fields)
    return folder


def _class_of_two(target: str, project: Path, tiny_run, monkeypatch) -> None:
    """Ada joins and reports three runs from chapter 4; Bob reports a live run from chapter 6 via the environment."""
    yt.join_class(target, "Ada")
    monkeypatch.setenv(classroom.CHAPTER_VARIABLE, "4")
    assert yt.report_run(tiny_run.dir)
    home_error = f"FileNotFoundError: {Path.home() / 'photos' / 'x.jpg'} is missing"
    failed = _fake_run(project, "failed", (1, 1.1, 2),
                       status="failed", error=home_error)
    assert yt.report_run(failed)
    died = _fake_run(project, "died", (-60, -59, None),
                     status="training", pid=_dead_pid(), host=classroom.socket.gethostname())
    assert yt.report_run(died)
    assert yt.leave_class()
    # Bob: another student on another machine, opted in through the environment
    monkeypatch.setenv(classroom.CLASS_VARIABLE, target)
    monkeypatch.setenv(classroom.STUDENT_VARIABLE, "Bob")
    monkeypatch.setenv(classroom.CHAPTER_VARIABLE, "6")
    monkeypatch.setattr(classroom, "machine_name", lambda: "lab-02")
    for folder in (failed, died):  # Bob's project holds only his live run
        runs.remove_run_folder(folder)
    live = _fake_run(project, "live", (0, 0, None),
                     status="training", pid=os.getpid(), host=classroom.socket.gethostname())
    assert yt.report_run(live)


def _check_table(target: str, tiny_run) -> None:
    table = yt.class_status(target)
    assert list(table.columns) == classroom.COLUMNS
    assert list(table["student"]) == ["Ada", "Bob"]
    ada, bob = table.iloc[0], table.iloc[1]
    assert ada["machine"] == HERE and bob["machine"] == "lab-02"
    assert (ada["chapter"], bob["chapter"]) == (4, 6)
    assert (ada["runs"], bob["runs"]) == (3, 1)
    assert ada["best mAP50"] == pytest.approx(round(tiny_run.metrics["mAP50"], 3), abs=1e-6)
    assert ada["status"].startswith("failed: FileNotFoundError: ~") and str(Path.home()) not in ada["status"]
    assert bob["status"] == "training" and bob["last run"] == "live"
    by_run = yt.class_runs(target).set_index("name")
    assert by_run.loc["died", "status"] == "stopped"  # its process is gone
    assert by_run.loc["tiny", "status"] == "completed" and by_run.loc["tiny", "chapter"] == 4
    fig = yt.plot_class(target)
    assert len(fig.axes[0].patches) == 2  # one bar per student


def test_nothing_is_sent_without_opting_in(project, tiny_run, tmp_path):
    share = tmp_path / "share"
    share.mkdir()
    assert classroom.class_settings() is None
    assert yt.report_run(tiny_run.dir) is False
    assert classroom.check_in(4) is False
    assert list(share.iterdir()) == []
    assert not (project / classroom.SETTINGS_FILE).exists()


def test_a_shared_folder_holds_one_file_per_student_names_only(project, tiny_run, tmp_path, monkeypatch):
    share = tmp_path / "share"
    share.mkdir()
    _class_of_two(str(share), project, tiny_run, monkeypatch)
    _check_table(str(share), tiny_run)
    files = sorted(p.name for p in share.iterdir())
    assert files == [f"Ada@{HERE}.json", "Bob@lab-02.json"]  # no temporary file left behind
    text = "".join((share / f).read_text() for f in files)
    for private in (str(tmp_path), str(Path.home()), str(tiny_run.dir)):
        assert private not in text
    ada = json.loads((share / files[0]).read_text())
    assert set(ada) == {"student", "machine", "chapter", "updated", "runs"}
    assert set(next(iter(ada["runs"].values()))) == {"run", "name", "task", "model", "status", "message", "chapter",
                                                       "epochs_done", "epochs", "mAP50", "updated"}


def test_a_sqlite_file_gives_the_same_table(project, tiny_run, tmp_path, monkeypatch):
    target = str(tmp_path / "class.db")
    _class_of_two(target, project, tiny_run, monkeypatch)
    _check_table(target, tiny_run)
    _check_table(f"sqlite:///{tmp_path / 'class.db'}", tiny_run)


def test_a_postgresql_server_gives_the_same_table(project, tiny_run, monkeypatch, postgres_url):
    _class_of_two(postgres_url, project, tiny_run, monkeypatch)
    _check_table(postgres_url, tiny_run)


def test_join_refuses_what_is_not_a_name_or_not_reachable(project, tmp_path):
    share = tmp_path / "share"
    share.mkdir()
    for bad in ("ada@example.com", "", "a" * 41, "../../etc"):
        with pytest.raises(yt.ClassError, match="cannot be used as a name"):
            yt.join_class(share, bad)
    with pytest.raises(yt.ClassError, match="does not exist or is not reachable"):
        yt.join_class(tmp_path / "not-mounted", "Ada")
    assert classroom.class_settings() is None and list(share.iterdir()) == []


def test_an_unreachable_target_never_stops_a_training(project, tiny_run, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv(classroom.CLASS_VARIABLE, str(tmp_path / "share-not-mounted"))
    monkeypatch.setenv(classroom.STUDENT_VARIABLE, "Ada")
    assert yt.report_run(tiny_run.dir) is False
    assert yt.report_run(tiny_run.dir) is False
    err = capsys.readouterr().err
    assert err.count("could not report to the class") == 1 and "share-not-mounted" in err


def test_the_chapter_is_the_notebook_that_runs(project, monkeypatch):
    monkeypatch.setenv("JPY_SESSION_NAME", "/home/x/course/06_fine_tuning.ipynb")
    assert classroom.current_chapter() == 6
    monkeypatch.setenv(classroom.CHAPTER_VARIABLE, "3")
    assert classroom.current_chapter() == 3
    monkeypatch.delenv(classroom.CHAPTER_VARIABLE)
    monkeypatch.setenv("JPY_SESSION_NAME", "scratch.ipynb")
    assert classroom.current_chapter() is None


def test_the_command_line_joins_and_shows_the_class(project, tiny_run, tmp_path, capsys):
    share = tmp_path / "share"
    share.mkdir()
    assert cli_main(["class", "join", str(share), "--name", "Ada"]) == 0
    assert yt.report_run(tiny_run.dir)
    png = tmp_path / "board.png"
    assert cli_main(["class", "status", str(share), "--plot", str(png)]) == 0
    out = capsys.readouterr().out
    assert "Joined the class" in out and "Ada" in out and "finished" in out and png.stat().st_size > 1000
    assert cli_main(["class", "leave"]) == 0
    assert classroom.class_settings() is None


def test_a_real_training_reports_itself_when_the_student_joined(project, tiny_split, tmp_path):
    # No manual report: train() tells the class at each status change once the student opted in.
    target = tmp_path / "class-folder"
    target.mkdir()  # the instructor's shared folder
    yt.join_class(str(target), "Cleo")
    run = yt.train(tiny_split, epochs=1, imgsz=64, batch=8, name="cleo-first", project=project / "runs" / "detect", verbose=False)
    table = yt.class_status(str(target))
    row = table[table["student"] == "Cleo"].iloc[0]
    assert row["status"] == "finished" and row["runs"] == 1
    assert str(target) not in str(run.dir) and list(target.iterdir())  # written to the class folder only


def test_starting_a_chapter_tells_the_class_where_the_student_is(project, tmp_path):
    share = tmp_path / "share"
    share.mkdir()
    yt.start_chapter(3, needs="project")  # not joined: nothing is written anywhere
    assert list(share.iterdir()) == []
    yt.join_class(share, "Ada")
    yt.start_chapter(3, needs="project")
    assert json.loads((share / f"Ada@{HERE}.json").read_text())["chapter"] == 3
    table = yt.class_status(share)
    assert table.loc[0, "chapter"] == 3
