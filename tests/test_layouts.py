"""Every common dataset layout, as a folder and as a zip: recognised, inspected, split (the
publisher's split kept), trained for one tiny epoch, and the source never changed.

Each layout is built here from the same twelve generated images (8 train, 2 val, 2 test), so
whatever the layout, the same objects must come out.
"""

from __future__ import annotations

import json
import shutil
import time
import zipfile
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

import yolo_training as yt
from conftest import SHARED, tree_fingerprint
from test_dataset import photo

NAMES = ("cat", "dog")
W, H = 64, 48
# (stem, split, objects as (class, x0, y0, x1, y1) in pixels)
IMAGES = [
    (f"im{i:02d}", "train" if i < 8 else ("val" if i < 10 else "test"), [(i % 2, 8 + i, 6, 40 + i, 30), ((i + 1) % 2, 30, 20, 60, 44)] if i != 5 else [])
    for i in range(12)
]
N_OBJECTS = sum(len(objs) for _, _, objs in IMAGES)


def yolo_line(cls, x0, y0, x1, y1) -> str:
    return f"{cls} {(x0 + x1) / 2 / W:.6f} {(y0 + y1) / 2 / H:.6f} {(x1 - x0) / W:.6f} {(y1 - y0) / H:.6f}\n"


def yolo_text(objects) -> str:
    return "".join(yolo_line(*o) for o in objects)


def voc_xml(stem: str, objects, size=(W, H)) -> str:
    objs = "".join(
        f"\n  <object>\n    <name>{NAMES[c]}</name>\n    <bndbox><xmin>{a}</xmin><ymin>{b}</ymin><xmax>{x}</xmax><ymax>{y}</ymax></bndbox>\n  </object>"
        for c, a, b, x, y in objects
    )
    return f"<annotation>\n  <filename>{stem}.jpg</filename>\n  <size><width>{size[0]}</width><height>{size[1]}</height><depth>3</depth></size>{objs}\n</annotation>\n"


def write(path: Path, text: str, encoding="utf-8") -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding=encoding)
    return path


# --------------------------------------------------------------------------------------------
# The layouts, as publishers ship them


def label_studio_bom(root: Path) -> None:
    """Label Studio's export with names files saved by Windows Notepad: BOM, CRLF, blank lines at the end."""
    for i, (stem, _, objects) in enumerate(IMAGES):
        photo(root / "images" / f"{stem}.jpg", seed=i)
        write(root / "labels" / f"{stem}.txt", yolo_text(objects))
    (root / "classes.txt").write_bytes("\ufeffcat\r\ndog\r\n\r\n  \r\n".encode("utf-8"))
    notes = {"categories": [{"id": 1, "name": "dog"}, {"id": 0, "name": "cat"}], "info": {"contributor": "Label Studio"}}
    (root / "notes.json").write_bytes(("\ufeff" + json.dumps(notes)).encode("utf-8"))


def presplit(root: Path, yaml_file: bool = True) -> None:
    """coco8's layout: images/<split> + labels/<split>, with a data YAML (names as a dict) or classes.txt."""
    for i, (stem, split, objects) in enumerate(IMAGES):
        photo(root / "images" / split / f"{stem}.jpg", seed=i)
        write(root / "labels" / split / f"{stem}.txt", yolo_text(objects))
    if yaml_file:
        write(root / "data.yaml", "path: .\ntrain: images/train\nval: images/val\ntest: images/test\nnames:\n  0: cat\n  1: dog\n")
    else:
        write(root / "classes.txt", "cat\ndog\n")


