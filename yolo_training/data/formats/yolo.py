"""YOLO label files (one ``.txt`` per image, ``cls xc yc w h`` or a polygon per line), found where
Ultralytics looks or beside their images.

Label Studio's "YOLO with images" (``images/``, ``labels/``, ``classes.txt``, ``notes.json``),
``images/<split>`` + ``labels/<split>``, ``<split>/images|labels``, CVAT's "YOLO 1.1"
(``obj.names``, ``obj_train_data/``) and labels beside their images (LabelImg). Class names from
``notes.json``, ``classes.txt``, ``obj.names`` or ``names=``; the split from folder names or the
export's list files. Tried after every other format (:mod:`.recognition`): a ``.txt`` file is
anything until it is an image's labels.
"""

from __future__ import annotations

from pathlib import Path

from ...core.common import COMMON_IMAGE_SUFFIXES
from ...core.errors import DatasetError
from ..labels import LabelProblem, agreed_names, class_name_sources, names_from_lines, read_text
from ..layout import (
    Item,
    Layout,
    Scan,
    Sniff,
    apply_split_files,
    image_root_of,
    is_label_file,
    key_of,
    orphan_labels,
    pair_labels,
    shown,
    split_from_path,
    split_name,
)


def names_files(scan: Scan) -> dict:
    """Class-name files at the top of the dataset (and CVAT's ``obj.names`` wherever it is);
    without them, the ``classes.txt`` LabelImg saves beside its label files (``labels/classes.txt``).

    Args:
        scan: the walk of the dataset's folder.

    Returns:
        Each names file -> the names it lists (empty: none).

    Raises:
        DatasetError: a names file is empty or has a blank line between names.

    Example:
        >>> names_files(Scan(Path("annotations/export")))  # doctest: +SKIP
        {PosixPath('annotations/export/classes.txt'): ['cat', 'dog']}
    """
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


def _label_files(scan: Scan) -> list[Path]:
    return [p for p in scan.files.get(".txt", []) if is_label_file(p)]


def claims(scan: Scan) -> list[Path]:
    """The names files and the label files of the folder's images; empty when it is not a YOLO dataset.

    Args:
        scan: the walk of the dataset's folder.

    Returns:
        The files the YOLO reader reads: names files first, then the label files that pair with an
        image (a names file alone is enough: an export whose images have no labels yet).

    Example:
        >>> claims(Scan(Path("annotations/export")))[:1]  # doctest: +SKIP
        [PosixPath('annotations/export/classes.txt')]
    """
    sources = names_files(scan)
    if not sources and not _label_files(scan):
        return []
    pairs, _ = pair_labels(scan.images)
    labels = sorted({p for p in pairs.values() if p is not None})
    if not sources and not labels:
        return []  # .txt files, but none of them an image's labels: not a YOLO dataset
    return list(sources) + labels


def _kind(scan: Scan, items: list[Item], sources: dict) -> str:
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


def read(scan: Scan, files: list[Path], names: list[str] | None, task: str) -> Layout:
    """The folder's images with their YOLO label files, class names and split.

    Args:
        scan: the walk of the dataset's folder.
        files: what :func:`claims` found (the reader pairs every image itself).
        names: class names given by the student (they must agree with the names files).
        task: ignored (YOLO lines are boxes or polygons as they are).

    Returns:
        The layout; a label file without an image is a problem ("no-image").

    Raises:
        DatasetError: no images, names files that disagree, or no class names at all.

    Example:
        >>> read(Scan(Path("annotations/export")), [], None, "auto").kind  # doctest: +SKIP
        'Label Studio YOLO export'
    """
    return read_labels(scan, names)


