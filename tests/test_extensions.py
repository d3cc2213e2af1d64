"""The package's extensions of Ultralytics behave as promised: best epoch per task, output scoped to one thread."""

from __future__ import annotations

import io
import logging
import sys
import threading

import pandas as pd
import pytest

import yolo_training as yt
from yolo_training.training import extensions
def _results(folder, task, rows):
    folder.mkdir(parents=True)
    (folder / "args.yaml").write_text(f"task: {task}\nmodel: yolov8n.yaml\nepochs: {len(rows)}\n")
    pd.DataFrame(rows).to_csv(folder / "results.csv", index=False)
    return folder


def test_best_epoch_follows_each_tasks_fitness_when_nothing_was_recorded(tmp_path):
    # detection: box mAP50-95; segmentation: box + mask mAP50-95; classification: mean of top-1 and top-5
    seg = _results(tmp_path / "seg", "segment", [
        {"epoch": e, "metrics/mAP50-95(B)": b, "metrics/mAP50-95(M)": m, "metrics/mAP50(B)": 0.5}
        for e, b, m in [(1, 0.30, 0.10), (2, 0.40, 0.10), (3, 0.35, 0.30)]
    ])
    assert yt.Run.from_dir(seg).best_epoch == 3  # not epoch 2, the highest box mAP50-95
    cls = _results(tmp_path / "cls", "classify", [
        {"epoch": e, "metrics/accuracy_top1": t1, "metrics/accuracy_top5": t5}
        for e, t1, t5 in [(1, 0.60, 0.70), (2, 0.50, 1.00), (3, 0.55, 0.75)]
    ])
    assert yt.Run.from_dir(cls).best_epoch == 2
    det = _results(tmp_path / "det", "detect", [
        {"epoch": e, "metrics/mAP50-95(B)": v, "metrics/mAP50(B)": 0.9 - v} for e, v in [(1, 0.2), (2, 0.4), (3, 0.4)]
    ])
    assert yt.Run.from_dir(det).best_epoch == 3  # of equal scores the last: Ultralytics writes best.pt again on a tie


def test_a_recorded_best_epoch_wins(tmp_path):
    det = _results(tmp_path / "det", "detect", [{"epoch": e, "metrics/mAP50-95(B)": v} for e, v in [(1, 0.2), (2, 0.4)]])
    (det / "run.json").write_text('{"task": "detect", "best_metric": "recall", "best_epoch": 1}')
    assert yt.Run.from_dir(det).best_epoch == 1


def test_quiet_output_is_scoped_to_the_training_thread(tmp_path, monkeypatch):
    from ultralytics.utils import LOGGER
    from ultralytics.utils.tqdm import TQDM

    screen_log = io.StringIO()
    handler = logging.StreamHandler(screen_log)
    LOGGER.addHandler(handler)
    screen = io.StringIO()
    monkeypatch.setattr(sys, "stdout", screen)
    started, finish = threading.Event(), threading.Event()

    def training():
        with extensions.capture_output(tmp_path / "train.log", quiet=True):
            LOGGER.info("from the training thread")
            for _ in TQDM(range(3), desc="training bar", mininterval=0):
                pass
            print("our own progress line")
            started.set()
            finish.wait(10)

    worker = threading.Thread(target=training)
    try:
        worker.start()
        assert started.wait(10)
        LOGGER.info("from another cell")  # while the other thread is quiet
        for _ in TQDM(range(2), desc="another bar", mininterval=0):
            pass
        finish.set()
        worker.join(10)
    finally:
        LOGGER.removeHandler(handler)
    log = (tmp_path / "train.log").read_text()
    assert "from the training thread" in log and "from another cell" not in log
    assert "from another cell" in screen_log.getvalue() and "from the training thread" not in screen_log.getvalue()
    shown = screen.getvalue()
    assert "another bar" in shown and "training bar" not in shown and "our own progress line" in shown
    assert sys.stdout is screen  # the screen is given back when no run is quiet any more


def test_tensorboard_events_without_touching_ultralytics_settings(tiny_split, tmp_path):
    pytest.importorskip("tensorboard")
    from ultralytics.utils import SETTINGS

    before = SETTINGS.get("tensorboard")
    run = yt.train(tiny_split, epochs=1, imgsz=64, batch=8, project=tmp_path, tensorboard=True, verbose=False)
    assert list(run.dir.glob("events.out.tfevents.*"))
    assert SETTINGS.get("tensorboard") == before
