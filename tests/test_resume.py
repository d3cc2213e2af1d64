"""Interrupting real runs and resuming them: a killed process, Ctrl-C in the kernel; continue training.

Each run is a real 64 px from-scratch training of 2 epochs on a 20-image sample, interrupted in
its second epoch, so that resuming must train exactly the missing epoch.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pandas as pd
import pytest

import yolo_training as yt
from yolo_training.training.runs import list_runs, read_record
from yolo_training.training.fit import checkpoint_state, continue_training, resume

FAST = dict(model="yolov8n", imgsz=64, batch=4, plots=False, verbose=False)


@pytest.fixture(scope="module")
def split20(tmp_path_factory) -> Path:
    root = tmp_path_factory.mktemp("resume_data")
    export = yt.generate_sample(root / "export", n_images=20, seed=3)
    return yt.split_dataset(export, root, config=root / "config.yaml").config


def epochs_in(csv: Path) -> list[int]:
    table = pd.read_csv(csv)
    table.columns = [c.strip() for c in table.columns]
    return [int(e) for e in table["epoch"]]


KILLED_RUN = textwrap.dedent(
    """
    import sys, time
    import yolo_training as yt
    config, project = sys.argv[1], sys.argv[2]

    def hang_in_second_epoch(trainer):
        if trainer.epoch == 1:
            print("MID-EPOCH", flush=True)
            time.sleep(300)  # the test kills us here, in the middle of epoch 2

    yt.train(config, model="yolov8n", epochs=2, imgsz=64, batch=4, plots=False, verbose=False,
             project=project, name="killed", callbacks={"on_train_batch_end": hang_in_second_epoch})
    """
)


def test_resume_after_killed_process(split20, tmp_path):
    project = tmp_path / "runs"
    env = {**os.environ, "YOLO_TRAINING_PROFILE": "fast"}
    proc = subprocess.Popen(
        [sys.executable, "-c", KILLED_RUN, str(split20), str(project)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env, start_new_session=True,
    )
    try:
        deadline = time.time() + 150
        seen = []
        for line in proc.stdout:
            seen.append(line)
            if "MID-EPOCH" in line or time.time() > deadline:
                break
        assert any("MID-EPOCH" in line for line in seen), "".join(seen[-30:])
    finally:
        os.killpg(proc.pid, signal.SIGKILL)  # like a killed kernel or a power cut: no clean-up at all
        proc.wait(30)
    folder = project / "killed"
    assert epochs_in(folder / "results.csv") == [1]
    assert checkpoint_state(folder / "weights" / "last.pt")["resumable"]
    # the record still says "training", but its process is gone: the registry shows it stopped
    assert read_record(folder)["status"] == "training"
    assert list_runs(project).set_index("name").loc["killed", "status"] == "stopped"

    run = resume("killed", project=project, verbose=False)

    assert run.dir == folder.resolve()
    assert epochs_in(folder / "results.csv") == [1, 2]  # epoch 2 trained once, epoch 1 not repeated
    assert run.best.is_file() and run.last.is_file()
    assert not checkpoint_state(run.last)["resumable"]  # finished: the optimizer is stripped
    assert read_record(folder)["status"] == "completed"
    assert read_record(folder)["resumed"] == 1
    assert not (project / "killed2").exists() and not (project / "train").exists()  # no coco8 side run

    # resuming a finished run is a clear message, never a silent new training
    before = sorted(p.name for p in project.iterdir())
    with pytest.raises(yt.YoloTrainingError, match="finished its 2 epochs.*continue_training"):
        resume(run, verbose=False)
    assert sorted(p.name for p in project.iterdir()) == before


class _Interrupt:
    """Raises KeyboardInterrupt (what Ctrl-C or Jupyter's interrupt does) at the first batch of epoch 2."""

    def __call__(self, trainer):
        if trainer.epoch == 1:
            raise KeyboardInterrupt


def test_keyboard_interrupt_then_resume_then_continue(split20, tmp_path):
    project = tmp_path / "runs"
    with pytest.raises(KeyboardInterrupt):
        yt.train(split20, epochs=2, project=project, name="ctrlc", callbacks={"on_train_batch_end": _Interrupt()}, **FAST)
    folder = project / "ctrlc"
    assert read_record(folder)["status"] == "stopped"
    assert epochs_in(folder / "results.csv") == [1]

    # data that moved is a clear error before any training
    with pytest.raises(yt.YoloTrainingError, match="no longer exists.*data="):
        resume(folder, data=tmp_path / "moved" / "config.yaml", verbose=False)
    assert epochs_in(folder / "results.csv") == [1]

    run = resume(folder, verbose=False)
    assert epochs_in(run.results_csv) == [1, 2]
    assert read_record(folder)["status"] == "completed"
    assert set(run.metrics) >= {"precision", "recall", "mAP50", "mAP50-95"}

    # continue training: a NEW run from best.pt, with frozen layers, beside the old one
    more = continue_training(run, epochs=1, freeze=5, batch=4, plots=False, verbose=False)
    assert more.dir == (project / "ctrlc-continued").resolve()
    assert epochs_in(more.results_csv) == [1]
    record = read_record(more.dir)
    assert record["kind"] == "continue" and record["parent"] == str(folder.resolve())
    assert record["settings"]["freeze"] == 5
    assert epochs_in(run.results_csv) == [1, 2]  # the original run is untouched
    table = list_runs(project).set_index("name")
    assert table.loc["ctrlc", "status"] == "completed" and table.loc["ctrlc-continued", "kind"] == "continue"


def test_resume_before_first_epoch_is_clear(split20, tmp_path):
    folder = tmp_path / "runs" / "empty"
    (folder / "weights").mkdir(parents=True)
    (folder / "args.yaml").write_text("task: detect\n")
    with pytest.raises(yt.YoloTrainingError, match="no weights/last.pt"):
        resume(folder, verbose=False)
