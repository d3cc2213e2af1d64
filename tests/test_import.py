"""Imports (Label Studio folder and zip, Pascal VOC, COCO JSON), merging exports and class subsets."""

from __future__ import annotations

import json
import os
import stat
import zipfile
from pathlib import Path

import pytest

import yolo_training as yt
from conftest import SHARED, tree_fingerprint
from test_dataset import make_export, photo

BCCD = SHARED / "bccd-voc"


def zip_folder(folder: Path, archive: Path, top: str = "") -> Path:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(folder.rglob("*")):
            zf.write(p, f"{top}{p.relative_to(folder).as_posix()}")
    return archive


def labels_of(export: Path) -> dict[str, list[str]]:
    return {p.name: p.read_text().splitlines() for p in sorted((Path(export) / "labels").glob("*.txt"))}


def test_label_studio_folder_and_zip(tmp_path):
    export = make_export(tmp_path / "ls", {"a.jpg": "1 0.5 0.5 0.2 0.2\n", "b.jpg": "0 0.3 0.3 0.1 0.1\n", "c.jpg": ""}, names=("10 euro", "5 euro"))
    (export / "notes.json").write_text(json.dumps({"categories": [{"id": 1, "name": "5 euro"}, {"id": 0, "name": "10 euro"}]}))
    as_is = yt.import_export(export, progress=False)
    assert as_is.path == export and as_is.names == ["10 euro", "5 euro"] and as_is.images == 3  # used where it is
    archive = zip_folder(export, tmp_path / "project-1-at-2026.zip", top="project-1/")  # one folder level inside
    result = yt.import_export(archive, tmp_path / "unzipped", progress=False)
    assert result.path == tmp_path / "unzipped" and result.names == ["10 euro", "5 euro"]
    assert labels_of(result.path) == labels_of(export)
    assert yt.inspect_dataset(result, progress=False).instances_per_class == {"10 euro": 1, "5 euro": 1}
    assert not list(tmp_path.glob(".unzip-*"))  # the temporary unpacking is gone
    with pytest.raises(yt.OutputExistsError):
        yt.import_export(archive, tmp_path / "unzipped", progress=False)
    yt.import_export(archive, tmp_path / "unzipped", overwrite=True, progress=False)
    nested = yt.import_export(archive, tmp_path / "new" / "deeper" / "export", progress=False)  # parents are created
    assert nested.images == 3
    (tmp_path / "mine").mkdir()
    (tmp_path / "mine" / "thesis.docx").write_text("x")
    with pytest.raises(yt.NotGeneratedError):
        yt.import_export(archive, tmp_path / "mine", overwrite=True, progress=False)
    assert (tmp_path / "mine" / "thesis.docx").exists()


@pytest.mark.parametrize(
    "entry",
    ["../escape.txt", "images/../../escape.txt", "/tmp/escape-abs.txt", "C:/escape.txt", "link"],
)
def test_zip_extraction_refuses_escapes_and_links(tmp_path, entry):
    archive = tmp_path / "evil.zip"
    with zipfile.ZipFile(archive, "w") as zf:
        zf.writestr("classes.txt", "cat\n")
        if entry == "link":
            info = zipfile.ZipInfo("images/link.jpg")
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, "/etc/passwd")
        else:
            zf.writestr(entry, "gotcha")
    dest = tmp_path / "deep" / "dest"
    with pytest.raises(yt.DatasetError, match="outside|symbolic link"):
        yt.safe_extract(archive, dest)
    assert not (tmp_path / "escape.txt").exists() and not (tmp_path / "deep" / "escape.txt").exists()
    assert not Path("/tmp/escape-abs.txt").exists()
    assert not dest.exists()  # refused before writing anything


def test_zip_bombs_are_bounded(tmp_path):
    bomb = tmp_path / "bomb.zip"
    with zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as zf:
        zf.writestr("images/huge.jpg", b"\0" * (20 * 2**20))  # 20 MiB of zeros: about 1000x
    with pytest.raises(yt.DatasetError, match="zip bomb"):
        yt.safe_extract(bomb, tmp_path / "d")
    small = tmp_path / "small.zip"
    with zipfile.ZipFile(small, "w", zipfile.ZIP_STORED) as zf:
        for i in range(3):
            zf.writestr(f"images/{i}.bin", os.urandom(2**20))
    with pytest.raises(yt.DatasetError, match="more than"):
        yt.safe_extract(small, tmp_path / "e", max_bytes=2 * 2**20 + 10)
    with pytest.raises(yt.DatasetError, match="not a readable zip"):
        (tmp_path / "fake.zip").write_bytes(b"PK not really")
        yt.import_export(tmp_path / "fake.zip", tmp_path / "f", progress=False)


