"""Darknet's dataset files: ``obj.data`` naming ``obj.names`` and the ``train.txt``/``valid.txt``
lists of image paths, with a YOLO label file beside each image (AlexeyAB's darknet, the layout
of most YOLOv3/v4 tutorials).

``obj.data`` holds ``key = value`` lines (``classes = 2``, ``train = data/train.txt``,
``valid = data/valid.txt``, ``names = data/obj.names``, ``backup = backup/``). Its paths are
relative to the folder darknet was started in, usually the one above ``data/``, or absolute
paths of the publisher's machine (``C:\\darknet\\data\\obj\\a.jpg``, ``/content/darknet/...``):
each file is looked for where the path says, then by its name in the dataset, so the lists work
wherever the dataset was unpacked. The label files themselves are read by :mod:`.yolo`.
"""

from __future__ import annotations

from pathlib import Path, PureWindowsPath

from ...core.errors import DatasetError
from ..labels import names_from_lines, read_text
from ..layout import Layout, Scan, Sniff, shown, split_name
from .yolo import read_labels


def _entries(path: Path) -> dict[str, str]:
    """The ``key = value`` lines of an ``obj.data`` (keys in lower case)."""
    entries = {}
    for line in read_text(path).splitlines():
        key, sep, value = line.partition("=")
        if sep and key.strip() and not key.lstrip().startswith("#"):
            entries[key.strip().lower()] = value.strip()
    return entries


def _find(scan: Scan, data_file: Path, value: str) -> Path | None:
    """The file an ``obj.data`` path names: where it says (from the file's folder, the one above, the
    dataset's root), else the one file of that name in the dataset."""
    value = value.strip().strip('"')
    if not value:
        return None
    relative = Path(*PureWindowsPath(value).parts) if "\\" in value else Path(value)
    if not relative.is_absolute():
        for base in (data_file.parent, data_file.parent.parent, scan.root):
            if (base / relative).is_file():
                return base / relative
    name = PureWindowsPath(value).name
    found = [p for files in scan.files.values() for p in files if p.name == name]
    return found[0] if len(found) == 1 else None


def claims(scan: Scan) -> list[Path]:
    """The ``obj.data`` of the folder (the shallowest one); empty when it has none.

    Args:
        scan: the walk of the dataset's folder.

    Returns:
        ``[obj.data]``, or ``[]``.

    Example:
        >>> claims(Scan(Path("darknet-export")))  # doctest: +SKIP
        [PosixPath('darknet-export/data/obj.data')]
    """
    return [p for p in scan.top(".data") if looks_like(p) is not None][:1]


def read(scan: Scan, files: list[Path], names: list[str] | None, task: str) -> Layout:
    """The images with their YOLO label files, the names of ``names =`` and the split of the lists.

    Args:
        scan: the walk of the dataset's folder.
        files: ``[obj.data]``, from :func:`claims`.
        names: class names given by the student (they must agree with the names file).
        task: ignored (YOLO lines are boxes or polygons as they are).

    Returns:
        The layout; a listed image that is not in the dataset is a problem with its list's file and line.

    Raises:
        DatasetError: the names file or a list that ``obj.data`` names is not in the dataset, or the
            names file holds another number of names than ``classes =``.

    Example:
        >>> read(Scan(Path("darknet-export")), [Path("darknet-export/data/obj.data")], None, "auto").kind  # doctest: +SKIP
        'Darknet (obj.data, obj.names, train.txt/valid.txt)'
    """
    data_file = files[0]
    entries = _entries(data_file)
    where = shown(data_file)
    names_file = _find(scan, data_file, entries.get("names", ""))
    if names_file is None:
        raise DatasetError(f"{where}: names = {entries.get('names', '')!r} is not in the dataset. Put the names file (obj.names, "
                           "one class per line) beside it, or pass names=['cat', 'dog'].")
    listed = names_from_lines(names_file)
    if entries.get("classes", "").isdigit() and int(entries["classes"]) != len(listed):
        raise DatasetError(f"{where} says classes = {entries['classes']}, but {shown(names_file)} names {len(listed)}. "
                           "Fix one of them so both give the same number.")
    lists = {}
    for key, value in entries.items():
        split = split_name(key)
        if split and split not in lists:
            found = _find(scan, data_file, value)
            if found is None:
                raise DatasetError(f"{where}: {key} = {value!r} is not in the dataset. Put that list of image paths beside it, "
                                   "or remove the line to split the images yourself.")
            lists[split] = found
    layout = read_labels(scan, names, {names_file: listed}, lists)
    cvat = any(split_name(d.name) and d.name.lower().startswith("obj_") for d in scan.dirs)  # obj_train_data/
    layout.kind = "CVAT YOLO 1.1 export" if cvat else "Darknet (obj.data, obj.names, train.txt/valid.txt)"
    layout.used.update({data_file: "dataset file (Darknet obj.data)", names_file: "class names"})
    layout.used.update({f: f"image list ({split})" for split, f in lists.items()})
    return layout


def looks_like(path: Path) -> Sniff | None:
    """A darknet ``.data`` file (``classes=``, ``train=``, ``names=``); None for any other file.

    Args:
        path: any file.

    Returns:
        ``Sniff("Darknet obj.data ...")``, or None.

    Example:
        >>> looks_like(Path("README.md")) is None
        True
    """
    if path.suffix.lower() != ".data":
        return None
    try:
        keys = set(_entries(path))
    except (OSError, UnicodeDecodeError):
        return None
    if not {"classes", "train"} <= keys:
        return None
    return Sniff("Darknet obj.data (with its names and image lists)")
