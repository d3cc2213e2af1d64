"""Every file of a dataset accounted for: used or not read with the reason, and no split over lost annotations.

The datasets are made here from a few drawn images; each case is a class of real downloads (a second
annotation source, label files whose images are missing, a set with no object, notes beside the data).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

import yolo_training as yt
from conftest import tree_fingerprint
from test_dataset import make_export, photo
from yolo_training.data.formats.accounting import looks_like
from yolo_training.data.formats.recognition import recognise


def coco_json(path: Path, images: list[str], boxes_per_image: int, names=("cat", "dog")) -> Path:
    """A COCO file naming ``images`` (64x48) with ``boxes_per_image`` boxes each."""
    entries = [{"id": i + 1, "file_name": name, "width": 64, "height": 48} for i, name in enumerate(images)]
    anns = [
        {"id": len(entries) * k + i + 1, "image_id": i + 1, "category_id": 1 + (i + k) % len(names), "bbox": [4 + k, 4, 20, 16],
         "area": 320, "iscrowd": 0}
        for i in range(len(images)) for k in range(boxes_per_image)
    ]
    cats = [{"id": j + 1, "name": n} for j, n in enumerate(names)]
    path.write_text(json.dumps({"images": entries, "annotations": anns, "categories": cats}), encoding="utf-8")
    return path


def _export(tmp_path: Path, n: int = 6) -> Path:
    return make_export(tmp_path / "e", {f"p{i}.jpg": f"{i % 2} 0.5 0.5 0.2 0.2\n" for i in range(n)})


def test_every_file_is_used_or_named_with_the_reason(tmp_path):
    export = _export(tmp_path)
    (export / "README.md").write_text("# my photos\n")
    (export / "notes.csv").write_text("who,when\nme,today\n")
    layout = recognise(export)
    by_name = {f.name: f for f in layout.files}
    walked = sorted(p.relative_to(export).as_posix() for p in export.rglob("*") if p.is_file())
    assert sorted(by_name) == walked  # every file once
    assert by_name["images/p0.jpg"].used and by_name["labels/p0.txt"].used and by_name["classes.txt"].used
    assert by_name["README.md"].what == "not a dataset file" and by_name["README.md"].severity == "info"
    assert not by_name["notes.csv"].used and by_name["notes.csv"].severity == "warning"
    report = yt.inspect_dataset(export, near_duplicates=False, progress=False)
    text = report.summary()
    assert "files: 13 used, 2 not read" in text and "notes.csv" in text and "README.md" in text
    yt.split_dataset(export, tmp_path / "s", config=None, progress=False)  # warnings do not stop a split


def test_a_second_source_with_more_objects_is_refused_until_picked(tmp_path):
    export = _export(tmp_path)
    coco_json(export / "instances.json", [f"images/p{i}.jpg" for i in range(6)], boxes_per_image=3)
    before = tree_fingerprint(export)
    # the COCO file is read first (18 boxes); the YOLO labels are then a second source with fewer objects, named in a note
    layout = recognise(export)
    assert layout.kind.startswith("COCO") and all(f.used for f in layout.files if f.name.endswith(".json"))
    assert [f.severity for f in layout.files if f.name.startswith("labels/")] == ["warning"] * 6
    assert any("two sources" in n and "6 YOLO label file(s)" in n for n in layout.notes)
    yolo = recognise(export, source="classes.txt")  # the other source, picked by its names file
    assert yolo.kind.startswith(("YOLO", "Label Studio"))
    assert [f.name for f in yolo.files if f.severity == "error"] == ["instances.json"]  # 18 objects left: more than the 6 read
    # the other way round: more objects in the file not read is an error that names it and the way in
    (export / "instances.json").unlink()
    coco_json(export / "more.json", [f"images/p{i}.jpg" for i in range(6)], boxes_per_image=1)
    coco_json(export / "instances.json", [f"images/p{i}.jpg" for i in range(6)], boxes_per_image=3)
    with pytest.raises(yt.DatasetError) as err:
        yt.split_dataset(export, tmp_path / "s", config=None, progress=False, source_file="more.json")
    assert "instances.json" in str(err.value) and "source='instances.json'" in str(err.value) and "allow_unread=True" in str(err.value)
    picked = yt.split_dataset(export, tmp_path / "s", config=None, progress=False, source_file="instances.json")
    assert int(picked.table[["cat", "dog"]].to_numpy().sum()) == 18
    forced = yt.split_dataset(export, tmp_path / "f", config=None, progress=False, source_file="more.json", allow_unread=True)
    assert any("left behind" in r and "instances.json" in r for r in forced.repairs)
    with pytest.raises(yt.DatasetError, match="no such file"):
        recognise(export, source="missing.xml")
    assert tree_fingerprint(export) == before | {
        k: v for k, v in tree_fingerprint(export).items() if k.endswith(".json")
    }


def test_labels_whose_images_are_missing_are_not_split_as_backgrounds(tmp_path):
    """A YOLO export committed without its photos, with a few screenshots beside it: never "split done"."""
    root = tmp_path / "cvat-yolo"
    (root / "obj_train_data").mkdir(parents=True)
    (root / "obj.names").write_text("cat\ndog\n")
    for i in range(8):
        (root / "obj_train_data" / f"frame_{i:03d}.txt").write_text("0 0.5 0.5 0.2 0.2\n1 0.3 0.3 0.1 0.1\n")
    for i in range(3):
        photo(root / "docs" / f"screenshot{i}.png", seed=i)
    with pytest.raises(yt.DatasetError) as err:
        yt.split_dataset(root, tmp_path / "s", config=None, progress=False)
    assert "frame_000.txt" in str(err.value) and "allow_unread" in str(err.value)
    assert not (tmp_path / "s" / "images").exists()


def test_a_detection_set_without_a_single_object_is_refused(tmp_path):
    export = make_export(tmp_path / "e", {f"p{i}.jpg": "" for i in range(6)})
    with pytest.raises(yt.DatasetError, match="not one object"):
        yt.split_dataset(export, tmp_path / "s", config=None, progress=False)
    with pytest.raises(yt.DatasetError, match="not one object"):
        yt.import_export(export, tmp_path / "i", progress=False)
    result = yt.split_dataset(export, tmp_path / "s", config=None, progress=False, allow_unread=True)
    assert result.table["backgrounds"].sum() == 6


def test_rejected_label_lines_are_not_counted_as_empty_backgrounds(tmp_path):
    labels = {f"p{i}.jpg": f"{i % 2} 0.5 0.5 0.2 0.2\n" for i in range(6)}
    labels["bad.jpg"] = "7 0.5 0.5 0.2 0.2\n"  # class 7 of 2: rejected
    labels["bg.jpg"] = ""
    report = yt.inspect_dataset(make_export(tmp_path / "e", labels), near_duplicates=False, progress=False)
    line = next(x for x in report.summary().splitlines() if "backgrounds:" in x)
    assert "1 empty label files" in line and "1 label file(s) whose every line was rejected" in line


def test_what_a_file_looks_like(tmp_path):
    assert looks_like(coco_json(tmp_path / "c.json", ["a.jpg", "b.jpg"], 2)).describe() == "COCO JSON, 4 object(s) in 2 class(es)"
    (tmp_path / "a.txt").write_text("0 0.5 0.5 0.1 0.1\n1 0.2 0.2 0.1 0.1\n")
    assert looks_like(tmp_path / "a.txt").format == "YOLO label file"
    (tmp_path / "classes.txt").write_text("cat\ndog\n")
    assert looks_like(tmp_path / "classes.txt").classes == 2
    (tmp_path / "README.md").write_text("hello")
    assert looks_like(tmp_path / "README.md") is None


def test_files_inside_a_zip_are_named_by_the_zip(tmp_path):
    import shutil

    export = _export(tmp_path)
    (export / "notes.csv").write_text("a,b\n")
    archive = Path(shutil.make_archive(str(tmp_path / "pens"), "zip", export))
    report = yt.inspect_dataset(archive, near_duplicates=False, progress=False)
    assert "pens.zip:notes.csv" in report.summary() and ".unzip-" not in report.summary()


def test_the_command_line_refuses_in_one_line_and_takes_allow_unread(tmp_path, capsys):
    from yolo_training.cli import main

    export = make_export(tmp_path / "e", {f"p{i}.jpg": "" for i in range(6)})
    args = ["split", "--source", str(export), "--out", str(tmp_path / "s"), "--config", str(tmp_path / "c.yaml")]
    assert main(args) != 0
    err = capsys.readouterr().err
    assert "not one object" in err and "--allow-unread" in err and "Traceback" not in err
    assert main(args + ["--allow-unread"]) == 0
    assert (tmp_path / "c.yaml").is_file()


def test_training_refuses_a_config_whose_labels_hold_no_object(tmp_path):
    """A config.yaml written by hand (or a split forced with allow_unread) over backgrounds only: refused before training."""
    export = make_export(tmp_path / "e", {f"p{i}.jpg": "" for i in range(6)})
    yt.split_dataset(export, tmp_path / "s", config=tmp_path / "config.yaml", progress=False, allow_unread=True)
    with pytest.raises(yt.ConfigError, match="not one object"):
        yt.train(tmp_path / "config.yaml", project=tmp_path / "runs")


def test_kaggle_class_folders_with_their_split_names(tmp_path):
    """Kaggle's cats and dogs: training_set/training_set/{cats,dogs} and test_set/test_set/{cats,dogs}, no val."""
    root = tmp_path / "kaggle"
    for n, (split, cls, i) in enumerate((s, c, i) for s in ("training_set", "test_set") for c in ("cats", "dogs") for i in range(5)):
        photo(root / split / split / cls / f"{cls[:-1]}.{i}.jpg", seed=n)
    before = tree_fingerprint(root)
    report = yt.inspect_dataset(root, progress=False)
    assert report.task == "classify" and report.names == ["cats", "dogs"]
    assert report.summary().splitlines()[0] == "Classification folders (one folder per class), 2 splits kept: 10 / 10 (train / test)"
    result = yt.split_dataset(root, tmp_path / "split", config=tmp_path / "split", progress=False)
    assert result.table["images"].to_dict() == {"train": 8, "val": 2, "test": 10}  # val comes out of train: Ultralytics needs one
    assert "val split from train" in result.how
    for split in ("train", "val", "test"):
        assert {p.name for p in (tmp_path / "split" / split).iterdir() if p.is_dir()} == {"cats", "dogs"}
    assert tree_fingerprint(root) == before


