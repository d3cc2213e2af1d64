"""Combining datasets and choosing classes: class names are matched by name, never by id.

- :func:`merge_exports`: several datasets (two students, several labelling batches) into one.
- :func:`select_classes`: a subset of the classes, or some merged into one, ids renumbered.

Both read any dataset :func:`~yolo_training.data.formats.recognition.recognise` reads and write a new export
(images hard-linked) carrying the export marker; the sources are never changed.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from pathlib import Path

from ..core.common import link_or_copy
from ..core.errors import DatasetError
from .convert import ImportResult, new_export, unique_name
from .formats.recognition import recognise
from .labels import write_class_names
from .layout import Layout


def _read(source: str | Path) -> Layout:
    layout = recognise(Path(source))
    if layout.task == "classify":
        raise DatasetError(f"{source} holds class folders (classification); merging and class subsets are for detection labels.")
    return layout


def _renumbered(text: str | None, remap: dict[int, int], where: Path, notes: list[str]) -> str | None:
    """Label lines with class ids mapped by ``remap``; a line with an unknown id is copied unchanged (and noted)."""
    if text is None:
        return None
    lines = []
    for number, raw in enumerate(text.splitlines(), start=1):
        parts = raw.split()
        if parts and parts[0].isdigit() and int(parts[0]) in remap:
            parts[0] = str(remap[int(parts[0])])
        elif parts:
            notes.append(f"{where}, line {number}: class {parts[0]!r} is not in its export's classes; copied unchanged")
        lines.append(" ".join(parts))
    return "\n".join(lines) + ("\n" if lines else "")


def _merged_names(read: list[Layout], notes: list[str]) -> list[str]:
    names: list[str] = []
    for layout in read:
        names += [n for n in layout.names if n not in names]
    for name in names:
        ids = {str(layout.root): layout.names.index(name) for layout in read if name in layout.names}
        if len(set(ids.values())) > 1:
            notes.append(f"class {name!r} has different ids: " + ", ".join(f"{i} in {e}" for e, i in ids.items()) + f"; merged as {names.index(name)}")
        if len(ids) < len(read):
            missing = [str(layout.root) for layout in read if name not in layout.names]
            notes.append(f"class {name!r} is only in {', '.join(ids)}; not in {', '.join(missing)} (its images there may show {name!r} unlabelled)")
    return names


def merge_exports(exports: list[str | Path], out: str | Path, overwrite: bool = False) -> ImportResult:
    """Combine several datasets (two students, several labelling batches) into one export.

    Classes are matched by name, never by id: the merged ids follow the first dataset, then
    names as they first appear. ``notes`` lists every conflict: a name with different ids, a
    name only some datasets have, the same image (same content) in two of them (kept once), and
    different images with the same file name (renamed with the dataset's number).

    Args:
        exports: two or more dataset folders, of any layout the package reads.
        out: the export folder to write.
        overwrite: replace an export this package wrote there before.

    Returns:
        The merged export, its class names and the notes.

    Examples:
        >>> yt.merge_exports(["alice/export", "bob/export"], "annotations/merged")  # doctest: +SKIP
    """
    if len(exports) < 2:
        raise DatasetError("merge_exports needs at least two exports.")
    read = [_read(e) for e in exports]
    notes: list[str] = []
    names = _merged_names(read, notes)
    out = Path(out)
    new_export(out, overwrite)
    seen_hash: dict[str, Path] = {}
    used: set[str] = set()
    n = 0
    for k, layout in enumerate(read, start=1):
        remap = {i: names.index(name) for i, name in enumerate(layout.names)}
        for item in layout.items:
            digest = hashlib.sha1(item.image.read_bytes()).hexdigest()
            if digest in seen_hash:
                notes.append(f"{item.image} is the same image as {seen_hash[digest]}; kept once (the labels of the first)")
                continue
            seen_hash[digest] = item.image
            name = unique_name(item.image, f"export{k}", used)
            if name != item.image.name:
                notes.append(f"{item.image}: another export has an image with this name; saved as {name}")
            link_or_copy(item.image, out / "images" / name)
            text = _renumbered(item.yolo_text(), remap, item.label or item.image, notes)
            if text is not None:
                (out / "labels" / f"{Path(name).stem}.txt").write_text(text, encoding="utf-8")
            n += 1
    write_class_names(out, names)
    return ImportResult(out, names, f"merge of {len(read)} exports", n, notes)


def _class_mapping(classes, old_names: list[str], source: Path) -> tuple[list[str], dict[int, int]]:
    mapping = {n: n for n in classes} if not isinstance(classes, dict) else dict(classes)
    new_names = list(mapping)
    old_to_new: dict[int, int] = {}
    for new, olds in mapping.items():
        for old in [olds] if isinstance(olds, str) else olds:
            if old not in old_names:
                raise DatasetError(f"class {old!r} is not in {source}; its classes are {old_names}.")
            old_to_new[old_names.index(old)] = new_names.index(new)
    return new_names, old_to_new


def select_classes(
    source: str | Path,
    out: str | Path,
    classes: list[str] | dict[str, str | list[str]],
    drop_empty: bool = False,
    overwrite: bool = False,
) -> ImportResult:
    """A new export with a subset of the classes, or some merged into one, ids renumbered.

    Objects of other classes are removed; images left without objects stay as backgrounds unless
    ``drop_empty``. Then split it as usual: ``config.yaml`` gets the new names.

    Args:
        source: the dataset folder (any layout the package reads).
        out: the export folder to write.
        classes: the names to keep (``["5 euro"]``), or new name -> old name(s) to merge
            (``{"note": ["5 euro", "10 euro"]}``); the order gives the new ids.
        drop_empty: leave out images without any kept object.
        overwrite: replace an export this package wrote there before.

    Returns:
        The new export, its class names, and notes: the id mapping and what was removed.

    Examples:
        >>> yt.select_classes("annotations/export", "annotations/notes", {"note": ["5 euro", "10 euro"]})  # doctest: +SKIP
    """
    source = Path(source)
    layout = _read(source)
    new_names, old_to_new = _class_mapping(classes, layout.names, source)
    out = Path(out)
    new_export(out, overwrite)
    removed = Counter()
    n = empty = 0
    used: set[str] = set()
    for item in layout.items:
        lines = []
        for raw in (item.yolo_text() or "").splitlines():
            parts = raw.split()
            if not parts:
                continue
            cls = int(float(parts[0])) if parts[0].replace(".", "", 1).isdigit() else -1
            if cls in old_to_new:
                lines.append(" ".join([str(old_to_new[cls])] + parts[1:]))
            else:
                removed[layout.names[cls] if 0 <= cls < len(layout.names) else parts[0]] += 1
        if not lines and drop_empty:
            empty += 1
            continue
        name = unique_name(item.image, item.split, used)
        link_or_copy(item.image, out / "images" / name)
        (out / "labels" / f"{Path(name).stem}.txt").write_text("".join(line + "\n" for line in lines), encoding="utf-8")
        n += 1
    write_class_names(out, new_names)
    notes = ["ids: " + ", ".join(f"{layout.names[o]!r} {o} -> {new_names[i]!r} {i}" for o, i in sorted(old_to_new.items()))]
    notes += [f"removed {k} objects of {name!r}" for name, k in removed.items()]
    if drop_empty:
        notes.append(f"left out {empty} images without any kept object")
    return ImportResult(out, new_names, f"classes of {source}", n, notes)