def roboflow(root: Path) -> None:
    """Roboflow's YOLO download: train|valid|test/images|labels and a data.yaml with ../ paths."""
    for i, (stem, split, objects) in enumerate(IMAGES):
        folder = {"val": "valid"}.get(split, split)
        photo(root / folder / "images" / f"{stem}_jpg.rf.{i:08x}.jpg", seed=i)
        write(root / folder / "labels" / f"{stem}_jpg.rf.{i:08x}.txt", yolo_text(objects))
    write(root / "data.yaml", "train: ../train/images\nval: ../valid/images\ntest: ../test/images\n\nnc: 2\nnames: ['cat', 'dog']\n\n"
          "roboflow:\n  workspace: course\n  project: pets\n  version: 1\n  license: CC BY 4.0\n  url: https://universe.roboflow.com/course/pets/dataset/1\n")
    write(root / "README.roboflow.txt", "Pets - v1\n")


def cvat(root: Path) -> None:
    """CVAT's "YOLO 1.1": obj.names, obj.data, train.txt, images and labels side by side in obj_train_data/."""
    for i, (stem, _, objects) in enumerate(IMAGES):
        photo(root / "obj_train_data" / f"{stem}.jpg", seed=i)
        write(root / "obj_train_data" / f"{stem}.txt", yolo_text(objects))
    write(root / "obj.names", "cat\ndog\n")
    write(root / "obj.data", "classes = 2\ntrain = data/train.txt\nnames = data/obj.names\nbackup = backup/\n")
    write(root / "train.txt", "".join(f"data/obj_train_data/{stem}.jpg\n" for stem, _, _ in IMAGES))


def darknet(root: Path) -> None:
    """AlexeyAB's darknet: data/obj.data naming obj.names and lists of absolute paths from the publisher's
    machines (train.txt written on Windows, valid.txt and test.txt on Colab), labels beside the images."""
    for i, (stem, _, objects) in enumerate(IMAGES):
        photo(root / "data" / "obj" / f"{stem}.jpg", seed=i)
        write(root / "data" / "obj" / f"{stem}.txt", yolo_text(objects))
    write(root / "data" / "obj.names", "cat\ndog\n")
    write(root / "data" / "obj.data", "classes= 2\ntrain  = data/train.txt\nvalid  = data/valid.txt\ntest = data/test.txt\n"
          "names = data/obj.names\nbackup = backup/\n")
    lists = {"train": "C:\\Users\\me\\darknet\\data\\obj\\{}.jpg\r\n", "val": "/content/darknet/data/obj/{}.jpg\n", "test": "/content/darknet/data/obj/{}.jpg\n"}
    for split, file in (("train", "train.txt"), ("val", "valid.txt"), ("test", "test.txt")):
        write(root / "data" / file, "".join(lists[split].format(stem) for stem, s, _ in IMAGES if s == split))


def voc_lower(root: Path) -> None:
    """Pascal VOC as many GitHub sets ship it: annotations/*.xml + images/*.jpg, a split in ImageSets."""
    for i, (stem, _, objects) in enumerate(IMAGES):
        photo(root / "images" / f"{stem}.jpg", seed=i)
        write(root / "annotations" / f"{stem}.xml", voc_xml(stem, objects))
    for split in ("train", "val", "test"):
        write(root / "ImageSets" / "Main" / f"{split}.txt", "".join(f"{stem}\n" for stem, s, _ in IMAGES if s == split))


def labelimg(root: Path) -> None:
    """LabelImg's own layout: each .xml saved beside its image, one folder, no split."""
    for i, (stem, _, objects) in enumerate(IMAGES):
        photo(root / f"{stem}.jpg", seed=i)
        write(root / f"{stem}.xml", voc_xml(stem, objects))


LAYOUTS = {
    # builder, the kind recognised (start of it), the publisher's split kept
    "label-studio-bom": (label_studio_bom, "Label Studio YOLO export", None),
    "presplit-yaml": (lambda r: presplit(r, True), "Ultralytics dataset YAML (data.yaml)", (8, 2, 2)),
    "presplit-no-yaml": (lambda r: presplit(r, False), "YOLO folders split by the publisher", (8, 2, 2)),
    "roboflow": (roboflow, "Roboflow YOLO export", (8, 2, 2)),
    "cvat": (cvat, "CVAT YOLO 1.1 export", None),
    "darknet": (darknet, "Darknet (obj.data, obj.names, train.txt/valid.txt)", (8, 2, 2)),
    "voc-lower": (voc_lower, "Pascal VOC (annotations/ + images/)", (8, 2, 2)),
    "labelimg": (labelimg, "Pascal VOC, LabelImg layout", None),
}


