"""Roboflow's other downloads, generated here as Roboflow writes them, from a few drawn images:
"YOLO v3/v4 Keras TXT", "TensorFlow Object Detection CSV" and "CreateML JSON", each with its
train/, valid/ and test/ folders and its read-me files. Each is recognised, inspected and split
with the publisher's split and every object generated (per class, and where each box is), the
source unchanged; what cannot be read is a problem with its file and line, or a refusal that says
what to do. The read-me files also name the data-YAML and COCO downloads.
"""

from __future__ import annotations

import csv
import json
import shutil
import zipfile
from collections import Counter
from pathlib import Path

import pytest

import yolo_training as yt
from conftest import tree_fingerprint
from test_dataset import photo
from yolo_training.data.formats.recognition import recognise

NAMES = ("cat", "dog", "fox")
W, H = 64, 48
FOLDER = {"train": "train", "val": "valid", "test": "test"}  # Roboflow's split folders
# (file name, split, objects as (class, x0, y0, x1, y1) in pixels); im05 shows no object
IMAGES = [
    (f"im{i:02d}_jpg.rf.{i:04x}.jpg", "train" if i < 8 else ("val" if i < 10 else "test"),
     [] if i == 5 else [(i % 3, 4 + i, 6, 30 + i, 28)] + ([(2, 34, 20, 60, 44)] if i % 2 == 0 else []))
    for i in range(12)
]
PER_CLASS = Counter(NAMES[c] for _, _, objects in IMAGES for c, *_ in objects)
README_DATASET = "# Pets > 2026-11-30 4:22pm\nhttps://universe.roboflow.com/course/pets\n\nProvided by a Roboflow user\nLicense: CC BY 4.0\n"
README_ROBOFLOW = "\nPets - v3 2026-11-30 4:22pm\n==============================\n\nThis dataset was exported via roboflow.com\n"


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path


def images(root: Path) -> None:
    for i, (name, split, _) in enumerate(IMAGES):
        photo(root / FOLDER[split] / name, seed=i, size=(W, H))
    write(root / "README.dataset.txt", README_DATASET)
    write(root / "README.roboflow.txt", README_ROBOFLOW)


def keras_txt(root: Path) -> None:
    """Per split folder: _annotations.txt (``image x0,y0,x1,y1,cls ...``; im05 listed without boxes) and _classes.txt."""
    images(root)
    for split, folder in FOLDER.items():
        lines = [f"{name} " + " ".join(f"{x0},{y0},{x1},{y1},{c}" for c, x0, y0, x1, y1 in objects) for name, s, objects in IMAGES if s == split]
        write(root / folder / "_annotations.txt", "\n".join(line.rstrip() for line in lines) + "\n")
        write(root / folder / "_classes.txt", "\n".join(NAMES) + "\n")


def tf_csv(root: Path) -> None:
    """Per split folder: _annotations.csv, one row per box (im05 has none, so no row)."""
    images(root)
    for split, folder in FOLDER.items():
        with open(root / folder / "_annotations.csv", "w", newline="", encoding="utf-8") as f:
            out = csv.writer(f)
            out.writerow(["filename", "width", "height", "class", "xmin", "ymin", "xmax", "ymax"])
            out.writerows([name, W, H, NAMES[c], x0, y0, x1, y1] for name, s, objects in IMAGES if s == split for c, x0, y0, x1, y1 in objects)


def createml(root: Path) -> None:
    """Per split folder: _annotations.createml.json, boxes by their centre (im05 with an empty list)."""
    images(root)
    for split, folder in FOLDER.items():
        listed = [{"image": name, "annotations": [{"label": NAMES[c], "coordinates": {"x": (x0 + x1) / 2, "y": (y0 + y1) / 2, "width": x1 - x0, "height": y1 - y0}}
                                                  for c, x0, y0, x1, y1 in objects]}
                  for name, s, objects in IMAGES if s == split]
        write(root / folder / "_annotations.createml.json", json.dumps(listed))


