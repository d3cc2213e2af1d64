"""Inference on images, folders and videos (with the webcam fallback), the model registry, ONNX export."""

from __future__ import annotations

import os
import shutil

import cv2
import numpy as np
import pandas as pd
import pytest
import torch

import yolo_training as yt
from yolo_training.inference import predictions as pm
CORNERS = ["x1", "y1", "x2", "y2"]


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
    assert torch.get_num_threads() == yt.core.devices.cpu_threads()  # every core, not Ultralytics' cores - 1
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


def test_predict_in_a_loop_loads_the_model_once_and_writes_nothing(model, tiny_split, tmp_path, monkeypatch):
    images = sorted((tiny_split.parent / "images" / "val").iterdir())[:3]
    loads = []
    real_load = pm.load_model
    monkeypatch.setattr(pm, "load_model", lambda m: loads.append(m) or real_load(m))
    kept = tmp_path / "kept.pt"
    shutil.copy(model, kept)
    runs_before = sorted(yt.core.env.runs_dir().rglob("*")) if yt.core.env.runs_dir().is_dir() else []
    results = [yt.predict(kept, image, conf=0.001, show=False) for image in images]
    assert len(loads) == 1  # one load for the whole loop
    assert all(r.outputs == [] for r in results)  # no annotated files unless asked
    assert (sorted(yt.core.env.runs_dir().rglob("*")) if yt.core.env.runs_dir().is_dir() else []) == runs_before
    together = yt.predict(kept, images, conf=0.001, show=False).detections
    one_by_one = pd.concat([r.detections for r in results], ignore_index=True)
    pd.testing.assert_frame_equal(together, one_by_one)  # the kept model gives what a fresh one gives
    # the file written again (a retrained last.pt, a new export): loaded again
    stat = kept.stat()
    os.utime(kept, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))
    yt.predict(kept, images[0], show=False)
    assert len(loads) == 2
    # another image size on the same kept model is honoured, and the next call is back at the trained size
    wide = yt.predict(kept, images[0], imgsz=128, save=True, out=tmp_path / "wide", show=False)
    assert cv2.imread(str(wide.outputs[0])) is not None and len(loads) == 2
    pd.testing.assert_frame_equal(yt.predict(kept, images[0], conf=0.001, show=False).detections, results[0].detections)


def _real_detections(model, tiny_split) -> pd.DataFrame:
    images = sorted((tiny_split.parent / "images" / "val").iterdir())[:4]
    found = yt.predict(model, images, conf=0.001, show=False).detections
    assert len(found) >= 5, "the tiny model should find some boxes at conf=0.001"
    return found


#: The tiny model's confidences are 0.001 to ~0.01: the comparison's tolerance is scaled to them.
TOLERANCE = dict(conf=0.001, conf_tolerance=0.0002)


def test_compare_detections_allows_runtime_noise(model, tiny_split):
    a = _real_detections(model, tiny_split)
    rng = np.random.default_rng(0)
    noisy = a.sample(frac=1.0, random_state=1).reset_index(drop=True)  # another order: near-equal scores swap
    noisy[CORNERS] = noisy[CORNERS].to_numpy(float) + rng.uniform(-0.3, 0.3, (len(noisy), 4))
    noisy["confidence"] = noisy["confidence"] + rng.uniform(-5e-5, 5e-5, len(noisy))
    same = yt.compare_detections(a, noisy, **TOLERANCE)
    assert same.same and same.matched == len(a) and same.borderline == 0 and same.worst_iou > 0.9
    # one more box just above the threshold on one side: it may legitimately fall either side
    extra = pd.concat([noisy, a.iloc[[0]].assign(confidence=0.001 + 0.0001, x1=0.0, y1=0.0, x2=5.0, y2=5.0)], ignore_index=True)
    near = yt.compare_detections(a, extra, **TOLERANCE)
    assert near.same and near.borderline == 1


def test_compare_detections_catches_real_differences(model, tiny_split):
    a = _real_detections(model, tiny_split)
    top = int(a["confidence"].to_numpy().argmax())
    assert a["confidence"].iloc[top] > TOLERANCE["conf"] + TOLERANCE["conf_tolerance"]  # a confident box to spoil
    width = a["x2"].iloc[top] - a["x1"].iloc[top]
    moved, relabelled, unsure, dropped = a.copy(), a.copy(), a.copy(), a.drop(index=a.index[top])
    moved.loc[moved.index[top], ["x1", "x2"]] += width / 2
    relabelled.loc[relabelled.index[top], "class_id"] = 1 - relabelled["class_id"].iloc[top]
    unsure.loc[unsure.index[top], "confidence"] += 3 * TOLERANCE["conf_tolerance"]
    for label, b in {"moved": moved, "relabelled": relabelled, "unsure": unsure}.items():
        result = yt.compare_detections(a, b, **TOLERANCE)
        assert not result.same and (result.only_first, result.only_second) == (1, 1), label
    missing = yt.compare_detections(a, dropped, **TOLERANCE)
    assert not missing.same and (missing.only_first, missing.only_second) == (1, 0)
    assert "1 only in the first" in str(missing)


def test_export_onnx_gives_the_same_results(model, tiny_split):
    pytest.importorskip("onnxruntime")
    pytest.importorskip("onnx")
    images = sorted((tiny_split.parent / "images" / "val").iterdir())[:4]
    # compared on every box the model finds at conf=0.001, not on an empty set
    exported = yt.export(model, images=images, **TOLERANCE)
    assert exported.path.suffix == ".onnx" and exported.path.is_file()
    assert exported.max_difference < 1e-3 * exported.scale and exported.same_detections
    assert exported.detections.matched >= 5 and exported.detections.worst_iou > 0.99
    assert "matched" in str(exported)
    b = yt.predict(exported.path, images, conf=0.001, show=False).detections
    assert len(b) >= exported.detections.matched  # the export predicts through predict() too
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
