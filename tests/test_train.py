"""Training through the package: checks before training, registry, live progress, OOM, DDP path, tasks.

Real trainings are from scratch at 64 px (32 px for classification) on 20-image samples.
"""

from __future__ import annotations

import json
import sys
import threading
import time
import types
from pathlib import Path

import pandas as pd
import pytest

import yolo_training as yt
from yolo_training.training import progress as pg
from yolo_training.training.runs import delete_run, find_run, list_runs, read_record, write_record
from yolo_training.training.fit import checkpoint_state, _new_run_folder, continue_training, resume

FAST = dict(model="yolov8n", imgsz=64, batch=4, plots=False, verbose=False)


def epochs_in(csv: Path) -> list[int]:
    table = pd.read_csv(csv)
    table.columns = [c.strip() for c in table.columns]
    return [int(e) for e in table["epoch"]]


# ---------------------------------------------------------------------------------------------
# Bad input: clear errors before any training starts


@pytest.mark.parametrize(
    "kwargs, message",
    [
        (dict(imgsz=50), "multiple of 32"),
        (dict(epochs=0), "at least 1"),
        (dict(name="a/b"), "plain name"),
        (dict(name="..\\b"), "plain name"),
        (dict(best_metric="accuracy"), "not a detect metric"),
    ],
)
def test_bad_settings_fail_before_training(tiny_split, tmp_path, kwargs, message):
    with pytest.raises(yt.YoloTrainingError, match=message):
        yt.train(tiny_split, project=tmp_path, **{**FAST, **kwargs})
    assert not any(tmp_path.iterdir())  # nothing was started


def test_empty_folders_fail_before_training(tmp_path):
    (tmp_path / "images" / "train").mkdir(parents=True)
    (tmp_path / "images" / "val").mkdir(parents=True)
    config = tmp_path / "config.yaml"
    config.write_text("path: .\ntrain: images/train\nval: images/val\nnames: {0: a}\n")
    with pytest.raises(yt.YoloTrainingError, match="no images"):
        yt.train(config, project=tmp_path / "runs", **FAST)
    classify = tmp_path / "cls"
    (classify / "train" / "a").mkdir(parents=True)
    (classify / "val" / "a").mkdir(parents=True)
    with pytest.raises(yt.YoloTrainingError, match="holds no images"):
        yt.train(classify, task="classify", project=tmp_path / "runs", **FAST)
    assert not (tmp_path / "runs").exists()


