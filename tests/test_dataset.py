"""inspect_dataset: every problem of the issue, each from a real broken file written here."""

from __future__ import annotations

import io
from pathlib import Path

import cv2
import numpy as np
import pytest
from PIL import Image

import yolo_training as yt
from conftest import tree_fingerprint


def photo(path: Path, seed: int = 0, size=(64, 48)) -> Path:
    """A small JPEG of random blocks (different seeds give visibly different pictures)."""
    rng = np.random.default_rng(seed)
    img = cv2.resize(rng.integers(0, 255, (6, 8, 3), dtype=np.uint8), size, interpolation=cv2.INTER_NEAREST)
    path.parent.mkdir(parents=True, exist_ok=True)
    cv2.imwrite(str(path), img)
    return path


def make_export(root: Path, labels: dict[str, str], names=("cat", "dog")) -> Path:
    """An export with one image per entry of ``labels`` (name -> label text, None for no label file)."""
    (root / "labels").mkdir(parents=True, exist_ok=True)
    (root / "classes.txt").write_text("\n".join(names) + "\n", encoding="utf-8")
    for i, (name, text) in enumerate(labels.items()):
        photo(root / "images" / name, seed=i)
        if text is not None:
            (root / "labels" / f"{Path(name).stem}.txt").write_text(text, encoding="utf-8")
    return root


def kinds_at(report, file_name: str) -> dict[int, str]:
    return {p.line: p.kind for p in report.problems if Path(p.file).name == file_name}


def test_label_problems_name_file_and_line(tmp_path):
    export = make_export(
        tmp_path / "e",
        {
            "good.jpg": "0 0.5 0.5 0.2 0.2\n1 0.3 0.3 0.1 0.1\n",
            "words.jpg": "0 0.5 0.5 0.2 0.2\ncat 0.5 0.5 0.2 0.2\n",
            "short.jpg": "0 0.5 0.5 0.2\n",
            "odd.jpg": "0 0.1 0.1 0.2 0.2 0.3\n",
            "classid.jpg": "0 0.5 0.5 0.2 0.2\n0 0.5 0.5 0.2 0.2\n7 0.5 0.5 0.2 0.2\n",
            "pixels.jpg": "1 320 240 50 60\n",
            "zero.jpg": "0 0.5 0.5 0 0.2\n",
            "flatpoly.jpg": "0 0.1 0.1 0.2 0.2 0.3 0.3\n",
            "edge.jpg": "0 0.95 0.5 0.11 0.2\n",
            "nan.jpg": "0 nan 0.5 0.2 0.2\n",
            "mixed.jpg": "0 0.5 0.5 0.2 0.2\n1 0.1 0.1 0.4 0.1 0.3 0.4\n",
            "nolabel.jpg": None,
        },
    )
    (export / "labels" / "orphan.txt").write_text("0 0.5 0.5 0.1 0.1\n")
    before = tree_fingerprint(export)
    report = yt.inspect_dataset(export, progress=False)
    assert tree_fingerprint(export) == before  # looking never changes anything
    assert kinds_at(report, "good.txt") == {}
    assert kinds_at(report, "words.txt") == {2: "not-numeric"}
    assert kinds_at(report, "short.txt") == {1: "malformed"}
    assert kinds_at(report, "odd.txt") == {1: "malformed"}
    assert kinds_at(report, "classid.txt") == {2: "duplicate-line", 3: "class-id"}
    assert kinds_at(report, "pixels.txt") == {1: "outside"}
    assert kinds_at(report, "zero.txt") == {1: "degenerate"}
    assert kinds_at(report, "flatpoly.txt") == {1: "degenerate"}
    assert kinds_at(report, "edge.txt") == {1: "overshoot"}
    assert kinds_at(report, "nan.txt") == {1: "not-numeric"}
    assert kinds_at(report, "mixed.txt") == {0: "mixed"}
    assert kinds_at(report, "nolabel.jpg") == {0: "no-label"}
    assert kinds_at(report, "orphan.txt") == {0: "no-image"}
    # the message names the file and the line
    text = str(next(p for p in report.problems if p.kind == "class-id"))
    assert "classid.txt, line 3" in text and "0..1" in text
    assert "classid.txt, line 3" in report.summary()
    # what Ultralytics cannot use is an error; the rest a warning
    errors = set(report.images[report.images["error"]]["image"])
    assert errors == {"words.jpg", "short.jpg", "odd.jpg", "classid.jpg", "pixels.jpg", "zero.jpg", "flatpoly.jpg", "nan.jpg", "mixed.jpg"}
    # backgrounds: missing label file and empty label file told apart
    assert "1 images without a label file" in report.summary()
    assert set(report.table.columns) == {"file", "line", "kind", "severity", "message"}


