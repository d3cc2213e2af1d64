"""The table of dataset readers: one row per format, each a module with one signature.

A reader module has ``claims(scan) -> list[Path]`` (the annotation files of its format in the
folder, empty when it has none), ``read(scan, files, names, task) -> Layout`` (the images with
their YOLO lines, the problems met, the files used) and ``looks_like(path) -> Sniff | None`` (what
a file of its format holds, for the files that were not read: see :mod:`.accounting`).
:func:`~yolo_training.data.formats.recognition.recognise` tries the data YAML, COCO and VOC
first, then these rows in order: YOLO label files and class folders come last, because a
``.txt`` file is anything until it is an image's labels and any folder of images could be a class.
A new format is one module and one row here; the "not recognised" message lists the rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

from . import class_folders, cvat, darknet, labelme, roboflow_text, yolo


@dataclass(frozen=True)
class Reader:
    """One format: its name as the report says it, the files that make it, and its module.

    ``annotations`` is False for the readers whose claimed files are not all annotations (YOLO's
    names files and label files, class folders): their ``read`` marks what it used itself.

    Example:
        >>> Reader("labelme JSON", labelme, "one .json per image").files
        'one .json per image'
    """

    name: str
    module: ModuleType
    files: str
    annotations: bool = True


#: The readers after the data YAML, COCO and VOC, in the order they are tried.
READERS: tuple[Reader, ...] = (
    Reader("Roboflow Keras TXT, TF CSV or CreateML JSON", roboflow_text, "_annotations.txt + _classes.txt, _annotations.csv, _annotations.createml.json"),
    Reader("labelme JSON", labelme, "one .json per image with its shapes"),
    Reader("CVAT XML", cvat, "annotations.xml: CVAT for images or for video 1.1"),
    Reader("Darknet", darknet, "obj.data + obj.names + train.txt/valid.txt", annotations=False),
    Reader("YOLO labels", yolo, "a .txt per image + classes.txt, obj.names or notes.json", annotations=False),
    Reader("class folders", class_folders, "<class>/ or <split>/<class>/ for classification", annotations=False),
)
