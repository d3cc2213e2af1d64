"""labelme JSON, CVAT for images 1.1 and CVAT for video 1.1, generated here as the tools write them:
each recognised, inspected, split with the objects that were drawn, the source never changed.

What is not a region (a labelme point or line, a CVAT polyline) is a problem with its file and
line; an image that exists only inside its JSON (``imageData``) and a video task's frames are
written into the project's cache, never into the dataset's folder.
"""

from __future__ import annotations

import base64
import json
import zipfile
from collections import Counter
from pathlib import Path

import cv2
import numpy as np
import pytest
import yaml

import yolo_training as yt
from conftest import tree_fingerprint
from test_dataset import photo
from test_layouts import IMAGES, NAMES, H, W, write
from yolo_training.data.formats.recognition import recognise


@pytest.fixture(autouse=True)
def home(tmp_path, monkeypatch) -> Path:
    """A project folder of the test's own: its ``.cache/`` is where decoded images and extracted frames go."""
    project = tmp_path / "project"
    project.mkdir()
    monkeypatch.setenv("YOLO_TRAINING_HOME", str(project))
    return project


def split_counts(result) -> dict[str, int]:
    """Objects per class name in a split's table."""
    return {n: int(result.table[n].sum()) for n in result.table.columns if n in NAMES}


def split_objects(out: Path) -> Counter:
    """Objects per class id in the written label files (what Ultralytics will train on)."""
    found = Counter()
    for label in (out / "labels").rglob("*.txt"):
        found.update(int(line.split()[0]) for line in label.read_text().splitlines() if line.strip())
    return found


def zip_folder(folder: Path, archive: Path) -> Path:
    with zipfile.ZipFile(archive, "w", zipfile.ZIP_DEFLATED) as zf:
        for p in sorted(folder.rglob("*")):
            zf.write(p, f"{folder.name}/{p.relative_to(folder).as_posix()}")
    return archive


# --------------------------------------------------------------------------------------------
# labelme


def labelme_shape(label, kind, points, group=None) -> dict:
    return {"label": label, "points": [list(map(float, p)) for p in points], "group_id": group, "description": "",
            "shape_type": kind, "flags": {}, "mask": None}


def labelme_json(image_path: str, shapes: list[dict], image_data: str | None = None) -> str:
    return json.dumps({"version": "5.4.1", "flags": {}, "shapes": shapes, "imagePath": image_path,
                       "imageData": image_data, "imageHeight": H, "imageWidth": W}, indent=2)


def labelme_folder(root: Path) -> tuple[Counter, dict]:
    """The twelve images labelled in labelme: rectangles (corners in any order), polygons, one circle,
    a point and a line (not regions), two grouped shapes, one image only as imageData, some JSON
    files in their own folder naming the image with Windows backslashes; labels.txt as labelme's
    scripts want it. Returns the objects per class and where things are."""
    counts: Counter = Counter()
    for i, (stem, _, objects) in enumerate(IMAGES):
        photo(root / f"{stem}.jpg", seed=i)
        shapes = []
        for k, (c, x0, y0, x1, y1) in enumerate(objects):
            counts[NAMES[c]] += 1
            group = 1 if i == 7 else None
            if (i + k) % 2:
                shapes.append(labelme_shape(NAMES[c], "polygon", [(x0, y0), (x1, y0), (x1, y1), (x0, y1)], group))
            else:
                shapes.append(labelme_shape(NAMES[c], "rectangle", [(x1, y1), (x0, y0)], group))  # dragged up-left
        if i == 3:
            shapes.append(labelme_shape("cat", "circle", [(20, 20), (20, 30)]))  # centre, a point on the edge: radius 10
            counts["cat"] += 1
        if i == 4:
            shapes.append(labelme_shape("dog", "point", [(5, 5)]))
        if i == 6:
            shapes.append(labelme_shape("cat", "line", [(1, 1), (30, 30)]))
        if i in (1, 2):  # saved in a folder of its own, imagePath as labelme writes it on Windows
            write(root / "json" / f"{stem}.json", labelme_json(f"..\\{stem}.jpg", shapes))
        elif i == 9:  # the image only inside the JSON
            data = base64.b64encode((root / f"{stem}.jpg").read_bytes()).decode()
            (root / f"{stem}.jpg").unlink()
            write(root / f"{stem}.json", labelme_json(f"{stem}.jpg", shapes, data))
        else:
            write(root / f"{stem}.json", labelme_json(f"{stem}.jpg", shapes))
    write(root / "labels.txt", "__ignore__\n_background_\ncat\ndog\n")
    return counts, {"embedded": "im09.jpg", "point": "im04.json", "line": "im06.json"}


