"""The table of dataset readers: one row per format, each a module with one signature.

A reader module has ``claims(scan) -> list[Path]`` (the annotation files of its format in the
folder, empty when it has none), ``read(scan, files, names, task) -> Layout`` (the images with
their YOLO lines, the problems met, the files used) and ``looks_like(path) -> Sniff | None`` (what
a file of its format holds, for the files that were not read: see :mod:`.accounting`).
:func:`~yolo_training.data.formats.recognition.recognise` tries the data YAML, COCO and VOC
first, then these rows in order, then YOLO label files and class folders. A new format is one
module and one row here.
"""

from __future__ import annotations

from dataclasses import dataclass
from types import ModuleType

from . import cvat, labelme, roboflow_text


@dataclass(frozen=True)
class Reader:
    """One format: its name as the report says it, and the module that claims, reads and sniffs it."""

    name: str
    module: ModuleType


#: The readers of the formats students meet beyond YOLO, COCO and VOC, in the order they are tried.
READERS: tuple[Reader, ...] = (
    Reader("Roboflow Keras TXT, TF CSV or CreateML JSON", roboflow_text),
    Reader("labelme JSON", labelme),
    Reader("CVAT XML", cvat),
)