def voc_folder(root: Path) -> Path:
    (root / "Annotations").mkdir(parents=True)
    (root / "ImageSets" / "Main").mkdir(parents=True)
    objects = {"img1": [("dog", 10, 20, 50, 40), ("cat", 0, 0, 64, 48)], "img2": [("cat", 30, 10, 30, 30)], "img3": []}
    for i, (stem, objs) in enumerate(objects.items()):
        photo(root / "JPEGImages" / f"{stem}.jpg", seed=i)
        xml = "".join(
            f"<object><name>{n}</name><bndbox><xmin>{a}</xmin><ymin>{b}</ymin><xmax>{c}</xmax><ymax>{d}</ymax></bndbox></object>"
            for n, a, b, c, d in objs
        )
        (root / "Annotations" / f"{stem}.xml").write_text(
            f"<annotation><filename>{stem}.jpg</filename><size><width>64</width><height>48</height><depth>3</depth></size>{xml}</annotation>"
        )
    (root / "Annotations" / "broken.xml").write_text("<annotation><filename>x.jpg</filename>\n<size>")
    (root / "ImageSets" / "Main" / "train.txt").write_text("img1\nimg3\n")
    (root / "ImageSets" / "Main" / "val.txt").write_text("img2\n")
    return root


def test_voc_conversion(tmp_path):
    voc = voc_folder(tmp_path / "voc")
    before = tree_fingerprint(voc)
    result = yt.import_export(voc, tmp_path / "yolo", progress=False)
    assert tree_fingerprint(voc) == before
    assert result.names == ["cat", "dog"] and result.images == 3
    labels = labels_of(result.path)
    assert labels["img1.txt"] == ["1 0.468750 0.625000 0.625000 0.416667", "0 0.500000 0.500000 1.000000 1.000000"]
    assert labels["img2.txt"] == ["0 0.468750 0.416667 0.000000 0.416667"]  # zero width kept: the report shows it
    assert labels["img3.txt"] == []
    assert any("broken.xml, line 2" in n for n in result.notes)
    report = yt.inspect_dataset(result, progress=False)
    assert [(Path(p.file).name, p.line, p.kind) for p in report.problems] == [("img2.txt", 1, "degenerate")]
    split = yt.split_dataset(result, tmp_path / "s", config=tmp_path / "s" / "config.yaml", export_splits=True, fix="degenerate", progress=False)
    assert split.files == {"train": ["img1.jpg", "img3.jpg"], "val": ["img2.jpg"]}


@pytest.mark.skipif(not BCCD.is_dir(), reason="../shared/datasets/bccd-voc is absent")
def test_real_voc_bccd(tmp_path):
    result = yt.import_export(BCCD, tmp_path / "bccd", progress=False)
    assert result.names == ["Platelets", "RBC", "WBC"] and result.images == 364
    report = yt.inspect_dataset(result, progress=False)
    assert sorted((Path(p.file).name, p.line) for p in report.errors) == [("BloodImage_00338.txt", 13), ("BloodImage_00343.txt", 4)]
    assert report.instances_per_class["RBC"] > 10 * report.instances_per_class["Platelets"]
    assert any("imbalanced" in a for a in report.advice)
    split = yt.split_dataset(result, tmp_path / "s", config=tmp_path / "s" / "config.yaml", export_splits=True, progress=False)
    assert split.table["images"].tolist() == [205 - 1, 87 - 1, 72]  # the two images with zero-size boxes left out
    assert len(split.removed["cannot be trained on (see the report)"]) == 2