def test_labelme_recognised_inspected_split_source_unchanged(tmp_path, home):
    source = tmp_path / "labelme"
    counts, where = labelme_folder(source)
    before = tree_fingerprint(source)
    layout = recognise(source)
    assert layout.kind == "labelme JSON (one .json per image)" and layout.names == ["cat", "dog"]
    assert len(layout.items) == 12
    embedded = next(item for item in layout.items if item.key.endswith("im09.jpg"))
    assert home / ".cache" / "dataset-images" in embedded.image.parents  # decoded into the project's cache...
    assert (embedded.image.parent / ".yolo-training-cache").is_file()  # ... in a folder marked as generated
    assert embedded.image.read_bytes() == base64.b64decode(json.loads((source / "im09.json").read_text())["imageData"])
    assert any("imageData" in n and "not written to" in n for n in layout.notes)
    assert any("group_id" in n and "separate" in n for n in layout.notes)
    uses = {u.name: u for u in layout.files}
    assert uses["labels.txt"].used and uses["json/im01.json"].used and uses["im09.json"].used
    assert not [u for u in layout.files if not u.used], [str(u) for u in layout.files if not u.used]

    report = yt.inspect_dataset(source, progress=False)
    assert not report.errors, report.summary()
    assert len(report.images) == 12 and dict(report.instances_per_class) == dict(counts)
    problems = {(Path(p.file).name, p.kind): p for p in report.problems}
    point, line = problems[(where["point"], "not-a-region")], problems[(where["line"], "not-a-region")]
    assert "a point, not a region: left out" in point.message and point.line > 1
    assert "a line, not a region: left out" in line.message and line.line > 1

    result = yt.split_dataset(source, tmp_path / "split", config=tmp_path / "split" / "config.yaml", progress=False)
    assert result.table["images"].sum() == 12
    assert split_counts(result) == dict(counts)
    assert split_objects(tmp_path / "split") == Counter({0: counts["cat"], 1: counts["dog"]})
    assert yaml.safe_load(result.config.read_text())["names"] == {0: "cat", 1: "dog"}
    assert len(list((tmp_path / "split" / "images").rglob("im09.jpg"))) == 1  # the decoded image went into the split
    assert tree_fingerprint(source) == before  # nothing written into the student's folder


def test_labelme_rectangle_corners_circle_and_polygons_for_segmentation(tmp_path):
    source = tmp_path / "labelme"
    labelme_folder(source)
    boxes = {item.key: item.text.splitlines() for item in recognise(source).items}
    x0, y0, x1, y1 = IMAGES[0][2][0][1:]
    assert boxes["im00.jpg"][0] == f"0 {(x0 + x1) / 2 / W:.6f} {(y0 + y1) / 2 / H:.6f} {(x1 - x0) / W:.6f} {(y1 - y0) / H:.6f}"
    assert boxes["im03.jpg"][-1] == f"0 {20 / W:.6f} {20 / H:.6f} {20 / W:.6f} {20 / H:.6f}"  # the circle's box
    polygons = {item.key: item.text.splitlines() for item in recognise(source, task="segment").items}
    assert len(polygons["im03.jpg"][-1].split()) == 1 + 2 * 32  # the circle as a 32-point polygon
    assert len(polygons["im00.jpg"][0].split()) == 1 + 2 * 4  # a rectangle's four corners
    assert len(polygons["im01.jpg"][0].split()) == 1 + 2 * 4  # a polygon (its JSON in json/, imagePath ..\\im01.jpg)


