"""The annotation round trip against a real Label Studio, the offline box editor, and safe unzipping.

A session-scoped fixture starts Label Studio from its own environment (``yolo-training label
install``) on a free loopback port with a temporary data folder (about a minute); those tests
skip when that environment is absent. Annotations are posted through the API exactly as the web
UI posts a drawn rectangle or polygon (percent coordinates), then pulled as "YOLO with images".
"""

from __future__ import annotations

import os
import socket
import stat
import zipfile
from pathlib import Path

import pytest

import yolo_training as yt
from yolo_training.annotate.client import connect, create_labeling_project, import_images, original_name
from yolo_training.annotate.pull import pull_export
from yolo_training.annotate.server import (
    free_port,
    label_studio_home,
    label_studio_installed,
    label_studio_status,
    start_label_studio,
    stop_label_studio,
)
from yolo_training.inference.prelabel import accept_predictions, preannotate

from conftest import tree_fingerprint

CLASSES = ["5 euro", "10 euro"]  # configuration order; the export sorts them


def _requires_label_studio():
    if not label_studio_installed():
        pytest.skip(f"Label Studio is not installed in {label_studio_home() / 'venv'}: run `yolo-training label install` first.")


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    _requires_label_studio()
    home = tmp_path_factory.mktemp("label-studio")
    info = start_label_studio(port=free_port(), home=home, quiet=True)
    yield info
    stop_label_studio(home=home, quiet=True)


@pytest.fixture(scope="session")
def client(server):
    return connect(server.url, server.token)


def _read(label: Path) -> list[tuple[int, list[float]]]:
    rows = []
    for line in label.read_text().splitlines():
        if line.split():
            c, *v = line.split()
            rows.append((int(c), [float(x) for x in v]))
    return rows


def _regions(label: Path, names: list[str], task: str) -> list[dict]:
    """The Label Studio result a student's drawing of the sample's objects produces."""
    out = []
    for i, (cls, v) in enumerate(_read(label)):
        if task == "detect":
            xc, yc, w, h = v
            value = {"x": (xc - w / 2) * 100, "y": (yc - h / 2) * 100, "width": w * 100, "height": h * 100, "rotation": 0,
                     "rectanglelabels": [names[cls]]}  # fmt: skip
        else:
            value = {"points": [[x * 100, y * 100] for x, y in zip(v[::2], v[1::2])], "closed": True, "polygonlabels": [names[cls]]}
        out.append({"id": f"r{i}", "from_name": "label", "to_name": "image", "type": f"{'rectangle' if task == 'detect' else 'polygon'}labels",
                    "original_width": 400, "original_height": 300, "image_rotation": 0, "value": value})  # fmt: skip
    return out


def _annotate_all(project, export: Path, task: str) -> dict[str, list[tuple[str, list[float]]]]:
    """Annotate every task from the sample's labels; returns what was drawn, by image name and class name."""
    names = yt.read_class_names(export)
    drawn = {}
    for t in project.client.tasks(project.id):
        original = original_name(t["data"]["image"])
        label = export / "labels" / f"{Path(original).stem}.txt"
        project.client.post(f"/api/tasks/{t['id']}/annotations", json={"result": _regions(label, names, task), "was_cancelled": False})
        drawn[original] = sorted((names[c], v) for c, v in _read(label))
    return drawn


def _pulled(export: Path) -> dict[str, list[tuple[str, list[float]]]]:
    names = yt.read_class_names(export)  # ids from the export, never from the configuration
    return {
        original_name(img.name): sorted((names[c], v) for c, v in _read(export / "labels" / f"{img.stem}.txt"))
        for img in sorted((export / "images").iterdir())
    }


def _assert_same(pulled, drawn):
    assert set(pulled) == set(drawn)
    for name, objects in drawn.items():
        got = pulled[name]
        assert [n for n, _ in got] == [n for n, _ in objects], name
        for (_, a), (_, b) in zip(got, objects):
            assert len(a) == len(b) and max(abs(x - y) for x, y in zip(a, b)) < 1e-4, (name, a, b)