def zip_folder(folder: Path, archive: Path) -> Path:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(folder.rglob("*")):
            zf.write(p, f"{folder.name}/{p.relative_to(folder).as_posix()}")  # one folder level inside, as downloads are
    return archive


@pytest.fixture(scope="module")
def sources(tmp_path_factory) -> dict[str, Path]:
    """Each layout built once, as a folder and as a zip. Treat them as read-only."""
    root = tmp_path_factory.mktemp("layouts")
    built = {}
    for name, (build, _, _) in LAYOUTS.items():
        folder = root / name
        build(folder)
        built[name] = folder
        built[f"{name}.zip"] = zip_folder(folder, root / f"{name}.zip")
    return built


def check_objects(report) -> None:
    """The same twelve images and objects, whatever the layout."""
    assert len(report.images) == 12 and not report.errors, report.summary()
    assert sum(report.instances_per_class.values()) == N_OBJECTS
    assert report.names == list(NAMES)


@pytest.mark.parametrize("as_zip", [False, True], ids=["folder", "zip"])
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_layout_recognised_inspected_split(layout, as_zip, sources, tmp_path):
    _, kind, kept = LAYOUTS[layout]
    source = sources[f"{layout}.zip" if as_zip else layout]
    before = tree_fingerprint(source.parent / layout) if not as_zip else source.read_bytes()
    report = yt.inspect_dataset(source, progress=False)
    first = report.summary().splitlines()[0]
    assert first.startswith(kind), first
    check_objects(report)
    if kept:
        assert first.endswith(f"3 splits kept: {kept[0]} / {kept[1]} / {kept[2]} (train / val / test)"), first
    result = yt.split_dataset(source, tmp_path / "split", config=tmp_path / "split" / "config.yaml", progress=False)
    sizes = tuple(result.table["images"])
    if kept:
        assert sizes == kept and "publisher's split kept" in result.how
    else:
        assert sum(sizes) == 12 and len(sizes) == 2 and "by ratios" in result.how
    assert result.table[list(NAMES)].to_numpy().sum() == N_OBJECTS
    data = yaml.safe_load(result.config.read_text())
    assert data["names"] == {0: "cat", 1: "dog"}
    for split in result.files:  # every image with its label, side by side as Ultralytics reads them
        images = {p.stem for p in (tmp_path / "split" / "images" / split).glob("*.jpg")}
        labels = {p.stem for p in (tmp_path / "split" / "labels" / split).glob("*.txt")}
        assert len(images) == len(result.files[split]) and labels <= images
    assert (tree_fingerprint(source.parent / layout) if not as_zip else source.read_bytes()) == before
    assert not list(tmp_path.rglob(".unzip-*"))  # the unpacked copy of a zip is gone
    imported = yt.import_export(source, tmp_path / "imported", progress=False)
    assert imported.names == list(NAMES) and imported.images == 12
    check_objects(yt.inspect_dataset(imported, progress=False))


@pytest.mark.slow
@pytest.mark.parametrize("layout", list(LAYOUTS))
def test_layout_trains_one_tiny_epoch(layout, sources, tmp_path):
    source = sources[layout]
    before = tree_fingerprint(source)
    result = yt.split_dataset(source, tmp_path / "split", config=tmp_path / "split" / "config.yaml", progress=False)
    run = yt.train(result.config, model="yolov8n", epochs=1, imgsz=64, batch=8, project=tmp_path / "runs", name=layout, verbose=False)
    assert run.results_csv.is_file()
    assert tree_fingerprint(source) == before  # Ultralytics' label caches went into the split, not the source
    assert not list(source.rglob("*.cache"))


# --------------------------------------------------------------------------------------------
# What is recognised only partly is a problem with file and line


