"""A chapter's set-up in one call, and the course's time budgets in one table."""

from __future__ import annotations

import dataclasses
import os
import re
import sys
from pathlib import Path

import nbformat
import pytest

import yolo_training as yt
from yolo_training.course import chapters as chapter
from yolo_training.training import runs

from conftest import ROOT


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


# ---------------------------------------------------------------------------------------------
# The chapter registry: everything that lists the chapters agrees with it

NOTEBOOKS = ROOT / "notebooks"


def _mermaid(markdown: str) -> str | None:
    found = re.search(r"```mermaid\n(.*?)\n```", markdown, re.S)
    return found.group(1).strip("\n") if found else None


def test_every_notebook_is_a_row_of_the_registry_and_every_row_a_notebook():
    assert sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb")) == sorted(c.notebook for c in chapter.CHAPTERS)
    assert [c.number for c in chapter.CHAPTERS] == list(range(1, len(chapter.CHAPTERS) + 1))
    for info in chapter.CHAPTERS:
        assert info.needs in chapter.NEEDS and info.minutes > 0, info
        assert info.starts_from is None or info.starts_from < info.number, f"chapter {info.number} starts from a later one"
        assert chapter.chapter_info(info.number) is info
    with pytest.raises(yt.YoloTrainingError, match="Inference"):
        chapter.chapter_info(len(chapter.CHAPTERS) + 1)


@pytest.mark.parametrize("info", chapter.CHAPTERS, ids=lambda c: c.notebook)
def test_each_notebook_agrees_with_its_row(info):
    nb = nbformat.read(NOTEBOOKS / f"{info.notebook}.ipynb", as_version=4)
    assert nb.cells[0].source.startswith(f"# {info.number}. {info.title}"), "the heading is the row's number and title"
    diagram = next((_mermaid(c.source) for c in nb.cells if c.cell_type == "markdown" and "```mermaid" in c.source), None)
    expected = chapter.path_diagram(info.number)
    assert diagram == expected, f"{info.notebook}'s 'where we are' diagram should be:\n```mermaid\n{expected}\n```"
    setup = [c.source for c in nb.cells if c.cell_type == "code"][1]
    assert f'yt.start_chapter({info.number}, needs="{info.needs}")' in setup
    later = [c for c in chapter.CHAPTERS if c.number == info.number + 1]
    if later:
        assert f"**Next:** [{later[0].step}]({later[0].notebook}.ipynb)" in nb.cells[-1].source


def test_readme_and_home_page_list_the_registry_chapters():
    readme = (ROOT / "README.md").read_text(encoding="utf-8").split("## The path", 1)[1].split("\n## ", 1)[0]
    assert re.findall(r"^\| [^|]+ \| `(\w+)` \|", readme, re.M) == [c.notebook for c in chapter.CHAPTERS], \
        "README's path table: one row per chapter of the registry, in order"
    home = (ROOT / "docs" / "index.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| (\d+) \| \[([^\]]+)\]\(notebooks/(\w+)\.ipynb\) \|", home, re.M)
    assert rows == [(str(c.number), c.title, c.notebook) for c in chapter.CHAPTERS], "docs/index.md's table of chapters"
    assert _mermaid(home) == chapter.path_diagram(), f"docs/index.md's diagram should be:\n{chapter.path_diagram()}"


def test_the_site_and_the_benchmark_read_the_same_rows_without_importing_the_package():
    sys.path.insert(0, str(ROOT / "docs" / "hooks"))
    try:
        import execute
    finally:
        sys.path.remove(str(ROOT / "docs" / "hooks"))
    assert execute.read_chapters(Path(chapter.__file__)) == [dataclasses.asdict(c) for c in chapter.CHAPTERS]


def test_the_site_menu_and_execution_order_come_from_the_registry(monkeypatch):
    pytest.importorskip("mkdocs")
    pytest.importorskip("mkdocs_jupyter")
    from mkdocs.config import load_config

    monkeypatch.syspath_prepend(str(ROOT / "docs" / "hooks"))
    monkeypatch.setenv("NO_MKDOCS_2_WARNING", "1")
    import notebooks as hook

    config = hook.on_config(load_config(str(ROOT / "mkdocs.yml")))
    section = next(e["The course"] for e in config.nav if isinstance(e, dict) and "The course" in e)
    assert section == [{f"{c.number}. {c.title}": f"notebooks/{c.notebook}.ipynb"} for c in chapter.CHAPTERS]
    assert [p.stem for p in hook._chapters()] == [c.notebook for c in chapter.CHAPTERS]
    by_number = {c.number: c.notebook for c in chapter.CHAPTERS}
    assert hook._build["starts_from"] == {c.notebook: by_number[c.starts_from] for c in chapter.CHAPTERS if c.starts_from}
