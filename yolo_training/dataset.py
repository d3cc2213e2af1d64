"""The dataset modules' public names in one place, for code written before they were split.

New code imports from the module that does the job (its file name says which):

- :mod:`~yolo_training.formats`: recognising a dataset by content, folder or ``.zip``
  (:mod:`~yolo_training.layout`, :mod:`~yolo_training.data_yaml`, :mod:`~yolo_training.voc`,
  :mod:`~yolo_training.coco` for each format);
- :mod:`~yolo_training.labels`: YOLO label lines and class-name files;
- :mod:`~yolo_training.image_checks`: image files;
- :mod:`~yolo_training.duplicates`: exact and near-duplicates;
- :mod:`~yolo_training.inspection`: :func:`inspect_dataset` and its :class:`DatasetReport`;
- :mod:`~yolo_training.convert`: :func:`import_export`; :mod:`~yolo_training.merge`:
  :func:`merge_exports`, :func:`select_classes`.
"""

from __future__ import annotations

from ._common import safe_extract
from .convert import EXPORT_MARKER, ImportResult, import_export
from .duplicates import COLOUR_THRESHOLD, HASH_THRESHOLD, dhash, near_duplicate_groups
from .inspection import IMBALANCE_RATIO, MAX_BACKGROUND_SHARE, DatasetReport, inspect_dataset
from .labels import CLIP_TOLERANCE, ImageLabels, LabelProblem, check_line, read_class_names, read_labels
from .merge import merge_exports, select_classes

__all__ = [
    "CLIP_TOLERANCE",
    "COLOUR_THRESHOLD",
    "DatasetReport",
    "EXPORT_MARKER",
    "HASH_THRESHOLD",
    "IMBALANCE_RATIO",
    "ImageLabels",
    "ImportResult",
    "LabelProblem",
    "MAX_BACKGROUND_SHARE",
    "check_line",
    "dhash",
    "import_export",
    "inspect_dataset",
    "merge_exports",
    "near_duplicate_groups",
    "read_class_names",
    "read_labels",
    "safe_extract",
    "select_classes",
]
