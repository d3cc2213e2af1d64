"""The foundation's promises: the demo pipeline, config.yaml, model and device choice, bad input."""

import os
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import yolo_training as yt
from yolo_training.course.demo import run_demo
from yolo_training.data.config import prepare_data
from yolo_training.training.settings import FAST_PROFILE, training_settings

from conftest import ROOT, tree_fingerprint

RUN_FILES = ["results.csv", "results.png", "confusion_matrix.png", "confusion_matrix_normalized.png", "labels.jpg",
             "train_batch0.jpg", "val_batch0_labels.jpg", "val_batch0_pred.jpg", "weights/best.pt", "weights/last.pt"]


def test_demo_pipeline_end_to_end(tiny_export, tmp_path, capsys):
    shutil.copytree(tiny_export, tmp_path / "annotations" / "export")
    before = tree_fingerprint(tmp_path / "annotations" / "export")
    run = run_demo(root=tmp_path, project=tmp_path / "runs")
    out = capsys.readouterr().out
    assert [p for p in RUN_FILES if not (run.dir / p).is_file()] == []
    assert (tmp_path / "config.yaml").is_file()
    assert f"Run folder: {run.dir.relative_to(tmp_path).as_posix()}" in out  # paths shown relative to the project
    assert "Training with chapter 4's settings: course: the first model" in out
    for word in ("precision", "recall", "mAP50", "mAP50-95"):
        assert word in out
    assert set(run.metrics) >= {"precision", "recall", "mAP50", "mAP50-95"}
    assert all(0 <= v <= 1 for v in run.metrics.values())
    assert tree_fingerprint(tmp_path / "annotations" / "export") == before  # the export is never touched


def test_run_holds_weights_and_final_metrics(tiny_run):
    assert tiny_run.best.is_file() and tiny_run.last.is_file()
    assert tiny_run.dir.name == "tiny" and tiny_run.task == "detect"
    again = yt.Run.from_dir(tiny_run.dir)
    assert set(again.metrics) == {"precision", "recall", "mAP50", "mAP50-95"}
    assert yaml.safe_load((tiny_run.dir / "args.yaml").read_text())["imgsz"] == 64


def test_committed_config_is_the_one_the_split_writes(tmp_path):
    result = yt.split_dataset(ROOT / "annotations" / "export", tmp_path / "annotations", config=tmp_path / "config.yaml")
    assert (tmp_path / "config.yaml").read_text() == (ROOT / "config.yaml").read_text()
    names = yaml.safe_load((ROOT / "config.yaml").read_text())["names"]
    assert names == {0: "10 euro", 1: "5 euro"}  # read from notes.json, never assumed
    assert result.table.loc["val", "images"] == 72 and result.table.loc["train", "images"] == 288


def test_config_paths_work_from_any_folder(tiny_split, tmp_path, monkeypatch):
    written = yaml.safe_load(tiny_split.read_text())
    assert "path" not in written and not any(Path(written[s]).is_absolute() for s in ("train", "val"))
    from ultralytics.data.utils import check_det_dataset

    monkeypatch.chdir(tmp_path)
    data = check_det_dataset(prepare_data(tiny_split))
    assert Path(data["train"]).is_dir() and Path(data["val"]).is_dir()
    # plain Ultralytics reads the file as written, given relative to any working folder
    (tmp_path / "elsewhere").mkdir()
    monkeypatch.chdir(tmp_path / "elsewhere")
    data = check_det_dataset(os.path.relpath(tiny_split))
    assert Path(data["train"]).resolve() == (tiny_split.parent / written["train"]).resolve()
    assert Path(data["val"]).is_dir()
    assert data["names"] == {0: "10 euro", 1: "5 euro"}