def test_partly_recognised_files_are_problems(tmp_path):
    voc = tmp_path / "voc"
    voc_lower(voc)
    (voc / "images" / "im03.jpg").unlink()  # an XML naming a missing file
    photo(voc / "images" / "extra.jpg", seed=50)  # an image without an XML
    write(voc / "annotations" / "im04.xml", voc_xml("im04", IMAGES[4][2], size=(128, 96)))  # <size> twice the image
    report = yt.inspect_dataset(voc, progress=False)
    found = {(Path(p.file).name, p.line, p.kind) for p in report.problems}
    assert ("im03.xml", 2, "missing-image") in found
    assert ("extra.jpg", 0, "no-label") in found
    assert ("im04.xml", 3, "size-mismatch") in found
    assert "scaled" in next(str(p) for p in report.problems if p.kind == "size-mismatch")
    assert ("train.txt", 4, "missing-image") in found  # ImageSets lists im03, which is gone
    yolo = tmp_path / "yolo"
    presplit(yolo, yaml_file=True)
    (yolo / "labels" / "train" / "im01.txt").unlink()  # an image without a label
    (yolo / "images" / "val" / "im08.jpg").unlink()  # a label without an image
    write(yolo / "data.yaml", (yolo / "data.yaml").read_text().replace("test: images/test", "test: images/missing"))
    report = yt.inspect_dataset(yolo, progress=False)
    found = {(Path(p.file).name, p.line, p.kind) for p in report.problems}
    assert ("im01.jpg", 0, "no-label") in found
    assert ("im08.txt", 0, "no-image") in found
    assert ("data.yaml", 4, "missing-image") in found  # test: names a folder that does not exist


def test_yolo_folders_without_names_ask_for_them(tmp_path):
    folder = tmp_path / "nameless"
    presplit(folder, yaml_file=False)
    (folder / "classes.txt").unlink()
    with pytest.raises(yt.DatasetError, match=r"ids 0\.\.1, so give 2 name\(s\).*names=\["):
        yt.inspect_dataset(folder, progress=False)
    check_objects(yt.inspect_dataset(folder, names=["cat", "dog"], progress=False))
    (folder / "classes.txt").write_text("cat\ndog\n")
    with pytest.raises(yt.DatasetError, match="disagree"):
        yt.inspect_dataset(folder, names={0: "dog", 1: "cat"}, progress=False)


def test_capitalised_images_and_labels_folders_pair(tmp_path):
    """``Images/Train`` + ``Labels/Train`` (a Windows habit): Ultralytics looks only in ``labels``."""
    root = tmp_path / "caps"
    for i, (stem, split, objects) in enumerate(IMAGES):
        photo(root / "Images" / split.capitalize() / f"{stem}.jpg", seed=i)
        write(root / "Labels" / split.capitalize() / f"{stem}.txt", yolo_text(objects))
    write(root / "classes.txt", "cat\ndog\n")
    report = yt.inspect_dataset(root, progress=False)
    check_objects(report)
    assert not any(p.kind in ("no-label", "no-image") for p in report.problems), report.summary()
    assert report.summary().splitlines()[0].endswith("3 splits kept: 8 / 2 / 2 (train / val / test)")


def test_labelimg_yolo_mode_names_beside_the_labels(tmp_path):
    """LabelImg in YOLO mode writes classes.txt into its save folder: ``labels/classes.txt``."""
    root = tmp_path / "labelimg-yolo"
    for i, (stem, _, objects) in enumerate(IMAGES):
        photo(root / "images" / f"{stem}.jpg", seed=i)
        write(root / "labels" / f"{stem}.txt", yolo_text(objects))
    write(root / "labels" / "classes.txt", "cat\ndog\n")
    check_objects(yt.inspect_dataset(root, progress=False))
    split_root = tmp_path / "per-split"
    presplit(split_root, yaml_file=False)
    (split_root / "classes.txt").unlink()
    for split in ("train", "val"):  # one save folder per split, one of them edited by hand
        write(split_root / "labels" / split / "classes.txt", "dog\ncat\n" if split == "val" else "cat\ndog\n")
    with pytest.raises(yt.DatasetError, match=r"labels/val/classes.txt *: \['dog', 'cat'\]"):
        yt.inspect_dataset(split_root, progress=False)


