"""A chapter's set-up in one call, and the course's time budgets in one table."""

from __future__ import annotations

import os

import pytest

import yolo_training as yt
from yolo_training.course import chapters as chapter
from yolo_training.training import runs
def test_chapters_4_to_7_fit_twenty_minutes_on_the_reference_machine():
    table = yt.course_budgets()
    chapters = table[table.run == ""].set_index("chapter")["expected_min"]
    assert chapters.loc[4:7].sum() <= 20
    cells = table[table.run != ""].groupby("chapter")["expected_min"].sum()
    for number, minutes in cells.items():
        if number == 2:  # its cell runs only with Label Studio, which the measured chapter time leaves out
            continue
        # the cells and the chapters were measured in two runs of the course: 10 % apart at most
        assert minutes <= 1.1 * chapters[number], f"chapter {number}: its training cells alone take longer than the chapter"
    # chapter 4's run is bounded by time (it must learn the sample: mAP50 >= 0.85 in its budget, measured by the lead)
    assert chapter.BUDGETS["course"].minutes is not None


def test_every_budget_bounds_its_run():
    for name, entry in chapter.BUDGETS.items():
        settings = chapter.budget_settings(name)
        if entry.minutes is not None:
            assert settings["time"] == pytest.approx(entry.minutes / 60, abs=1e-4)
        elif name != "course-resumed":  # resume keeps the run's own epochs
            assert settings.get("epochs") or settings.get("budget_per_trial"), name
        assert entry.expected > 0, name


def test_one_setting_scales_every_budget(monkeypatch, capsys):
    plain = {name: chapter.budget_settings(name) for name in chapter.BUDGETS}
    monkeypatch.setenv("YOLO_TRAINING_TIME_SCALE", "1.5")
    for name, settings in plain.items():
        scaled = chapter.budget_settings(name)
        if "time" in settings:
            assert scaled["time"] == pytest.approx(1.5 * settings["time"], abs=1e-4)
        assert {k: v for k, v in scaled.items() if k != "time"} == {k: v for k, v in settings.items() if k != "time"}
    assert yt.course_budgets()["expected_min"].sum() == pytest.approx(
        1.5 * sum(b.expected for b in chapter.BUDGETS.values()) + 1.5 * sum(chapter.CHAPTER_MINUTES.values()), abs=0.1)
    yt.Chapter(4, None, None, None).budget("course")
    line = capsys.readouterr().out
    assert "time budget 7.5 min" in line and "YOLO_TRAINING_TIME_SCALE=1.5" in line
    for bad in ("fast", "0", "-1", "nan"):
        monkeypatch.setenv("YOLO_TRAINING_TIME_SCALE", bad)
        with pytest.raises(yt.YoloTrainingError, match="YOLO_TRAINING_TIME_SCALE"):
            chapter.budget_settings("course")


def test_an_unknown_budget_or_need_says_what_exists():
    with pytest.raises(yt.YoloTrainingError, match="course-s"):
        chapter.budget_settings("course-xl")
    with pytest.raises(yt.YoloTrainingError, match="'split'"):
        yt.start_chapter(3, needs="data")


def test_the_search_budget_is_the_default_space_with_the_course_changes():
    space = chapter.budget_settings("course-search")["space"]
    default = yt.default_space(budget_per_trial=chapter.BUDGETS["course-search"].settings["budget_per_trial"])
    assert space.keys() >= default.keys()
    assert space["model"] == "yolov8n" and space["fraction"] == 0.25


@pytest.mark.slow
def test_start_chapter_in_a_hosted_notebook_draws_the_sample(tmp_path, monkeypatch, capsys):
    """No project around the notebook (Colab): the sample is drawn and the split made, each once, in one line."""
    monkeypatch.setenv("YOLO_TRAINING_HOME", str(tmp_path))
    ch = yt.start_chapter(3, needs="split")
    first = capsys.readouterr().out.strip().splitlines()[-1]
    assert first.startswith(f"Chapter 3 in {tmp_path.name}: sample export drawn (360 photos), split made now 288/72 (train/val)")
    assert ch.root == tmp_path and ch.config == tmp_path / "config.yaml" and ch.config.is_file() and ch.run is None
    assert (tmp_path / "annotations" / "images" / "train").is_dir()
    yt.start_chapter(3, needs="split")
    minutes = chapter.CHAPTER_MINUTES[3]
    assert capsys.readouterr().out.strip() == f"Chapter 3 in {tmp_path.name}: export 360 photos, split 288/72 (train/val); about {minutes:.1f} min on 2 CPU cores."


@pytest.mark.slow
def test_a_later_chapter_trains_chapter_4s_run_once(course_project, capsys):
    """Chapter 5 opened first: chapter 4's run is trained with chapter 4's settings, then reused."""
    ch = yt.start_chapter(5, needs="run")
    out = capsys.readouterr().out
    assert "training it now with chapter 4's settings" in out and "time budget" in out
    assert ch.run.dir == course_project / "runs" / "detect" / "course" and ch.run.best.is_file()
    record = yt.list_runs().set_index("name").loc["course"]
    assert record["model"] == "yolov8n" and record["settings"]["imgsz"] == 64  # the fast profile's cap of 224
    again = yt.start_chapter(6, needs="run")
    out = capsys.readouterr().out
    assert "training" not in out and "chapter 4's run 'course'" in out and again.run.dir == ch.run.dir


def test_a_run_still_training_is_not_trained_again(course_project):
    folder = course_project / "runs" / "detect" / "course"
    runs.write_record(folder, status="training", pid=os.getpid())
    (course_project / "annotations" / "images" / "train").mkdir(parents=True)
    (course_project / "config.yaml").write_text("path: annotations\n")
    with pytest.raises(yt.YoloTrainingError, match="still training"):
        yt.start_chapter(5, needs="run")