def test_split_links_files_and_keeps_the_export(tiny_export, tmp_path):
    before = tree_fingerprint(tiny_export)
    result = yt.split_dataset(tiny_export, tmp_path, config=tmp_path / "config.yaml")
    again = yt.split_dataset(tiny_export, tmp_path / "again", config=None)
    assert result.files == again.files  # same input and seed, same split
    one = sorted((tmp_path / "images" / "train").glob("*.jpg"))[0]
    assert one.stat().st_ino == (tiny_export / "images" / one.name).stat().st_ino  # hard link, no copy
    assert tree_fingerprint(tiny_export) == before
    for split in ("train", "val"):  # every class in every split
        assert (result.table.loc[split, ["10 euro", "5 euro"]] > 0).all()


def test_split_never_replaces_a_folder_it_did_not_write(tiny_export, tmp_path):
    own = tmp_path / "images"
    own.mkdir()
    (own / "holiday.jpg").write_bytes(b"my photo")
    with pytest.raises(yt.NotGeneratedError, match="did not write"):
        yt.split_dataset(tiny_export, tmp_path, config=None, overwrite=True)
    assert (own / "holiday.jpg").read_bytes() == b"my photo"
    shutil.rmtree(own)
    yt.split_dataset(tiny_export, tmp_path, config=None)
    with pytest.raises(yt.OutputExistsError, match="overwrite=True"):
        yt.split_dataset(tiny_export, tmp_path, config=None)
    yt.split_dataset(tiny_export, tmp_path, config=None, overwrite=True)


def test_training_before_the_split_says_which_command_creates_it(tmp_path):
    config = yt.write_config(tmp_path / "config.yaml", tmp_path / "annotations", ["a", "b"])
    with pytest.raises(yt.ConfigError, match="yolo-training split"):
        yt.train(config, epochs=1, project=tmp_path / "runs")
    assert not (tmp_path / "runs").exists()
    with pytest.raises(yt.ConfigError, match=str(tmp_path / "missing.yaml")):
        yt.train(tmp_path / "missing.yaml", project=tmp_path / "runs")


def test_missing_or_empty_export(tmp_path):
    with pytest.raises(yt.DatasetError, match="does not exist"):
        yt.split_dataset(tmp_path / "nowhere")
    (tmp_path / "empty" / "images").mkdir(parents=True)
    (tmp_path / "empty" / "classes.txt").write_text("cat\n")
    with pytest.raises(yt.DatasetError, match="holds no images"):
        yt.inspect_dataset(tmp_path / "empty")


def test_class_names_come_from_the_export(tmp_path):
    (tmp_path / "notes.json").write_text('{"categories": [{"id": 1, "name": "5 euro"}, {"id": 0, "name": "10 euro"}]}')
    assert yt.read_class_names(tmp_path) == ["10 euro", "5 euro"]
    (tmp_path / "classes.txt").write_text("5 euro\n10 euro\n")
    with pytest.raises(yt.DatasetError) as err:
        yt.read_class_names(tmp_path)
    assert "['10 euro', '5 euro']" in str(err.value) and "['5 euro', '10 euro']" in str(err.value)


@pytest.fixture
def no_network(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"network used: {args}")

    monkeypatch.setattr(socket, "getaddrinfo", refuse)
    monkeypatch.setattr(socket.socket, "connect", refuse)


@pytest.mark.parametrize(
    "name, task, expected",
    [
        ("yolov8n", None, "yolov8n"),
        ("yolo11s", "segment", "yolo11s-seg"),
        ("yolo26m-cls", None, "yolo26m-cls"),
        ("YOLO11x.pt", "detect", "yolo11x"),
    ],
)
def test_model_names_resolve_without_network(no_network, name, task, expected):
    choice = yt.resolve_model(name, task=task)
    assert choice.name == expected
    if yt.core.env.is_offline():
        assert choice.source == f"{expected}.yaml" and not choice.pretrained
        assert f"yolo-training weights fetch {expected}" in choice.note