FORMATS = {
    "keras": (keras_txt, "Roboflow YOLO Keras TXT export"),
    "csv": (tf_csv, "Roboflow TensorFlow Object Detection CSV export"),
    "createml": (createml, "Roboflow CreateML JSON export"),
}


def zipped(folder: Path) -> Path:
    archive = folder.with_name(folder.name + ".zip")
    with zipfile.ZipFile(archive, "w") as z:
        for p in sorted(folder.rglob("*")):
            z.write(p, f"pets/{p.relative_to(folder).as_posix()}")
    return archive


def expected_lines(objects) -> list[list[float]]:
    return sorted([c, (x0 + x1) / 2 / W, (y0 + y1) / 2 / H, (x1 - x0) / W, (y1 - y0) / H] for c, x0, y0, x1, y1 in objects)


def problems_of(report, kind: str) -> list[tuple[str, int, str]]:
    return [(Path(p.file).name, p.line, p.message) for p in report.problems if p.kind == kind]


@pytest.mark.parametrize("as_zip", [False, True], ids=["folder", "zip"])
@pytest.mark.parametrize("fmt", list(FORMATS))
def test_download_goes_in_whole_with_the_publishers_split(fmt, as_zip, tmp_path):
    make, kind = FORMATS[fmt]
    folder = tmp_path / "pets"
    make(folder)
    source = zipped(folder) if as_zip else folder
    before = (tree_fingerprint(folder), source.read_bytes() if as_zip else None)
    report = yt.inspect_dataset(source, near_duplicates=False, progress=False)
    assert report.summary().splitlines()[0] == f"{kind}, 3 splits kept: 8 / 2 / 2 (train / val / test)"
    assert report.names == list(NAMES) and not report.errors, report.summary()
    assert report.instances_per_class == dict(PER_CLASS)
    assert "backgrounds: 1 (1 empty label files, 0 images without a label file)" in report.summary()  # im05: a real background
    assert [str(f) for f in report.files if not f.used] == []
    roles = {f.name.split(":")[-1].removeprefix("pets/"): f.what for f in report.files}  # in the zip: pets.zip:pets/...
    assert roles["README.dataset.txt"] == roles["README.roboflow.txt"] == "Roboflow README"
    assert "note: Roboflow download 'Pets > 2026-11-30 4:22pm' (https://universe.roboflow.com/course/pets)" in report.summary()
    if fmt == "keras":
        assert roles["train/_classes.txt"] == "class names"
    result = yt.split_dataset(source, tmp_path / "split", config=tmp_path / "split" / "config.yaml", progress=False)
    assert {s: len(v) for s, v in result.files.items()} == {"train": 8, "val": 2, "test": 2} and "publisher's split kept" in result.how
    assert {n: int(result.table[n].sum()) for n in NAMES} == dict(PER_CLASS)
    for name, split, objects in IMAGES:  # every box where it was drawn, in the publisher's split
        label = tmp_path / "split" / "labels" / split / (Path(name).stem + ".txt")
        got = sorted([float(v) for v in line.split()] for line in label.read_text().splitlines())
        assert len(got) == len(objects) and all(a == pytest.approx(b, abs=1e-5) for a, b in zip(got, expected_lines(objects))), name
    assert (tree_fingerprint(folder), source.read_bytes() if as_zip else None) == before
    assert not list(tmp_path.rglob(".unzip-*"))