def test_labelme_names_without_labels_txt_and_a_broken_file(tmp_path):
    source = tmp_path / "labelme"
    counts, _ = labelme_folder(source)
    (source / "labels.txt").unlink()
    assert recognise(source).names == ["cat", "dog"]  # sorted
    assert recognise(source, names=["dog", "cat"]).names == ["dog", "cat"]  # names= gives the order
    write(source / "labels.txt", "__ignore__\n_background_\ndog\ncat\n")
    with pytest.raises(yt.DatasetError, match=r"disagree with labelme's labels.txt"):
        recognise(source, names=["cat", "dog"])
    (source / "labels.txt").unlink()
    broken = source / "im08.json"
    broken.write_text(broken.read_text()[:200])  # cut short: labelme crashed while saving
    report = yt.inspect_dataset(source, progress=False)
    problem = next(p for p in report.problems if Path(p.file).name == "im08.json")
    assert problem.severity == "error" and problem.image == "im08.jpg" and problem.line > 1
    assert "not valid JSON" in problem.message and "save it again" in problem.message
    result = yt.split_dataset(source, tmp_path / "split", config=None, progress=False)
    assert result.table["images"].sum() == 11  # its image is left out, not taught as a background
    assert "im08.jpg" in sum(result.removed.values(), [])


# --------------------------------------------------------------------------------------------
# CVAT for images 1.1

LABELS = ("dog", "cat")  # CVAT's <labels> order gives the ids, not the alphabet


def cvat_meta(mode: str, size: int, extra: str = "") -> str:
    labels = "".join(f"\n        <label>\n          <name>{n}</name>\n          <color>#ff0000</color>\n          <type>any</type>\n"
                     f"          <attributes>\n            <attribute><name>pose</name><values>up</values></attribute>\n          </attributes>\n        </label>"
                     for n in LABELS)
    return (f'<?xml version="1.0" encoding="utf-8"?>\n<annotations>\n  <version>1.1</version>\n  <meta>\n    <task>\n      <id>7</id>\n'
            f"      <name>pets</name>\n      <size>{size}</size>\n      <mode>{mode}</mode>\n      <start_frame>0</start_frame>\n"
            f"      <stop_frame>{size - 1}</stop_frame>\n      <frame_filter></frame_filter>\n      <labels>{labels}\n      </labels>{extra}\n"
            "    </task>\n    <dumped>2024-05-01 10:00:00</dumped>\n  </meta>\n")


def cvat_images_folder(root: Path) -> Counter:
    """CVAT's "CVAT for images 1.1" export with its images: boxes (one occluded), polygons, a polyline,
    points and a tag (not regions), one image in a sub-folder. Returns the objects per class."""
    counts: Counter = Counter()
    body = []
    for i, (stem, _, objects) in enumerate(IMAGES):
        name = f"sub/{stem}.jpg" if i == 3 else f"{stem}.jpg"
        photo(root / "images" / name, seed=i)
        shapes = []
        for k, (c, x0, y0, x1, y1) in enumerate(objects):
            counts[NAMES[c]] += 1
            if k == 1 and i % 3 == 0:
                shapes.append(f'    <polygon label="{NAMES[c]}" source="manual" occluded="0" points="{x0},{y0};{x1},{y0};{x1},{y1};{x0},{y1}" z_order="0">\n    </polygon>')
            else:
                occluded = "1" if i == 2 and k == 0 else "0"
                shapes.append(f'    <box label="{NAMES[c]}" source="manual" occluded="{occluded}" xtl="{x0}.00" ytl="{y0}.00" xbr="{x1}.00" ybr="{y1}.00" z_order="0">\n'
                              '      <attribute name="pose">up</attribute>\n    </box>')
        if i == 4:
            shapes.append('    <polyline label="cat" source="manual" occluded="0" points="1.0,1.0;20.0,30.0" z_order="0">\n    </polyline>')
            shapes.append('    <points label="dog" source="manual" occluded="0" points="5.0,5.0" z_order="0">\n    </points>')
        if i == 6:
            shapes.append('    <tag label="cat" source="manual">\n    </tag>')
        body.append(f'  <image id="{i}" name="{name}" width="{W}" height="{H}">\n' + "\n".join(shapes) + "\n  </image>")
    write(root / "annotations.xml", cvat_meta("annotation", len(IMAGES)) + "\n".join(body) + "\n</annotations>\n")
    return counts