def test_cached_weights_are_used_first(tiny_run, monkeypatch, tmp_path):
    monkeypatch.setenv("YOLO_TRAINING_HOME", str(tmp_path))
    (tmp_path / "weights").mkdir()
    shutil.copy(tiny_run.best, tmp_path / "weights" / "yolo11n.pt")
    choice = yt.resolve_model("yolo11n")
    assert choice.pretrained and choice.source == str(tmp_path / "weights" / "yolo11n.pt")
    path_choice = yt.resolve_model(tiny_run.best)
    assert path_choice.pretrained and path_choice.source == str(tiny_run.best)


@pytest.mark.parametrize("bad", ["yolo12n", "yolov8q", "weights/missing.pt", "resnet50"])
def test_unknown_models_list_the_choices(no_network, bad):
    with pytest.raises(yt.ModelNameError) as err:
        yt.resolve_model(bad)
    assert repr(bad) in str(err.value) and "yolo11n" in str(err.value)


def test_segment_name_with_detect_task_is_refused():
    with pytest.raises(yt.ModelNameError, match="segment model"):
        yt.resolve_model("yolo11n-seg", task="detect")


def test_devices():
    assert yt.pick_device("auto") == yt.available_devices()[0]
    assert yt.pick_device("cpu") == "cpu"
    if "0" not in yt.available_devices():
        with pytest.raises(yt.DeviceError, match="available: .*cpu"):
            yt.pick_device("cuda")
        with pytest.raises(yt.DeviceError):
            yt.pick_device([0, 1])


def test_unwritable_output_folder(tiny_split, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("not a folder")
    with pytest.raises(yt.YoloTrainingError, match="Cannot write runs"):
        yt.train(tiny_split, epochs=1, project=blocker / "runs")


def test_settings_cpu_defaults_and_fast_profile(monkeypatch):
    monkeypatch.delenv("YOLO_TRAINING_PROFILE", raising=False)
    settings, notes = training_settings("cpu")
    assert settings["imgsz"] == 320 and settings["epochs"] == 30 and "CPU defaults" in notes[0]
    settings, _ = training_settings("0")
    assert settings["imgsz"] == 640
    monkeypatch.setenv("YOLO_TRAINING_PROFILE", "fast")
    settings, notes = training_settings("cpu", epochs=50, imgsz=320, time=0.1)
    assert settings["epochs"] == FAST_PROFILE["epochs"] and settings["imgsz"] == FAST_PROFILE["imgsz"]
    assert "time" not in settings
    for bad in (dict(imgsz=100), dict(epochs=0)):
        with pytest.raises(yt.YoloTrainingError):
            training_settings("cpu", **bad)


def test_show_results_lists_plots_in_a_terminal(tiny_run, capsys):
    shown = yt.show_results(tiny_run)
    out = capsys.readouterr().out
    assert set(shown) >= {"results", "confusion_matrix", "confusion_matrix_normalized", "labels", "train_batch", "val_batch"}
    assert str(tiny_run.dir / "results.png") in out and "val_batch0_pred.jpg" in out


def _cli(*args, cwd=None):
    return subprocess.run([sys.executable, "-m", "yolo_training", *args], capture_output=True, text=True, cwd=cwd,
                          env={**os.environ, "PYTHONWARNINGS": "ignore"})


def test_cli_doctor():
    proc = _cli("doctor")
    assert proc.returncode == 0, proc.stderr
    for fact in ("torch", "ultralytics", "cpu threads for training", "offline", "plot font in place", "free disk"):
        assert fact in proc.stdout
    assert f"cpu threads for training: {os.cpu_count()}" in proc.stdout


def test_cli_errors_are_one_clear_message(tmp_path):
    proc = _cli("train", "--model", "yolo12n", "--config", str(tmp_path / "none.yaml"))
    assert proc.returncode == 2
    assert "Unknown model 'yolo12n'" in proc.stderr and "Traceback" not in proc.stderr
    proc = _cli("split", "--source", str(tmp_path / "nothing"), "--config", str(tmp_path / "c.yaml"))
    assert proc.returncode == 2 and "does not exist" in proc.stderr and "Traceback" not in proc.stderr