def test_boxes_round_trip(client, tmp_path):
    export = yt.generate_sample(tmp_path / "sample", n_images=5, seed=11)
    project = create_labeling_project("boxes", CLASSES, client=client)
    assert project.task == "detect" and project.classes == CLASSES
    assert len(import_images(project, export / "images")) == 5
    assert import_images(project, export / "images") == []  # already there: skipped
    assert len(client.tasks(project.id)) == 5
    drawn = _annotate_all(project, export, "detect")

    # the folder already holds an export that is not a pull (here the sample): kept as a backup
    dest = tmp_path / "annotations" / "export"
    dest.parent.mkdir()
    before = tree_fingerprint(yt.generate_sample(dest, n_images=2, seed=1))
    result = pull_export(project, dest)
    assert result.images == 5 and result.names == ["10 euro", "5 euro"]  # Label Studio sorts the names
    assert result.backup is not None and tree_fingerprint(result.backup) == before
    _assert_same(_pulled(dest), drawn)

    # pulling again over an untouched pull replaces it without a backup
    again = pull_export(project, dest)
    assert again.backup is None
    assert len(list(dest.parent.glob("export.backup-*"))) == 1
    assert not list(dest.parent.glob(".export.pulling-*"))
    _assert_same(_pulled(dest), drawn)


def test_polygons_round_trip(client, tmp_path):
    export = yt.generate_sample(tmp_path / "sample", n_images=5, seed=12, task="segment")
    project = create_labeling_project("polygons", CLASSES, task="segment", client=client)
    assert project.task == "segment"
    import_images(project, export / "images")
    drawn = _annotate_all(project, export, "segment")
    result = pull_export(project, tmp_path / "pulled")
    assert result.images == 5 and result.backup is None
    _assert_same(_pulled(tmp_path / "pulled"), drawn)


def test_preannotate_uploads_the_models_predictions(client, tiny_run, tmp_path):
    from ultralytics import YOLO

    export = yt.generate_sample(tmp_path / "sample", n_images=5, seed=13)
    project = create_labeling_project("prelabel", CLASSES, client=client)
    import_images(project, export / "images")
    done = preannotate(project, tiny_run, conf=0.001, max_det=4, model_version="tiny")
    assert done.tasks == 5 and done.regions > 0
    assert preannotate(project, tiny_run, conf=0.001, max_det=4, model_version="tiny").tasks == 0  # nothing left

    model = YOLO(str(tiny_run.best))
    expected = {}
    for t in client.tasks(project.id):
        original = original_name(t["data"]["image"])
        (pred,) = client.get("/api/predictions", params={"task": t["id"]}).json()
        assert pred["model_version"] == "tiny"
        r = model.predict(str(export / "images" / original), conf=0.001, max_det=4, verbose=False)[0]
        confs = r.boxes.conf.tolist()
        assert [reg["score"] for reg in pred["result"]] == pytest.approx(confs, abs=1e-5)
        assert [reg["value"]["rectanglelabels"][0] for reg in pred["result"]] == [model.names[int(c)] for c in r.boxes.cls.tolist()]
        expected[original] = sorted((model.names[int(c)], box) for c, box in zip(r.boxes.cls.tolist(), r.boxes.xywhn.tolist()))

    assert accept_predictions(project) == 5
    pull_export(project, tmp_path / "pulled")
    _assert_same(_pulled(tmp_path / "pulled"), expected)


def test_preannotate_polygons_and_classes(client, tmp_path):
    """The polygon and class paths, with untrained models (their classes are "0", "1", ...)."""
    from ultralytics import YOLO

    export = yt.generate_sample(tmp_path / "sample", n_images=2, seed=14, task="segment")
    seg = YOLO("yolov8n-seg.yaml")
    project = create_labeling_project("prelabel-seg", list(seg.names.values()), task="segment", client=client)
    import_images(project, export / "images")
    done = preannotate(project, seg, conf=0.0, max_det=2, imgsz=64, model_version="untrained")
    assert done.tasks == 2 and done.regions > 0
    expected = {}
    for t in client.tasks(project.id):
        original = original_name(t["data"]["image"])
        r = seg.predict(str(export / "images" / original), conf=0.0, max_det=2, imgsz=64, verbose=False)[0]
        expected[original] = sorted(
            (seg.names[int(c)], [float(v) for v in xy.reshape(-1)]) for c, xy in zip(r.boxes.cls.tolist(), r.masks.xyn) if len(xy) >= 3
        )
    accept_predictions(project)
    pull_export(project, tmp_path / "pulled")
    _assert_same(_pulled(tmp_path / "pulled"), expected)

    with pytest.raises(yt.LabelStudioError, match=r"labels polygons \(segment\), but the model is a detect model"):
        preannotate(project, YOLO("yolov8n.yaml"))

    cls = YOLO("yolov8n-cls.yaml")
    project = create_labeling_project("prelabel-cls", list(cls.names.values()), task="classify", client=client)
    import_images(project, export / "images")
    assert preannotate(project, cls, imgsz=64).regions == 2
    for t in client.tasks(project.id):
        (pred,) = client.get("/api/predictions", params={"task": t["id"]}).json()
        r = cls.predict(str(export / "images" / original_name(t["data"]["image"])), imgsz=64, verbose=False)[0]
        assert pred["result"][0]["value"]["choices"] == [cls.names[r.probs.top1]]
        assert pred["result"][0]["score"] == pytest.approx(float(r.probs.top1conf), abs=1e-5)