def test_images_in_a_zip_beside_the_annotations_are_refused_with_the_call_that_unpacks_them(tmp_path):
    """COCO JSON beside 'Car on the Street Dataset.zip' holding the photos: the refusal names the zip and the call."""
    import shutil

    root = tmp_path / "cars"
    for i in range(6):
        photo(tmp_path / "photos" / f"car{i}.jpg", seed=i)
    archive = Path(shutil.make_archive(str(root / "Car on the Street Dataset"), "zip", tmp_path / "photos"))
    coco_json(root / "instances.json", [f"car{i}.jpg" for i in range(6)], boxes_per_image=2)
    with pytest.raises(yt.DatasetError) as err:
        yt.split_dataset(root, tmp_path / "s", config=None, progress=False)
    call = f"yt.safe_extract({str(archive)!r}, {str(root)!r}, overwrite=False)"
    assert "Car on the Street Dataset.zip: zip with 6 image(s)" in str(err.value) and call in str(err.value)
    assert not (tmp_path / "s" / "images").exists()
    outer = Path(shutil.make_archive(str(tmp_path / "download"), "zip", root))  # the same, zipped once more
    with pytest.raises(yt.DatasetError) as err:
        yt.split_dataset(outer, tmp_path / "s", config=None, progress=False)
    assert str(err.value).startswith("download.zip was read as") and ".unzip-" not in str(err.value)
    assert "download.zip:Car on the Street Dataset.zip" in str(err.value) and "Unpack download.zip into a folder" in str(err.value)
    eval(call, {"yt": yt})  # what the message says to do
    with pytest.raises(yt.DatasetError, match="nothing was unpacked, so nothing was replaced"):
        eval(call, {"yt": yt})  # a second time would replace the files unpacked: refused
    result = yt.split_dataset(root, tmp_path / "s", config=None, progress=False)
    assert int(result.table[["cat", "dog"]].to_numpy().sum()) == 12
    zip_use = next(f for f in recognise(root).files if f.path == archive)
    assert not zip_use.used and zip_use.severity == "info" and "unpacked beside it already" in zip_use.what


def test_a_folder_in_no_known_format_is_refused_with_the_formats_read(tmp_path):
    root = tmp_path / "mystery"
    for i in range(3):
        photo(root / f"p{i}.jpg", seed=i)
    (root / "boxes.tsv").write_text("p0.jpg\t1\t2\t3\t4\n")
    with pytest.raises(yt.DatasetError) as err:
        yt.split_dataset(root, tmp_path / "s", config=None, progress=False)
    message = str(err.value)
    assert "holds 3 image(s) but nothing that says what is in them" in message
    for known in ("data.yaml", "COCO JSON", "Pascal VOC", "labelme", "CVAT", "_annotations.txt", "obj.data", "class folders"):
        assert known.lower() in message.lower(), known
    assert not (tmp_path / "s").exists()
