"""The training panel, driven headlessly: set the form, click Train, click Stop, resume from the form."""

from __future__ import annotations

import math

import pandas as pd
import pytest

import yolo_training as yt
from yolo_training.training.panel import IMAGE_SIZES, training_panel
from yolo_training.training.runs import read_record
from yolo_training.training.fit import checkpoint_state


def epochs_in(csv) -> list[int]:
    table = pd.read_csv(csv)
    table.columns = [c.strip() for c in table.columns]
    return [int(e) for e in table["epoch"]]


def test_form_offers_only_valid_choices(tiny_split, tmp_path):
    panel = training_panel(tiny_split, project=tmp_path)
    assert all(size % 32 == 0 for size in panel.imgsz.options) and IMAGE_SIZES[0] == 32
    assert set(panel.device.options) == {"auto", *yt.available_devices()}
    assert panel.stop_button.disabled and not panel.train_button.disabled
    panel.name.value = "bad/name"
    panel.train_button.click()
    assert panel.wait(60)
    assert "plain name" in panel.error and "plain name" in panel.message.value
    assert not any(tmp_path.iterdir())


def test_train_stop_resume_from_the_panel(tiny_split, tmp_path):
    panel = training_panel(tiny_split, project=tmp_path, epochs=2, imgsz=64, batch=4, name="panel")
    panel.train_button.click()
    assert panel.train_button.disabled and not panel.stop_button.disabled
    panel.stop_button.click()  # a student's quick click: the run ends after its next batch
    assert "Stopping" in panel.message.value
    assert panel.wait(180)
    assert panel.error is None, panel.error
    assert panel.view.batches.value >= 1 and "stopped at epoch 1/2" in panel.view.status.value
    folder = tmp_path / "panel"
    assert read_record(folder)["status"] == "stopped" and "stopped" in panel.message.value
    assert epochs_in(folder / "results.csv") == [1]
    assert checkpoint_state(folder / "weights" / "last.pt")["resumable"]
    assert not panel.train_button.disabled and panel.stop_button.disabled

    panel.resume.value = True
    panel.train_button.click()
    assert panel.wait(180)
    assert panel.error is None, panel.error
    assert panel.run.dir == folder.resolve()
    assert epochs_in(folder / "results.csv") == [1, 2]
    assert read_record(folder)["status"] == "completed"
    assert panel.view.epochs.value == 2 and panel.view.chart.value[:4] == b"\x89PNG"


@pytest.mark.parametrize("field, value", [("epochs", 7), ("patience", 3), ("save_period", 2)])
def test_form_values_reach_train(tiny_split, tmp_path, field, value):
    panel = training_panel(tiny_split, project=tmp_path)
    getattr(panel, field).value = value
    panel.family.value, panel.size.value, panel.task.value = "yolo11", "s", "segment"
    settings = panel.settings()
    assert settings[field] == value and settings["model"] == "yolo11s" and settings["task"] == "segment"


def test_estimate_button_times_real_batches(tiny_split, tmp_path):
    panel = training_panel(tiny_split, project=tmp_path, epochs=2, imgsz=64, batch=8)
    panel.estimate_button.click()
    assert panel.wait(300)
    assert panel.error is None, panel.error
    e = panel.estimate
    n_train = len(list((tiny_split.parent / "images" / "train").iterdir()))
    assert e["batches_per_epoch"] == math.ceil(n_train / 8) and e["epochs"] == 2
    assert e["seconds"] == pytest.approx(2 * e["per_epoch"]) and e["per_epoch"] > e["per_batch"] * 3 > 0
    assert "Estimated training time" in panel.message.value
    assert not any(tmp_path.iterdir())  # the warm-up left nothing behind