def test_csv_declared_size_is_the_items_size_and_is_checked(tmp_path):
    root = tmp_path / "pets"
    tf_csv(root)
    layout = recognise(root)
    assert {item.size[:2] for item in layout.items if item.size} == {(W, H)}
    listing = root / "train" / "_annotations.csv"
    rows = listing.read_text().splitlines()
    rows[1] = rows[1].replace(f",{W},{H},", f",{2 * W},{2 * H},", 1)  # the annotator saw im00 at twice its size
    listing.write_text("\n".join(rows) + "\n")
    report = yt.inspect_dataset(root, near_duplicates=False, progress=False)
    found = problems_of(report, "size-mismatch")
    assert [(f, n) for f, n, _ in found] == [("_annotations.csv", 2), ("_annotations.csv", 3)], found  # declared, then disagreeing row
    assert "scaled" in next(m for f, n, m in found if n == 2)
    assert any(n.startswith("1 image(s) beside train/_annotations.csv that it does not list: no object, taken as backgrounds")
               for n in report.layout.notes)  # im05: a CSV has no row for an image without objects
    rows[4] = ",".join(rows[4].split(",")[:5]) + ",,,"  # a row that lost its box
    listing.write_text("\n".join(rows) + "\n")
    report = yt.inspect_dataset(root, near_duplicates=False, progress=False)
    (file, line, message), = problems_of(report, "malformed")
    assert (file, line) == ("_annotations.csv", 5) and "without the numbers xmin, ymin, xmax, ymax" in message
    result = yt.split_dataset(root, tmp_path / "split", config=None, progress=False)
    assert len(result.removed["cannot be trained on (see the report)"]) == 1


def test_names_order_from_names_for_csv_and_createml(tmp_path):
    root = tmp_path / "pets"
    createml(root)
    layout = recognise(root, names=["fox", "dog", "cat"])
    assert layout.names == ["fox", "dog", "cat"]
    first = next(item for item in layout.items if item.image.name == IMAGES[0][0])
    assert [int(line.split()[0]) for line in first.text.splitlines()] == [2, 0]  # cat is id 2 now, fox id 0
    with pytest.raises(yt.DatasetError, match=r"names=\['cat', 'dog'\] leave out class\(es\) that the annotations use \(test/_annotations.createml.json uses \['fox'\]; train/_annotations.createml.json uses \['fox'\]"):
        recognise(root, names=["cat", "dog"])


def test_keras_lines_naming_missing_images_are_problems_with_their_line(tmp_path):
    root = tmp_path / "pets"
    keras_txt(root)
    for name in (IMAGES[1][0], IMAGES[2][0]):  # two photos lost when the zip was unpacked
        (root / "train" / name).unlink()
    photo(tmp_path / "outside.jpg", seed=80)  # a file beside the download is never one of its images
    listing = root / "train" / "_annotations.txt"
    listing.write_text(listing.read_text() + "../../outside.jpg 1,1,20,20,0\n")
    report = yt.inspect_dataset(root, near_duplicates=False, progress=False)
    found = problems_of(report, "missing-image")
    assert [(f, n) for f, n, _ in found] == [("_annotations.txt", 2), ("_annotations.txt", 3), ("_annotations.txt", 9)]
    assert IMAGES[1][0] in found[0][2] and "1 box(es) are left out" in found[0][2] and "Download the dataset again" in found[0][2]
    assert IMAGES[2][0] in found[1][2] and "2 box(es)" in found[1][2]
    left = Counter(NAMES[c] for name, _, objects in IMAGES[:1] + IMAGES[3:] for c, *_ in objects)
    assert report.instances_per_class == dict(left) and len(report.images) == 10
    result = yt.split_dataset(root, tmp_path / "split", config=None, progress=False)
    assert result.table["images"].tolist() == [6, 2, 2]


def test_keras_annotations_without_their_images_are_refused(tmp_path):
    """_annotations.txt committed without its photos, with a few screenshots beside it: no split of screenshots."""
    root = tmp_path / "pets"
    keras_txt(root)
    for name, split, _ in IMAGES:
        (root / FOLDER[split] / name).unlink()
    for i in range(3):
        photo(root / "train" / f"screenshot{i}.png", seed=90 + i)
    with pytest.raises(yt.DatasetError, match=rf"train/_annotations.txt.*list\(s\) {sum(PER_CLASS.values())} box\(es\), but not one of the images they name is in"):
        yt.inspect_dataset(root, near_duplicates=False, progress=False)
    with pytest.raises(yt.DatasetError, match="Put the images beside the annotation file"):
        yt.split_dataset(root, tmp_path / "split", config=None, progress=False)
    assert not (tmp_path / "split").exists()


