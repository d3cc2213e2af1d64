"""Every file of a dataset accounted for: used (and as what), or not read (and why).

After a reader has recognised a dataset, :func:`account` puts each file of the folder (or zip) in
exactly one of two lists. A file that was not read is looked at by every format's ``looks_like``
(:data:`FORMATS`: one row per format module), so the report can say "``annotations.xml``: CVAT
for images 1.1 XML, 125 object(s) in 5 class(es)" instead of nothing. :func:`refuse_lost` is the
rule the split and the import follow: annotations that were found but not read, or a detection
set with no object at all, stop them with the reason and the way in, unless the student says
``allow_unread=True``.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

from ...core.common import is_image
from ...core.errors import DatasetError
from ..labels import NAMES_FILES, read_text
from ..layout import Layout, Scan, Sniff, shown, split_name
from . import coco, cvat, darknet, data_yaml, labelme, roboflow_text, voc, yolo

#: Each format's ``looks_like(path) -> Sniff | None``, most specific first: what a file that was not
#: read looks like. A new format is one module with its ``looks_like`` and one row here.
FORMATS = (
    ("CVAT XML", cvat.looks_like),
    ("Pascal VOC", voc.looks_like),
    ("labelme", labelme.looks_like),
    ("COCO", coco.looks_like),
    ("Roboflow text downloads", roboflow_text.looks_like),
    ("Darknet", darknet.looks_like),
    ("dataset YAML", data_yaml.looks_like),
)

#: Endings of files that may hold annotations: not read, they are a warning, never silence.
ANNOTATION_SUFFIXES = (".json", ".xml", ".txt", ".csv", ".yaml", ".yml", ".zip", ".data", ".names")


@dataclass
class FileUse:
    """One file of the dataset: used (``what`` says as what) or not read (``what`` says why).

    ``severity`` of a file not read: ``"info"`` (not a dataset file), ``"warning"`` (it may hold
    annotations), ``"error"`` (it holds annotations that the split would leave behind).
    """

    path: Path
    name: str
    used: bool
    what: str
    sniff: Sniff | None = None
    severity: str = "info"

    def __str__(self) -> str:
        return f"{self.name}: {self.what}"


def _zip(path: Path) -> Sniff | None:
    """A zip beside the data: the images it holds, and whether they are unpacked beside it already."""
    if path.suffix.lower() != ".zip":
        return None
    try:
        with zipfile.ZipFile(path) as z:
            infos = [i for i in z.infolist() if not i.is_dir() and "__MACOSX" not in i.filename]
    except (OSError, zipfile.BadZipFile):
        return None
    images = [i for i in infos if is_image(i.filename)]
    if not images:
        return Sniff("zip without images")
    here = all((path.parent / i.filename).is_file() and (path.parent / i.filename).stat().st_size == i.file_size for i in infos)
    return Sniff(f"zip with {len(images):,} image(s)" + (", unpacked beside it already" if here else ""), read=here)


def _zip_way_in(path: Path, sniff: Sniff) -> tuple[str, str]:
    """A zip of images beside the annotations: they may be the images the annotations name, so the call that unpacks it."""
    where = shown(path)
    if where != str(path):  # a zip inside the zip given: its temporary folder means nothing to the student
        outer = where.split(":", 1)[0]
        return (f"{sniff.describe()}, inside {outer}: images in a zip are not read, and the annotations may name them. "
                f"Unpack {outer} into a folder, then unpack this zip beside itself, and give that folder"), "error"
    return (f"{sniff.describe()}: images in a zip are not read, and the annotations may name them. Unpack it beside itself "
            f"(it replaces nothing): yt.safe_extract({str(path)!r}, {str(path.parent)!r}, overwrite=False), then call again"), "error"


def looks_like(path: Path) -> Sniff | None:
    """What a file looks like to the package: a dataset format, YOLO labels, a names file, a zip; None: nothing known.

    Args:
        path: any file.

    Returns:
        Its :class:`~yolo_training.data.layout.Sniff` (format, objects, classes, whether the package
        reads that format), or None.

    Example:
        >>> looks_like(Path("README.md")) is None
        True
    """
    for _, sniff in FORMATS:
        found = sniff(path)
        if found is not None:
            return found
    if path.name.lower() in NAMES_FILES or path.name.lower() == "_classes.txt" or path.suffix.lower() == ".names":
        try:
            return Sniff("class names file", None, len([n for n in read_text(path).splitlines() if n.strip()]))
        except (OSError, UnicodeDecodeError):
            return None
    return yolo.looks_like(path) or _zip(path)


def _used(layout: Layout) -> dict[Path, str]:
    used = dict(layout.used)
    for item in layout.items:
        used.setdefault(item.image, "image")
        if item.label is not None:
            used.setdefault(item.label, "label file" if item.text is None else "annotations")
    return used


def _lists_images(path: Path, layout: Layout) -> bool:
    """A list file (``train.txt``, ``ImageSets/Main/val.txt``) whose first lines name the dataset's images."""
    if path.suffix.lower() != ".txt" or not (split_name(path.stem) or path.parent.name == "Main" or path.stem.lower() == "trainval"):
        return False
    try:
        lines = [line.strip() for line in read_text(path).splitlines()[:50] if line.strip()]
    except (OSError, UnicodeDecodeError):
        return False
    names = {item.image.stem for item in layout.items} | {item.image.name for item in layout.items}
    return bool(lines) and all(Path(line.replace("\\", "/")).name in names or Path(line.replace("\\", "/")).stem in names
                               or line.split()[0] in names for line in lines)


