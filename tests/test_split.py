"""split_dataset: stratified, grouped, reproducible, explicit lists, repairs, and the source never touched."""

from __future__ import annotations

import os
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml
from PIL import Image

import yolo_training as yt
from conftest import tree_fingerprint
from test_dataset import make_export, photo
from yolo_training.data.grouping import assign_splits, frame_sequences
from yolo_training.data.split import SPLIT_MARKER


def split(source, out, **kw):
    kw.setdefault("progress", False)
    return yt.split_dataset(source, out, config=out / "config.yaml", **kw)


def test_stratified_reproducible_and_source_untouched(tiny_export, tmp_path):
    before = tree_fingerprint(tiny_export)
    a = split(tiny_export, tmp_path / "a")
    b = split(tiny_export, tmp_path / "b")
    c = split(tiny_export, tmp_path / "c", seed=1)
    assert tree_fingerprint(tiny_export) == before
    assert a.files == b.files and a.files != c.files
    assert sum(len(v) for v in a.files.values()) == 30 and len(a.files["val"]) == 6
    for s in ("train", "val"):
        stems = {p.stem for p in (tmp_path / "a" / "images" / s).iterdir() if p.suffix == ".jpg"}
        labels = {p.stem for p in (tmp_path / "a" / "labels" / s).iterdir() if p.suffix == ".txt"}
        assert stems == labels == {Path(n).stem for n in a.files[s]}  # images and labels always together
        assert (a.table.loc[s, ["10 euro", "5 euro"]] > 0).all()  # every class in every split
    if a.linked:
        img = a.files["val"][0]
        assert (tmp_path / "a" / "images" / "val" / img).stat().st_ino == (tiny_export / "images" / img).stat().st_ino


def test_stratification_follows_the_ratios():
    # 200 images: a rare class in 20 of them, many multi-label
    rng = np.random.default_rng(0)
    classes = {f"im{i:03d}.jpg": ([2] if i % 10 == 0 else []) + list(rng.choice([0, 1], size=rng.integers(0, 3))) for i in range(200)}
    assignment = assign_splits(classes, (0.7, 0.2, 0.1), seed=3)
    per = {s: Counter(c for n, sp in assignment.items() if sp == s for c in set(classes[n])) for s in ("train", "val", "test")}
    assert Counter(assignment.values()) == {"train": 140, "val": 40, "test": 20}
    assert (per["train"][2], per["val"][2], per["test"][2]) == (14, 4, 2)
    totals = Counter(c for cl in classes.values() for c in set(cl))
    for c in (0, 1):
        assert abs(per["val"][c] - 0.2 * totals[c]) <= 2


def test_three_way_config_loads_in_ultralytics(tiny_export, tmp_path):
    from ultralytics.data.utils import check_det_dataset

    out = tmp_path / "with space"
    result = split(tiny_export, out, ratios=(0.6, 0.2, 0.2))
    data = yaml.safe_load(result.config.read_text())
    assert data["test"] == "images/test" and data["nc"] == 2 and data["names"] == {0: "10 euro", 1: "5 euro"}
    assert "\\" not in result.config.read_text()
    assert list(result.table.index) == ["train", "val", "test"]
    assert result.table["images"].tolist() == [18, 6, 6]
    from yolo_training.data.config import prepare_data

    checked = check_det_dataset(prepare_data(result.config))
    assert Path(checked["test"]).is_dir() and checked["nc"] == 2


def test_too_small_and_bad_ratios(tmp_path):
    export = make_export(tmp_path / "e", {"a.jpg": "0 0.5 0.5 0.2 0.2\n", "b.jpg": "1 0.5 0.5 0.2 0.2\n"})
    with pytest.raises(yt.DatasetError, match="too few for 3 splits"):
        split(export, tmp_path / "o", ratios=(0.6, 0.2, 0.2))
    with pytest.raises(yt.DatasetError, match="sum to 1"):
        split(export, tmp_path / "o", ratios=(0.6, 0.6))
    assert split(export, tmp_path / "o").table["images"].tolist() == [1, 1]