def test_boxes_outside_the_image_and_unknown_class_ids_are_problems_and_leave_the_image_out(tmp_path):
    root = tmp_path / "pets"
    keras_txt(root)
    listing = root / "train" / "_annotations.txt"
    lines = listing.read_text().splitlines()
    lines[0] = lines[0] + " 40,10,150,40,0"  # im00: a box reaching 86 px past the right edge
    assert lines[2].startswith(IMAGES[2][0]) and ",2 " in lines[2]
    lines[2] = lines[2].replace(",2 ", ",7 ", 1)  # im02: class id 7 of 3 names
    lines[3] = lines[3] + " 1,1,9"  # im03: not a box
    listing.write_text("\n".join(lines) + "\n")
    report = yt.inspect_dataset(root, near_duplicates=False, progress=False)
    outside = problems_of(report, "outside")
    assert [(f, n) for f, n, _ in outside] == [("_annotations.txt", 1)] and "box 40,10,150,40,0" in outside[0][2]
    class_id = problems_of(report, "class-id")
    assert [(f, n) for f, n, _ in class_id] == [("_annotations.txt", 3)] and "class id 7 is not among the 3 class names" in class_id[0][2]
    malformed = problems_of(report, "malformed")
    assert [(f, n) for f, n, _ in malformed] == [("_annotations.txt", 4)] and "'1,1,9' is not a box" in malformed[0][2]
    result = yt.split_dataset(root, tmp_path / "split", config=None, progress=False)
    assert sorted(Path(n).name for n in result.removed["cannot be trained on (see the report)"]) == [IMAGES[i][0] for i in (0, 2, 3)]
    assert result.table["images"].tolist() == [5, 2, 2]


def test_keras_class_names_missing_or_disagreeing_are_refused_with_the_way_in(tmp_path):
    root = tmp_path / "pets"
    keras_txt(root)
    write(root / "valid" / "_classes.txt", "cat\nfox\ndog\n")
    with pytest.raises(yt.DatasetError, match=r"(?s)disagree.*valid/_classes.txt *: \['cat', 'fox', 'dog'\]"):
        recognise(root)
    for folder in FOLDER.values():
        (root / folder / "_classes.txt").unlink()
    with pytest.raises(yt.DatasetError, match=r"class ids 0\.\.2 but there is no _classes.txt beside it.*Give 3 name\(s\) in id order"):
        recognise(root)
    layout = recognise(root, names=list(NAMES))
    assert layout.names == list(NAMES) and sum(len(item.text.splitlines()) for item in layout.items) == sum(PER_CLASS.values())
    write(root / "_classes.txt", "cat\ndog\nfox\n")  # one list at the top of the download
    assert recognise(root).names == list(NAMES)
    with pytest.raises(yt.DatasetError, match=r"names=\['dog', 'cat', 'fox'\] disagree with _classes.txt"):
        recognise(root, names=["dog", "cat", "fox"])


def test_two_downloads_side_by_side_are_refused_until_one_is_picked(tmp_path):
    root = tmp_path / "pets"
    keras_txt(root)
    csv_copy = tmp_path / "csv"
    tf_csv(csv_copy)
    for folder in FOLDER.values():
        shutil.copy(csv_copy / folder / "_annotations.csv", root / folder / "_annotations.csv")
    with pytest.raises(yt.DatasetError, match=r"two Roboflow downloads side by side.*YOLO Keras TXT: test/_annotations.txt, .*source='_annotations.txt' or source='_annotations.csv'"):
        recognise(root)
    layout = recognise(root, source="_annotations.csv")
    assert layout.kind == "Roboflow TensorFlow Object Detection CSV export"
    unread = {f.name: f for f in layout.files if not f.used}
    assert set(unread) == {f"{folder}/{name}" for folder in FOLDER.values() for name in ("_annotations.txt", "_classes.txt")}
    assert unread["train/_annotations.txt"].severity == "warning" and "source='_annotations.txt'" in unread["train/_annotations.txt"].what