def test_classes_round_trip(client, tmp_path):
    """A classification project is pulled as one folder per chosen class; unlabelled tasks stay out."""
    images = yt.generate_sample(tmp_path / "sample", n_images=3, seed=15) / "images"
    project = create_labeling_project("classes", CLASSES, task="classify", client=client)
    assert project.task == "classify" and project.classes == CLASSES
    import_images(project, images)
    tasks = sorted(client.tasks(project.id), key=lambda t: original_name(t["data"]["image"]))
    chosen = {}
    for t, name in zip(tasks[:2], ["5 euro", "10 euro"]):
        region = {"from_name": "label", "to_name": "image", "type": "choices", "value": {"choices": [name]}}
        client.post(f"/api/tasks/{t['id']}/annotations", json={"result": [region]})
        chosen[original_name(t["data"]["image"])] = name
    result = pull_export(project, tmp_path / "pulled")
    assert result.images == 2 and result.names == ["10 euro", "5 euro"]
    pulled = {original_name(p.name): p for p in (tmp_path / "pulled").rglob("*.jpg")}
    assert {n: p.parent.name for n, p in pulled.items()} == chosen
    assert all(p.read_bytes() == (images / n).read_bytes() for n, p in pulled.items())


def test_duplicate_project_name(client):
    create_labeling_project("twice", CLASSES, client=client)
    with pytest.raises(yt.LabelStudioError, match="exists already"):
        create_labeling_project("twice", CLASSES, client=client)


def test_empty_project_export_keeps_the_old_export(client, tmp_path):
    dest = yt.generate_sample(tmp_path / "export", n_images=2, seed=2)
    before = tree_fingerprint(dest)
    project = create_labeling_project("empty", CLASSES, client=client)
    with pytest.raises(yt.LabelStudioError, match="no annotated image"):
        pull_export(project, dest)
    assert tree_fingerprint(dest) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["export"]  # no temporary folder left


def test_other_class_names_keep_the_old_export(client, tmp_path):
    images = yt.generate_sample(tmp_path / "sample", n_images=1, seed=3) / "images"
    project = create_labeling_project("pets", ["cat", "dog"], client=client)
    import_images(project, images)
    (task,) = client.tasks(project.id)
    region = {"from_name": "label", "to_name": "image", "type": "rectanglelabels", "original_width": 400, "original_height": 300,
              "value": {"x": 10, "y": 10, "width": 20, "height": 20, "rotation": 0, "rectanglelabels": ["dog"]}}  # fmt: skip
    client.post(f"/api/tasks/{task['id']}/annotations", json={"result": [region]})
    dest = yt.generate_sample(tmp_path / "export", n_images=2, seed=2)
    before = tree_fingerprint(dest)
    with pytest.raises(yt.DatasetError, match=r"differ from those of .*Nothing was changed"):
        pull_export(project, dest)
    assert tree_fingerprint(dest) == before
    result = pull_export(project, dest, replace_classes=True)  # asked for: the old one becomes a backup
    assert result.names == ["cat", "dog"] and tree_fingerprint(result.backup) == before


def test_wrong_token(server):
    with pytest.raises(yt.LabelStudioError, match="refused the API token"):
        connect(server.url, "not-the-token").projects()


def test_server_not_running():
    with pytest.raises(yt.LabelStudioError, match="No Label Studio answers at .*label start"):
        connect(f"http://127.0.0.1:{free_port()}", "token").projects()


