"""Recognising a dataset by its content, as its publisher ships it: a folder or a ``.zip``.

:func:`recognise` looks at what the files are, not at exact folder names, in this order:

1. an Ultralytics dataset YAML (``data.yaml``, ``config.yaml``: ``train`` and ``val``), which
   also covers Roboflow's ``train|valid|test/images|labels`` download (:mod:`.data_yaml`);
2. COCO JSON (:mod:`.coco`);
3. Pascal VOC XML in any arrangement, LabelImg's included (:mod:`.voc`);
4. YOLO label files: Label Studio's "YOLO with images" (``images/``, ``labels/``,
   ``classes.txt``, ``notes.json``), ``images/<split>`` + ``labels/<split>``,
   ``<split>/images|labels``, CVAT's "YOLO 1.1" (``obj.names``, ``obj_train_data/``) and labels
   beside their images; class names from ``notes.json``, ``classes.txt``, ``obj.names`` or ``names=``;
5. class folders for classification (``<class>/`` or ``<split>/<class>/``).

A zip is unpacked safely into a temporary folder first (:func:`opened`). The publisher's split
is read from folder names (``valid`` is ``val``) or list files (``ImageSets/Main``, ``train.txt``).
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

from ...core.common import COMMON_IMAGE_SUFFIXES, safe_extract
from ...core.errors import DatasetError
from .coco import is_coco, layout_from_coco
from .data_yaml import find_data_yaml, layout_from_yaml
from ..labels import NAMES_FILES, LabelProblem, agreed_names, class_name_sources, names_from_lines, read_text
from ..layout import (
    Item,
    Layout,
    Scan,
    apply_split_files,
    image_root_of,
    is_label_file,
    key_of,
    orphan_labels,
    pair_labels,
    split_from_path,
    shown,
    split_name,
    forget_unpacked,
    unpacked_from,
)
from .accounting import account
from .readers import READERS
from .roboflow_text import note_roboflow_readme
from .voc import is_voc, layout_from_voc


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
    if near is not None:
        Path(near).mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=near, prefix=".unzip-") as tmp:
        unpacked_from(Path(tmp), source)
        try:
            yield inner_root(safe_extract(source, tmp))
        finally:
            forget_unpacked(Path(tmp))


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
    if source is not None and source.lower() in NAMES_FILES + ("notes.json",):
        source_yolo = _yolo(scan, given)  # the names file of YOLO label files: read those
        if source_yolo is not None:
            return source_yolo
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
            layout.used.update({p: f"annotations ({reader.name})" for p in claimed})
            return layout
    if source is not None:
        known = ", ".join(["a data YAML", "a COCO JSON", "VOC XML files"] + [r.name for r in READERS])
        raise DatasetError(f"source={source!r} is not a file this package reads ({known}).")
    layout = _yolo(scan, given)
    if layout is None:
        layout = _class_folders(scan)
    if layout is None:
        raise DatasetError(_not_recognised(scan))
    return layout


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
        raise DatasetError(_ask_for_names(layout, f"{where} has neither 'names' nor 'nc'"))
    return layout


# --------------------------------------------------------------------------------------------
# YOLO label files


def _names_files(scan: Scan) -> dict:
    """Class-name files at the top of the dataset (and CVAT's ``obj.names`` wherever it is);
    without them, the ``classes.txt`` LabelImg saves beside its label files (``labels/classes.txt``)."""
    sources = class_name_sources(scan.root)
    for path in scan.top(".names")[:1]:
        if path not in sources:
            sources[path] = names_from_lines(path)
    if not sources:
        label_folders = {p.parent for p in scan.files.get(".txt", []) if is_label_file(p)}
        for path in scan.top(".txt"):
            if path.name.lower() == "classes.txt" and path.parent in label_folders:
                sources[path] = names_from_lines(path)
    return sources


def _yolo_kind(scan: Scan, items: list[Item], sources: dict) -> str:
    names = {Path(p).name for p in sources}
    keys = [scan.relative(item.image) for item in items]
    if "obj.data" in {p.name for p in scan.files.get(".data", [])} or any(split_name(d.name) and d.name.lower().startswith("obj_") for d in scan.dirs):
        return "CVAT YOLO 1.1 export"
    if any(k.split("/")[0].lower() == "valid" for k in keys):
        return "Roboflow YOLO export (no data.yaml)"
    if any(split_from_path(k) for k in keys):
        first = next(k for k in keys if split_from_path(k))
        return "YOLO folders split by the publisher (images/<split>, labels/<split>)" if first.lower().startswith("images/") else "YOLO folders split by the publisher (<split>/images, <split>/labels)"
    if "notes.json" in names or (scan.root / "images").is_dir() and (scan.root / "labels").is_dir():
        return "Label Studio YOLO export"
    return "YOLO labels beside their images (LabelImg)"


def _yolo(scan: Scan, given: list[str] | None) -> Layout | None:
    """Images with YOLO label files (or an export's names files with images); None when not YOLO."""
    sources = _names_files(scan)
    labels = [p for p in scan.files.get(".txt", []) if is_label_file(p)]
    if not sources and not labels:
        return None
    problems: list[LabelProblem] = []
    pairs, folders = pair_labels(scan.images)
    if not sources and not any(pairs.values()):
        return None  # .txt files, but none of them an image's labels: not a YOLO dataset
    if not scan.images:
        raise DatasetError(_no_images(scan, labels))
    if given is not None:
        sources = {**sources, "names=": given}
    names = agreed_names(sources, f"{scan.root}")
    image_root = image_root_of(scan.images, scan.root)
    items = [Item(key_of(im, image_root), im, pairs[im], split_from_path(scan.relative(im))) for im in scan.images]
    apply_split_files(items, scan.root, problems)
    image_folders = {str(im.parent) for im in scan.images}
    folders |= {str(p.parent) for p in labels if p.parent.name.lower() == "labels"}
    for orphan in orphan_labels(folders, pairs, image_folders):
        problems.append(LabelProblem(orphan, 0, "a label file without an image; the image was probably not exported. Export it again or ignore this.", "no-image", "warning"))
    layout = Layout(_yolo_kind(scan, items, sources), scan.root, names or [], items, image_root, problems)
    layout.used.update({Path(p): "class names" for p in sources if isinstance(p, Path)})
    if names is None:
        raise DatasetError(_ask_for_names(layout, f"{shown(scan.root)} has YOLO labels but no classes.txt, obj.names or notes.json"))
    return layout


def _no_images(scan: Scan, labels: list[Path]) -> str:
    where = scan.root / "images" if (scan.root / "images").is_dir() else scan.root
    if labels:
        return (
            f"{where} holds {len(labels)} label file(s) but no images ({', '.join(COMMON_IMAGE_SUFFIXES)}, ...): the export was "
            "made without them. Export again with the images (Label Studio: 'YOLO with images'; CVAT: 'Save images')."
        )
    return f"{where} holds no images ({', '.join(COMMON_IMAGE_SUFFIXES)}, ...): the export is empty."


def _ask_for_names(layout: Layout, why: str) -> str:
    top = -1
    for item in layout.items[:5000]:
        if item.label is not None and item.text is None:
            try:
                top = max([top] + [int(float(line.split()[0])) for line in read_text(item.label).splitlines() if line.split()])
            except (ValueError, OSError, UnicodeDecodeError):
                continue
    used = f" The labels use class ids 0..{top}, so give {top + 1} name(s)." if top >= 0 else ""
    return (
        f"{why}, so the classes have no names.{used} Pass them in id order, e.g. "
        "names=['cat', 'dog'] (CLI: --names cat dog), or add a classes.txt with one name per line."
    )


# --------------------------------------------------------------------------------------------
# Class folders (classification)


def _class_folders(scan: Scan) -> Layout | None:
    """``<class>/*.jpg`` or ``<split>/<class>/*.jpg``: the layout Ultralytics classifies."""
    root = scan.root
    found: list[tuple[Path, str, str | None]] = []
    for image in scan.images:
        parts = image.relative_to(root).parts
        if len(parts) == 2 and parts[0].lower() not in ("images", "labels"):
            found.append((image, parts[0], None))
        elif len(parts) == 3 and split_name(parts[0]) and parts[1].lower() not in ("images", "labels"):
            found.append((image, parts[1], split_name(parts[0])))
    if not found or len(found) < len(scan.images) / 2:
        return None
    if all(split is None and split_name(cls) for _, cls, split in found):
        return None  # train/, val/ holding images directly: splits, not classes
    names = sorted({cls for _, cls, _ in found})
    ids = {n: i for i, n in enumerate(names)}
    items = [Item(image.relative_to(root).as_posix(), image, None, split, cls=ids[cls]) for image, cls, split in found]
    problems = [
        LabelProblem(image, 0, "is not in a class folder (<class>/ or <split>/<class>/); left out.", "no-label", "warning")
        for image in sorted(set(scan.images) - {image for image, _, _ in found})
    ]
    return Layout("Classification folders (one folder per class)", root, names, items, root, problems, task="classify")


def _not_recognised(scan: Scan) -> str:
    if not scan.images:
        where = scan.root / "images" if (scan.root / "images").is_dir() else scan.root
        return f"{where} holds no images ({', '.join(COMMON_IMAGE_SUFFIXES)}, ...): the export is empty."
    return (
        f"{scan.root} holds {len(scan.images)} image(s) but nothing that says what is in them. This package reads: a Label Studio "
        "'YOLO with images' export (images/, labels/, classes.txt), an Ultralytics or Roboflow dataset (data.yaml), YOLO folders "
        "(images/train + labels/train, with classes.txt or names=), CVAT 'YOLO 1.1' (obj.names), Pascal VOC .xml files, "
        "COCO .json, or class folders for classification."
    )