def read_labels(scan: Scan, given: list[str] | None, sources: dict | None = None, lists: dict[str, Path] | None = None) -> Layout:
    """The YOLO reader with its names files and split lists given (darknet's ``obj.data`` names them).

    Args:
        scan: the walk of the dataset's folder.
        given: class names given by the student, or None.
        sources: names file -> names (default: :func:`names_files`).
        lists: split -> list file of image paths (default: the export's own, see
            :func:`~yolo_training.data.layout.export_split_files`).

    Returns:
        The layout, as :func:`read`.

    Raises:
        DatasetError: as :func:`read`.

    Example:
        >>> read_labels(Scan(Path("darknet")), None, lists={"train": Path("darknet/train.txt")})  # doctest: +SKIP
    """
    sources = names_files(scan) if sources is None else dict(sources)
    labels = _label_files(scan)
    problems: list[LabelProblem] = []
    pairs, folders = pair_labels(scan.images)
    if not scan.images:
        raise DatasetError(no_images(scan, labels))
    if given is not None:
        sources = {**sources, "names=": given}
    names = agreed_names(sources, shown(scan.root))
    image_root = image_root_of(scan.images, scan.root)
    items = [Item(key_of(im, image_root), im, pairs[im], split_from_path(scan.relative(im))) for im in scan.images]
    if lists is None:
        apply_split_files(items, scan.root, problems)
    else:
        apply_split_files(items, scan.root, problems, lists)
    image_folders = {str(im.parent) for im in scan.images}
    folders |= {str(p.parent) for p in labels if p.parent.name.lower() == "labels"}
    for orphan in orphan_labels(folders, pairs, image_folders):
        problems.append(LabelProblem(orphan, 0, "a label file without an image; the image was probably not exported. Export it again or ignore this.", "no-image", "warning"))
    layout = Layout(_kind(scan, items, sources), scan.root, names or [], items, image_root, problems)
    layout.used.update({Path(p): "class names" for p in sources if isinstance(p, Path)})
    if names is None:
        raise DatasetError(ask_for_names(layout, f"{shown(scan.root)} has YOLO labels but no classes.txt, obj.names or notes.json"))
    return layout


def no_images(scan: Scan, labels: list[Path]) -> str:
    """The message for a folder without images: an export made without them, or an empty one.

    Args:
        scan: the walk of the dataset's folder.
        labels: the label files found in it.

    Returns:
        What is wrong, where, and what to do.

    Example:
        >>> no_images(Scan(Path("export")), [Path("export/labels/a.txt")])  # doctest: +SKIP
        "export holds 1 label file(s) but no images (...): the export was made without them. ..."
    """
    where = shown(scan.root / "images" if (scan.root / "images").is_dir() else scan.root)
    if labels:
        return (
            f"{where} holds {len(labels)} label file(s) but no images ({', '.join(COMMON_IMAGE_SUFFIXES)}, ...): the export was "
            "made without them. Export again with the images (Label Studio: 'YOLO with images'; CVAT: 'Save images')."
        )
    return f"{where} holds no images ({', '.join(COMMON_IMAGE_SUFFIXES)}, ...): the export is empty."


def ask_for_names(layout: Layout, why: str) -> str:
    """The message asking for class names, with how many the labels need.

    Args:
        layout: the dataset read without names.
        why: what is missing, and where ("export has YOLO labels but no classes.txt").

    Returns:
        The message: the class ids the labels use and how to pass the names.

    Example:
        >>> ask_for_names(Layout("YOLO", Path("."), [], [], Path(".")), "pets has no classes.txt")
        "pets has no classes.txt, so the classes have no names. Pass them in id order, e.g. names=['cat', 'dog'] (CLI: --names cat dog), or add a classes.txt with one name per line."
    """
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


def looks_like(path: Path) -> Sniff | None:
    """A YOLO label file: its lines and the class ids they use; None for any other file.

    Args:
        path: any file.

    Returns:
        ``Sniff("YOLO label file", objects, classes)``, or None.

    Example:
        >>> looks_like(Path("README.md")) is None
        True
    """
    if not is_label_file(path):
        return None
    try:
        lines = [line.split() for line in read_text(path).splitlines() if line.strip()]
    except (OSError, UnicodeDecodeError):
        return None
    try:
        classes = {int(float(parts[0])) for parts in lines if len(parts) >= 5 and all(float(p) == float(p) for p in parts)}
    except ValueError:
        return None
    if lines and not classes:
        return None
    return Sniff("YOLO label file", len(lines), len(classes))