def test_image_problems(tmp_path):
    export = make_export(tmp_path / "e", {f"ok{i}.jpg": "0 0.5 0.5 0.2 0.2\n" for i in range(3)})
    images, labels = export / "images", export / "labels"

    def label(name):
        (labels / f"{Path(name).stem}.txt").write_text("1 0.5 0.5 0.3 0.3\n")

    # truncated JPEG: an interrupted copy
    data = (images / "ok0.jpg").read_bytes()
    (images / "cut.jpg").write_bytes(data[: len(data) // 2])
    label("cut.jpg")
    # not an image at all, and an empty file
    (images / "text.jpg").write_bytes(b"this is not a picture")
    label("text.jpg")
    (images / "empty.png").write_bytes(b"")
    label("empty.png")
    # a PNG with an alpha channel saved as .jpg (common in real exports)
    Image.new("RGBA", (40, 30), (255, 0, 0, 128)).save(images / "alpha.jpg", format="PNG")
    label("alpha.jpg")
    # a PNG with its end chunk cut off
    buf = io.BytesIO()
    Image.new("RGB", (40, 30), "blue").save(buf, format="PNG")
    (images / "cutpng.png").write_bytes(buf.getvalue()[:-20])
    label("cutpng.png")
    # a photo stored rotated with an EXIF orientation tag (portrait phone shot)
    exif = Image.Exif()
    exif[274] = 6
    Image.new("RGB", (60, 40), "green").save(images / "rotated.jpg", exif=exif)
    label("rotated.jpg")
    # upper-case extension, spaces and non-ASCII characters in the name
    photo(images / "UPPER.JPG", seed=20)
    label("UPPER.JPG")
    photo(images / "my café photo.jpg", seed=21)
    label("my café photo.jpg")
    # the same stem with two extensions
    photo(images / "twin.jpg", seed=22)
    photo(images / "twin.png", seed=23)
    label("twin.jpg")
    # a tiny image
    Image.new("RGB", (8, 8), "yellow").save(images / "tiny.png")
    label("tiny.png")

    report = yt.inspect_dataset(export, progress=False)
    kinds = {Path(p.file).name: set() for p in report.problems}
    for p in report.problems:
        kinds[Path(p.file).name].add(p.kind)
    assert kinds["cut.jpg"] == {"truncated"}
    assert kinds["text.jpg"] == {"unreadable"} and kinds["empty.png"] == {"unreadable"}
    assert kinds["alpha.jpg"] == {"format"}
    assert "PNG image with an alpha channel but is named .jpg" in next(str(p) for p in report.problems if p.kind == "format")
    assert kinds["cutpng.png"] == {"truncated"}
    assert kinds["rotated.jpg"] == {"exif"}
    row = report.images.set_index("image").loc["rotated.jpg"]
    assert (row["width"], row["height"]) == (40, 60)  # the size as displayed
    assert kinds["UPPER.JPG"] == {"extension"}
    assert kinds["my café photo.jpg"] == {"file-name"}
    assert "non-ASCII characters and spaces" in next(str(p) for p in report.problems if p.kind == "file-name")
    assert kinds["twin.png"] == {"same-stem"} and "twin.jpg" not in kinds
    assert kinds["tiny.png"] == {"tiny"}
    for name in ("ok0.jpg", "ok1.jpg", "ok2.jpg"):
        assert name not in kinds


def test_duplicates_near_duplicates_and_advice(tmp_path):
    export = make_export(tmp_path / "e", {f"p{i}.jpg": ("0 0.5 0.5 0.2 0.2\n" if i else "") for i in range(8)})
    images = export / "images"
    (images / "copy.jpg").write_bytes((images / "p1.jpg").read_bytes())
    # a near-duplicate: the same picture, slightly brighter and re-encoded
    img = cv2.imread(str(images / "p2.jpg"))
    cv2.imwrite(str(images / "p2_bright.jpg"), cv2.convertScaleAbs(img, alpha=1.0, beta=6), [cv2.IMWRITE_JPEG_QUALITY, 70])
    for extra in ("copy", "p2_bright"):
        (export / "labels" / f"{extra}.txt").write_text("0 0.5 0.5 0.2 0.2\n")
    report = yt.inspect_dataset(export, progress=False)
    assert report.duplicates == [["copy.jpg", "p1.jpg"]]
    assert report.near_duplicates == [["p2.jpg", "p2_bright.jpg"]]
    assert {p.kind for p in report.problems} == {"duplicate", "near-duplicate"}
    assert not report.errors
    assert report.instances_per_class == {"cat": 9, "dog": 0}
    assert any("'dog' has no instances" in a for a in report.advice)
    assert yt.inspect_dataset(export, near_duplicates=False, progress=False).near_duplicates == []


def test_imbalance_and_background_advice(tmp_path):
    labels = {f"a{i}.jpg": "0 0.5 0.5 0.2 0.2\n" * 12 for i in range(2)}
    labels.update({"b.jpg": "1 0.5 0.5 0.2 0.2\n"})
    labels.update({f"bg{i}.jpg": "" for i in range(2)})
    report = yt.inspect_dataset(make_export(tmp_path / "e", labels), near_duplicates=False, progress=False)
    advice = " ".join(report.advice)
    assert "imbalanced: 24 'cat' vs 1 'dog'" in advice
    assert "40% of the images are backgrounds" in advice and "0-10 %" in advice
    html = report._repr_html_()
    assert "<pre>" in html and "data:image/png;base64" in html


def test_class_names_disagree_shows_both(tmp_path):
    export = make_export(tmp_path / "e", {"a.jpg": "0 0.5 0.5 0.2 0.2\n"}, names=("10 euro", "5 euro"))
    (export / "notes.json").write_text('{"categories": [{"id": 0, "name": "5 euro"}, {"id": 1, "name": "10 euro"}]}')
    with pytest.raises(yt.DatasetError, match=r"notes.json : \['5 euro', '10 euro'\]"):
        yt.inspect_dataset(export, progress=False)
    (export / "classes.txt").unlink()  # notes.json alone decides the ids: never assumed
    assert yt.read_class_names(export) == ["5 euro", "10 euro"]


def test_segmentation_export(tmp_path):
    export = yt.generate_sample(tmp_path / "seg", n_images=12, seed=3, task="segment")
    report = yt.inspect_dataset(export, progress=False)
    assert report.task == "segment" and not report.errors
    assert sum(report.instances_per_class.values()) > 0
    label = next(p for p in sorted((export / "labels").glob("*.txt")) if p.read_text().strip())
    first = label.read_text().splitlines()[0].split()
    assert len(first) > 5 and (len(first) - 1) % 2 == 0  # a polygon, read as one
    # a polygon whose points all lie on a line is degenerate, with its line number
    label.write_text(label.read_text() + "0 0.1 0.1 0.2 0.2 0.3 0.3 0.4 0.4\n")
    n = len(label.read_text().splitlines())
    bad = yt.inspect_dataset(export, near_duplicates=False, progress=False)
    assert [(Path(p.file).name, p.line, p.kind) for p in bad.errors] == [(label.name, n, "degenerate")]
