"""Every chapter twice in a row in one project folder, the second time with other settings.

That is what a student who experiments does: run a chapter, change a value or two, run it again.
The second run also halves every time budget (``YOLO_TRAINING_TIME_SCALE=0.5``). Whatever the
first run left behind (runs of the same name, the split, a search study, the photos) must not
break the second. The chapters build on each other in one project, in order; fast profile.
"""

from __future__ import annotations

import nbformat
import pytest
from nbclient import NotebookClient

from yolo_training.course.chapters import CHAPTERS

from conftest import ROOT, tree_fingerprint

pytestmark = pytest.mark.slow

# What a student changes before running a chapter again: (text in the chapter, replacement). A chapter of the
# registry without an entry here runs twice unchanged.
EXPERIMENTS = {
    "01_data_acquisition": [("every=5, max_images=8", "every=3, max_images=6"), ("every_seconds=0.5", "every_seconds=1")],
    "02_annotation": [("label_files[:8]", "label_files[:4]")],
    "03_dataset_split": [("ratios=(0.8, 0.2), seed=42", "ratios=(0.75, 0.25), seed=7")],
    "04_training": [('run = yt.train(ch.config, **settings', 'settings["batch"] = 4  # a smaller batch\nrun = yt.train(ch.config, **settings'),
                    ('name="panel"', 'name="my-panel"')],
    "05_metrics": [("truth = (100, 100, 200, 160)", "truth = (90, 100, 200, 170)")],
    "06_fine_tuning": [('study = yt.explore(', 'search["space"]["fraction"] = 0.5  # more photos per trial\nstudy = yt.explore(')],
    "07_inference": [("conf=0.25", "conf=0.3"), ("seconds=2, fps=10", "seconds=1, fps=12")],
}


def _experiment(nb, name: str):
    for old, new in EXPERIMENTS.get(name, []):
        cells = [c for c in nb.cells if c.cell_type == "code" and old in c.source]
        assert cells, f"{name}: the experiment expects {old!r} in a code cell; update EXPERIMENTS with the chapter"
        for cell in cells:
            cell.source = cell.source.replace(old, new)
    return nb


def _run(nb, project) -> None:
    NotebookClient(nb, timeout=1200, kernel_name="python3", resources={"metadata": {"path": str(project / "notebooks")}}).execute()


def test_every_experiment_is_a_chapter():
    assert set(EXPERIMENTS) <= {c.notebook for c in CHAPTERS}


@pytest.mark.parametrize("name", [c.notebook for c in CHAPTERS])
def test_a_chapter_runs_twice_the_second_time_with_other_settings(name, module_course_project, monkeypatch):
    project = module_course_project
    monkeypatch.setenv("YOLO_TRAINING_NO_LABEL_STUDIO", "1")  # chapter 2's live part is nbval's to run
    first = nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4)
    second = _experiment(nbformat.read(ROOT / "notebooks" / f"{name}.ipynb", as_version=4), name)
    _run(first, project)
    monkeypatch.setenv("YOLO_TRAINING_TIME_SCALE", "0.5")
    _run(second, project)
    printed = "".join(o.get("text", "") for c in second.cells if c.cell_type == "code" for o in c.outputs)
    assert "YOLO_TRAINING_TIME_SCALE=0.5" in printed, "the chapter's set-up line shows the scaled time"
    if name == "06_fine_tuning":
        assert "Study 'course-2'" in printed, "the changed search space went to a new study, the first one kept"
    assert tree_fingerprint(project / "annotations" / "export") == tree_fingerprint(ROOT / "annotations" / "export"), \
        "the chapters never change the export"