def test_an_image_the_keras_file_does_not_list_is_left_out_and_said(tmp_path):
    root = tmp_path / "pets"
    keras_txt(root)
    photo(root / "train" / "extra.jpg", seed=70)
    report = yt.inspect_dataset(root, near_duplicates=False, progress=False)
    assert ("extra.jpg", 0) in [(f, n) for f, n, _ in problems_of(report, "no-label")]
    assert len(report.images) == 12 and report.instances_per_class == dict(PER_CLASS)
    assert next(f for f in report.files if f.name == "train/extra.jpg").severity == "warning"


def test_readme_names_data_yaml_and_coco_downloads(tmp_path):
    yolo = tmp_path / "yolo"  # Roboflow's YOLOv8 download
    for i, (name, split, objects) in enumerate(IMAGES):
        photo(yolo / FOLDER[split] / "images" / name, seed=i)
        write(yolo / FOLDER[split] / "labels" / (Path(name).stem + ".txt"),
              "".join(f"{c} {(a + x) / 2 / W:.6f} {(b + y) / 2 / H:.6f} {(x - a) / W:.6f} {(y - b) / H:.6f}\n" for c, a, b, x, y in objects))
    write(yolo / "data.yaml", "train: ../train/images\nval: ../valid/images\ntest: ../test/images\nnc: 3\nnames: ['cat', 'dog', 'fox']\n")
    write(yolo / "README.roboflow.txt", README_ROBOFLOW)
    layout = recognise(yolo)
    assert layout.kind == "Roboflow YOLO export" and not layout.not_read()
    assert layout.used[yolo / "README.roboflow.txt"] == "Roboflow README"
    assert "Roboflow download 'Pets - v3 2026-11-30 4:22pm', from README.roboflow.txt" in layout.notes
    coco = tmp_path / "coco"  # Roboflow's COCO download
    images(coco)
    for split, folder in FOLDER.items():
        listed = [(k, name, objects) for k, (name, s, objects) in enumerate(IMAGES) if s == split]
        anns = [{"id": 100 * k + j, "image_id": k, "category_id": c + 1, "bbox": [x0, y0, x1 - x0, y1 - y0], "area": 1, "iscrowd": 0}
                for k, _, objects in listed for j, (c, x0, y0, x1, y1) in enumerate(objects)]
        write(coco / folder / "_annotations.coco.json", json.dumps({
            "images": [{"id": k, "file_name": name, "width": W, "height": H} for k, name, _ in listed],
            "annotations": anns, "categories": [{"id": j + 1, "name": n, "supercategory": "pets"} for j, n in enumerate(NAMES)]}))
    layout = recognise(coco)
    assert {f.name: f.what for f in layout.files if f.name.startswith("README")} == {"README.dataset.txt": "Roboflow README", "README.roboflow.txt": "Roboflow README"}
    assert not layout.not_read() and any(n.startswith("Roboflow download 'Pets > 2026-11-30 4:22pm'") for n in layout.notes)


@pytest.mark.slow
def test_a_keras_download_trains_one_tiny_epoch(tmp_path):
    root = tmp_path / "pets"
    keras_txt(root)
    before = tree_fingerprint(root)
    result = yt.split_dataset(root, tmp_path / "split", config=tmp_path / "split" / "config.yaml", progress=False)
    run = yt.train(result.config, model="yolov8n", epochs=1, imgsz=64, batch=8, project=tmp_path / "runs", name="keras", verbose=False)
    assert run.results_csv.is_file()
    assert yt.load_config(result.config)["names"] == {0: "cat", 1: "dog", 2: "fox"}
    assert tree_fingerprint(root) == before and not list(root.rglob("*.cache"))