def test_video_frames_and_near_duplicates_stay_together(tmp_path):
    labels = {}
    for clip in "ABCD":
        for f in range(6):
            labels[f"clip{clip}_frame_{f * 5:04d}.jpg"] = f"{f % 2} 0.5 0.5 0.2 0.2\n"
    for i in range(12):
        labels[f"IMG_{i:04d}.jpg"] = f"{i % 2} 0.4 0.4 0.2 0.2\n"  # camera names: separate photos
    export = make_export(tmp_path / "e", labels)
    img = cv2.imread(str(export / "images" / "IMG_0003.jpg"))
    cv2.imwrite(str(export / "images" / "IMG_0003_copy.jpg"), cv2.convertScaleAbs(img, alpha=1, beta=5))
    (export / "labels" / "IMG_0003_copy.txt").write_text("1 0.4 0.4 0.2 0.2\n")
    assert len(frame_sequences(os.listdir(export / "images"))) == 4
    result = split(export, tmp_path / "o", ratios=(0.5, 0.25, 0.25))
    where = {n: s for s, names in result.files.items() for n in names}
    for clip in "ABCD":
        assert len({s for n, s in where.items() if n.startswith(f"clip{clip}")}) == 1
    assert where["IMG_0003.jpg"] == where["IMG_0003_copy.jpg"]
    assert result.n_groups == 4 + 12 and result.largest_group == 6
    assert result.table["groups"].sum() == 16
    assert "largest 6" in str(result)
    # without grouping, frames of one clip land in different splits
    loose = split(export, tmp_path / "o2", ratios=(0.5, 0.25, 0.25), group=False)
    spread = [len({s for s, names in loose.files.items() for n in names if n.startswith(f"clip{c}")}) for c in "ABCD"]
    assert max(spread) > 1


def test_one_long_video_is_cut_into_runs(tmp_path):
    export = make_export(tmp_path / "e", {f"frame_{i:05d}.png": f"{i % 2} 0.5 0.5 0.2 0.2\n" for i in range(40)})
    result = split(export, tmp_path / "o")
    assert result.n_groups >= 5 and any("cut into" in r for r in result.repairs)
    for names in result.files.values():  # each run is consecutive frames
        assert names


def test_explicit_lists_and_export_split_files(tmp_path):
    export = make_export(tmp_path / "e", {f"p{i}.jpg": f"{i % 2} 0.5 0.5 0.2 0.2\n" for i in range(10)})
    result = split(export, tmp_path / "o", train=["p0.jpg", "p1", "p2", "p3"], val=["p4", "p5"], group=False)
    assert result.files == {"train": ["p0.jpg", "p1.jpg", "p2.jpg", "p3.jpg"], "val": ["p4.jpg", "p5.jpg"]}
    assert result.removed["not in the explicit lists"] == ["p6.jpg", "p7.jpg", "p8.jpg", "p9.jpg"]
    only_val = split(export, tmp_path / "o3", val=["p9"], group=False)  # the rest is split by ratios
    assert "p9.jpg" in only_val.files["val"] and sum(map(len, only_val.files.values())) == 10
    with pytest.raises(yt.DatasetError, match="not in the export: nope"):
        split(export, tmp_path / "o4", train=["nope"], val=["p1"])
    (export / "splits").mkdir()
    (export / "splits" / "train.txt").write_text("p0\np1\np2\np3\np4\np5\np6\n")
    (export / "splits" / "val.txt").write_text("p7\np8\n")
    (export / "splits" / "test.txt").write_text("p9\n")
    own = split(export, tmp_path / "o5", export_splits=True)
    assert own.files["test"] == ["p9.jpg"] and own.files["val"] == ["p7.jpg", "p8.jpg"]
    assert "test" in yaml.safe_load(own.config.read_text())


def test_marker_and_overwrite_safety(tiny_export, tmp_path):
    out = tmp_path / "o"
    split(tiny_export, out)
    assert (out / "images" / SPLIT_MARKER).is_file() and (out / "labels" / SPLIT_MARKER).is_file()
    with pytest.raises(yt.OutputExistsError, match="overwrite=True"):
        split(tiny_export, out)
    split(tiny_export, out, overwrite=True, seed=5)
    # a folder the student made is never touched, even with overwrite=True, and nothing else is deleted first
    (out / "labels" / SPLIT_MARKER).unlink()
    (out / "labels" / "mine.txt").write_text("my notes")
    images_before = tree_fingerprint(out / "images")
    with pytest.raises(yt.NotGeneratedError, match="did not write"):
        split(tiny_export, out, overwrite=True)
    assert (out / "labels" / "mine.txt").read_text() == "my notes"
    assert tree_fingerprint(out / "images") == images_before
    with pytest.raises(yt.DatasetError, match="the export itself"):
        split(tiny_export, tiny_export)


