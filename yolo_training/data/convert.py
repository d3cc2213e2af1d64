"""Bringing any recognised dataset into the course's export layout: ``images/``, ``labels/``, names.

:func:`import_export` reads whatever :func:`~yolo_training.data.formats.recognition.recognise` reads (Label Studio,
Ultralytics/Roboflow YAML, YOLO folders split by their publisher, CVAT "YOLO 1.1", Pascal VOC,
COCO; a folder or its ``.zip``) and writes one flat export: images hard-linked, YOLO label files
(converted ones written), ``classes.txt`` and ``notes.json``, and the publisher's split in
``splits/{train,val,test}.txt``. Inspection and splitting read all those layouts directly; the
import is for merging, class subsets, or handing the set to Label Studio. Folders written here
carry a marker file; only those are ever replaced.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from ..core.common import link_or_copy, progress_bar
from ..core.errors import DatasetError
from ..core.folders import replace_output
from .formats.accounting import refuse_lost
from .formats.recognition import opened, recognise
from .labels import write_class_names
from .layout import SPLIT_NAMES, Item, Layout

#: Marks an export folder this package wrote (import, merge, class subset); only those are replaced.
EXPORT_MARKER = ".yolo-training-export"


@dataclass
class ImportResult:
    """An export written or found by :func:`import_export` / :func:`~yolo_training.data.merge.merge_exports` /
    :func:`~yolo_training.data.merge.select_classes`.

    Pass it wherever a folder is expected (``inspect_dataset(result)``): it behaves as its path.

    Examples:
        >>> result = import_export("downloads/pets-voc.zip", "annotations/pets")  # doctest: +SKIP
        >>> print(result)  # doctest: +SKIP
    """

    path: Path
    names: list[str]
    source_format: str
    images: int
    notes: list[str] = field(default_factory=list)

    def __fspath__(self) -> str:
        return str(self.path)

    def summary(self) -> str:
        lines = [f"{self.source_format} -> {self.path}: {self.images} images, classes {self.names}"]
        lines += [f"  - {n}" for n in self.notes[:30]]
        if len(self.notes) > 30:
            lines.append(f"  ... and {len(self.notes) - 30} more (see .notes)")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.summary()

    def _repr_html_(self) -> str:
        from html import escape

        return f"<pre>{escape(self.summary())}</pre>"


def new_export(out: Path, overwrite: bool) -> None:
    """Make ``out`` an empty export folder (``images/``, ``labels/``) carrying the marker."""
    replace_output(out, EXPORT_MARKER, overwrite, "an earlier import",
                   "Written by yolo-training; replaced when made again with overwrite=True.")
    (out / "images").mkdir()
    (out / "labels").mkdir()


def unique_name(image: Path, prefix: str | None, used: set[str]) -> str:
    """A file name for ``image`` whose stem no other image in the folder has (case-insensitive)."""
    name = image.name
    if Path(name).stem.lower() in used and prefix:
        name = f"{image.stem}-{prefix}{image.suffix}"
    k = 2
    while Path(name).stem.lower() in used:
        name, k = f"{image.stem}-{k}{image.suffix}", k + 1
    used.add(Path(name).stem.lower())
    return name


def _is_course_export(layout: Layout) -> bool:
    """Already the course's layout: flat ``images/`` + ``labels/``, YOLO files, names files."""
    return (
        layout.kind == "Label Studio YOLO export"
        and layout.image_root == layout.root / "images"
        and all(item.text is None and (item.label is None or item.label.parent == layout.root / "labels") for item in layout.items)
    )


def _default_out(source: Path) -> Path:
    if source.is_file() and source.suffix.lower() == ".zip":
        return source.with_suffix("")
    folder = source if source.is_dir() else source.parent
    return folder.parent / f"{folder.name}-yolo"