def test_tensorboard_absent_is_a_clear_message(tiny_split, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorboard", None)  # as on a machine without it
    with pytest.raises(yt.YoloTrainingError, match="pip install"):
        yt.train(tiny_split, project=tmp_path, tensorboard=True, **FAST)


def test_out_of_memory_names_the_settings_to_lower(tiny_split, tmp_path):
    def oom(trainer):
        raise RuntimeError("DefaultCPUAllocator: not enough memory: you tried to allocate 123456789 bytes.")

    with pytest.raises(yt.YoloTrainingError, match=r"out of memory.*batch \(now 4.*imgsz now 64.*smaller model.*cache") as info:
        yt.train(tiny_split, epochs=1, project=tmp_path, name="oom", callbacks={"on_train_batch_start": oom}, **FAST)
    assert isinstance(info.value.__cause__, RuntimeError)
    assert read_record(tmp_path / "oom")["status"] == "failed"


# ---------------------------------------------------------------------------------------------
# Registry


def test_registry_lists_the_real_run(tiny_run):
    table = list_runs(tiny_run.dir.parent)
    row = table.set_index("name").loc["tiny"]
    assert row["status"] == "completed" and row["task"] == "detect" and row["model"] == "yolov8n"
    assert row["epochs_done"] == 1 and row["epochs"] == 1
    assert row["settings"]["imgsz"] == 64 and row["data"].endswith("config.yaml")
    assert row["mAP50-95"] == pytest.approx(tiny_run.metrics["mAP50-95"])
    assert row["started"] <= row["ended"]
    assert (tiny_run.dir / "train.log").read_text().strip()  # Ultralytics' full log is kept


def test_names_overwrite_and_delete(tmp_path):
    project = tmp_path / "runs"
    first = _new_run_folder(project, "exp", overwrite=False)
    write_record(first, name="exp", status="completed", task="detect")
    (first / "weights").mkdir()
    second = _new_run_folder(project, "exp", overwrite=False)
    assert second.name == "exp2" and first.is_dir()  # name taken: a new folder
    again = _new_run_folder(project, "exp", overwrite=True)
    assert again == first and not (first / "weights").exists()  # replaced
    write_record(second, name="exp2", status="completed", task="detect")
    assert sorted(list_runs(project)["name"]) == ["exp2"]  # "exp" was emptied, it has no record yet
    assert delete_run("exp2", project) == second and not second.exists()
    with pytest.raises(yt.YoloTrainingError, match="No run named 'exp2'"):
        find_run("exp2", project)
    # a folder that is not a run is never deleted
    precious = project / "notes"
    precious.mkdir()
    (precious / "mine.txt").write_text("keep")
    with pytest.raises(yt.YoloTrainingError, match="does not look like a training run"):
        _new_run_folder(project, "notes", overwrite=True)
    assert (precious / "mine.txt").read_text() == "keep"


# ---------------------------------------------------------------------------------------------
# Live progress


def test_text_progress_and_best_metric(tmp_path, capsys):
    export = yt.generate_sample(tmp_path / "export", n_images=8, seed=2)
    config = yt.split_dataset(export, tmp_path, ratios=(0.75, 0.25), config=tmp_path / "config.yaml").config
    seen = []

    def record_fitness(trainer):
        seen.append((trainer.fitness, trainer.metrics.get("metrics/recall(B)"), trainer.best_fitness))

    with pytest.warns(UserWarning, match="batch=8 is larger than the 6 training images"):
        run = yt.train(config, epochs=2, project=tmp_path / "runs", name="watched", best_metric="recall",
                       progress="text", callbacks={"on_fit_epoch_end": record_fitness}, **{**FAST, "verbose": True, "batch": 8})
    out = capsys.readouterr().out
    assert "batch capped at 6" in out  # 6 training images < batch 8: warned and capped
    assert read_record(run.dir)["settings"]["batch"] == 6
    lines = [ln for ln in out.splitlines() if ln.startswith("epoch ")]
    assert [ln.split(" | ")[0] for ln in lines] == ["epoch 1/2", "epoch 2/2"]
    assert "mAP50-95" in lines[-1] and "ETA 0:00" in lines[-1]
    assert "Estimated training time" in out and "completed 2 epochs" in out
    assert "Starting training for" not in out  # Ultralytics' log went to the file instead
    assert "Starting training for" in (run.dir / "train.log").read_text()
    # best.pt and early stopping follow the named metric
    per_epoch = seen[:2]
    assert all(fit == pytest.approx(recall) for fit, recall, _ in per_epoch)
    assert per_epoch[-1][2] == pytest.approx(max(r for _, r, _ in per_epoch))
    # the epoch of best.pt is recorded as Ultralytics saves it, and every reader of the run uses it
    recalls = [r for _, r, _ in per_epoch]
    expected = len(recalls) - recalls[::-1].index(max(recalls))  # of equal scores the last: best.pt is written again on a tie
    assert read_record(run.dir)["best_epoch"] == expected == yt.Run.from_dir(run.dir).best_epoch
    assert yt.load_results(run).attrs["best_epoch"] == expected
    assert yt.compare_runs([run])[0].loc[0, "best_epoch"] == expected


def test_progress_numbers_eta_and_early_stop_correction():
    live = pg.LiveProgress(view=None)
    loader = [0] * 4
    trainer = types.SimpleNamespace(epochs=10, start_epoch=0, epoch=0, train_loader=loader, tloss={"box_loss": 1.0},
                                    metrics={"metrics/mAP50(B)": 0.5}, stopper=types.SimpleNamespace(
                                        possible_stop=False, best_epoch=1, patience=2), stop=False)
    live.on_train_start(trainer)
    for epoch in range(3):
        trainer.epoch = epoch
        live.on_train_epoch_start(trainer)
        for _ in loader:
            time.sleep(0.01)
            live.on_train_batch_end(trainer)
        if epoch == 0:
            assert live.state["estimate"] > 0  # from the warm-up batches, before any epoch ends
        live.on_train_epoch_end(trainer)
        live.on_fit_epoch_end(trainer)
    s = live.state
    assert len(s["history"]) == 3 and s["metrics"]["mAP50"] == 0.5
    assert s["eta"] == pytest.approx(s["elapsed"] / 3 * 7, rel=0.05)  # 7 epochs left at the measured pace
    trainer.epoch = 3  # Ultralytics' final validation of best.pt comes with epoch + 1
    live.on_fit_epoch_end(trainer)
    assert len(s["history"]) == 3
    live.on_train_end(trainer)  # early stopping after epoch 3 of 10
    assert s["eta"] == 0 and "stopped early at epoch 3/10" in s["message"] and "patience" in s["message"]


def test_time_budget_caps_the_first_estimate():
    live = pg.LiveProgress(view=None)
    loader = [0] * 4
    budget_hours = 0.5 / 3600  # half a second
    trainer = types.SimpleNamespace(epochs=100, start_epoch=0, epoch=0, train_loader=loader, tloss=None,
                                    args=types.SimpleNamespace(time=budget_hours))
    live.on_train_start(trainer)
    live.on_train_epoch_start(trainer)
    for _ in loader:
        time.sleep(0.01)
        live.on_train_batch_end(trainer)
    # 100 epochs of 4 batches at 10 ms would be about 4 s; the run ends at its budget instead
    assert live.state["estimate"] == pytest.approx(0.5)


def test_widget_view_updates_in_place():
    view = pg.WidgetView("t")
    state = dict(epoch=1, epochs=3, batch=2, batches=4, losses={"box_loss": 1.5}, metrics={"mAP50": 0.25},
                 history=[{"epoch": 1, "train/box_loss": 1.5, "val/box_loss": 1.7, "mAP50": 0.25}],
                 elapsed=12.0, eta=24.0, estimate=40.0, message="training", first_epoch=0)
    view.update(state)
    assert view.batches.value == 2 and view.batches.max == 4 and view.epochs.value == 1 and view.epochs.max == 3
    assert "box_loss 1.500" in view.status.value and "mAP50 0.250" in view.status.value and "ETA 0:24" in view.status.value
    assert view.chart.value[:8] == b"\x89PNG\r\n\x1a\n"


# ---------------------------------------------------------------------------------------------
# Several GPUs (DDP): the display follows results.csv; the worker side is simulated


def test_progress_source_for_ddp(monkeypatch):
    assert pg.progress_source("cpu") == "callbacks" and pg.progress_source("0") == "callbacks"
    monkeypatch.setitem(sys.modules, "cloudpickle", None)
    with pytest.raises(yt.YoloTrainingError, match="cloudpickle"):
        pg.progress_source([0, 1])
    monkeypatch.setitem(sys.modules, "cloudpickle", types.ModuleType("cloudpickle"))
    assert pg.progress_source([0, 1]) == "results" and pg.progress_source("0,1") == "results"


def test_results_follower_feeds_the_display_from_a_simulated_worker(tiny_run, tmp_path):
    source = pd.read_csv(tiny_run.results_csv)
    rows = pd.concat([source.assign(epoch=e) for e in (1, 2, 3)], ignore_index=True)
    csv = tmp_path / "results.csv"
    live = pg.LiveProgress(view=None)
    follower = pg.ResultsFollower(csv, live, epochs=3, interval=0.05).start()

    def worker():  # rank 0 of a DDP run appends one row per epoch
        for i in range(1, 4):
            rows.iloc[:i].to_csv(csv, index=False)
            time.sleep(0.15)

    thread = threading.Thread(target=worker)
    thread.start()
    thread.join()
    follower.stop()
    assert [h["epoch"] for h in live.state["history"]] == [1, 2, 3]
    assert set(live.state["metrics"]) >= {"precision", "recall", "mAP50", "mAP50-95"}
    assert live.state["eta"] == 0


def test_fit_chooses_results_csv_under_ddp(tmp_path):
    from yolo_training.training.fit import _progress_hooks

    live = pg.LiveProgress(view=None)
    events, follower = _progress_hooks("callbacks", live, tmp_path, 3)
    assert follower is None and events[0]["on_fit_epoch_end"] == live.on_fit_epoch_end
    events, follower = _progress_hooks("results", live, tmp_path, 3)
    assert events == [] and follower.csv == tmp_path / "results.csv" and follower.progress is live


def test_ddp_device_list_is_checked_before_training(tiny_split, tmp_path):
    with pytest.raises(yt.DeviceError, match="not on this machine"):
        yt.train(tiny_split, device=[0, 1], project=tmp_path, **FAST)


# ---------------------------------------------------------------------------------------------
# Segmentation and classification: train, stop, resume, continue


def _stop_after_first_batch(event):
    def callback(trainer):
        if trainer.epoch == 0:
            event.set()

    return callback


@pytest.mark.parametrize("task, imgsz", [("segment", 64), ("classify", 32)])
def test_task_train_stop_resume_continue(task, imgsz, tmp_path):
    data = yt.generate_sample(tmp_path / "export", n_images=20, seed=5, task=task)
    if task == "segment":
        data = yt.split_dataset(data, tmp_path, config=tmp_path / "config.yaml").config
    project = tmp_path / "runs"
    stop = threading.Event()
    run = yt.train(data, task=task, epochs=2, project=project, name=task, stop=stop,
                   callbacks={"on_train_batch_end": _stop_after_first_batch(stop)}, **{**FAST, "imgsz": imgsz})
    assert read_record(run.dir)["status"] == "stopped"
    assert epochs_in(run.results_csv) == [1]
    assert checkpoint_state(run.last)["resumable"]

    run = resume(run, verbose=False)
    assert epochs_in(run.results_csv) == [1, 2]
    assert read_record(run.dir)["status"] == "completed"
    expected = {"segment": "mask_mAP50-95", "classify": "top1"}[task]
    assert expected in run.metrics

    more = continue_training(run, epochs=1, plots=False, verbose=False)
    assert more.dir.name == f"{task}-continued" and epochs_in(more.results_csv) == [1]
    assert list_runs(project).set_index("name").loc[f"{task}-continued", "task"] == task
    args = json.loads(json.dumps(read_record(more.dir)["settings"]))
    assert args["imgsz"] == imgsz


def test_cli_runs_and_resume(tiny_run, tmp_path, capsys):
    from yolo_training.cli import main

    assert main(["runs", "list", "--project", str(tiny_run.dir.parent)]) == 0
    out = capsys.readouterr().out
    assert "tiny" in out and "completed" in out
    assert main(["train", "--resume", str(tiny_run.dir)]) == 2
    assert "nothing to resume" in capsys.readouterr().err
    folder = tmp_path / "old"
    folder.mkdir()
    write_record(folder, name="old", status="failed", task="detect")
    assert main(["runs", "delete", "old", "--project", str(tmp_path)]) == 0
    assert not folder.exists()


def test_a_run_without_best_pt_is_found_and_diagnosed_by_name(tiny_run, tmp_path, capsys):
    import shutil

    from yolo_training.cli import main

    project = tmp_path / "runs"
    copy = Path(shutil.copytree(tiny_run.dir, project / "detect" / "stopped-early"))
    (copy / "weights" / "best.pt").unlink()  # a run stopped before best.pt: only last.pt and results.csv
    assert yt.find_run("stopped-early", project) == copy.resolve()
    assert yt.find_model("stopped-early", project) == copy.resolve() / "weights" / "last.pt"
    assert "too few to see a trend" in str(yt.diagnose(yt.Run.from_dir(copy), validate_model=False))
    assert main(["diagnose", str(copy), "--no-validate"]) == 0
    assert "too few to see a trend" in capsys.readouterr().out