def test_yaml_lists_of_images_and_txt_files(tmp_path):
    root = tmp_path / "lists"
    presplit(root, yaml_file=False)
    write(root / "train.txt", "".join(f"./images/train/{stem}.jpg\n" for stem, s, _ in IMAGES if s == "train"))
    write(root / "dataset.yaml", f"path: {root}\ntrain: [train.txt]\nval: images/val\nnames: [cat, dog]\n")
    report = yt.inspect_dataset(root / "dataset.yaml", progress=False)
    assert report.splits and set(report.splits.values()) == {"train", "val"}
    assert len(report.images) == 10  # the test folder is not named in the YAML...
    assert "images/test holds 2 image(s) that dataset.yaml does not name: left out (add `test: images/test`" in report.summary()


def test_yaml_notes_are_in_the_summary(tmp_path):
    """A YAML from someone else's machine (Colab's ``path:``) with only ``nc``: read, and said so."""
    root = tmp_path / "colab"
    presplit(root, yaml_file=False)
    write(root / "data.yaml", "path: /content/datasets/pets\ntrain: images/train\nval: images/val\ntest: images/test\nnc: 2\n")
    summary = yt.inspect_dataset(root, progress=False).summary()
    assert "'/content/datasets/pets' does not exist here" in summary
    assert "gives only nc: 2; classes named class_0" in summary


def test_yaml_written_on_windows_with_backslashes(tmp_path):
    """A data.yaml from a Windows classmate: ``images\\train`` and ``.\\images\\val\\a.jpg`` in val.txt."""
    root = tmp_path / "windows"
    presplit(root, yaml_file=False)
    (root / "val.txt").write_bytes("".join(f".\\images\\val\\{stem}.jpg\r\n" for stem, s, _ in IMAGES if s == "val").encode())
    (root / "data.yaml").write_bytes(b"path: C:\\Users\\ana\\pets\r\ntrain: images\\train\r\nval: val.txt\r\ntest: images\\test\r\nnames: [cat, dog]\r\n")
    report = yt.inspect_dataset(root, progress=False)
    check_objects(report)
    assert report.summary().splitlines()[0].endswith("3 splits kept: 8 / 2 / 2 (train / val / test)")


def test_bom_names_and_label_studio_disagreement(tmp_path):
    export = tmp_path / "ls"
    label_studio_bom(export)
    assert yt.read_class_names(export) == ["cat", "dog"]
    (export / "classes.txt").write_bytes("\ufeffdog\r\ncat\r\n".encode())
    with pytest.raises(yt.DatasetError, match=r"notes.json +: \['cat', 'dog'\]"):
        yt.read_class_names(export)


@pytest.mark.skipif(not (SHARED / "bccd-voc").is_dir(), reason="../shared/datasets/bccd-voc is absent")
def test_real_voc_directly(tmp_path):
    bccd = SHARED / "bccd-voc"
    report = yt.inspect_dataset(bccd, progress=False)
    assert report.summary().startswith("Pascal VOC (Annotations/ + JPEGImages/), 3 splits kept: 205 / 87 / 72")
    assert sorted((Path(p.file).name, p.kind) for p in report.errors) == [("BloodImage_00338.xml", "degenerate"), ("BloodImage_00343.xml", "degenerate")]
    result = yt.split_dataset(bccd, tmp_path, config=tmp_path / "config.yaml", report=report, progress=False)
    assert result.table["images"].tolist() == [205 - 1, 87 - 1, 72]


# --------------------------------------------------------------------------------------------
# One fixed camera: near-duplicate grouping that scales, and a report that says what it means


