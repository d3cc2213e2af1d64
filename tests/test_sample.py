"""The bundled sample is what the generator writes, in Label Studio's export layout."""

import json

import cv2
import numpy as np
import pytest

import yolo_training as yt
from yolo_training.data.sample import CLASS_NAMES, IMAGE_SIZE, MARKER, N_IMAGES, generate_sample

from conftest import ROOT

BUNDLED = ROOT / "annotations" / "export"


def test_bundled_sample_is_what_the_generator_writes(tmp_path):
    fresh = yt.generate_sample(tmp_path / "export")  # the defaults made the committed files
    committed_images = sorted(p.name for p in (BUNDLED / "images").iterdir())
    assert committed_images == sorted(p.name for p in (fresh / "images").iterdir())
    assert len(committed_images) == N_IMAGES
    for name in ("classes.txt", "notes.json"):
        assert (BUNDLED / name).read_bytes() == (fresh / name).read_bytes()
    for label in sorted((fresh / "labels").iterdir()):
        assert (BUNDLED / "labels" / label.name).read_bytes() == label.read_bytes(), label.name
    worst = 0.0
    for name in committed_images:
        a = cv2.imread(str(BUNDLED / "images" / name)).astype(np.int16)
        b = cv2.imread(str(fresh / "images" / name)).astype(np.int16)
        assert a.shape == b.shape == (IMAGE_SIZE[1], IMAGE_SIZE[0], 3)
        worst = max(worst, float(np.abs(a - b).mean()))
    assert worst < 2.0, f"images differ by {worst:.2f} grey levels on average (JPEG encoders differ by < 1)"


def test_export_layout_matches_label_studio(tiny_export):
    assert {p.name for p in tiny_export.iterdir()} == {"images", "labels", "classes.txt", "notes.json", MARKER}
    notes = json.loads((tiny_export / "notes.json").read_text())
    assert [c["name"] for c in sorted(notes["categories"], key=lambda c: c["id"])] == list(CLASS_NAMES)
    assert set(notes["info"]) >= {"year", "version", "contributor"}
    images = sorted(p.stem for p in (tiny_export / "images").iterdir())
    labels = sorted(p.stem for p in (tiny_export / "labels").iterdir())
    assert images == labels  # every image has a label file, empty for backgrounds
    assert all(len(stem.split("-", 1)[0]) == 8 for stem in images)  # Label Studio's hash prefix


def test_sample_has_the_variety_it_promises():
    report = yt.inspect_dataset(BUNDLED)
    assert not report.problems
    df = report.images
    backgrounds = (df["n_objects"] == 0).mean()
    assert 0.05 <= backgrounds <= 0.15
    assert (df["n_objects"] >= 2).sum() > 0.2 * len(df)
    both = df["classes"].apply(lambda c: {0, 1} <= set(c)).sum()
    assert both > 20
    counts = report.instances_per_class
    assert min(counts.values()) > 0.35 * sum(counts.values())
    for label in (BUNDLED / "labels").iterdir():
        for line in label.read_text().splitlines():
            cls, x, y, w, h = line.split()
            assert 0 < float(w) <= 1 and 0 < float(h) <= 1


def test_same_seed_same_sample_other_seed_other_sample(tmp_path):
    a = yt.generate_sample(tmp_path / "a", n_images=5, seed=1)
    b = yt.generate_sample(tmp_path / "b", n_images=5, seed=1)
    c = yt.generate_sample(tmp_path / "c", n_images=5, seed=2)
    assert [p.read_bytes() for p in sorted((a / "labels").iterdir())] == [p.read_bytes() for p in sorted((b / "labels").iterdir())]
    assert sorted(p.name for p in (a / "images").iterdir()) != sorted(p.name for p in (c / "images").iterdir())


def test_polygons_for_segmentation(tmp_path):
    out = yt.generate_sample(tmp_path / "seg", n_images=8, seed=5, task="segment")
    lines = [line for p in (out / "labels").iterdir() for line in p.read_text().splitlines()]
    assert lines
    for line in lines:
        values = [float(v) for v in line.split()[1:]]
        assert len(values) >= 6 and len(values) % 2 == 0
        assert all(0 <= v <= 1 for v in values)


def test_image_folder_for_classification(tmp_path):
    out = yt.generate_sample(tmp_path / "cls", n_images=20, seed=5, task="classify")
    for split in ("train", "val"):
        assert {p.name for p in (out / split).iterdir()} <= set(CLASS_NAMES)
        crops = list((out / split).rglob("*.jpg"))
        assert crops and all(cv2.imread(str(p)) is not None for p in crops)


def test_regenerating_refuses_a_folder_it_did_not_write(tmp_path):
    mine = tmp_path / "students_export"
    mine.mkdir()
    (mine / "my_label.txt").write_text("0 0.5 0.5 0.1 0.1\n")
    for overwrite in (True, False):  # never replaced, and never an invitation to pass overwrite=True
        with pytest.raises(yt.NotGeneratedError, match="did not write"):
            yt.generate_sample(mine, n_images=2, overwrite=overwrite)
    assert [p.name for p in mine.iterdir()] == ["my_label.txt"]
    assert (mine / "my_label.txt").read_text() == "0 0.5 0.5 0.1 0.1\n"
    done = yt.generate_sample(tmp_path / "again", n_images=2)
    with pytest.raises(yt.OutputExistsError, match="overwrite=True"):
        yt.generate_sample(done, n_images=3)
    yt.generate_sample(done, n_images=3, overwrite=True)
    assert len(list((done / "images").iterdir())) == 3


def test_roboflow_layout_is_recognised_and_its_split_kept(tmp_path):
    download = generate_sample(tmp_path / "euro-notes.v1i.yolov8", n_images=30, layout="roboflow")
    assert sorted(p.name for p in download.iterdir()) == [".yolo-training-sample", "README.roboflow.txt", "data.yaml", "test", "train", "valid"]
    images = {split: len(list((download / split / "images").glob("*.jpg"))) for split in ("train", "valid", "test")}
    assert images == {"train": 21, "valid": 6, "test": 3}
    report = yt.inspect_dataset(download)
    assert report.summary().splitlines()[0] == "Roboflow YOLO export, 3 splits kept: 21 / 6 / 3 (train / val / test)"
    assert report.names == list(CLASS_NAMES) and not report.problems
    result = yt.split_dataset(download, out=tmp_path / "work", config=tmp_path / "work" / "config.yaml")
    assert {split: len(files) for split, files in result.files.items()} == {"train": 21, "val": 6, "test": 3}
    with pytest.raises(yt.ArgumentError, match="layout"):
        generate_sample(tmp_path / "x", layout="classify-folders")


def test_a_bad_argument_is_one_line_on_the_command_line(tmp_path, capsys):
    """``yolo-training sample --images 0``: the package's ArgumentError, printed as one line, no traceback."""
    from yolo_training.cli import main

    assert main(["sample", "--images", "0", "--out", str(tmp_path / "export")]) == 2
    captured = capsys.readouterr()
    assert captured.err.splitlines() == ["error: n_images must be at least 1, got 0."] and captured.out == ""
    assert not (tmp_path / "export").exists()
    with pytest.raises(ValueError):  # an ArgumentError is still a ValueError for code that catches that
        generate_sample(tmp_path / "export", n_images=-1)