def write_export(layout: Layout, out: Path, overwrite: bool, progress: bool = True) -> tuple[int, list[str]]:
    """Write ``layout`` as a flat export in ``out``; returns the images written and notes on renames."""
    new_export(out, overwrite)
    notes: list[str] = []
    used: set[str] = set()
    lists: dict[str, list[str]] = {s: [] for s in SPLIT_NAMES}
    for item in progress_bar(layout.items, len(layout.items), "Writing the export", progress):
        name = unique_name(item.image, item.split or item.image.parent.name, used)
        if name != item.image.name:
            notes.append(f"{item.key}: another image has the name {item.image.name}; saved as {name}")
        link_or_copy(item.image, out / "images" / name)
        _write_label(item, out / "labels" / f"{Path(name).stem}.txt")
        if item.split:
            lists[item.split].append(name)
    write_class_names(out, layout.names)
    if lists["train"] and (lists["val"] or lists["test"]):
        (out / "splits").mkdir()
        for split, names in lists.items():
            if names:
                (out / "splits" / f"{split}.txt").write_text("".join(f"{n}\n" for n in names), encoding="utf-8")
        notes.append(f"the publisher's split is in {out / 'splits'}; split_dataset keeps it")
    return len(layout.items), notes


def _write_label(item: Item, dst: Path) -> None:
    if item.text is not None:
        dst.write_text(item.text, encoding="utf-8")
    elif item.label is not None:
        link_or_copy(item.label, dst)


def import_export(
    source: str | Path,
    out: str | Path | None = None,
    task: str = "auto",
    overwrite: bool = False,
    progress: bool = True,
    *,
    names: list[str] | dict | None = None,
    source_file: str | None = None,
    allow_unread: bool = False,
) -> ImportResult:
    """Bring a dataset into the YOLO layout the course uses, and say what was done.

    ``source`` is any dataset :func:`~yolo_training.data.formats.recognition.recognise` reads, as a folder or as
    its ``.zip`` (unpacked safely). A Label Studio "YOLO with images" folder is used where it is,
    unless ``out`` is given. Everything else is written to ``out`` (default: beside the source,
    ``<name>-yolo``; for a zip, its name without ``.zip``): images hard-linked, labels linked or
    converted (VOC, COCO: boxes, or polygons with ``task="segment"``), the publisher's split in
    ``splits/``. The source is never changed.

    Args:
        source: the dataset folder or ``.zip``, or a COCO ``.json`` / data ``.yaml``.
        out: the export folder to write.
        task: ``"segment"`` converts COCO polygons instead of boxes.
        overwrite: replace an export this package wrote there before.
        progress: show a progress bar.
        names: class names for a dataset that does not name them (list in id order or ``{id: name}``).
        source_file: with two sources of annotations in one folder, the file to read (``"annotations.xml"``).
        allow_unread: import even though annotation files were found but not read (listed in ``notes``).

    Returns:
        Where the export is, its class names, what the source was, the images written, and
        ``notes``: every problem met (file and line) and every rename.

    Raises:
        DatasetError: the source cannot be recognised, holds no usable image, or holds annotations
            that would be left behind (unless ``allow_unread``).
        NotGeneratedError: ``out`` holds files this package did not write.

    Examples:
        >>> result = yt.import_export("downloads/roboflow.zip", "annotations/export")  # doctest: +SKIP
        >>> print(result)  # doctest: +SKIP
        Roboflow YOLO export, 3 splits kept: ... -> annotations/export: 6016 images, ...
    """
    source = Path(source)
    out = Path(out) if out is not None else None
    near = (out or _default_out(source)).resolve().parent if source.suffix.lower() == ".zip" else None
    with opened(source, near) as folder:
        layout = recognise(folder, names, task, source_file)
        refuse_lost(layout, allow_unread)
        if layout.task == "classify":
            raise DatasetError(f"{source} holds class folders (classification): it needs no import. Give it to split_dataset() directly.")
        notes = list(layout.notes) + [str(p) for p in layout.problems] + [f"not read: {f}" for f in layout.not_read("error")]
        if folder != source:
            notes.insert(0, f"unpacked {source.name} safely")
        if out is None and folder == source and _is_course_export(layout):
            return ImportResult(folder, layout.names, layout.kind, len(layout.items), notes)
        if not layout.items:
            raise DatasetError(f"No image of {source} could be read:\n" + "\n".join(notes[:10]))
        out = out if out is not None else _default_out(source)
        n, renames = write_export(layout, out, overwrite, progress)
    return ImportResult(out, layout.names, layout.headline(), n, notes + renames)