def objects_read(layout: Layout) -> int:
    """How many objects the layout's labels hold (lines of YOLO labels, read or converted)."""
    return sum(len([line for line in (item.yolo_text() or "").splitlines() if line.strip()]) for item in layout.items)


def _not_read(path: Path, sniff: Sniff | None, read_count, layout: Layout) -> tuple[str, str]:
    """(why, severity) for a file that was not read."""
    if sniff is None:
        if path.suffix.lower() in ANNOTATION_SUFFIXES:
            return f"not read: a {path.suffix} file in no format this package knows; check it holds no annotations", "warning"
        return "not a dataset file", "info"
    if not sniff.read and sniff.format.startswith("zip with"):
        return _zip_way_in(path, sniff)
    if not sniff.read:
        if sniff.objects == 0:
            return f"{sniff.describe()}; not read (a format this package does not read), and it holds no object", "warning"
        return f"{sniff.describe()}: a format this package does not read. Its annotations would be left out: export them in a format it reads", "error"
    if sniff.format == "class names file":
        return f"{sniff.describe()}; not read (the class names came from another file)", "info"
    if sniff.objects and sniff.objects > read_count():
        return (f"{sniff.describe()}, more than the {read_count():,} object(s) read from {layout.kind}: "
                f"not read. Pick it with source={path.name!r}"), "error"
    if sniff.objects:
        return f"{sniff.describe()}; not read (the dataset was read as {layout.kind}); pick it with source={path.name!r}", "warning"
    return f"{sniff.describe()}; not read", "info"


def account(layout: Layout, scan: Scan, shown=None) -> list[FileUse]:
    """Every file of the scanned folder, used or not read, in the folder's order.

    Args:
        layout: what a reader recognised in the folder.
        scan: the walk of that folder.
        shown: how a path is named to the student (default: its path below the folder).

    Returns:
        One :class:`FileUse` per file.

    Example:
        >>> uses = account(recognise("annotations/export"), Scan(Path("annotations/export")))  # doctest: +SKIP
        >>> [u for u in uses if not u.used]  # doctest: +SKIP
        []
    """
    shown = shown or scan.relative
    used = _used(layout)
    counted: list[int] = []

    def read_count() -> int:
        if not counted:
            counted.append(objects_read(layout))
        return counted[0]

    found = []
    for path in sorted(scan.images + [p for files in scan.files.values() for p in files]):
        if path in used:
            found.append(FileUse(path, shown(path), True, used[path]))
            continue
        if is_image(path.name):
            found.append(FileUse(path, shown(path), False, "an image the dataset's layout does not include", severity="warning"))
            continue
        if _lists_images(path, layout):
            found.append(FileUse(path, shown(path), True, "image list (a split)"))
            continue
        sniff = looks_like(path)
        if sniff is not None and sniff.format == "YOLO label file" and layout.task == "classify":
            sniff = None
        why, severity = _not_read(path, sniff, read_count, layout)
        found.append(FileUse(path, shown(path), False, why, sniff, severity))
    _yolo_labels_as_one_source(found, layout, read_count)
    _name_second_sources(found, layout)
    return found


def _yolo_labels_as_one_source(found: list[FileUse], layout: Layout, read_count) -> None:
    """Label files that were not read are one source: their objects together against what was read."""
    unread = [f for f in found if not f.used and f.sniff is not None and f.sniff.format == "YOLO label file"]
    total = sum(f.sniff.objects or 0 for f in unread)
    if not unread or not total:
        return
    paired = layout.kind.startswith(("YOLO", "Label Studio", "CVAT YOLO", "Roboflow YOLO"))
    if paired:  # the dataset is read as YOLO: these label files have no image
        why = f"YOLO label file without its image: its objects are not read ({len(unread)} such file(s), {total:,} object(s)). " \
              + _where_their_images_are(unread, layout)
        severity = "error" if total > read_count() else "warning"
    else:
        severity = "error" if total > read_count() else "warning"
        why = (f"YOLO label file; not read: {len(unread)} label file(s) with {total:,} object(s) are a second source beside "
               f"{layout.kind} ({read_count():,} object(s) read). To read them instead, give source='classes.txt' (their names file)")
    for f in unread:
        f.what, f.severity = f"{f.sniff.describe()}: {why}", severity