def test_coco_boxes_and_polygons(tmp_path):
    root = tmp_path / "coco"
    for i, name in enumerate(("a.jpg", "b.jpg")):
        photo(root / "images" / name, seed=i, size=(100, 50))
    coco = {
        "images": [{"id": 1, "file_name": "a.jpg", "width": 100, "height": 50}, {"id": 2, "file_name": "images/b.jpg", "width": 100, "height": 50}, {"id": 3, "file_name": "gone.jpg", "width": 10, "height": 10}],
        "categories": [{"id": 7, "name": "truck"}, {"id": 3, "name": "car"}],
        "annotations": [
            {"id": 1, "image_id": 1, "category_id": 7, "bbox": [10, 10, 20, 10], "segmentation": [[10, 10, 30, 10, 30, 20, 10, 20]]},
            {"id": 2, "image_id": 1, "category_id": 3, "bbox": [50, 0, 50, 50], "segmentation": [[50, 0, 100, 0, 100, 50]]},
        ],
    }
    (root / "instances.json").write_text(json.dumps(coco))
    det = yt.import_export(root, tmp_path / "det", progress=False)
    assert det.names == ["car", "truck"]  # ids in category-id order, never assumed
    assert labels_of(det.path) == {"a.txt": ["1 0.200000 0.300000 0.200000 0.200000", "0 0.750000 0.500000 0.500000 1.000000"], "b.txt": []}
    assert any("gone.jpg" in n for n in det.notes)
    seg = yt.import_export(root / "instances.json", tmp_path / "seg", task="segment", progress=False)
    assert labels_of(seg.path)["a.txt"][1] == "0 0.500000 0.000000 1.000000 0.000000 1.000000 1.000000"
    report = yt.inspect_dataset(seg, progress=False)
    assert report.task == "segment" and not report.errors


def test_merge_exports_by_class_name(tmp_path):
    one = make_export(tmp_path / "one", {"x.jpg": "0 0.5 0.5 0.2 0.2\n1 0.2 0.2 0.1 0.1\n", "same.jpg": "1 0.5 0.5 0.2 0.2\n"}, names=("10 euro", "5 euro"))
    two = make_export(tmp_path / "two", {"x.jpg": "0 0.5 0.5 0.3 0.3\n2 0.1 0.1 0.1 0.1\n"}, names=("5 euro", "10 euro", "20 euro"))
    # the same picture in both exports, under another name
    (two / "images" / "copy.jpg").write_bytes((one / "images" / "same.jpg").read_bytes())
    (two / "labels" / "copy.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    # x.jpg in two is a different picture with the same name
    photo(two / "images" / "x.jpg", seed=99)
    result = yt.merge_exports([one, two], tmp_path / "merged")
    assert result.names == ["10 euro", "5 euro", "20 euro"]
    labels = labels_of(result.path)
    assert labels["x.txt"] == ["0 0.5 0.5 0.2 0.2", "1 0.2 0.2 0.1 0.1"]
    assert labels["x-export2.txt"] == ["1 0.5 0.5 0.3 0.3", "2 0.1 0.1 0.1 0.1"]  # 5 euro is id 1 in the merge
    assert "copy.txt" not in labels
    text = "\n".join(result.notes)
    assert "'5 euro' has different ids: 1 in" in text and "0 in" in text
    assert "'20 euro' is only in" in text
    assert "copy.jpg is the same image as" in text
    assert "saved as x-export2.jpg" in text


def test_select_and_merge_classes(tiny_export, tmp_path):
    before = tree_fingerprint(tiny_export)
    only5 = yt.select_classes(tiny_export, tmp_path / "five", ["5 euro"])
    full = yt.inspect_dataset(tiny_export, progress=False)
    sub = yt.inspect_dataset(only5, progress=False)
    assert sub.names == ["5 euro"] and sub.instances_per_class["5 euro"] == full.instances_per_class["5 euro"]
    assert len(sub.images) == len(full.images) and not sub.errors
    notes = yt.select_classes(tiny_export, tmp_path / "notes", {"note": ["5 euro", "10 euro"]}, drop_empty=True)
    merged = yt.inspect_dataset(notes, progress=False)
    assert merged.instances_per_class == {"note": sum(full.instances_per_class.values())}
    assert (merged.images["n_objects"] > 0).all()
    split = yt.split_dataset(notes, tmp_path / "s", config=tmp_path / "s" / "config.yaml", progress=False)
    import yaml

    assert yaml.safe_load(split.config.read_text())["names"] == {0: "note"}
    assert tree_fingerprint(tiny_export) == before
    with pytest.raises(yt.DatasetError, match="'50 euro' is not in"):
        yt.select_classes(tiny_export, tmp_path / "x", ["50 euro"])