def test_errors_left_out_or_repaired_never_in_the_source(tmp_path):
    labels = {f"p{i}.jpg": f"{i % 2} 0.5 0.5 0.2 0.2\n" for i in range(8)}
    labels["edge.jpg"] = "0 0.95 0.5 0.12 0.2\n"
    labels["zero.jpg"] = "0 0.5 0.5 0.2 0.2\n1 0.5 0.5 0 0.3\n"
    labels["pixels.jpg"] = "0 320 240 40 40\n"
    export = make_export(tmp_path / "e", labels)
    Image.new("RGBA", (40, 30), (255, 0, 0, 128)).save(export / "images" / "alpha.jpg", format="PNG")
    (export / "labels" / "alpha.txt").write_text("1 0.5 0.5 0.5 0.5\n")
    before = tree_fingerprint(export)

    plain = split(export, tmp_path / "plain", group=False, fix=False)
    left_out = plain.removed["cannot be trained on (see the report)"]
    assert sorted(left_out) == ["alpha.jpg", "pixels.jpg", "zero.jpg"]
    assert not plain.repairs
    # by default, as Ultralytics itself: a PNG named .jpg is kept, written into the split as a real JPG
    default = split(export, tmp_path / "default", group=False)
    assert sorted(default.removed["cannot be trained on (see the report)"]) == ["pixels.jpg", "zero.jpg"]
    assert any("alpha.jpg: re-saved as a real JPG" in r for r in default.repairs)

    fixed = split(export, tmp_path / "fixed", fix=True, group=False)
    assert fixed.removed["cannot be trained on (see the report)"] == ["pixels.jpg"]  # cannot be guessed
    where = {n: s for s, names in fixed.files.items() for n in names}
    out = tmp_path / "fixed"
    with Image.open(out / "images" / where["alpha.jpg"] / "alpha.jpg") as im:
        assert im.format == "JPEG" and im.mode == "RGB"
    zero = (out / "labels" / where["zero.jpg"] / "zero.txt").read_text().splitlines()
    assert zero == ["0 0.5 0.5 0.2 0.2"]
    x, y, w, h = map(float, (out / "labels" / where["edge.jpg"] / "edge.txt").read_text().split()[1:])
    assert abs(x + w / 2 - 1) < 1e-6 and x - w / 2 == pytest.approx(0.89)
    text = "\n".join(fixed.repairs)
    assert "zero.txt, line 2: dropped a degenerate box" in text and "edge.txt, line 1: clipped" in text
    assert "alpha.jpg: re-saved as a real JPG" in text
    assert tree_fingerprint(export) == before  # repairs go into the split only
    with pytest.raises(yt.DatasetError, match="unknown repair"):
        split(export, tmp_path / "x", fix="magic")


@pytest.mark.slow
def test_webp_saved_from_a_browser_as_jpg_goes_in_whole_and_trains(tmp_path):
    """10 of 40 photos are WEBP files named .jpg (a browser's "save image as"): Ultralytics reads them, so they
    are kept by default, written into the split as real JPGs, and the set trains."""
    labels = {f"p{i:02d}.jpg": f"{i % 2} 0.5 0.5 0.3 0.3\n" for i in range(40)}
    export = make_export(tmp_path / "e", labels)
    for i in range(0, 40, 4):
        path = export / "images" / f"p{i:02d}.jpg"
        with Image.open(path) as im:
            im.load()
        im.save(path, format="WEBP")
    before = tree_fingerprint(export)
    report = yt.inspect_dataset(export, near_duplicates=False, progress=False)
    assert sum(p.kind == "format" for p in report.problems) == 10
    result = split(export, tmp_path / "split", group=False)
    assert int(result.table["images"].sum()) == 40 and not result.removed.get("cannot be trained on (see the report)")
    assert sum("re-saved as a real JPG" in r for r in result.repairs) == 10
    for image in (tmp_path / "split" / "images").rglob("*.jpg"):
        with Image.open(image) as im:
            assert im.format == "JPEG", image
    run = yt.train(tmp_path / "split" / "config.yaml", model="yolov8n", epochs=1, imgsz=64, batch=8, project=tmp_path / "runs", verbose=False)
    assert run.results_csv.is_file()
    assert tree_fingerprint(export) == before


