"""Inference on images, folders and videos (with the webcam fallback), the model registry, ONNX export."""

from __future__ import annotations

import shutil

import cv2
import numpy as np
import pytest
import torch

import yolo_training as yt


@pytest.fixture(scope="module")
def model(tiny_run, tmp_path_factory):
    """A copy of the tiny run's weights, so exports do not write into the shared run folder."""
    target = tmp_path_factory.mktemp("model") / "best.pt"
    shutil.copy(tiny_run.best, target)
    return target


def make_video(path, frames=8, size=(96, 64)):
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10, size)
    for i in range(frames):
        frame = np.full((size[1], size[0], 3), 40 + 20 * i, np.uint8)
        cv2.rectangle(frame, (10 + 3 * i, 10), (50 + 3 * i, 40), (0, 0, 255), -1)
        writer.write(frame)
    writer.release()
    return path


def test_predict_folder(model, tiny_split, tmp_path):
    images = sorted((tiny_split.parent / "images" / "val").iterdir())
    torch.set_num_threads(1)  # as Ultralytics leaves it on a 2-core machine
    result = yt.predict(model, images[0].parent, conf=0.001, out=tmp_path / "out", show=False)
    df = result.detections
    assert list(df.columns) == ["source", "frame", "class_id", "class", "confidence", "x1", "y1", "x2", "y2"]
    assert result.frames == len(images) and len(result.outputs) == len(images)
    assert all(p.is_file() and cv2.imread(str(p)) is not None for p in result.outputs)
    assert set(df["source"]) <= {p.name for p in images} and set(df["class"]) <= {"10 euro", "5 euro"}
    if len(df):
        h, w = cv2.imread(str(images[0])).shape[:2]
        assert (df["confidence"] >= 0.001).all() and (df["x2"] >= df["x1"]).all() and (df[["x1", "x2"]] <= w + 1).all().all()
    assert result.fps > 0 and "frames per second" in result.summary()
    assert torch.get_num_threads() == yt.devices.cpu_threads()  # every core, not Ultralytics' cores - 1
    # a second run into the same folder is fine (it carries our marker); a student's folder is not touched
    yt.predict(model, images[0], out=tmp_path / "out", show=False)
    mine = tmp_path / "mine"
    mine.mkdir()
    (mine / "notes.txt").write_text("keep")
    with pytest.raises(yt.OutputExistsError):
        yt.predict(model, images[0], out=mine, show=False)
    assert (mine / "notes.txt").read_text() == "keep"


def test_video_and_webcam_fallback(model, tmp_path, capsys):
    video = make_video(tmp_path / "clip.mp4", frames=8)
    result = yt.predict(model, 99, fallback=video, out=tmp_path / "v", show=True)
    out = capsys.readouterr().out
    assert "No camera 99" in out and "clip.mp4 instead" in out and "frames per second" in out
    assert result.frames == 8 and result.outputs[0].suffix == ".mp4"
    written = cv2.VideoCapture(str(result.outputs[0]))
    assert int(written.get(cv2.CAP_PROP_FRAME_COUNT)) == 8
    written.release()
    with pytest.raises(yt.SourceError, match="fallback="):
        yt.predict(model, 99, show=False)
    limited = yt.predict(model, video, save=False, max_frames=3, show=False)
    assert limited.frames == 3 and limited.outputs == []


def test_bad_input(model, tmp_path):
    image = tmp_path / "photo.jpg"
    cv2.imwrite(str(image), np.zeros((32, 32, 3), np.uint8))
    not_a_model = tmp_path / "broken.pt"
    not_a_model.write_bytes(b"this is not a checkpoint")
    with pytest.raises(yt.ModelNameError, match="not a YOLO checkpoint"):
        yt.predict(not_a_model, image, show=False)
    with pytest.raises(yt.ModelNameError, match="no model file"):
        yt.predict(tmp_path / "missing.pt", image, show=False)
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(yt.SourceError, match="holds no images"):
        yt.predict(model, empty, show=False)
    bad_video = tmp_path / "bad.mp4"
    bad_video.write_bytes(b"\x00" * 100)
    with pytest.raises(yt.SourceError, match="cannot be opened|No frame"):
        yt.predict(model, bad_video, show=False)
    with pytest.raises(yt.SourceError, match="no file or folder"):
        yt.predict(model, tmp_path / "nowhere.jpg", show=False)


def test_list_models_and_pick_by_name(tiny_run):
    table = yt.list_models(tiny_run.dir.parent)
    row = table[table["name"] == "tiny"].iloc[0]
    assert row["task"] == "detect" and row["model"] == "yolov8n" and row["imgsz"] == 64 and "mAP50" in table.columns
    assert yt.find_model("tiny", tiny_run.dir.parent) == tiny_run.best
    with pytest.raises(yt.ModelNameError, match="No trained model called"):
        yt.find_model("nope", tiny_run.dir.parent)


def test_export_onnx_gives_the_same_results(model, tiny_split):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    images = sorted((tiny_split.parent / "images" / "val").iterdir())[:2]
    exported = yt.export(model, images=images)
    assert exported.path.suffix == ".onnx" and exported.path.is_file()
    assert exported.max_difference < 1e-3 * exported.scale and exported.same_detections
    a = yt.predict(model, images, conf=0.001, save=False, show=False).detections
    b = yt.predict(exported.path, images, conf=0.001, save=False, show=False).detections
    assert abs(len(a) - len(b)) <= max(2, len(a) // 10)  # boxes at the 0.001 edge may differ by rounding
    with pytest.raises(yt.YoloTrainingError, match="only 'onnx'"):
        yt.export(model, format="tflite")


def test_cli_predict_diagnose_models(model, tiny_run, tiny_split, capsys):
    from yolo_training.cli import main

    image = sorted((tiny_split.parent / "images" / "val").iterdir())[0]
    assert main(["predict", str(image), "--model", str(model)]) == 0
    assert "frames per second" in capsys.readouterr().out
    assert main(["diagnose", str(tiny_run.dir), "--no-validate"]) == 0
    assert "too few to see a trend" in capsys.readouterr().out
    assert main(["predict", str(image.parent / "missing.jpg"), "--model", str(model)]) == 2
    assert "no file or folder" in capsys.readouterr().err