def _where_their_images_are(labels: list[FileUse], layout: Layout) -> str:
    """The way in for label files without images: their images are elsewhere in the folder, or were not exported."""
    unpaired = {item.image.stem: item.image for item in layout.items if item.label is None}
    found = [(f.path, unpaired[f.path.stem]) for f in labels if f.path.stem in unpaired]
    if not found:
        return "Export again with the images (Label Studio: 'YOLO with images'; CVAT: 'Save images')"
    label, image = found[0]
    return (f"Their images are here but not where Ultralytics looks ({len(found)} of them, e.g. {image.parent.name}/{image.name} "
            f"for {label.parent.name}/{label.name}): it pairs images/x.jpg with labels/x.txt, or x.jpg with x.txt beside it. "
            f"Rename {image.parent.name}/ to images/ and {label.parent.name}/ to labels/ (in a copy), then call again")


def _name_second_sources(found: list[FileUse], layout: Layout) -> None:
    """Two sources of annotations in one folder: a note that names both, says which one is used and how to pick the other."""
    others = [f for f in found if not f.used and f.sniff is not None and f.sniff.objects and f.sniff.format != "YOLO label file"]
    labels = [f for f in found if not f.used and f.sniff is not None and f.sniff.format == "YOLO label file"]
    if labels and not layout.kind.startswith(("YOLO", "Label Studio", "CVAT YOLO", "Roboflow YOLO")):
        total = sum(f.sniff.objects or 0 for f in labels)
        layout.notes.append(f"two sources of annotations: {layout.kind} is used; also {len(labels)} YOLO label file(s) "
                            f"with {total:,} object(s) (source='classes.txt' reads them)")
    for f in others:
        layout.notes.append(f"two sources of annotations: {layout.kind} is used; also {f.name} ({f.sniff.describe()})"
                            + (f", source={Path(f.name).name!r} reads it" if f.sniff.read else ", in a format this package does not read"))


def refuse_lost(layout: Layout, allow_unread: bool = False, task: str | None = None) -> None:
    """Refuse a split or an import that would leave annotations behind, with the reason and the way in.

    Refused: files holding annotations that were not read (:attr:`FileUse.severity` ``"error"``),
    and a detection or segmentation set with no class or no object at all.

    Args:
        layout: the recognised dataset, with its :attr:`~yolo_training.data.layout.Layout.files`.
        allow_unread: True: go on anyway (the report still lists what was left).
        task: the task the split is for (default: the layout's).

    Returns:
        None.

    Raises:
        DatasetError: the files and what to do, unless ``allow_unread``.

    Example:
        >>> refuse_lost(recognise("downloads/cvat-task"))  # doctest: +SKIP
        Traceback (most recent call last):
        DatasetError: ... annotations.xml: CVAT for images 1.1 XML, 125 object(s) in 5 class(es) ...
    """
    if allow_unread:
        return
    lost = [use for use in layout.files if not use.used and use.severity == "error"]
    where = shown(layout.root) if shown(layout.root) != str(layout.root) else layout.root.name  # a zip by its name, never the temporary folder
    override = "To split without them anyway, say so: allow_unread=True (CLI: --allow-unread)."
    if lost:
        labels = [use for use in lost if use.sniff is not None and use.sniff.format == "YOLO label file"]
        lines = [str(use) for use in lost if use not in labels][:10]
        if labels:  # one line for all of them: they are one source
            lines.append(f"{len(labels)} YOLO label file(s) ({labels[0].name}, ...): {labels[0].what.split(': ', 1)[-1]}")
        listed = "\n".join(f"  - {line}" for line in lines)
        raise DatasetError(
            f"{where} was read as {layout.kind}, but {len(lost)} file(s) that may hold annotations or their images were not read, "
            f"so the split would leave them behind:\n{listed}\n{override}"
        )
    if (task or layout.task) == "classify" or not layout.items:
        return
    if not layout.names:
        raise DatasetError(f"{where} ({layout.kind}) names no class: a detector would learn nothing. "
                           f"Give the names (names=['cat', 'dog']) or a classes.txt. {override}")
    if objects_read(layout) == 0:
        raise DatasetError(
            f"{where} ({layout.kind}): {len(layout.items):,} image(s) but not one object in their labels, so a model "
            f"would learn only backgrounds (mAP 0). Check that the export includes the annotations. {override}"
        )