def test_cvat_images_recognised_inspected_split_source_unchanged(tmp_path):
    source = tmp_path / "cvat-images"
    counts = cvat_images_folder(source)
    before = tree_fingerprint(source)
    layout = recognise(source)
    assert layout.kind == "CVAT for images 1.1 XML (annotations.xml)" and layout.names == list(LABELS)
    assert any("1 object(s) marked occluded" in n for n in layout.notes)
    assert not [u for u in layout.files if not u.used], [str(u) for u in layout.files if not u.used]
    report = yt.inspect_dataset(source, progress=False)
    assert not report.errors, report.summary()
    assert len(report.images) == 12 and dict(report.instances_per_class) == dict(counts)
    assert report.summary().splitlines()[0].startswith("CVAT for images 1.1 XML (annotations.xml): 12 images")
    lines = (source / "annotations.xml").read_text().splitlines()
    reported = {(p.line, p.kind) for p in report.problems if Path(p.file).name == "annotations.xml"}
    for tag in ("<polyline", "<points", "<tag"):
        number = next(n for n, text in enumerate(lines, start=1) if text.strip().startswith(tag))
        assert (number, "not-a-region") in reported, (tag, number, reported)
    polyline = next(p for p in report.problems if "polyline" in p.message)
    assert "not a region" in polyline.message and "left out" in polyline.message and polyline.image == "im04.jpg"

    result = yt.split_dataset(source, tmp_path / "split", config=tmp_path / "split" / "config.yaml", progress=False)
    assert result.table["images"].sum() == 12
    assert split_counts(result) == dict(counts)
    assert split_objects(tmp_path / "split") == Counter({LABELS.index(n): k for n, k in counts.items()})
    assert yaml.safe_load(result.config.read_text())["names"] == {0: "dog", 1: "cat"}
    assert tree_fingerprint(source) == before


def test_cvat_images_in_a_zip_and_polygons_for_segmentation(tmp_path):
    source = tmp_path / "task"
    counts = cvat_images_folder(source)
    archive = zip_folder(source, tmp_path / "task.zip")
    report = yt.inspect_dataset(archive, progress=False)
    assert dict(report.instances_per_class) == dict(counts)
    assert any(str(p.file).endswith("task.zip/annotations.xml") for p in report.problems), [str(p.file) for p in report.problems]
    polygons = {item.key: item.text.splitlines() for item in recognise(source, task="segment").items}
    assert [len(line.split()) for line in polygons["im00.jpg"]] == [9, 9]  # a box's corners, a polygon's four points


