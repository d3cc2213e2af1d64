"""The formats students meet beyond YOLO, COCO and VOC, generated here from the twelve images of
test_layouts.py: each recognised, inspected, split with every object the generator wrote, the
source unchanged; and what cannot be read is a problem with its file and line.
"""

from __future__ import annotations

import csv
import json
from collections import Counter
from pathlib import Path

import pytest

import yolo_training as yt
from conftest import tree_fingerprint
from test_dataset import photo
from test_layouts import IMAGES, N_OBJECTS, NAMES, write

FOLDER = {"train": "train", "val": "valid", "test": "test"}  # Roboflow's split folders


def keras_txt(root: Path) -> None:
    """Roboflow's "YOLO v3 Keras TXT": per split, _annotations.txt (image x0,y0,x1,y1,cls ...) and _classes.txt."""
    lines = {}
    for i, (stem, split, objects) in enumerate(IMAGES):
        photo(root / FOLDER[split] / f"{stem}_jpg.rf.{i:04x}.jpg", seed=i)
        boxes = " ".join(f"{x0},{y0},{x1},{y1},{c}" for c, x0, y0, x1, y1 in objects)
        lines.setdefault(split, []).append(f"{stem}_jpg.rf.{i:04x}.jpg {boxes}".rstrip())
    for split, rows in lines.items():
        write(root / FOLDER[split] / "_annotations.txt", "\n".join(rows) + "\n")
        write(root / FOLDER[split] / "_classes.txt", "\n".join(NAMES) + "\n")
    write(root / "README.roboflow.txt", "Euro notes - v1\nhttps://universe.roboflow.com/...\n")


def tf_csv(root: Path) -> None:
    """Roboflow's "TensorFlow Object Detection CSV": per split, _annotations.csv, one row per box."""
    rows = {}
    for i, (stem, split, objects) in enumerate(IMAGES):
        photo(root / FOLDER[split] / f"{stem}.jpg", seed=i)
        for c, x0, y0, x1, y1 in objects:
            rows.setdefault(split, []).append([f"{stem}.jpg", 64, 48, NAMES[c], x0, y0, x1, y1])
    for split in FOLDER:
        with open(root / FOLDER[split] / "_annotations.csv", "w", newline="") as f:
            out = csv.writer(f)
            out.writerow(["filename", "width", "height", "class", "xmin", "ymin", "xmax", "ymax"])
            out.writerows(rows.get(split, []))


def createml(root: Path) -> None:
    """Roboflow's "CreateML JSON": per split, a list of images with centre-based boxes."""
    entries = {}
    for i, (stem, split, objects) in enumerate(IMAGES):
        photo(root / FOLDER[split] / f"{stem}.jpg", seed=i)
        anns = [{"label": NAMES[c], "coordinates": {"x": (x0 + x1) / 2, "y": (y0 + y1) / 2, "width": x1 - x0, "height": y1 - y0}}
                for c, x0, y0, x1, y1 in objects]
        entries.setdefault(split, []).append({"image": f"{stem}.jpg", "annotations": anns})
    for split, listed in entries.items():
        write(root / FOLDER[split] / "_annotations.createml.json", json.dumps(listed))


@pytest.mark.parametrize("make, kind", [
    (keras_txt, "Roboflow YOLO Keras TXT export"),
    (tf_csv, "Roboflow TensorFlow Object Detection CSV export"),
    (createml, "Roboflow CreateML JSON export"),
])
def test_roboflow_text_downloads_go_in_whole(tmp_path, make, kind):
    root = tmp_path / "download"
    make(root)
    before = tree_fingerprint(root)
    report = yt.inspect_dataset(root, near_duplicates=False, progress=False)
    assert report.layout.kind == kind and report.names == list(NAMES)
    assert [f for f in report.files if not f.used] == []  # README.roboflow.txt and _classes.txt too
    assert sum(report.instances_per_class.values()) == N_OBJECTS
    result = yt.split_dataset(root, tmp_path / "split", config=tmp_path / "config.yaml", progress=False)
    assert {s: len(v) for s, v in result.files.items()} == {"train": 8, "val": 2, "test": 2}  # the publisher's split
    assert int(result.table[list(NAMES)].to_numpy().sum()) == N_OBJECTS
    want = Counter(c for _, _, objects in IMAGES for c, *_ in objects)
    assert {n: int(result.table[n].sum()) for n in NAMES} == {NAMES[c]: k for c, k in want.items()}
    assert tree_fingerprint(root) == before


def test_a_keras_line_naming_a_missing_image_is_a_problem_with_its_line(tmp_path):
    root = tmp_path / "download"
    keras_txt(root)
    listing = root / "train" / "_annotations.txt"
    listing.write_text(listing.read_text() + "gone.jpg 1,1,10,10,0\n")
    report = yt.inspect_dataset(root, near_duplicates=False, progress=False)
    problem = next(p for p in report.problems if p.kind == "missing-image")
    assert Path(problem.file).name == "_annotations.txt" and problem.line == 9 and "gone.jpg" in problem.message


@pytest.mark.slow
def test_a_keras_download_trains(tmp_path):
    root = tmp_path / "download"
    keras_txt(root)
    yt.split_dataset(root, tmp_path / "split", config=tmp_path / "config.yaml", progress=False)
    run = yt.train(tmp_path / "config.yaml", project=tmp_path / "runs", name="keras", epochs=1)
    assert run.best.is_file()