def test_port_in_use(tmp_path):
    _requires_label_studio()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        with pytest.raises(yt.LabelStudioError, match=f"Port {port} is in use.*--port"):
            start_label_studio(port=port, home=tmp_path, quiet=True)
    assert label_studio_status(tmp_path) is None


def test_cli_label_in_a_project_without_label_studio(tmp_path, monkeypatch, capsys):
    from yolo_training.cli import main

    monkeypatch.setenv("YOLO_TRAINING_HOME", str(tmp_path))  # a project where nothing is installed
    assert main(["label", "status"]) == 1
    assert "not running" in capsys.readouterr().out
    assert main(["label", "start", "--port", str(free_port())]) == 2
    assert "yolo-training label install" in capsys.readouterr().err
    assert main(["label", "stop"]) == 0
    assert "not running" in capsys.readouterr().out
    with pytest.raises(yt.LabelStudioError, match="not running"):
        connect()


def test_stale_state_never_stops_another_program(tmp_path):
    """A server.json left behind whose pid now belongs to another program (here: this test)."""
    state = {"url": "http://127.0.0.1:1", "username": "u", "password": "p", "token": "t", "pid": os.getpid(), "port": 1,
             "log": str(tmp_path / "server.log"), "data_dir": str(tmp_path / "data")}  # fmt: skip
    (tmp_path / "server.json").write_text(__import__("json").dumps(state))
    assert label_studio_status(tmp_path) is None
    assert stop_label_studio(home=tmp_path, quiet=True) is False  # and this process is still here


# ------------------------------------------------------------------ offline box editor (no server)


def test_box_editor_saves_yolo_labels_with_a_backup(tmp_path):
    export = yt.generate_sample(tmp_path / "export", n_images=3, seed=5)
    editor = yt.box_editor(export)
    old = editor.label_file.read_text()
    assert len(editor.boxes) == len(_read(editor.label_file))
    assert editor.widget is not None  # the interactive view exists (jupyter-bbox-widget when installed)
    box = {"x": 40, "y": 30, "width": 100, "height": 60, "label": "5 euro"}
    if hasattr(editor._view, "bbox"):  # jupyter-bbox-widget is installed
        editor._view.bbox.bboxes = [box]  # what a drawn box looks like in the widget
    else:
        editor.set_boxes([box])
    label = editor.save()
    assert _read(label) == [(1, pytest.approx([90 / 400, 60 / 300, 100 / 400, 60 / 300], abs=1e-6))]
    assert label.with_name(label.name + ".bak").read_text() == old
    editor.set_boxes([box, {**box, "label": "10 euro", "x": 200}])
    editor.save()  # a second save keeps the first backup and adds another
    assert label.with_name(label.name + ".bak").read_text() == old
    assert _read(label.with_name(label.name + ".bak2")) == [(1, pytest.approx([90 / 400, 60 / 300, 100 / 400, 60 / 300], abs=1e-6))]
    assert yt.inspect_dataset(export).problems == []  # backups are not taken for labels
    with pytest.raises(yt.DatasetError, match="not one of the classes"):
        editor.set_boxes([{**box, "label": "20 euro"}])


def test_box_editor_without_the_drawing_widget(tmp_path, monkeypatch):
    """Without jupyter-bbox-widget the editor lists the boxes as text lines beside the image."""
    import sys

    monkeypatch.setitem(sys.modules, "jupyter_bbox_widget", None)  # import fails as if not installed
    export = yt.generate_sample(tmp_path / "export", n_images=1, seed=6)
    editor = yt.box_editor(export)
    assert editor.widget is not None
    text = editor._view.text
    assert not hasattr(editor._view, "bbox") and text.value.count("euro") == len(_read(editor.label_file))
    text.value = "10 euro, 0, 0, 200, 150\n"
    assert _read(editor.save()) == [(0, pytest.approx([0.25, 0.25, 0.5, 0.5], abs=1e-6))]
    text.value = "10 euro, zero, 0, 200, 150"
    with pytest.raises(yt.DatasetError, match="line 1"):
        editor.save()


def test_box_editor_refuses_to_drop_polygons(tmp_path):
    export = yt.generate_sample(tmp_path / "export", n_images=2, seed=5, task="segment")
    editor = yt.box_editor(export)
    before = tree_fingerprint(export)
    editor.set_boxes([])
    with pytest.raises(yt.DatasetError, match="polygons"):
        editor.save()
    assert tree_fingerprint(export) == before


