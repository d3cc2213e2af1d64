"""Roboflow's text downloads: "YOLO v3/v4 Keras TXT" (``_annotations.txt`` + ``_classes.txt``),
"TensorFlow Object Detection CSV" (``_annotations.csv``) and "CreateML JSON".
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

from ..labels import read_text
from ..layout import Sniff, file_head

#: One box of a Keras TXT line: ``x_min,y_min,x_max,y_max,class_id``.
_KERAS_BOX = re.compile(r"^-?\d+(\.\d+)?,-?\d+(\.\d+)?,-?\d+(\.\d+)?,-?\d+(\.\d+)?,\d+$")
#: The columns of a TensorFlow Object Detection CSV.
CSV_COLUMNS = ("filename", "width", "height", "class", "xmin", "ymin", "xmax", "ymax")


def _keras(path: Path) -> Sniff | None:
    try:
        lines = [line.split() for line in read_text(path).splitlines() if line.strip()]
    except (OSError, UnicodeDecodeError):
        return None
    if not lines or not all(all(_KERAS_BOX.match(box) for box in parts[1:]) for parts in lines[:200]):
        return None
    if not any(len(parts) > 1 for parts in lines):
        return None
    boxes = [box for parts in lines for box in parts[1:]]
    return Sniff("YOLO Keras TXT (one line per image)", len(boxes), len({b.rsplit(",", 1)[1] for b in boxes}), read=False)


def _tf_csv(path: Path) -> Sniff | None:
    try:
        rows = list(csv.DictReader(io.StringIO(read_text(path))))
    except (OSError, UnicodeDecodeError, csv.Error):
        return None
    if not rows or not set(CSV_COLUMNS) <= set(rows[0]):
        return None
    return Sniff("TensorFlow Object Detection CSV", len(rows), len({r["class"] for r in rows}), read=False)


def _createml(path: Path) -> Sniff | None:
    if not file_head(path, 64).startswith(b"["):
        return None
    try:
        data = json.loads(read_text(path))
    except (json.JSONDecodeError, OSError, UnicodeDecodeError):
        return None
    if not isinstance(data, list) or not data or not all(isinstance(e, dict) and "image" in e and "annotations" in e for e in data):
        return None
    objects = [a for e in data for a in e["annotations"] if isinstance(a, dict)]
    return Sniff("CreateML JSON", len(objects), len({str(a.get("label")) for a in objects}), read=False)


def looks_like(path: Path) -> Sniff | None:
    """A Keras TXT, TF CSV or CreateML file; None for any other file."""
    suffix = path.suffix.lower()
    if suffix == ".txt":
        return _keras(path)
    if suffix == ".csv":
        return _tf_csv(path)
    if suffix == ".json":
        return _createml(path)
    return None