def test_cvat_refusals_name_the_file_and_what_to_do(tmp_path):
    source = tmp_path / "cvat"
    cvat_images_folder(source)
    xml = source / "annotations.xml"
    text = xml.read_text()
    xml.write_text(text[: len(text) // 2])  # a download cut short
    with pytest.raises(yt.DatasetError, match=r"annotations.xml, line \d+: not valid XML .*Export the annotations from CVAT again"):
        yt.split_dataset(source, tmp_path / "split", config=None, progress=False)
    xml.write_text(text)
    with pytest.raises(yt.DatasetError, match=r"names=\['cat', 'dog'\] disagree with the labels of annotations.xml .*line \d+.*\['dog', 'cat'\]"):
        yt.inspect_dataset(source, names=["cat", "dog"], progress=False)


# --------------------------------------------------------------------------------------------
# CVAT for video 1.1

N_FRAMES = 12


def frame_image(i: int) -> np.ndarray:
    rng = np.random.default_rng(100 + i)
    return cv2.resize(rng.integers(0, 255, (6, 8, 3), dtype=np.uint8), (W, H), interpolation=cv2.INTER_NEAREST)


def cvat_video_xml(root: Path, source: str = "") -> tuple[Counter, int]:
    """Two tracks as CVAT writes them: a box on every frame of a track, interpolated ones too
    (keyframe="0"); the cat leaves the view on frame 10 (outside="1"), the dog is occluded on 5,
    and a polyline track. Returns the visible objects per class and their number."""
    counts: Counter = Counter()
    tracks = []
    cat = []
    for f in range(0, 11):
        outside = "1" if f == 10 else "0"
        counts["cat"] += outside == "0"
        cat.append(f'    <box frame="{f}" keyframe="{int(f in (0, 9, 10))}" outside="{outside}" occluded="0" xtl="{4 + f}.00" ytl="6.00" xbr="{30 + f}.00" ybr="30.00" z_order="0">\n    </box>')
    tracks.append('  <track id="0" label="cat" source="manual">\n' + "\n".join(cat) + "\n  </track>")
    dog = []
    for f in range(3, N_FRAMES):
        counts["dog"] += 1
        dog.append(f'    <box frame="{f}" keyframe="{int(f == 3)}" outside="0" occluded="{int(f == 5)}" xtl="30.00" ytl="{10 + f}.00" xbr="60.00" ybr="{20 + f}.00" z_order="0">\n    </box>')
    tracks.append('  <track id="1" label="dog" source="manual">\n' + "\n".join(dog) + "\n  </track>")
    tracks.append('  <track id="2" label="cat" source="manual">\n    <polyline frame="0" keyframe="1" outside="0" occluded="0" points="1,1;9,9" z_order="0">\n    </polyline>\n  </track>')
    extra = f"\n      <original_size>\n        <width>{W}</width>\n        <height>{H}</height>\n      </original_size>"
    meta = cvat_meta("interpolation", N_FRAMES, extra)
    if source:
        meta = meta.replace("    <dumped>", f"    <source>{source}</source>\n    <dumped>")
    write(root / "annotations.xml", meta + "\n".join(tracks) + "\n</annotations>\n")
    return counts, sum(counts.values())


def write_video(path: Path) -> Path:
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 10, (W, H))
    assert writer.isOpened()
    for i in range(N_FRAMES):
        writer.write(frame_image(i))
    writer.release()
    return path


def check_video_set(source: Path, tmp_path: Path, counts: Counter) -> None:
    layout = recognise(source)
    assert layout.kind == "CVAT for video 1.1 XML (annotations.xml)" and layout.names == list(LABELS)
    assert len(layout.items) == N_FRAMES
    assert any("tracking set" in n and "one image per frame" in n for n in layout.notes)
    assert any(p.kind == "not-a-region" and "track 2" in p.message for p in layout.problems)
    report = yt.inspect_dataset(source, progress=False)
    assert not report.errors, report.summary()
    assert dict(report.instances_per_class) == dict(counts)
    result = yt.split_dataset(source, tmp_path / "split", config=tmp_path / "split" / "config.yaml", progress=False)
    assert result.table["images"].sum() == N_FRAMES
    assert split_counts(result) == dict(counts)
    assert split_objects(tmp_path / "split") == Counter({LABELS.index(n): k for n, k in counts.items()})


def test_cvat_video_with_its_frames_folder(tmp_path):
    source = tmp_path / "cvat-video"
    for i in range(N_FRAMES):  # CVAT's export: images/frame_000000.PNG
        (source / "images").mkdir(parents=True, exist_ok=True)
        cv2.imwrite(str(source / "images" / f"frame_{i:06d}.PNG"), frame_image(i))
    counts, n = cvat_video_xml(source)
    before = tree_fingerprint(source)
    check_video_set(source, tmp_path, counts)
    assert tree_fingerprint(source) == before
    tracks = yt.read_cvat_tracks(source / "annotations.xml")
    assert list(tracks.columns) == ["frame", "track_id", "class", "x1", "y1", "x2", "y2", "occluded"]
    assert len(tracks) == n and 10 not in set(tracks[tracks.track_id == 0].frame)  # outside: no box
    assert tracks[tracks.occluded].frame.tolist() == [5] and set(tracks["class"]) == {"cat", "dog"}
    assert tracks.iloc[0][["x1", "y1", "x2", "y2"]].tolist() == [4.0, 6.0, 30.0, 30.0]


def test_cvat_video_frames_extracted_from_the_video_beside_it(tmp_path, home):
    source = tmp_path / "cvat-video"
    source.mkdir()
    write_video(source / "street.mp4")
    counts, _ = cvat_video_xml(source, source="street.mp4")
    before = tree_fingerprint(source)
    check_video_set(source, tmp_path, counts)
    layout = recognise(source)
    assert all(home / ".cache" / "dataset-images" in item.image.parents for item in layout.items)
    assert layout.items[0].image.name == "frame_000000.jpg"
    assert {u.name: u.used for u in layout.files}["street.mp4"]
    assert tree_fingerprint(source) == before  # the frames went into the cache, not beside the video
    archive = zip_folder(source, tmp_path / "street.zip")  # the same export as CVAT zips it
    result = yt.split_dataset(archive, tmp_path / "from-zip", config=None, progress=False)
    assert split_counts(result) == dict(counts)


def test_cvat_video_without_frames_or_video_is_refused(tmp_path):
    source = tmp_path / "cvat-video"
    source.mkdir()
    cvat_video_xml(source)
    with pytest.raises(yt.DatasetError, match=r"annotations.xml is a CVAT for video 1.1 XML .* 'Save images', or put the video beside the XML"):
        yt.inspect_dataset(source, progress=False)
    cvat_images_folder(tmp_path / "images-task")
    with pytest.raises(yt.DatasetError, match=r"has no <track>: it is a CVAT for images 1.1 XML. Export the task as 'CVAT for video 1.1'"):
        yt.read_cvat_tracks(tmp_path / "images-task" / "annotations.xml")


# --------------------------------------------------------------------------------------------
# A CVAT XML beside a COCO JSON that holds fewer objects


def coco_json(root: Path) -> int:
    """A COCO file for the same images with only each image's first object."""
    images, annotations = [], []
    for i, (stem, _, objects) in enumerate(IMAGES):
        name = f"sub/{stem}.jpg" if i == 3 else f"{stem}.jpg"
        images.append({"id": i, "file_name": name, "width": W, "height": H})
        for c, x0, y0, x1, y1 in objects[:1]:
            annotations.append({"id": len(annotations) + 1, "image_id": i, "category_id": c + 1, "bbox": [x0, y0, x1 - x0, y1 - y0], "area": 1, "iscrowd": 0})
    write(root / "images" / "instances.json", json.dumps({"images": images, "annotations": annotations,
                                                          "categories": [{"id": 1, "name": "cat"}, {"id": 2, "name": "dog"}]}))
    return len(annotations)


def test_cvat_beside_coco_with_fewer_objects(tmp_path):
    source = tmp_path / "two-sources"
    counts = cvat_images_folder(source)
    n_coco = coco_json(source)
    before = tree_fingerprint(source)
    report = yt.inspect_dataset(source, progress=False)
    assert report.kind.startswith("COCO JSON") and sum(report.instances_per_class.values()) == n_coco
    xml = next(u for u in report.files if u.name == "annotations.xml")
    assert not xml.used and xml.severity == "error"
    assert "CVAT for images 1.1 XML" in xml.what and f"{sum(counts.values())} object(s)" in xml.what and "source='annotations.xml'" in xml.what
    assert "annotations.xml" in report.summary() and "instances.json" in report.summary()
    with pytest.raises(yt.DatasetError, match=r"(?s)annotations.xml: CVAT for images 1.1 XML.*allow_unread=True"):
        yt.split_dataset(source, tmp_path / "refused", config=None, progress=False)
    assert not (tmp_path / "refused").exists()
    forced = yt.split_dataset(source, tmp_path / "forced", config=None, allow_unread=True, progress=False)
    assert sum(split_counts(forced).values()) == n_coco
    chosen = yt.split_dataset(source, tmp_path / "xml", config=tmp_path / "xml" / "config.yaml", source_file="annotations.xml", progress=False)
    assert split_counts(chosen) == dict(counts) and chosen.table["images"].sum() == 12
    picked = yt.inspect_dataset(source, source="annotations.xml", progress=False)
    coco = next(u for u in picked.files if u.name == "images/instances.json")
    assert not coco.used and "source='instances.json'" in coco.what
    assert tree_fingerprint(source) == before


@pytest.mark.slow
def test_cvat_images_trains_one_tiny_epoch(tmp_path):
    source = tmp_path / "cvat-images"
    cvat_images_folder(source)
    before = tree_fingerprint(source)
    result = yt.split_dataset(source, tmp_path / "split", config=tmp_path / "split" / "config.yaml", progress=False)
    run = yt.train(result.config, model="yolov8n", epochs=1, imgsz=64, batch=8, project=tmp_path / "runs", name="cvat", verbose=False)
    assert run.results_csv.is_file()
    assert tree_fingerprint(source) == before