# ------------------------------------------------------------------ safe unzipping (no server)


def _zip(path: Path, entries: dict[str, bytes], link: str | None = None) -> Path:
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries.items():
            zf.writestr(name, data)
        if link:
            info = zipfile.ZipInfo(link)
            info.external_attr = (stat.S_IFLNK | 0o777) << 16
            zf.writestr(info, "/etc/passwd")
    return path


@pytest.mark.parametrize(
    "entries, link, message",
    [
        ({"images/a.jpg": b"x", "../evil.txt": b"x"}, None, "outside"),
        ({"/abs/evil.txt": b"x"}, None, "outside"),
        ({"images/a.jpg": b"x"}, "labels/link.txt", "link"),
        ({"big.bin": b"0" * 5000}, None, "more than"),
    ],
)
def test_safe_extract_refuses_bad_zips(tmp_path, entries, link, message):
    archive = _zip(tmp_path / "x.zip", entries, link)
    out = tmp_path / "out"
    with pytest.raises(yt.DatasetError, match=message):
        yt.safe_extract(archive, out, max_bytes=1000)
    assert not out.exists() and not (tmp_path / "evil.txt").exists()


def test_safe_extract_unpacks_a_good_zip(tmp_path):
    archive = _zip(tmp_path / "x.zip", {"images/a.jpg": b"jpg", "labels/a.txt": b"0 0.5 0.5 0.1 0.1\n", "classes.txt": b"a\n"})
    out = yt.safe_extract(archive, tmp_path / "out")
    written = [p for p in out.rglob("*") if p.is_file()]
    assert sorted(p.relative_to(out).as_posix() for p in written) == ["classes.txt", "images/a.jpg", "labels/a.txt"]
    assert (tmp_path / "out" / "labels" / "a.txt").read_bytes() == b"0 0.5 0.5 0.1 0.1\n"
    assert not os.path.islink(tmp_path / "out" / "images" / "a.jpg")


# ------------------------------------------------------------------ a student's drawing, in a real browser


def _chromium() -> str | None:
    import shutil

    return os.environ.get("YOLO_TRAINING_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")


def test_browser_drawn_rectangle_reaches_the_export(server, client, tmp_path):
    """Headless Chromium: log in, open the task, pick "10 euro", drag a rectangle, submit, pull."""
    sync_api = pytest.importorskip("playwright.sync_api", reason="the playwright package is not installed")
    if not _chromium():
        pytest.skip("no chromium on PATH (Debian: apt-get install chromium)")
    images = yt.generate_sample(tmp_path / "sample", n_images=1, seed=4) / "images"
    project = create_labeling_project("browser", CLASSES, client=client)
    import_images(project, images)
    (task,) = client.tasks(project.id)
    flags = ["--no-sandbox", "--disable-background-networking", "--disable-component-update", "--disable-sync"]
    with sync_api.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=_chromium(), args=flags)
        try:
            page = browser.new_page(viewport={"width": 1400, "height": 900})
            page.goto(f"{server.url}/user/login")
            page.fill("input[name=email]", server.username)
            page.fill("input[name=password]", server.password)
            page.click("button[type=submit]")
            page.wait_for_load_state("networkidle")
            page.goto(f"{server.url}/projects/{project.id}/data?task={task['id']}")
            page.locator("canvas").first.wait_for(timeout=60_000)
            page.wait_for_timeout(1500)
            # the task's image in the labelling area is the largest picture on the page
            image = max((im.bounding_box() for im in page.locator("img").all()), key=lambda b: (b or {}).get("width", 0))
            page.get_by_text("10 euro", exact=True).first.click()
            x1, y1 = image["x"] + 0.2 * image["width"], image["y"] + 0.3 * image["height"]
            x2, y2 = image["x"] + 0.6 * image["width"], image["y"] + 0.7 * image["height"]
            page.mouse.move(x1, y1)
            page.mouse.down()
            page.mouse.move(x2, y2, steps=10)
            page.mouse.up()
            page.get_by_role("button", name="Submit").click()
            page.wait_for_timeout(1500)
        finally:
            browser.close()
    pull_export(project, tmp_path / "pulled")
    ((name, box),) = next(iter(_pulled(tmp_path / "pulled").values()))
    assert name == "10 euro"
    assert box == pytest.approx([0.4, 0.5, 0.4, 0.4], abs=0.01)
