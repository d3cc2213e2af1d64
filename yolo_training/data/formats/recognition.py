"""Recognising a dataset by its content, as its publisher ships it: a folder or a ``.zip``.

:func:`recognise` looks at what the files are, not at exact folder names, in this order:

1. an Ultralytics dataset YAML (``data.yaml``, ``config.yaml``: ``train`` and ``val``), which
   also covers Roboflow's ``train|valid|test/images|labels`` download (:mod:`.data_yaml`);
2. COCO JSON (:mod:`.coco`);
3. Pascal VOC XML in any arrangement, LabelImg's included (:mod:`.voc`);
4. the rows of :data:`~yolo_training.data.formats.readers.READERS`, in order: Roboflow's text
   downloads, labelme, CVAT XML, Darknet, YOLO label files (:mod:`.yolo`: Label Studio's "YOLO
   with images", ``images/<split>`` + ``labels/<split>``, CVAT's "YOLO 1.1", labels beside their
   images) and class folders for classification (:mod:`.class_folders`).

A zip is unpacked safely into a temporary folder first (:func:`opened`). The publisher's split
is read from folder names (``valid`` is ``val``) or list files (``ImageSets/Main``, ``train.txt``).
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

from ...core.common import safe_extract
from ...core.errors import DatasetError
from ..layout import Layout, Scan, forget_unpacked, shown, unpacked_from
from .accounting import account
from .coco import is_coco, layout_from_coco
from .data_yaml import find_data_yaml, layout_from_yaml
from .readers import READERS
from .roboflow_text import note_roboflow_readme
from .voc import is_voc, layout_from_voc
from .yolo import ask_for_names, no_images


@contextlib.contextmanager
def opened(source: str | Path, near: str | Path | None = None):
    """The dataset folder of ``source``: the folder itself, or a ``.zip`` unpacked safely.

    A zip is unpacked into a temporary folder (in ``near``, so that files hard-link from it;
    else the system's), removed on leaving; when everything in it sits in one folder (as Label
    Studio and Roboflow zip it), that folder is returned.
    """
    source = Path(source)
    if not source.exists():
        raise DatasetError(
            f"{source.resolve()} does not exist. Give the dataset's folder or the downloaded .zip "
            "(run `yolo-training sample` to create the bundled sample)."
        )
    if not (source.is_file() and source.suffix.lower() == ".zip"):
        yield source
        return
    made = near is not None and not Path(near).exists()
    if near is not None:
        Path(near).mkdir(parents=True, exist_ok=True)
    try:
        with tempfile.TemporaryDirectory(dir=near, prefix=".unzip-") as tmp:
            unpacked_from(Path(tmp), source)
            try:
                yield inner_root(safe_extract(source, tmp))
            finally:
                forget_unpacked(Path(tmp))
    finally:
        if made and not any(Path(near).iterdir()):  # made only to unpack next to the output, which was refused
            Path(near).rmdir()


def inner_root(folder: Path) -> Path:
    """Down through folders that hold nothing but one folder (how zips usually wrap a dataset)."""
    while True:
        entries = [e for e in folder.iterdir() if not e.name.startswith(".") and e.name != "__MACOSX"]
        if len(entries) != 1 or not entries[0].is_dir():
            return folder
        folder = entries[0]


def recognise(folder: str | Path, names: list[str] | dict | None = None, task: str = "auto", source: str | None = None) -> Layout:
    """What ``folder`` holds, recognised by content, as a :class:`~yolo_training.data.layout.Layout`.

    Args:
        folder: the dataset's folder (unpack a zip with :func:`opened` first), or a data YAML or
            COCO ``.json`` file.
        names: class names (a list in id order, or ``{id: name}``) for datasets that do not
            name their classes; when the dataset does, they must agree.
        task: ``"segment"`` reads COCO polygons instead of boxes; otherwise ignored.
        source: with two sources of annotations in one folder, the file to read (``"annotations.xml"``);
            default: the first format that claims files, in the order above.

    Returns:
        The layout: its kind ("Roboflow YOLO export"), class names, images with their labels and
        split, the problems met while pairing files, and every file of the folder in
        :attr:`~yolo_training.data.layout.Layout.files`, used or not read with the reason.

    Raises:
        DatasetError: nothing recognisable, or no class names where they are needed.

    Examples:
        >>> recognise("downloads/blood-cells").kind  # doctest: +SKIP
        'Roboflow YOLO export'
    """
    from ..labels import names_from_mapping

    folder = Path(folder)
    given = names_from_mapping(names, "names=") if names is not None else None
    if folder.is_file():
        return _recognise_file(folder, given, task)
    if not folder.is_dir():
        raise DatasetError(f"{folder.resolve()} does not exist. Give the dataset's folder or the downloaded .zip.")
    scan = Scan(folder)
    layout = _read_folder(scan, given, task, source)
    note_roboflow_readme(layout, scan)  # whatever format the download is in
    layout.files = account(layout, scan, lambda p: shown(p, scan.root) if p != scan.root else shown(p))
    return layout


def _pick(found: list[Path], source: str | None) -> list[Path]:
    """The files of one format, or only the one ``source=`` names (by name or path below the folder)."""
    if source is None:
        return found
    return [p for p in found if p.name == source or p.as_posix().endswith("/" + source.strip("/"))]


def _read_folder(scan: Scan, given: list[str] | None, task: str, source: str | None) -> Layout:
    """The first format that claims files of the folder (or the one of ``source=``), read."""
    folder = scan.root
    if source is not None and not _pick([p for files in scan.files.values() for p in files], source):
        raise DatasetError(f"source={source!r}: there is no such file in {shown(folder)}. Give the name of the annotation file to read.")
    found = find_data_yaml(_pick(scan.top(".yaml") + scan.top(".yml"), source), folder)
    if found is not None:
        layout = layout_from_yaml(found[0], found[1], _yaml_kind(scan, *found))
        layout.used[found[0]] = "data YAML"
        return _with_names(layout, given, found[0])
    jsons = _pick([p for p in scan.top(".json") if is_coco(p)], source)
    if jsons:
        layout = layout_from_coco(scan, jsons, given, "segment" if task == "segment" else "detect")
        layout.used.update({p: "annotations (COCO JSON)" for p in jsons})
        return layout
    xmls = _pick([p for p in scan.top(".xml") if is_voc(p)], source)
    if xmls:
        return layout_from_voc(scan, xmls, given)
    for reader in READERS:
        claimed = _pick(reader.module.claims(scan), source)
        if claimed:
            layout = reader.module.read(scan, claimed, given, task)
            if reader.annotations:
                layout.used.update({p: f"annotations ({reader.name})" for p in claimed})
            return layout
    if source is not None:
        known = ", ".join(["a data YAML", "a COCO JSON", "VOC XML files"] + [r.name for r in READERS])
        raise DatasetError(f"source={source!r} is not a file this package reads ({known}).")
    raise DatasetError(_not_recognised(scan))


def _recognise_file(path: Path, given: list[str] | None, task: str) -> Layout:
    suffix = path.suffix.lower()
    if suffix in (".yaml", ".yml"):
        from .data_yaml import read_data_yaml

        data = read_data_yaml(path)
        if data is None:
            raise DatasetError(f"{path} is not a dataset YAML: it needs 'train' and 'val' entries (and 'names').")
        return _with_names(layout_from_yaml(path, data, f"Ultralytics dataset YAML ({path.name})"), given, path)
    if suffix == ".json" and is_coco(path):
        return layout_from_coco(Scan(path.parent), [path], given, "segment" if task == "segment" else "detect")
    raise DatasetError(f"{path} is a file; give the dataset's folder, its .zip, its data .yaml or its COCO .json.")


def _yaml_kind(scan: Scan, file: Path, data: dict) -> str:
    roboflow = "roboflow" in data or any(p.name.lower().startswith("readme.roboflow") for p in scan.top(".txt")[:20])
    if roboflow or any(p.name.lower() == "valid" for p in scan.dirs):
        return "Roboflow YOLO export"
    return f"Ultralytics dataset YAML ({file.name})"


def _with_names(layout: Layout, given: list[str] | None, where: Path) -> Layout:
    placeholder = layout.names == [f"class_{i}" for i in range(len(layout.names))]  # the YAML gave only nc
    if given is not None and layout.names and given != layout.names and not (placeholder and len(given) == len(layout.names)):
        raise DatasetError(f"names={given} disagree with the names in {where}: {layout.names}. Leave names= out, or fix the file.")
    layout.names = given if given is not None else layout.names
    if not layout.names:
        raise DatasetError(ask_for_names(layout, f"{where} has neither 'names' nor 'nc'"))
    return layout


def _not_recognised(scan: Scan) -> str:
    if not scan.images:
        return no_images(scan, [])
    known = "; ".join(f"{r.name} ({r.files})" for r in READERS)
    return (
        f"{shown(scan.root)} holds {len(scan.images)} image(s) but nothing that says what is in them. This package reads: "
        f"an Ultralytics or Roboflow dataset YAML (data.yaml); COCO JSON (instances.json, _annotations.coco.json); Pascal VOC "
        f"(.xml per image); {known}. Export the annotations in one of these beside the images, or pass the class names "
        "(names=['cat', 'dog']) when the labels are YOLO .txt files without a classes.txt."
    )