def fixed_camera(root: Path, n: int, size=(160, 120)) -> Path:
    """``n`` frames of one scene (the same background, two small objects moving, sensor noise),
    in the Label Studio layout: what a webcam on a desk records."""
    rng = np.random.default_rng(0)
    w, h = size
    background = cv2.resize(cv2.GaussianBlur(rng.integers(0, 255, (h // 8, w // 8, 3), dtype=np.uint8), (0, 0), 1), (w, h), interpolation=cv2.INTER_CUBIC)
    (root / "images").mkdir(parents=True)
    (root / "labels").mkdir()
    write(root / "classes.txt", "cat\ndog\n")
    s = max(4, w // 20)
    for i in range(n):
        frame = background.copy()
        x, y = int(10 + (w - 20 - s) * ((i * 7) % 100) / 100), int(h * 0.3 + h * 0.2 * np.sin(i / 9))
        cv2.rectangle(frame, (x, y), (x + s, y + s), (20, 200, 40), -1)
        cv2.circle(frame, (w - x, h - y // 2), s // 2, (200, 40, 40), -1)
        frame = np.clip(frame + rng.normal(0, 2, frame.shape), 0, 255).astype(np.uint8)
        cv2.imwrite(str(root / "images" / f"cam_{i:04d}.jpg"), frame, [cv2.IMWRITE_JPEG_QUALITY, 85])
        write(root / "labels" / f"cam_{i:04d}.txt", f"0 {(x + s / 2) / w:.4f} {(y + s / 2) / h:.4f} {s / w:.4f} {s / h:.4f}\n"
              f"1 {(w - x) / w:.4f} {(h - y // 2) / h:.4f} {s / w:.4f} {s / h:.4f}\n")
    return root


def test_fixed_camera_splits_fast_and_says_one_scene_dominates(tmp_path):
    export = fixed_camera(tmp_path / "cam", 300)
    start = time.perf_counter()
    result = yt.split_dataset(export, tmp_path / "split", config=None, progress=False)
    elapsed = time.perf_counter() - start
    assert elapsed < 3, f"{elapsed:.1f} s for 300 frames (the real target is benchmarks/bench_dataset.py)"
    assert result.table["images"].tolist() == [240, 60]
    assert any("cut into" in r and "second session" in r for r in result.repairs)
    report = yt.inspect_dataset(export, progress=False)
    assert max(len(g) for g in report.near_duplicates) > 150
    assert any("one scene dominates" in a and "overestimates" in a for a in report.advice)


def brute_force_groups(hashes: dict, threshold: int, colour: float) -> list[list[str]]:
    from yolo_training.data.duplicates import popcount

    names = sorted(hashes)
    values = np.array([hashes[n][0] for n in names], dtype=np.uint64)
    thumbs = np.stack([np.frombuffer(hashes[n][1], np.uint8) for n in names]).astype(np.int16)
    label = list(range(len(names)))
    for i in range(len(names)):
        near = np.flatnonzero((popcount(values ^ values[i]) <= threshold) & (np.abs(thumbs - thumbs[i]).mean(axis=1) <= colour))
        old = {label[j] for j in near} | {label[i]}
        new = min(old)
        label = [new if x in old else x for x in label]
    groups: dict[int, list[str]] = {}
    for name, x in zip(names, label):
        groups.setdefault(x, []).append(name)
    return sorted(g for g in groups.values() if len(g) > 1)


@pytest.mark.parametrize("numpy2", [True, False], ids=["bitwise_count", "byte-table"])
def test_near_duplicate_groups_equal_all_pairs(numpy2, monkeypatch):
    from yolo_training.data.duplicates import near_duplicate_groups

    if not numpy2:
        monkeypatch.delattr(np, "bitwise_count", raising=False)  # NumPy 1 has none
    rng = np.random.default_rng(3)
    for trial in range(12):
        centres = rng.integers(0, 2**63, size=int(rng.integers(1, 15)), dtype=np.uint64)
        colours = rng.integers(0, 255, (len(centres), 48))
        hashes = {}
        for i in range(int(rng.integers(2, 250))):
            k = int(rng.integers(len(centres)))
            h = int(centres[k])
            for bit in rng.choice(64, size=int(rng.integers(0, 7)), replace=False):
                h ^= 1 << int(bit)
            hashes[f"f{i:03d}"] = (h, np.clip(colours[k] + rng.integers(-20, 20, 48), 0, 255).astype(np.uint8).tobytes())
        assert near_duplicate_groups(hashes) == brute_force_groups(hashes, 4, 12.0), trial


def test_publisher_split_kept_partly_or_not_at_all(sources, tmp_path):
    resplit = yt.split_dataset(sources["roboflow"], tmp_path / "a", config=None, keep_split=False, progress=False)
    assert resplit.table["images"].tolist() == [10, 2] and "by ratios" in resplit.how
    folder = tmp_path / "no-valid"
    presplit(folder, yaml_file=False)
    for image in (folder / "images" / "val").iterdir():  # a publisher's train and test, no val
        image.rename(folder / "images" / "train" / image.name)
        (folder / "labels" / "val" / f"{image.stem}.txt").rename(folder / "labels" / "train" / f"{image.stem}.txt")
    result = yt.split_dataset(folder, tmp_path / "b", config=tmp_path / "b" / "config.yaml", group=False, progress=False)
    assert result.table["images"].tolist() == [8, 2, 2] and "val split from train" in result.how
    assert result.files["test"] == ["test/im10.jpg", "test/im11.jpg"]
    with pytest.raises(yt.DatasetError, match="no split of its own"):
        yt.split_dataset(sources["labelimg"], tmp_path / "c", config=None, export_splits=True, progress=False)


def test_cli_takes_names_and_resplits_a_publishers_split(tmp_path, capsys):
    from yolo_training.cli import main

    source = tmp_path / "no-names"
    presplit(source, yaml_file=False)
    (source / "classes.txt").unlink()  # a download without its class names
    assert main(["report", str(source), "--no-near-duplicates"]) == 2
    assert "names" in capsys.readouterr().err
    assert main(["report", str(source), "--no-near-duplicates", "--names", "cat", "dog"]) == 0
    assert "split by the publisher" in capsys.readouterr().out
    out = tmp_path / "again"
    assert main(["split", "--source", str(source), "--names", "cat", "dog", "--resplit", "--ratios", "0.5", "0.5",
                 "--out", str(out), "--config", str(out / "config.yaml")]) == 0
    counts = {s: len(list((out / "images" / s).glob("*.jpg"))) for s in ("train", "val")}
    assert sum(counts.values()) == 12 and counts["val"] >= 5  # made anew at 50/50, not the publisher's 8/2/2
    assert yt.load_config(out / "config.yaml")["names"] == {0: "cat", 1: "dog"}


def test_advice_fits_the_mistake_utf16_labels_and_voc_objects_without_a_box(sources, tmp_path):
    """PowerShell's `>` writes UTF-16; a VOC object without <bndbox> leaves its whole image out, and both say so."""
    root = tmp_path / "ps"
    shutil.copytree(sources["presplit-yaml"], root)
    label = sorted((root / "labels" / "train").glob("*.txt"))[0]
    label.write_bytes(label.read_text().encode("utf-16"))
    problems = [str(p) for p in yt.inspect_dataset(root, progress=False).problems]
    assert any(label.name in p and "UTF-16" in p and "Out-File -Encoding utf8" in p for p in problems), problems
    voc = tmp_path / "voc"
    shutil.copytree(sources["voc-lower"], voc)
    xml = sorted((voc / "annotations").glob("*.xml"))[0]
    xml.write_text(xml.read_text().replace("<bndbox>", "<box>", 1).replace("</bndbox>", "</box>", 1))
    problems = [str(p) for p in yt.inspect_dataset(voc, progress=False).problems]
    assert any(xml.name in p and "no complete <bndbox>" in p and "leaves this image out" in p for p in problems), problems
    result = yt.split_dataset(voc, tmp_path / "voc-split", config=None, progress=False)
    assert result.table["images"].sum() == len(IMAGES) - 1