def test_cleaning_and_pruning_options_report_counts(tmp_path):
    labels = {f"both{i}.jpg": "0 0.5 0.5 0.2 0.2\n1 0.2 0.2 0.1 0.1\n" for i in range(6)}
    labels.update({f"cat{i}.jpg": "0 0.5 0.5 0.2 0.2\n" for i in range(4)})
    labels.update({f"bg{i}.jpg": "" for i in range(5)})
    labels.update({f"none{i}.jpg": None for i in range(2)})
    export = make_export(tmp_path / "e", labels)
    (export / "images" / "dup.jpg").write_bytes((export / "images" / "both0.jpg").read_bytes())
    (export / "labels" / "dup.txt").write_text(labels["both0.jpg"])
    r = split(export, tmp_path / "a", remove_duplicates=True, drop_unlabelled=True, max_backgrounds=0.1, group=False)
    assert r.removed["exact duplicates"] == ["dup.jpg"]
    assert r.removed["no label file"] == ["none0.jpg", "none1.jpg"]
    assert len(r.removed["backgrounds above the share"]) == 4  # 10 images with objects allow 1 background
    assert r.table["backgrounds"].sum() == 1
    assert "left out, no label file: 2" in str(r)
    complete = split(export, tmp_path / "b", keep_complete=True, remove_duplicates=True)
    kept = [n for names in complete.files.values() for n in names]
    assert sorted(kept) == [f"both{i}.jpg" for i in range(6)]
    assert len(complete.removed["not every class annotated"]) == 4 + 5 + 2


def test_cli_report_and_split_options(tiny_export, tmp_path, capsys):
    from yolo_training.cli import main

    assert main(["report", str(tiny_export), "--no-near-duplicates"]) == 0
    assert "30 " in capsys.readouterr().out
    out = tmp_path / "cli"
    (tmp_path / "val.txt").write_text("\n".join(sorted(os.listdir(tiny_export / "images"))[:5]))
    code = main(["split", "--source", str(tiny_export), "--out", str(out), "--config", str(out / "config.yaml"),
                 "--val", str(tmp_path / "val.txt"), "--fix", "--max-backgrounds", "0.1"])
    assert code == 0
    assert len(os.listdir(out / "images" / "val")) - 1 >= 5  # the listed five (+ the marker)
    assert main(["split", "--source", str(tiny_export), "--out", str(out), "--config", str(out / "config.yaml")]) == 2
    assert "overwrite" in capsys.readouterr().err


def test_classification_imagefolder(tmp_path):

    folder = tmp_path / "notes"
    for k, (cls, n) in enumerate((("10 euro", 8), ("5 euro", 6))):
        for i in range(n):
            photo(folder / cls / f"{cls[:2].strip()}_{i}.jpg", seed=100 * k + i)
    (folder / "5 euro" / "broken.jpg").write_bytes(b"not a jpeg")
    report = yt.inspect_dataset(folder, progress=False)
    assert report.task == "classify" and report.names == ["10 euro", "5 euro"]
    assert report.images_per_class == {"10 euro": 8, "5 euro": 7}
    assert [(Path(p.file).name, p.kind) for p in report.errors] == [("broken.jpg", "unreadable")]
    before = tree_fingerprint(folder)
    result = yt.split_dataset(folder, tmp_path / "cls", ratios=(0.75, 0.25), progress=False)
    assert tree_fingerprint(folder) == before
    assert result.config == tmp_path / "cls"  # the folder Ultralytics' classify takes as data
    assert result.table[["10 euro", "5 euro"]].values.tolist() == [[6, 5], [2, 1]]  # 14 usable images: 11 + 3
    assert len(list((tmp_path / "cls" / "val" / "5 euro").iterdir())) == 1
    assert (tmp_path / "cls" / "train" / SPLIT_MARKER).is_file()
    assert result.removed["cannot be trained on (see the report)"] == ["5 euro/broken.jpg"]
    from ultralytics.data.utils import check_cls_dataset

    assert check_cls_dataset(str(tmp_path / "cls"))["nc"] == 2
    # an ImageFolder with its own train/val keeps it with export_splits=True
    own = tmp_path / "own"
    for s_i, (split, n) in enumerate((("train", 3), ("val", 1))):
        for c_i, cls in enumerate(("a", "b")):
            for i in range(n):
                photo(own / split / cls / f"{i}.jpg", seed=500 + 100 * s_i + 10 * c_i + i)
    kept = yt.split_dataset(own, tmp_path / "own-split", export_splits=True, group=False, progress=False)
    assert kept.table["images"].tolist() == [6, 2]
    assert sorted(kept.files["val"]) == ["val/a/0.jpg", "val/b/0.jpg"]
