"""The rule behind every format, tested over random mixtures of them: each file of a folder (or zip) is
in exactly one list, used or not read with the reason; and no split is ever written over annotations that
were not read.

Each example builds a folder from a few of the generators of the format tests, side by side as real
downloads are met (a Roboflow download beside a labelme folder, a COCO file beside CVAT XML, a zip of
photos, notes and screenshots), and checks the rule, whatever the package makes of the mixture.
"""

from __future__ import annotations

import shutil
import tempfile
import zipfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import yolo_training as yt
from conftest import tree_fingerprint
from test_accounting import coco_json
from test_dataset import photo
from test_formats_labelme_cvat import cvat_images_folder, labelme_folder
from test_formats_roboflow import createml, keras_txt, tf_csv
from test_layouts import IMAGES, LAYOUTS, write


def _extras(root: Path, what: str) -> None:
    if what == "readme":
        write(root / "README.md", "# my dataset\n")
    elif what == "notes":
        write(root / "notes.csv", "who,when\nme,today\n")
    elif what == "screenshots":
        for i in range(2):
            photo(root / "docs" / f"screenshot{i}.png", seed=90 + i)
    elif what == "photos-zip":
        with zipfile.ZipFile(root / "photos.zip", "w") as z:
            for i in range(3):
                z.write(photo(root.parent / "zipped" / f"z{i}.jpg", seed=80 + i), f"z{i}.jpg")
    elif what == "coco":
        coco_json(root / "instances.json", [f"images/{stem}.jpg" for stem, _, _ in IMAGES[:6]], boxes_per_image=2)
    elif what == "stray-labels":
        for stem, _, _ in IMAGES[:4]:
            write(root / "old_labels" / f"{stem}.txt", "0 0.5 0.5 0.2 0.2\n")


GENERATORS = {name: build for name, (build, _, _) in LAYOUTS.items()} | {
    "labelme": lambda root: labelme_folder(root),
    "cvat-xml": lambda root: cvat_images_folder(root),
    "keras": keras_txt,
    "tf-csv": tf_csv,
    "createml": createml,
} | {name: (lambda root, name=name: _extras(root, name)) for name in ("readme", "notes", "screenshots", "photos-zip", "coco", "stray-labels")}


@pytest.fixture(scope="module", autouse=True)
def _home(tmp_path_factory):
    """Decoded labelme images and extracted frames go to a project folder of this module's own."""
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("YOLO_TRAINING_HOME", str(tmp_path_factory.mktemp("home")))
        yield


def _files(folder: Path) -> list[str]:
    return sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())


def _check_accounting(layout, expected: list[str]) -> None:
    names = [f.name for f in layout.files]
    assert sorted(names) == expected, "every file exactly once"
    for use in layout.files:
        assert use.what, use.name
        assert use.used or use.severity in ("info", "warning", "error"), use


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(parts=st.lists(st.sampled_from(sorted(GENERATORS)), min_size=1, max_size=4, unique=True), as_zip=st.booleans())
def test_every_file_in_one_list_and_no_split_over_unread_annotations(parts, as_zip):
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp) / "mix"
        root.mkdir()
        for part in parts:
            GENERATORS[part](root)
        before = tree_fingerprint(root)
        source = root
        if as_zip:
            source = Path(shutil.make_archive(str(Path(tmp) / "mix"), "zip", root))
            shutil.rmtree(root)
            before = source.read_bytes()
        out = Path(tmp) / "out"
        try:
            layout = yt.inspect_dataset(source, near_duplicates=False, progress=False).layout
        except yt.DatasetError as err:  # refused: a message that names no temporary folder, and no split either
            assert str(err) and ".unzip-" not in str(err)
            event("refused when inspected")
            with pytest.raises(yt.DatasetError):
                yt.split_dataset(source, out, config=None, progress=False)
            assert not out.exists()
        else:
            if as_zip:
                with zipfile.ZipFile(source) as z:
                    expected = sorted(f"mix.zip:{n}" for n in z.namelist() if not n.endswith("/"))
            else:
                expected = _files(root)
            _check_accounting(layout, expected)
            lost = [f for f in layout.files if not f.used and f.severity == "error"]
            try:
                result = yt.split_dataset(source, out, config=None, progress=False)
            except yt.DatasetError as err:
                assert ".unzip-" not in str(err)
                event("split refused: annotations not read" if lost else f"split refused: {str(err)[:150]}")
                if lost:
                    assert "allow_unread=True" in str(err) and lost[0].name.split(":")[-1] in str(err)
                    assert not (out / "images").exists() and not (out / "train").exists(), "nothing written over lost annotations"
            else:
                event("split written")
                assert not lost, f"split written although {lost[0]} was not read"
                assert sum(result.table["images"]) > 0
        assert (source.read_bytes() if as_zip else tree_fingerprint(root)) == before, "the source is never changed"
        assert not [p for p in Path(tmp).rglob(".unzip-*")]

